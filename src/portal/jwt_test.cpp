// Tests for the JOSE pieces: keys are generated and tokens signed here with
// OpenSSL directly, so the verifier is checked against an independent signer.
#include "portal/jwt.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <random>

#include "core/crypto.h"
#include "portal/testing/test_keys.h"

namespace passwerk::portal {
namespace {

using nlohmann::json;
using testing::KeyAlg;
using testing::TestKey;

constexpr int64_t kNow = 1'800'000'000;

IdTokenExpectations Expect() { return {"https://id.example.org", "passwerk", "n-0S6_WzA2Mj", kNow, 60}; }

json Claims() {
  return {{"iss", "https://id.example.org"},
          {"aud", "passwerk"},
          {"sub", "citizen-42"},
          {"nonce", "n-0S6_WzA2Mj"},
          {"exp", kNow + 300},
          {"iat", kNow - 5},
          {"auth_time", kNow - 10},
          {"acr", "urn:example:loa:substantial"},
          {"given_name", "Erika"}};
}

class JwtTest : public ::testing::Test {
 protected:
  static const TestKey& Rsa() {
    static const TestKey key = testing::MakeKey(KeyAlg::kRs256, "rsa-1");
    return key;
  }
  static const TestKey& Ps() {
    static const TestKey key = testing::MakeKey(KeyAlg::kPs256, "rsa-pss-1");
    return key;
  }
  static const TestKey& Ec() {
    static const TestKey key = testing::MakeKey(KeyAlg::kEs256, "ec-1");
    return key;
  }
  static const TestKey& Ed() {
    static const TestKey key = testing::MakeKey(KeyAlg::kEdDsa, "ed-1");
    return key;
  }
  static JwkSet AllKeys() {
    auto set = JwkSet::Parse(testing::JwksOf({&Rsa(), &Ps(), &Ec(), &Ed()}));
    EXPECT_TRUE(set.ok()) << set.status().ToString();
    return *set;
  }
  static Result<IdToken> Verify(const std::string& token, const IdTokenExpectations& expect = Expect()) {
    return VerifyIdToken(token, AllKeys(), expect);
  }
  static std::string Token(const json& claims, const TestKey& key = Rsa()) { return testing::SignToken(key, claims); }
};

void ExpectRefused(const Result<IdToken>& result, ErrorCode code, std::string_view message_part = {}) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), code) << result.status().ToString();
  EXPECT_NE(result.status().message().find(message_part), std::string::npos) << result.status().message();
}

TEST(Base64UrlTest, RoundTripsAllLengths) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    std::string encoded = Base64UrlEncode(bytes);
    EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
    auto decoded = Base64UrlDecode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(*decoded, bytes);
    bytes += static_cast<char>(0xF0 + i);
  }
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
}

TEST(Base64UrlTest, RejectsAnythingButTheCanonicalForm) {
  EXPECT_FALSE(Base64UrlDecode("QQ==").ok());  // padding
  EXPECT_FALSE(Base64UrlDecode("+/8").ok());   // standard alphabet
  EXPECT_FALSE(Base64UrlDecode("QU I").ok());  // whitespace
  EXPECT_FALSE(Base64UrlDecode("Q").ok());     // impossible length
  EXPECT_FALSE(Base64UrlDecode("QR").ok());    // unused bits set: "QQ" is the encoding of "A"
  EXPECT_EQ(Base64UrlDecode("QQ").value(), "A");
  EXPECT_EQ(Base64UrlDecode("").value(), "");
}

TEST(PkceTest, MatchesRfc7636AppendixB) {
  EXPECT_EQ(PkceChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(PkceTest, NewVerifiersAreLongAndDiffer) {
  std::string a = NewPkceVerifier();
  EXPECT_EQ(a.size(), 43u);
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), std::string::npos);
  EXPECT_NE(a, NewPkceVerifier());
}

