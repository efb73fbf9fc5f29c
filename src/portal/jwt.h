// The JOSE pieces of OpenID Connect sign-in, on OpenSSL 3 alone: base64url,
// JSON Web Key sets, ID token verification (RS256, PS256, ES256, EdDSA) and
// PKCE. Pure functions of their input and the given time, so they are tested
// without a provider.
#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace passwerk::portal {

// RFC 4648 §5 without padding.
std::string Base64UrlEncode(std::string_view bytes);
// Strict: no padding, no whitespace, only the URL-safe alphabet, and unused
// trailing bits must be zero, so every byte string has exactly one encoding
// (otherwise a changed token could still verify).
Result<std::string> Base64UrlDecode(std::string_view text);

enum class KeyType { kRsa, kEcP256, kEd25519 };

// One public signing key from a JWK set.
struct Jwk {
  KeyType type = KeyType::kRsa;
  std::string kid;                // empty if the key has none
  std::string alg;                // empty if the key does not restrict its algorithm
  std::shared_ptr<EVP_PKEY> key;  // shared: a key set is copied into caches
};

inline constexpr size_t kMaxJwksBytes = 256 * 1024;
inline constexpr size_t kMaxIdTokenBytes = 16 * 1024;

class JwkSet {
 public:
  // Keys that cannot serve to verify ID tokens (`use` other than "sig",
  // unknown kty, other curves, RSA under 2048 bits, malformed parameters) are
  // skipped, so one odd key of the provider does not stop every sign-in.
  // kInvalidArgument if the document is not a JWK set or holds no usable key.
  static Result<JwkSet> Parse(std::string_view json);

  const std::vector<Jwk>& keys() const { return keys_; }
  bool HasKeyId(std::string_view kid) const;

 private:
  std::vector<Jwk> keys_;
};

struct IdTokenExpectations {
  std::string issuer;
  std::string client_id;
  std::string nonce;
  int64_t now_unix = 0;
  int64_t skew_seconds = 60;
};

struct IdToken {
  std::string sub;
  std::string acr;  // empty if the token has none
  std::string issuer;
  int64_t exp = 0;
  int64_t iat = 0;
  std::optional<int64_t> auth_time;
  nlohmann::json claims;  // the whole payload (given_name, address, …)
};

// Verifies signature and claims of a compact JWS ID token. kInvalidArgument
// for a token that is not well-formed, kUnauthenticated with a reason in
// plain English for one that is well-formed but must not be believed.
Result<IdToken> VerifyIdToken(std::string_view compact_jws, const JwkSet& keys, const IdTokenExpectations& expect);

// The `kid` of a token's protected header, "" if it has none: lets the caller
// fetch the provider's keys again when it names a key not yet known.
Result<std::string> IdTokenKeyId(std::string_view compact_jws);

// RFC 7636: BASE64URL(SHA-256(ASCII(verifier))).
std::string PkceChallengeS256(std::string_view verifier);
// 43 characters from 32 random bytes.
std::string NewPkceVerifier();

}  // namespace passwerk::portal
