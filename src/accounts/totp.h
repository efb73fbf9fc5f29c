// RFC 6238 time-based one-time passwords (HMAC-SHA1, 30 s steps, 6 digits),
// the parameters every authenticator app supports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace passwerk::accounts {

constexpr int64_t kTotpStepSeconds = 30;

// The code for a raw secret at a time step (RFC 4226 truncation).
std::string TotpCode(std::string_view secret, int64_t step, int digits = 6);

// Checks `code` against steps now-1 … now+1 and returns the matching step,
// which must be greater than `last_used_step` (a code is never accepted twice).
std::optional<int64_t> VerifyTotp(std::string_view secret, std::string_view code, int64_t unix_seconds,
                                  int64_t last_used_step);

// otpauth://totp/Issuer:account?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30
std::string OtpauthUri(std::string_view issuer, std::string_view account, std::string_view secret_base32);

}  // namespace passwerk::accounts