TEST_F(JwtTest, KeySetSkipsKeysItCannotUse) {
  json set = json::parse(testing::JwksOf({&Rsa(), &Ec()}));
  json encryption = set["keys"][0];
  encryption["use"] = "enc";
  encryption["kid"] = "enc-1";
  set["keys"].push_back(encryption);
  set["keys"].push_back({{"kty", "oct"}, {"k", "c2VjcmV0"}, {"kid", "hmac"}});
  json p384 = set["keys"][1];
  p384["crv"] = "P-384";
  p384["kid"] = "p384";
  set["keys"].push_back(p384);
  json short_rsa = set["keys"][0];
  short_rsa["n"] = Base64UrlEncode(std::string(128, '\xC5'));  // 1024 bits
  short_rsa["kid"] = "short";
  set["keys"].push_back(short_rsa);
  json off_curve = set["keys"][1];
  off_curve["y"] = Base64UrlEncode(std::string(32, '\x01'));
  off_curve["kid"] = "off-curve";
  set["keys"].push_back(off_curve);
  set["keys"].push_back("not an object");

  auto parsed = JwkSet::Parse(set.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->keys().size(), 2u);
  EXPECT_EQ(parsed->keys()[0].kid, "rsa-1");
  EXPECT_EQ(parsed->keys()[0].type, KeyType::kRsa);
  EXPECT_EQ(parsed->keys()[1].type, KeyType::kEcP256);
  EXPECT_TRUE(parsed->HasKeyId("ec-1"));
  EXPECT_FALSE(parsed->HasKeyId("enc-1"));
}

