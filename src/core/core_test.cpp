// Core building blocks: error values, crypto primitives against published
// vectors, configuration parsing and its generated reference.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "accounts/totp.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/fnv.h"
#include "core/status.h"

namespace passwerk {
namespace {

TEST(StatusTest, ResultCarriesValueOrError) {
  Result<int> value = 7;
  EXPECT_TRUE(value.ok());
  EXPECT_EQ(*value, 7);
  Result<int> error = InvalidArgument("bad", "field_x");
  EXPECT_FALSE(error.ok());
  EXPECT_EQ(error.status().field(), "field_x");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kResourceExhausted), "resource_exhausted");
}

TEST(FnvTest, MatchesPublishedVectors) {
  // From the FNV reference test suite (draft-eastlake-fnv).
  EXPECT_EQ(Fnv1a32(""), 0x811c9dc5u);
  EXPECT_EQ(Fnv1a32("a"), 0xe40c292cu);
  EXPECT_EQ(Fnv1a32("foobar"), 0xbf9cf968u);
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171f73967e8ULL);
  // A byte above 0x7f is taken as unsigned, not sign-extended from char.
  EXPECT_EQ(Fnv1a32("\xff"), 0x7a0b824eu);
  EXPECT_EQ(Fnv1a64("\xff"), 0xaf64724c8602eb6eULL);
}

TEST(CryptoTest, Sha256AndHmacMatchPublishedVectors) {
  EXPECT_EQ(crypto::Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  EXPECT_EQ(crypto::HexEncode(crypto::HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
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

TEST(CryptoTest, PasswordsHashWithArgon2id) {
  auto hash = crypto::HashPassword("correct horse battery");
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(hash->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *hash;
  EXPECT_TRUE(crypto::VerifyPassword("correct horse battery", *hash));
  EXPECT_FALSE(crypto::VerifyPassword("correct horse batterz", *hash));
  EXPECT_FALSE(crypto::VerifyPassword("x", "not a hash"));
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

TEST(TotpTest, MatchesRfc6238Vectors) {
  // RFC 6238 appendix B, SHA-1, 8 digits; we use the same secret with 8 digits here.
  const std::string secret = "12345678901234567890";
  EXPECT_EQ(accounts::TotpCode(secret, 59 / 30, 8), "94287082");
  EXPECT_EQ(accounts::TotpCode(secret, 1111111109 / 30, 8), "07081804");
  EXPECT_EQ(accounts::TotpCode(secret, 1234567890 / 30, 8), "89005924");
  EXPECT_EQ(accounts::TotpCode(secret, 2000000000 / 30, 8), "69279037");
}

TEST(TotpTest, AcceptsOneStepOfSkewAndNoReplay) {
  const std::string secret = "12345678901234567890";
  int64_t now = 1795000000;
  std::string previous = accounts::TotpCode(secret, now / 30 - 1);
  std::string far = accounts::TotpCode(secret, now / 30 - 3);
  EXPECT_TRUE(accounts::VerifyTotp(secret, previous, now, 0).has_value());
  EXPECT_FALSE(accounts::VerifyTotp(secret, far, now, 0).has_value());
  EXPECT_FALSE(accounts::VerifyTotp(secret, previous, now, now / 30 - 1).has_value()) << "replay";
  EXPECT_FALSE(accounts::VerifyTotp(secret, "12345", now, 0).has_value());
  EXPECT_FALSE(accounts::VerifyTotp(secret, "abcdef", now, 0).has_value());
  EXPECT_EQ(accounts::OtpauthUri("Passwerk", "anna b", "ABC"),
            "otpauth://totp/Passwerk:anna%20b?secret=ABC&issuer=Passwerk&algorithm=SHA1&digits=6&period=30");
}

class ConfigTest : public ::testing::Test {
 protected:
  std::string WriteFile(const std::string& text) {
    auto path = std::filesystem::temp_directory_path() / ("passwerk-config-" + crypto::RandomToken(6) + ".toml");
    std::ofstream(path) << text;
    files_.push_back(path);
    return path.string();
  }
  void TearDown() override {
    for (const auto& f : files_) std::filesystem::remove(f);
  }
  std::vector<std::filesystem::path> files_;
};

TEST_F(ConfigTest, DefaultsWithoutAnyFile) {
  char* env[] = {nullptr};
  auto config = LoadConfig("", env);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->data_dir, "./data");
  EXPECT_EQ(config->listen, "127.0.0.1:8080");
}

TEST_F(ConfigTest, FileThenEnvironmentOverride) {
  std::string file = WriteFile("listen = \"0.0.0.0:9000\"\nthreads = 3\naccess_log = false\n");
  std::string var = "PASSWERK_THREADS=5";
  char* env[] = {var.data(), nullptr};
  auto config = LoadConfig(file, env);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->listen, "0.0.0.0:9000");
  EXPECT_EQ(config->threads, 5);
  EXPECT_FALSE(config->access_log);
}

TEST_F(ConfigTest, UnknownKeysAndBadValuesAreNamed) {
  char* none[] = {nullptr};
  auto unknown = LoadConfig(WriteFile("lisen = \"x\"\n"), none);
  EXPECT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("lisen"), std::string::npos);
  std::string var = "PASSWERK_THREDS=2";
  char* env[] = {var.data(), nullptr};
  auto unknown_env = LoadConfig("", env);
  EXPECT_NE(unknown_env.status().message().find("PASSWERK_THREDS"), std::string::npos);
  auto wrong_type = LoadConfig(WriteFile("threads = \"many\"\n"), none);
  EXPECT_EQ(wrong_type.status().field(), "threads");
  auto bad_listen = LoadConfig(WriteFile("listen = \"localhost\"\n"), none);
  EXPECT_EQ(bad_listen.status().field(), "listen");
  auto not_toml = LoadConfig(WriteFile("listen = \n"), none);
  EXPECT_FALSE(not_toml.ok());
  auto half_tls = LoadConfig(WriteFile("tls_cert_file = \"a.pem\"\n"), none);
  EXPECT_EQ(half_tls.status().field(), "tls_cert_file");
}

TEST_F(ConfigTest, DocsFileIsGeneratedFromTheKeyTable) {
  std::ifstream in(std::string(PASSWERK_SOURCE_DIR) + "/docs/configuration.md");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), RenderConfigMarkdown())
      << "docs/configuration.md is stale: run `build/debug/passwerk config docs > docs/configuration.md`";
}

TEST_F(ConfigTest, DataKeysAreCreatedOnceWithPrivateMode) {
  auto dir = std::filesystem::temp_directory_path() / ("passwerk-keys-" + crypto::RandomToken(6));
  Config config;
  config.data_dir = dir.string();
  ASSERT_TRUE(EnsureDataKeys(config).ok());
  ASSERT_EQ(config.data_keys.size(), 1u);
  auto perms = std::filesystem::status(dir / "keys.toml").permissions();
  EXPECT_EQ(perms & std::filesystem::perms::others_read, std::filesystem::perms::none);
  Config again;
  again.data_dir = dir.string();
  ASSERT_TRUE(EnsureDataKeys(again).ok());
  EXPECT_EQ(again.data_keys, config.data_keys);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace passwerk
