// Signed verdicts for the partner widget: a compact JWS (RFC 7515) with
// EdDSA/Ed25519 (RFC 8037) that the partner's server verifies offline with the
// public key from /.well-known/jwks.json. The signing key is derived from the
// first data key, so it needs no extra file and survives data-key rotation.
#pragma once

#include <cstdint>
#include <string>

#include "core/crypto.h"
#include "core/status.h"

namespace passwerk::checks {

// How long a signed verdict is good for.
inline constexpr int64_t kVerdictLifetimeSeconds = 15 * 60;

struct Verdict {
  bool valid = false;
  std::string reason;       // when not valid
  std::string scheme;       // when valid
  std::string discount;     // when valid
  std::string valid_until;  // when valid
  std::string card_hash;    // base64url(SHA-256 of the 12 digits), so a booking can be tied to the card typed
  int64_t partner_id = 0;
  int64_t issued_at = 0;  // unix seconds
  int64_t expires_at = 0;
};

class VerdictSigner {
 public:
  explicit VerdictSigner(const crypto::SecretBox& box);
  ~VerdictSigner();
  VerdictSigner(const VerdictSigner&) = delete;
  VerdictSigner& operator=(const VerdictSigner&) = delete;

  std::string Sign(const Verdict& verdict) const;
  // {"keys":[{"kty":"OKP","crv":"Ed25519","x":…,"kid":…,"alg":"EdDSA","use":"sig"}]}
  std::string Jwks() const;
  const std::string& key_id() const { return key_id_; }
  // Verifies a compact JWS made by this signer (for tests and the example verifier's contract).
  Result<std::string> VerifyPayload(const std::string& jws) const;

 private:
  void* key_ = nullptr;  // EVP_PKEY*
  std::string public_key_;
  std::string key_id_;
};

std::string Base64Url(std::string_view bytes);
Result<std::string> Base64UrlDecode(std::string_view text);

}  // namespace passwerk::checks
