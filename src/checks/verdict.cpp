// Ed25519 compact JWS over OpenSSL 3.
#include "checks/verdict.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

namespace passwerk::checks {

std::string Base64Url(std::string_view bytes) {
  std::string out = crypto::Base64Encode(bytes);
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

Result<std::string> Base64UrlDecode(std::string_view text) {
  std::string b64(text);
  for (char& c : b64) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (!std::isalnum(static_cast<unsigned char>(c)))
      return InvalidArgument("not base64url");
  }
  while (b64.size() % 4 != 0) b64.push_back('=');
  std::string out(b64.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  if (n < 0) return InvalidArgument("not base64url");
  size_t padding = 0;
  for (size_t i = b64.size(); i > 0 && b64[i - 1] == '='; --i) ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

VerdictSigner::VerdictSigner(const crypto::SecretBox& box) {
  std::string seed = box.DeriveKey("checks/verdict-ed25519");
  EVP_PKEY* key =
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), 32);
  key_ = key;
  public_key_.assign(32, '\0');
  size_t len = 32;
  EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(public_key_.data()), &len);
  key_id_ = Base64Url(crypto::Sha256(public_key_)).substr(0, 16);
}

VerdictSigner::~VerdictSigner() { EVP_PKEY_free(static_cast<EVP_PKEY*>(key_)); }

std::string VerdictSigner::Sign(const Verdict& v) const {
  nlohmann::json header = {{"alg", "EdDSA"}, {"kid", key_id_}, {"typ", "JWT"}};
  nlohmann::json payload = {{"iss", "passwerk"},  {"sub", v.card_hash},  {"partner", v.partner_id},
                            {"iat", v.issued_at}, {"exp", v.expires_at}, {"valid", v.valid}};
  if (v.valid) {
    payload["scheme"] = v.scheme;
    payload["discount"] = v.discount;
    payload["valid_until"] = v.valid_until;
  } else {
    payload["reason"] = v.reason;
  }
  std::string input = Base64Url(header.dump()) + "." + Base64Url(payload.dump());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, static_cast<EVP_PKEY*>(key_));
  std::string signature(64, '\0');
  size_t sig_len = signature.size();
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &sig_len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  EVP_MD_CTX_free(ctx);
  signature.resize(sig_len);
  return input + "." + Base64Url(signature);
}

std::string VerdictSigner::Jwks() const {
  nlohmann::json jwk = {{"kty", "OKP"},   {"crv", "Ed25519"}, {"x", Base64Url(public_key_)},
                        {"kid", key_id_}, {"alg", "EdDSA"},   {"use", "sig"}};
  return nlohmann::json{{"keys", nlohmann::json::array({jwk})}}.dump();
}

Result<std::string> VerdictSigner::VerifyPayload(const std::string& jws) const {
  size_t first = jws.find('.');
  size_t second = first == std::string::npos ? std::string::npos : jws.find('.', first + 1);
  if (second == std::string::npos) return InvalidArgument("not a compact JWS");
  PW_ASSIGN_OR_RETURN(std::string signature, Base64UrlDecode(jws.substr(second + 1)));
  std::string input = jws.substr(0, second);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, static_cast<EVP_PKEY*>(key_));
  int ok = EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                            reinterpret_cast<const unsigned char*>(input.data()), input.size());
  EVP_MD_CTX_free(ctx);
  if (ok != 1) return InvalidArgument("signature does not verify");
  return Base64UrlDecode(jws.substr(first + 1, second - first - 1));
}

}  // namespace passwerk::checks
