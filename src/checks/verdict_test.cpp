// Signed verdicts: the compact JWS a partner verifies offline with the
// published key, what the payload carries for each answer, and refusals.
#include "checks/verdict.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <nlohmann/json.hpp>

namespace passwerk::checks {
namespace {

TEST(VerdictTest, SignedVerdictVerifiesAndDetectsTampering) {
  auto box = crypto::SecretBox::FromHexKeys({std::string(64, 'c')}).value();
  VerdictSigner signer(box);
  Verdict verdict;
  verdict.valid = true;
  verdict.scheme = "erlangen-pass";
  verdict.discount = "50_percent";
  verdict.valid_until = "2026-12-31";
  verdict.card_hash = Base64Url(crypto::Sha256("101000010013"));
  verdict.partner_id = 7;
  verdict.issued_at = 1795000000;
  verdict.expires_at = 1795000900;
  std::string jws = signer.Sign(verdict);
  auto payload = signer.VerifyPayload(jws);
  ASSERT_TRUE(payload.ok()) << payload.status().ToString();
  auto json = nlohmann::json::parse(*payload);
  EXPECT_EQ(json["valid"], true);
  EXPECT_EQ(json["partner"], 7);
  EXPECT_EQ(json.dump().find("Müller"), std::string::npos);
  std::string tampered = jws;
  tampered[jws.find('.') + 5] ^= 1;
  EXPECT_FALSE(signer.VerifyPayload(tampered).ok());
  auto jwks = nlohmann::json::parse(signer.Jwks());
  EXPECT_EQ(jwks["keys"][0]["kty"], "OKP");
  EXPECT_EQ(jwks["keys"][0]["crv"], "Ed25519");
  EXPECT_EQ(jwks["keys"][0]["kid"], signer.key_id());
  // The same data key gives the same signing key (no extra key file).
  VerdictSigner again(box);
  EXPECT_EQ(again.Jwks(), signer.Jwks());
}

Verdict NoMatch() {
  Verdict verdict;
  verdict.valid = false;
  verdict.reason = "no_match";
  verdict.scheme = "erlangen-pass";  // not to be published for an invalid card
  verdict.card_hash = Base64Url(crypto::Sha256("101000010013"));
  verdict.partner_id = 3;
  verdict.issued_at = 1795000000;
  verdict.expires_at = 1795000900;
  return verdict;
}

TEST(VerdictTest, APartnerVerifiesWithThePublishedKeyAlone) {
  auto box = crypto::SecretBox::FromHexKeys({std::string(64, 'c')}).value();
  VerdictSigner signer(box);
  const std::string jws = signer.Sign(NoMatch());
  const size_t first = jws.find('.'), second = jws.rfind('.');
  ASSERT_NE(first, second);
  auto header = nlohmann::json::parse(Base64UrlDecode(jws.substr(0, first)).value());
  EXPECT_EQ(header, (nlohmann::json{{"alg", "EdDSA"}, {"kid", signer.key_id()}, {"typ", "JWT"}}));
  // What a partner's server does: take x from the JWKS, verify header.payload (RFC 8037).
  auto jwk = nlohmann::json::parse(signer.Jwks())["keys"][0];
  std::string x = Base64UrlDecode(jwk["x"].get<std::string>()).value();
  ASSERT_EQ(x.size(), 32u);
  std::string signature = Base64UrlDecode(jws.substr(second + 1)).value();
  ASSERT_EQ(signature.size(), 64u);
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                              reinterpret_cast<const unsigned char*>(x.data()), x.size());
  ASSERT_NE(key, nullptr);
  auto verify = [&](const std::string& input) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key);
    int ok = EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                              reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(ctx);
    return ok == 1;
  };
  EXPECT_TRUE(verify(jws.substr(0, second)));
  EXPECT_FALSE(verify(jws.substr(0, second) + "x"));
  EVP_PKEY_free(key);
}

TEST(VerdictTest, AnInvalidCardsVerdictNamesTheReasonAndNothingOfTheCard) {
  auto box = crypto::SecretBox::FromHexKeys({std::string(64, 'c')}).value();
  VerdictSigner signer(box);
  auto payload = signer.VerifyPayload(signer.Sign(NoMatch()));
  ASSERT_TRUE(payload.ok()) << payload.status().ToString();
  auto json = nlohmann::json::parse(*payload);
  EXPECT_EQ(json, (nlohmann::json{{"iss", "passwerk"},
                                  {"sub", NoMatch().card_hash},
                                  {"partner", 3},
                                  {"iat", 1795000000},
                                  {"exp", 1795000900},
                                  {"valid", false},
                                  {"reason", "no_match"}}))
      << "no scheme, discount or validity for a card that is not valid";
}

TEST(VerdictTest, AnotherKeyOrABrokenTokenDoesNotVerify) {
  auto box = crypto::SecretBox::FromHexKeys({std::string(64, 'c')}).value();
  auto other_box = crypto::SecretBox::FromHexKeys({std::string(64, 'e')}).value();
  auto rotated_box = crypto::SecretBox::FromHexKeys({std::string(64, 'c'), std::string(64, 'e')}).value();
  VerdictSigner signer(box), other(other_box), rotated(rotated_box);
  const std::string jws = signer.Sign(NoMatch());
  EXPECT_NE(other.key_id(), signer.key_id());
  EXPECT_EQ(other.VerifyPayload(jws).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(rotated.VerifyPayload(jws).ok()) << "a data-key rotation keeps the signing key";
  EXPECT_EQ(rotated.key_id(), signer.key_id());
  for (const std::string& broken :
       {std::string(""), std::string("abc"), jws.substr(0, jws.rfind('.')), jws.substr(0, jws.size() - 2), jws + "A",
        jws.substr(0, jws.rfind('.') + 1) + "!!"}) {
    EXPECT_FALSE(signer.VerifyPayload(broken).ok()) << broken;
  }
  // A payload swapped for another signed one does not verify under the first signature.
  const std::string valid = signer.Sign(
      Verdict{true, "", "erlangen-pass", "50_percent", "2026-12-31", NoMatch().card_hash, 3, 1795000000, 1795000900});
  const std::string spliced = jws.substr(0, jws.find('.')) +
                              valid.substr(valid.find('.'), valid.rfind('.') - valid.find('.')) +
                              jws.substr(jws.rfind('.'));
  EXPECT_FALSE(signer.VerifyPayload(spliced).ok());
}

TEST(VerdictTest, Base64UrlRoundTripsWithoutPadding) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  const std::string encoded = Base64Url(all);
  EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
  EXPECT_EQ(Base64UrlDecode(encoded).value(), all);
  EXPECT_EQ(Base64Url("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlDecode("-_8").value(), "\xfb\xff");
  for (const std::string plain : {"", "f", "fo", "foo", "foob"}) {
    EXPECT_EQ(Base64UrlDecode(Base64Url(plain)).value(), plain) << plain;
  }
  EXPECT_FALSE(Base64UrlDecode("Zm9v+").ok()) << "'+' is not base64url";
  EXPECT_FALSE(Base64UrlDecode("Zg==").ok()) << "no padding in base64url";
  EXPECT_FALSE(Base64UrlDecode("Zm 9v").ok());
}

}  // namespace
}  // namespace passwerk::checks
