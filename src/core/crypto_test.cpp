// Crypto primitives against published vectors, the encodings' round trips and
// their refusals, and the SecretBox's binding, tampering and rotation rules.
#include "core/crypto.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace passwerk {
namespace {

TEST(CryptoTest, Sha256AndHmacMatchPublishedVectors) {
  EXPECT_EQ(crypto::Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  EXPECT_EQ(crypto::HexEncode(crypto::HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(CryptoTest, HmacSha1MatchesRfc2202) {
  // RFC 2202 test cases 1 and 2 (HMAC-SHA1, what TOTP uses).
  EXPECT_EQ(crypto::HexEncode(crypto::HmacSha1(std::string(20, '\x0b'), "Hi There")),
            "b617318655057264e28bc0b6fb378c8ef146be00");
  EXPECT_EQ(crypto::HexEncode(crypto::HmacSha1("Jefe", "what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(crypto::Sha256(std::string()).size(), 32u);
}

TEST(CryptoTest, PreparedHmacEqualsOneShotAcrossCallsAndThreads) {
  crypto::PreparedHmac a("Jefe");
  crypto::PreparedHmac b("another key");
  EXPECT_EQ(crypto::HexEncode(a.Mac("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  for (int i = 0; i < 3; ++i) {
    std::string message = "message " + std::to_string(i);
    EXPECT_EQ(a.Mac(message), crypto::HmacSha256("Jefe", message));
    EXPECT_EQ(b.Mac(message), crypto::HmacSha256("another key", message));
  }
  std::string from_thread;
  std::thread t([&] { from_thread = a.Mac("x"); });
  t.join();
  EXPECT_EQ(from_thread, crypto::HmacSha256("Jefe", "x"));
  EXPECT_EQ(crypto::Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CryptoTest, Base32RoundTripsAndRejectsGarbage) {
  EXPECT_EQ(crypto::Base32Encode("foobar"), "MZXW6YTBOI");
  EXPECT_EQ(crypto::Base32Decode("mzxw6ytboi").value(), "foobar");
  EXPECT_EQ(crypto::Base32Decode("MZXW 6YTB OI==").value(), "foobar");
  EXPECT_FALSE(crypto::Base32Decode("MZXW1").ok());
  EXPECT_FALSE(crypto::HexDecode("abc").ok());
  EXPECT_FALSE(crypto::HexDecode("zz").ok());
}

TEST(CryptoTest, Base32MatchesRfc4648WithoutPadding) {
  // RFC 4648 §10, padding dropped.
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""}, {"f", "MY"}, {"fo", "MZXQ"}, {"foo", "MZXW6"}, {"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(crypto::Base32Encode(plain), encoded) << plain;
    EXPECT_EQ(crypto::Base32Decode(encoded).value(), plain) << encoded;
  }
  // Grouped with hyphens, as authenticator secrets are often shown.
  EXPECT_EQ(crypto::Base32Decode("MZXW-6YTB-OI").value(), "foobar");
  EXPECT_EQ(crypto::Base32Decode("MZXW0").status().code(), ErrorCode::kInvalidArgument) << "0 is not in the alphabet";
}

TEST(CryptoTest, Base64IsStrictAndMatchesRfc4648) {
  const std::vector<std::pair<std::string, std::string>> vectors = {{"f", "Zg=="},         {"fo", "Zm8="},
                                                                    {"foo", "Zm9v"},       {"foob", "Zm9vYg=="},
                                                                    {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(crypto::Base64Encode(plain), encoded) << plain;
    EXPECT_EQ(crypto::Base64Decode(encoded).value(), plain) << encoded;
  }
  std::string binary("\x00\xff\xfe\x01", 4);
  EXPECT_EQ(crypto::Base64Decode(crypto::Base64Encode(binary)).value(), binary);
  for (const char* bad : {"", "Zg", "Zg=", "Z===", "Zg=a", "Zm9v Yg==", "Zm9-", "Zm9v\n", "=Zg="}) {
    EXPECT_EQ(crypto::Base64Decode(bad).status().code(), ErrorCode::kInvalidArgument) << '"' << bad << '"';
  }
}

TEST(CryptoTest, HexRoundTripsAnyByteInEitherCase) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  const std::string hex = crypto::HexEncode(all);
  EXPECT_EQ(hex.size(), 512u);
  EXPECT_EQ(hex.substr(0, 6), "000102");
  EXPECT_EQ(hex.substr(506), "fdfeff");
  EXPECT_EQ(crypto::HexDecode(hex).value(), all);
  EXPECT_EQ(crypto::HexDecode("ABcd").value(), "\xab\xcd");
  EXPECT_EQ(crypto::HexDecode("").value(), "");
  EXPECT_FALSE(crypto::HexDecode("0g").ok());
}

TEST(CryptoTest, ConstantTimeEqualsComparesLengthAndEveryByte) {
  EXPECT_TRUE(crypto::ConstantTimeEquals("", ""));
  EXPECT_TRUE(crypto::ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(crypto::ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(crypto::ConstantTimeEquals("Secret", "secret"));
  EXPECT_FALSE(crypto::ConstantTimeEquals("secret", "secret2"));
  EXPECT_FALSE(crypto::ConstantTimeEquals("secret", ""));
}

TEST(CryptoTest, RandomTokensAreLowerCaseBase32AndDistinct) {
  EXPECT_EQ(crypto::RandomBytes(0), "");
  EXPECT_EQ(crypto::RandomBytes(17).size(), 17u);
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    std::string token = crypto::RandomToken();
    EXPECT_EQ(token.size(), 32u) << "20 bytes are 160 bits, 32 base32 digits";
    EXPECT_EQ(token.find_first_not_of("abcdefghijklmnopqrstuvwxyz234567"), std::string::npos) << token;
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 50u);
  EXPECT_EQ(crypto::RandomToken(6).size(), 10u);
}

TEST(CryptoTest, PasswordsHashWithArgon2id) {
  auto hash = crypto::HashPassword("correct horse battery");
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(hash->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *hash;
  EXPECT_TRUE(crypto::VerifyPassword("correct horse battery", *hash));
  EXPECT_FALSE(crypto::VerifyPassword("correct horse batterz", *hash));
  EXPECT_FALSE(crypto::VerifyPassword("x", "not a hash"));
}

TEST(CryptoTest, PasswordHashesAreSaltedAndOnlyArgon2idIsAccepted) {
  auto first = crypto::HashPassword("same password");
  auto second = crypto::HashPassword("same password");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(*first, *second) << "a fresh salt each time";
  EXPECT_TRUE(crypto::VerifyPassword("same password", *second));
  // The same hash spelt as argon2i is not taken: no downgrade to another variant.
  std::string argon2i = *first;
  argon2i.replace(0, 10, "$argon2i$");
  EXPECT_FALSE(crypto::VerifyPassword("same password", argon2i));
}

TEST(CryptoTest, SecretBoxEncryptsAuthenticatesAndRotates) {
  auto old_box = crypto::SecretBox::FromHexKeys({std::string(64, '1')});
  ASSERT_TRUE(old_box.ok());
  std::string sealed = old_box->Encrypt("Müller, Erika", "cards.holder");
  EXPECT_EQ(sealed.find("Müller"), std::string::npos);
  EXPECT_EQ(old_box->Decrypt(sealed, "cards.holder").value(), "Müller, Erika");
  EXPECT_FALSE(old_box->Decrypt(sealed, "other.context").ok()) << "context is bound";
  std::string tampered = sealed;
  tampered[20] ^= 1;
  EXPECT_FALSE(old_box->Decrypt(tampered, "cards.holder").ok());
  // Rotation: a new key encrypts, the old one still decrypts.
  auto rotated = crypto::SecretBox::FromHexKeys({std::string(64, '1'), std::string(64, '2')});
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(rotated->Decrypt(sealed, "cards.holder").value(), "Müller, Erika");
  std::string resealed = rotated->Encrypt("x", "c");
  EXPECT_EQ(static_cast<uint8_t>(resealed[0]), 2);
  EXPECT_FALSE(old_box->Decrypt(resealed, "c").ok()) << "unknown key id";
  EXPECT_FALSE(crypto::SecretBox::FromHexKeys({"abcd"}).ok());
}

TEST(CryptoTest, SecretBoxLayoutNoncesAndRefusals) {
  auto box = crypto::SecretBox::FromHexKeys({std::string(64, 'a')});
  ASSERT_TRUE(box.ok());
  EXPECT_EQ(box->current_key_id(), 1);
  // Key id, 12-byte nonce, the text, 16-byte tag.
  const std::string empty = box->Encrypt("", "ctx");
  EXPECT_EQ(empty.size(), 1u + 12u + 16u);
  EXPECT_EQ(box->Decrypt(empty, "ctx").value(), "");
  EXPECT_EQ(box->Encrypt("12345", "ctx").size(), 1u + 12u + 5u + 16u);
  EXPECT_NE(box->Encrypt("same", "ctx"), box->Encrypt("same", "ctx")) << "a fresh nonce each time";

  EXPECT_EQ(box->Decrypt(empty.substr(0, 28), "ctx").status().code(), ErrorCode::kInvalidArgument);
  std::string truncated = box->Encrypt("Erika", "ctx");
  truncated.pop_back();
  EXPECT_EQ(box->Decrypt(truncated, "ctx").status().code(), ErrorCode::kInvalidArgument);
  std::string unknown_key = box->Encrypt("Erika", "ctx");
  unknown_key[0] = 7;
  EXPECT_EQ(box->Decrypt(unknown_key, "ctx").status().code(), ErrorCode::kFailedPrecondition);

  EXPECT_EQ(crypto::SecretBox::FromHexKeys({}).status().field(), "data_keys");
  EXPECT_EQ(crypto::SecretBox::FromHexKeys({std::string(62, 'a')}).status().field(), "data_keys");
  EXPECT_EQ(crypto::SecretBox::FromHexKeys({std::string(64, 'g')}).status().field(), "data_keys");
  std::vector<std::string> too_many(256, std::string(64, 'a'));
  EXPECT_FALSE(crypto::SecretBox::FromHexKeys(too_many).ok());
}

TEST(CryptoTest, DerivedKeysSurviveRotationAndDifferByPurpose) {
  auto first = crypto::SecretBox::FromHexKeys({std::string(64, '1')});
  auto rotated = crypto::SecretBox::FromHexKeys({std::string(64, '1'), std::string(64, '2')});
  auto other = crypto::SecretBox::FromHexKeys({std::string(64, '2')});
  ASSERT_TRUE(first.ok() && rotated.ok() && other.ok());
  const std::string key = first->DeriveKey("cards.name_hash");
  EXPECT_EQ(key.size(), 32u);
  EXPECT_EQ(rotated->DeriveKey("cards.name_hash"), key) << "keyed hashes keep matching after rotation";
  EXPECT_NE(first->DeriveKey("checks.pseudonym"), key);
  EXPECT_NE(other->DeriveKey("cards.name_hash"), key);
}

}  // namespace
}  // namespace passwerk
