// Key generation and signing for tests, on OpenSSL's EVP interface.
#include "portal/testing/test_keys.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdlib>

#include "portal/jwt.h"

namespace passwerk::portal::testing {
namespace {

// Test keys that cannot be made leave nothing meaningful to test.
void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "test key setup failed: %s\n", what);
    std::abort();
  }
}

std::string BnParam(EVP_PKEY* key, const char* name, int pad_to = 0) {
  BIGNUM* bn = nullptr;
  Require(EVP_PKEY_get_bn_param(key, name, &bn) == 1, name);
  std::string out(pad_to > 0 ? static_cast<size_t>(pad_to) : static_cast<size_t>(BN_num_bytes(bn)), '\0');
  int written = pad_to > 0 ? BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), pad_to)
                           : BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  Require(written == static_cast<int>(out.size()), name);
  return out;
}

std::string Sign(const TestKey& key, std::string_view input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pkey_ctx = nullptr;
  const EVP_MD* md = key.alg == "EdDSA" ? nullptr : EVP_sha256();
  Require(EVP_DigestSignInit(ctx, &pkey_ctx, md, nullptr, key.key.get()) == 1, "sign init");
  if (key.alg == "PS256") {
    Require(EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
                EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_ctx, RSA_PSS_SALTLEN_DIGEST) == 1,
            "pss");
  }
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  size_t length = 0;
  Require(EVP_DigestSign(ctx, nullptr, &length, data, input.size()) == 1, "sign length");
  std::string signature(length, '\0');
  Require(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length, data, input.size()) == 1,
          "sign");
  EVP_MD_CTX_free(ctx);
  signature.resize(length);
  if (key.alg != "ES256") return signature;
  // DER to JOSE's fixed-width r||s.
  const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size()));
  Require(sig != nullptr, "ecdsa der");
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

}  // namespace

TestKey MakeKey(KeyAlg alg, std::string kid) {
  TestKey out;
  out.kid = std::move(kid);
  EVP_PKEY* key = nullptr;
  switch (alg) {
    case KeyAlg::kRs256:
    case KeyAlg::kPs256:
      out.alg = alg == KeyAlg::kRs256 ? "RS256" : "PS256";
      key = EVP_RSA_gen(2048);
      Require(key != nullptr, "rsa");
      out.jwk = {{"kty", "RSA"},
                 {"n", Base64UrlEncode(BnParam(key, OSSL_PKEY_PARAM_RSA_N))},
                 {"e", Base64UrlEncode(BnParam(key, OSSL_PKEY_PARAM_RSA_E))}};
      break;
    case KeyAlg::kEs256:
      out.alg = "ES256";
      key = EVP_EC_gen("P-256");
      Require(key != nullptr, "ec");
      out.jwk = {{"kty", "EC"},
                 {"crv", "P-256"},
                 {"x", Base64UrlEncode(BnParam(key, OSSL_PKEY_PARAM_EC_PUB_X, 32))},
                 {"y", Base64UrlEncode(BnParam(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32))}};
      break;
    case KeyAlg::kEdDsa: {
      out.alg = "EdDSA";
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      Require(key != nullptr, "ed25519");
      std::string x(32, '\0');
      size_t length = x.size();
      Require(EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(x.data()), &length) == 1, "raw");
      out.jwk = {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", Base64UrlEncode(x)}};
      break;
    }
  }
  out.key = std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
  out.jwk["kid"] = out.kid;
  out.jwk["use"] = "sig";
  out.jwk["alg"] = out.alg;
  return out;
}

std::string JwksOf(const std::vector<const TestKey*>& keys) {
  nlohmann::json set = {{"keys", nlohmann::json::array()}};
  for (const TestKey* key : keys) set["keys"].push_back(key->jwk);
  return set.dump();
}

std::string SignToken(const TestKey& key, const nlohmann::json& claims, bool with_kid) {
  nlohmann::json header = {{"alg", key.alg}, {"typ", "JWT"}};
  if (with_kid) header["kid"] = key.kid;
  return SignTokenWith(key, header, claims);
}

std::string SignTokenWith(const TestKey& key, const nlohmann::json& header, const nlohmann::json& claims) {
  std::string input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  return input + "." + Base64UrlEncode(Sign(key, input));
}

std::string PublicPem(const TestKey& key) {
  BIO* bio = BIO_new(BIO_s_mem());
  Require(PEM_write_bio_PUBKEY(bio, key.key.get()) == 1, "pem");
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(length));
  BIO_free(bio);
  return pem;
}

}  // namespace passwerk::portal::testing
