// Test support for OpenID Connect: generated signing keys, their JWKs, and
// ID tokens signed with OpenSSL directly, independent of the verifier.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace passwerk::portal::testing {

enum class KeyAlg { kRs256, kPs256, kEs256, kEdDsa };

struct TestKey {
  std::string alg;  // the JOSE name; the signer follows it
  std::string kid;
  std::shared_ptr<EVP_PKEY> key;  // the private key
  nlohmann::json jwk;             // the public JWK, with kid, use and alg
};

TestKey MakeKey(KeyAlg alg, std::string kid);
// {"keys":[…]} of the keys' public JWKs.
std::string JwksOf(const std::vector<const TestKey*>& keys);
// A compact JWS with header {"alg": key.alg, "kid": key.kid}.
std::string SignToken(const TestKey& key, const nlohmann::json& claims, bool with_kid = true);
// A compact JWS with the given header, signed with key.alg whatever it says.
std::string SignTokenWith(const TestKey& key, const nlohmann::json& header, const nlohmann::json& claims);
std::string PublicPem(const TestKey& key);

}  // namespace passwerk::portal::testing
