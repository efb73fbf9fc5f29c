// TOTP generation and verification with a ±1 step window and replay guard.
#include "accounts/totp.h"

#include "core/crypto.h"

namespace passwerk::accounts {

std::string TotpCode(std::string_view secret, int64_t step, int digits) {
  std::string counter(8, '\0');
  for (int i = 7; i >= 0; --i) {
    counter[static_cast<size_t>(i)] = static_cast<char>(step & 0xff);
    step >>= 8;
  }
  std::string mac = crypto::HmacSha1(secret, counter);
  size_t offset = static_cast<unsigned char>(mac.back()) & 0x0f;
  uint32_t binary = (static_cast<uint32_t>(static_cast<unsigned char>(mac[offset]) & 0x7f) << 24) |
                    (static_cast<uint32_t>(static_cast<unsigned char>(mac[offset + 1])) << 16) |
                    (static_cast<uint32_t>(static_cast<unsigned char>(mac[offset + 2])) << 8) |
                    static_cast<uint32_t>(static_cast<unsigned char>(mac[offset + 3]));
  uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  std::string code = std::to_string(binary % modulus);
  return std::string(static_cast<size_t>(digits) - code.size(), '0') + code;
}

std::optional<int64_t> VerifyTotp(std::string_view secret, std::string_view code, int64_t unix_seconds,
                                  int64_t last_used_step) {
  if (code.size() != 6) return std::nullopt;
  for (char c : code) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int64_t now_step = unix_seconds / kTotpStepSeconds;
  std::optional<int64_t> match;
  // Compare every candidate, so timing does not reveal which step matched.
  for (int64_t step = now_step - 1; step <= now_step + 1; ++step) {
    if (crypto::ConstantTimeEquals(TotpCode(secret, step), code) && step > last_used_step) match = step;
  }
  return match;
}

namespace {
// RFC 3986 unreserved characters stay, everything else is percent-encoded.
std::string PercentEncode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}
}  // namespace

std::string OtpauthUri(std::string_view issuer, std::string_view account, std::string_view secret_base32) {
  std::string label = PercentEncode(issuer) + ":" + PercentEncode(account);
  return "otpauth://totp/" + label + "?secret=" + std::string(secret_base32) + "&issuer=" + PercentEncode(issuer) +
         "&algorithm=SHA1&digits=6&period=30";
}

}  // namespace passwerk::accounts