TEST_F(JwtTest, KeySetRefusesMalformedDocuments) {
  EXPECT_EQ(JwkSet::Parse("not json").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(JwkSet::Parse("[]").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(JwkSet::Parse(R"({"keys":{}})").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(JwkSet::Parse(R"({"keys":[]})").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(JwkSet::Parse(std::string(300, '[')).status().code(), ErrorCode::kInvalidArgument);
  std::string big = R"({"keys":[],"pad":")" + std::string(kMaxJwksBytes, 'x') + R"("})";
  EXPECT_EQ(JwkSet::Parse(big).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(JwtTest, AcceptsEachAlgorithm) {
  for (const TestKey* key : {&Rsa(), &Ps(), &Ec(), &Ed()}) {
    SCOPED_TRACE(key->alg);
    auto token = Verify(Token(Claims(), *key));
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    EXPECT_EQ(token->sub, "citizen-42");
    EXPECT_EQ(token->issuer, "https://id.example.org");
    EXPECT_EQ(token->acr, "urn:example:loa:substantial");
    EXPECT_EQ(token->exp, kNow + 300);
    EXPECT_EQ(token->iat, kNow - 5);
    EXPECT_EQ(token->auth_time, kNow - 10);
    EXPECT_EQ(token->claims["given_name"], "Erika");
  }
}

TEST_F(JwtTest, WithoutKidTheOnlyFittingKeyIsUsed) {
  auto token = testing::SignToken(Ec(), Claims(), /*with_kid=*/false);
  auto keys = JwkSet::Parse(testing::JwksOf({&Rsa(), &Ec()}));
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(VerifyIdToken(token, *keys, Expect()).ok());

  TestKey other = testing::MakeKey(KeyAlg::kEs256, "ec-2");
  auto two = JwkSet::Parse(testing::JwksOf({&Ec(), &other}));
  ASSERT_TRUE(two.ok());
  ExpectRefused(VerifyIdToken(token, *two, Expect()), ErrorCode::kUnauthenticated, "several");
}

TEST_F(JwtTest, AlgorithmMustFitTheKey) {
  // An ES256 header naming the RSA key's kid.
  json header = {{"alg", "ES256"}, {"kid", "rsa-1"}};
  auto token = testing::SignTokenWith(Ec(), header, Claims());
  ExpectRefused(Verify(token), ErrorCode::kUnauthenticated, "algorithm");
  // The RSA key is published for RS256 only; PS256 with it is refused.
  json pss = {{"alg", "PS256"}, {"kid", "rsa-1"}};
  TestKey rsa_as_pss = Rsa();
  rsa_as_pss.alg = "PS256";
  ExpectRefused(Verify(testing::SignTokenWith(rsa_as_pss, pss, Claims())), ErrorCode::kUnauthenticated, "algorithm");
}

TEST_F(JwtTest, RefusesWrongIssuer) {
  json claims = Claims();
  claims["iss"] = "https://id.example.org/";
  ExpectRefused(Verify(Token(claims)), ErrorCode::kUnauthenticated, "another issuer");
  claims.erase("iss");
  ExpectRefused(Verify(Token(claims)), ErrorCode::kUnauthenticated, "another issuer");
}

TEST_F(JwtTest, ChecksAudienceAndAuthorizedParty) {
  json claims = Claims();
  claims["aud"] = "someone-else";
  ExpectRefused(Verify(Token(claims)), ErrorCode::kUnauthenticated, "another client");
  claims["aud"] = json::array({"someone-else", "passwerk"});
  ExpectRefused(Verify(Token(claims)), ErrorCode::kUnauthenticated, "azp");
  claims["azp"] = "someone-else";
  ExpectRefused(Verify(Token(claims)), ErrorCode::kUnauthenticated, "azp");
  claims["azp"] = "passwerk";
  EXPECT_TRUE(Verify(Token(claims)).ok());
  claims["aud"] = json::array({"passwerk"});
  claims.erase("azp");
  EXPECT_TRUE(Verify(Token(claims)).ok());
  claims["aud"] = 7;
  ExpectRefused(Verify(Token(claims)), ErrorCode::kInvalidArgument);
}

TEST_F(JwtTest, ChecksNonce) {
  json claims = Claims();
  claims["nonce"] = "n-0S6_WzA2Mk";
  ExpectRefused(Verify(Token(claims)), ErrorCode::kUnauthenticated, "nonce does not match");
  claims.erase("nonce");
  ExpectRefused(Verify(Token(claims)), ErrorCode::kUnauthenticated, "nonce does not match");
  IdTokenExpectations no_nonce = Expect();
  no_nonce.nonce.clear();
  ExpectRefused(Verify(Token(claims), no_nonce), ErrorCode::kUnauthenticated, "nonce does not match");
}

TEST_F(JwtTest, ChecksTimesWithSkew) {
  json claims = Claims();
  claims["exp"] = kNow - 30;  // within the skew
  EXPECT_TRUE(Verify(Token(claims)).ok());
  claims["exp"] = kNow - 60;
  ExpectRefused(Verify(Token(claims)), ErrorCode::kUnauthenticated, "expired");
  claims.erase("exp");
  ExpectRefused(Verify(Token(claims)), ErrorCode::kUnauthenticated, "no expiry");

  claims = Claims();
  claims["iat"] = kNow + 61;
  ExpectRefused(Verify(Token(claims)), ErrorCode::kUnauthenticated, "future");
  claims["iat"] = kNow + 60;
  EXPECT_TRUE(Verify(Token(claims)).ok());
  claims.erase("iat");
  ExpectRefused(Verify(Token(claims)), ErrorCode::kUnauthenticated, "issue time");

  claims = Claims();
  claims["nbf"] = kNow + 120;
  ExpectRefused(Verify(Token(claims)), ErrorCode::kUnauthenticated, "not valid yet");
  claims["nbf"] = kNow + 1.5;  // fractional NumericDate
  EXPECT_TRUE(Verify(Token(claims)).ok());
  claims["exp"] = "tomorrow";
  ExpectRefused(Verify(Token(claims)), ErrorCode::kInvalidArgument);
}

TEST_F(JwtTest, ChecksSubject) {
  json claims = Claims();
  claims["sub"] = "";
  ExpectRefused(Verify(Token(claims)), ErrorCode::kUnauthenticated, "subject");
  claims["sub"] = std::string(256, 's');
  ExpectRefused(Verify(Token(claims)), ErrorCode::kUnauthenticated, "subject");
  claims["sub"] = std::string(255, 's');
  EXPECT_TRUE(Verify(Token(claims)).ok());
  claims["sub"] = 42;
  ExpectRefused(Verify(Token(claims)), ErrorCode::kInvalidArgument);
}

TEST_F(JwtTest, RefusesBadSignatures) {
  for (const TestKey* key : {&Rsa(), &Ps(), &Ec(), &Ed()}) {
    SCOPED_TRACE(key->alg);
    std::string token = Token(Claims(), *key);
    // Flip one byte of the signature itself, not just an encoding bit.
    size_t dot = token.rfind('.');
    std::string signature = Base64UrlDecode(token.substr(dot + 1)).value();
    signature[signature.size() / 2] ^= 0x01;
    ExpectRefused(Verify(token.substr(0, dot + 1) + Base64UrlEncode(signature)), ErrorCode::kUnauthenticated,
                  "signature does not verify");
    // A valid signature over a changed payload.
    json changed = Claims();
    changed["sub"] = "citizen-43";
    std::string other = Token(changed, *key);
    std::string spliced = token.substr(0, dot) + other.substr(other.rfind('.'));
    ExpectRefused(Verify(spliced), ErrorCode::kUnauthenticated, "signature does not verify");
  }
}

TEST_F(JwtTest, RefusesSignatureOfAnotherKeyWithTheSameKid) {
  TestKey impostor = testing::MakeKey(KeyAlg::kEs256, "ec-1");
  ExpectRefused(Verify(Token(Claims(), impostor)), ErrorCode::kUnauthenticated, "signature does not verify");
}

TEST_F(JwtTest, RefusesAlgNone) {
  std::string token = Base64UrlEncode(R"({"alg":"none"})") + "." + Base64UrlEncode(Claims().dump()) + ".";
  ExpectRefused(Verify(token), ErrorCode::kUnauthenticated, "not accepted: none");
  token = Base64UrlEncode(R"({"alg":"none","kid":"rsa-1"})") + "." + Base64UrlEncode(Claims().dump()) + ".";
  ExpectRefused(Verify(token), ErrorCode::kUnauthenticated, "not accepted: none");
}

TEST_F(JwtTest, RefusesHmacWithThePublicKeyAsSecret) {
  // Algorithm confusion: HS256 keyed with what the verifier knows publicly.
  std::string input = Base64UrlEncode(R"({"alg":"HS256","kid":"rsa-1"})") + "." + Base64UrlEncode(Claims().dump());
  for (const std::string& secret : {testing::PublicPem(Rsa()), Rsa().jwk.dump()}) {
    std::string token = input + "." + Base64UrlEncode(crypto::HmacSha256(secret, input));
    ExpectRefused(Verify(token), ErrorCode::kUnauthenticated, "not accepted: HS256");
  }
}

TEST_F(JwtTest, RefusesUnknownKidAndCriticalExtensions) {
  json header = {{"alg", "RS256"}, {"kid", "rsa-2"}};
  ExpectRefused(Verify(testing::SignTokenWith(Rsa(), header, Claims())), ErrorCode::kUnauthenticated, "unknown key");
  EXPECT_EQ(IdTokenKeyId(testing::SignTokenWith(Rsa(), header, Claims())).value(), "rsa-2");
  header = {{"alg", "RS256"}, {"kid", "rsa-1"}, {"crit", {"exp"}}, {"exp", 1}};
  ExpectRefused(Verify(testing::SignTokenWith(Rsa(), header, Claims())), ErrorCode::kUnauthenticated, "extensions");
}

TEST_F(JwtTest, RefusesMalformedTokens) {
  std::string token = Token(Claims());
  size_t dot = token.find('.');
  std::string header = Base64UrlEncode(R"({"alg":"RS256","kid":"rsa-1"})");
  std::string payload = Base64UrlEncode(Claims().dump());
  for (const std::string& bad : std::vector<std::string>{
           "", "..", "a.b", token + ".x", token.substr(dot + 1), "!!!." + token.substr(dot + 1),
           header + "." + payload + ".QQ==",                      // padded
           Base64UrlEncode("{not json") + "." + payload + ".QQ",  // header not JSON
           header + "." + Base64UrlEncode("[1,2]") + ".QQ",       // payload not an object
           Base64UrlEncode(R"({"alg":7})") + "." + payload + ".QQ",
           Base64UrlEncode(R"({"kid":"rsa-1"})") + "." + payload + ".QQ",
           header + "." + Base64UrlEncode(std::string(100, '[')) + ".QQ",
           header + "." + Base64UrlEncode("{\"sub\":\"\xff\"}") + ".QQ",  // not UTF-8
       }) {
    SCOPED_TRACE(bad);
    ExpectRefused(Verify(bad), ErrorCode::kInvalidArgument);
  }
}

TEST_F(JwtTest, RefusesOversizeTokens) {
  json claims = Claims();
  claims["padding"] = std::string(kMaxIdTokenBytes, 'p');
  ExpectRefused(Verify(Token(claims)), ErrorCode::kInvalidArgument, "too large");
}

// Random damage to a valid token must never crash and never be accepted.
TEST_F(JwtTest, MutatedTokensAreNeverAccepted) {
  std::mt19937 random(20261207);
  JwkSet keys = AllKeys();
  for (const TestKey* key : {&Rsa(), &Ps(), &Ec(), &Ed()}) {
    SCOPED_TRACE(key->alg);
    const std::string original = Token(Claims(), *key);
    ASSERT_TRUE(VerifyIdToken(original, keys, Expect()).ok());
    int accepted_changed = 0;
    for (int i = 0; i < 2000; ++i) {
      std::string token = original;
      int edits = 1 + static_cast<int>(random() % 3);
      for (int e = 0; e < edits; ++e) {
        size_t at = random() % (token.size() + 1);
        switch (random() % 3) {
          case 0:
            if (at < token.size()) token[at] = static_cast<char>(token[at] ^ (1 << (random() % 8)));
            break;
          case 1:
            token.insert(at, 1, static_cast<char>(random() % 256));
            break;
          default:
            if (at < token.size()) token.erase(at, 1);
            break;
        }
      }
      auto result = VerifyIdToken(token, keys, Expect());
      if (result.ok() && token != original) ++accepted_changed;
    }
    EXPECT_EQ(accepted_changed, 0);
  }
}

}  // namespace
}  // namespace passwerk::portal
