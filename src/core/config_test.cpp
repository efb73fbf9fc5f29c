// Configuration: defaults, file, environment, validation naming the key, the
// generated reference, and the data keys created on first start.
#include "core/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/crypto.h"

namespace passwerk {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  std::string WriteFile(const std::string& text) {
    auto path = std::filesystem::temp_directory_path() / ("passwerk-config-" + crypto::RandomToken(6) + ".toml");
    std::ofstream(path) << text;
    files_.push_back(path);
    return path.string();
  }
  std::filesystem::path TempDir() {
    auto dir = std::filesystem::temp_directory_path() / ("passwerk-keys-" + crypto::RandomToken(6));
    files_.push_back(dir);
    return dir;
  }
  // The environment as LoadConfig sees it, from "NAME=value" strings.
  Result<Config> LoadWithEnv(const std::string& file, std::vector<std::string> vars) {
    env_strings_ = std::move(vars);
    env_.clear();
    for (std::string& var : env_strings_) env_.push_back(var.data());
    env_.push_back(nullptr);
    return LoadConfig(file, env_.data());
  }
  void TearDown() override {
    for (const auto& f : files_) std::filesystem::remove_all(f);
  }
  std::vector<std::filesystem::path> files_;
  std::vector<std::string> env_strings_;
  std::vector<char*> env_;
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

TEST_F(ConfigTest, EnvironmentValuesAreParsedByTheKeysType) {
  auto config = LoadWithEnv(
      "", {"PASSWERK_ACCESS_LOG=no", "PASSWERK_DATA_KEYS=" + std::string(64, 'a') + ",," + std::string(64, 'b'),
           "PASSWERK_ANNUAL_CYCLE_ROTATION_DAY=02-29", "HOME=/root"});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_FALSE(config->access_log);
  EXPECT_EQ(config->data_keys, (std::vector<std::string>{std::string(64, 'a'), std::string(64, 'b')}))
      << "comma-separated, empty items dropped";
  EXPECT_EQ(config->annual_cycle_rotation_day, "02-29") << "a leap day is a day of the year";
  EXPECT_TRUE(LoadWithEnv("", {"PASSWERK_ACCESS_LOG=1"})->access_log);

  EXPECT_EQ(LoadWithEnv("", {"PASSWERK_ACCESS_LOG=maybe"}).status().field(), "access_log");
  EXPECT_EQ(LoadWithEnv("", {"PASSWERK_THREADS=3x"}).status().field(), "threads");
  EXPECT_EQ(LoadWithEnv("", {"PASSWERK_THREADS="}).status().field(), "threads");
  auto too_many = LoadWithEnv("", {"PASSWERK_THREADS=257"});
  EXPECT_EQ(too_many.status().field(), "threads");
  EXPECT_NE(too_many.status().message().find("between 0 and 256"), std::string::npos) << too_many.status().message();
  EXPECT_TRUE(LoadWithEnv("", {"PASSWERK_THREADS=256"}).ok()) << "the bound itself is allowed";
  EXPECT_EQ(LoadWithEnv("", {"PASSWERK_READ_TIMEOUT_SECONDS=0"}).status().field(), "read_timeout_seconds");
}

TEST_F(ConfigTest, ToolingVariablesAreNotKeys) {
  EXPECT_TRUE(LoadWithEnv("", {"PASSWERK_BIN=/usr/bin/passwerk", "PASSWERK_CONFIG=/etc/passwerk.toml",
                               "PASSWERK_TEST_PG_URL=postgresql://x"})
                  .ok());
  EXPECT_EQ(LoadWithEnv("", {"PASSWERK_TESTING=1"}).status().field(), "PASSWERK_TESTING")
      << "only the PASSWERK_TEST_ prefix belongs to the harness";
}

TEST_F(ConfigTest, WholeConfigurationIsValidated) {
  char* none[] = {nullptr};
  auto field_of = [&](const std::string& toml) { return LoadConfig(WriteFile(toml), none).status().field(); };
  EXPECT_EQ(field_of("log_level = \"verbose\"\n"), "log_level");
  EXPECT_EQ(field_of("database_url = \"mysql://db/passwerk\"\n"), "database_url");
  EXPECT_EQ(field_of("data_dir = \"\"\n"), "data_dir");
  EXPECT_EQ(field_of("annual_cycle_rotation_day = \"02-30\"\n"), "annual_cycle_rotation_day");
  EXPECT_EQ(field_of("annual_cycle_rotation_day = \"2-01\"\n"), "annual_cycle_rotation_day");
  EXPECT_EQ(field_of("data_keys = \"abc\"\n"), "data_keys");
  EXPECT_EQ(field_of("data_keys = [1, 2]\n"), "data_keys");
  EXPECT_EQ(field_of("access_log = \"yes\"\n"), "access_log") << "a TOML string is not a boolean";
  EXPECT_EQ(field_of("body_limit_bytes = 100\n"), "body_limit_bytes");
  auto postgres = LoadConfig(WriteFile("database_url = \"postgres://u@h/db\"\nlog_level = \"debug\"\n"), none);
  ASSERT_TRUE(postgres.ok()) << postgres.status().ToString();
  EXPECT_EQ(postgres->database_url, "postgres://u@h/db");
  EXPECT_FALSE(LoadConfig("/nonexistent/passwerk.toml", none).ok());
}

TEST_F(ConfigTest, ListenEndpointSplitsHostAndPort) {
  Config config;
  auto endpoint = config.ListenEndpoint();
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->first, "127.0.0.1");
  EXPECT_EQ(endpoint->second, 8080);
  config.listen = "[::1]:8443";
  EXPECT_EQ(config.ListenEndpoint()->first, "::1");
  EXPECT_EQ(config.ListenEndpoint()->second, 8443);
  config.listen = "0.0.0.0:0";
  EXPECT_EQ(config.ListenEndpoint()->second, 0) << "port 0: any free port (tests)";
  for (const char* bad : {":8080", "host:", "host:65536", "host:-1", "host:80x", "host"}) {
    config.listen = bad;
    EXPECT_EQ(config.ListenEndpoint().status().field(), "listen") << bad;
  }
  config.listen = "host:65535";
  EXPECT_TRUE(config.ListenEndpoint().ok());
}

TEST_F(ConfigTest, EveryKeyIsDocumentedWithItsVariable) {
  const auto& docs = ConfigKeyDocs();
  ASSERT_FALSE(docs.empty());
  for (const ConfigKeyDoc& doc : docs) {
    std::string env = "PASSWERK_";
    for (char c : doc.key) env += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(doc.env, env);
    EXPECT_FALSE(doc.description.empty()) << doc.key;
  }
  auto find = [&](const std::string& key) {
    for (const ConfigKeyDoc& doc : docs) {
      if (doc.key == key) return doc;
    }
    return ConfigKeyDoc{};
  };
  EXPECT_EQ(find("listen").default_value, "127.0.0.1:8080");
  EXPECT_EQ(find("threads").type, "integer");
  EXPECT_EQ(find("access_log").default_value, "true");
  EXPECT_EQ(find("data_keys").default_value, "") << "a secret's value is never shown";
}

TEST_F(ConfigTest, DocsFileIsGeneratedFromTheKeyTable) {
  std::ifstream in(std::string(PASSWERK_SOURCE_DIR) + "/docs/configuration.md");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), RenderConfigMarkdown())
      << "docs/configuration.md is stale: run `build/debug/passwerk config docs > docs/configuration.md`";
}

TEST_F(ConfigTest, DataKeysAreCreatedOnceWithPrivateMode) {
  auto dir = TempDir();
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
}

TEST_F(ConfigTest, ConfiguredDataKeysAreCheckedAndNoFileIsWritten) {
  auto dir = TempDir();
  Config config;
  config.data_dir = dir.string();
  config.data_keys = {"not hex"};
  EXPECT_EQ(EnsureDataKeys(config).field(), "data_keys");
  config.data_keys = {std::string(64, 'c')};
  EXPECT_TRUE(EnsureDataKeys(config).ok());
  EXPECT_EQ(config.data_keys.size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir)) << "keys from configuration never land in the data directory";
}

TEST_F(ConfigTest, ABrokenKeyFileIsAnErrorNotANewKey) {
  auto dir = TempDir();
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "keys.toml") << "data_keys = [\"" << std::string(60, 'a') << "\"]\n";
  Config config;
  config.data_dir = dir.string();
  EXPECT_EQ(EnsureDataKeys(config).code(), ErrorCode::kInvalidArgument);
  std::ofstream(dir / "keys.toml", std::ios::trunc) << "other = 1\n";
  Config no_list;
  no_list.data_dir = dir.string();
  EXPECT_EQ(EnsureDataKeys(no_list).code(), ErrorCode::kInvalidArgument);
  std::ifstream in(dir / "keys.toml");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "other = 1\n") << "an existing key file is never overwritten";
}

TEST_F(ConfigTest, TheSamlKeyIsGeneratedIntoTheKeyStoreOnceAndKeptBesideTheDataKeys) {
  Config config;
  config.data_dir = TempDir().string();
  ASSERT_TRUE(EnsureDataKeys(config).ok());
  std::vector<std::string> data_keys = config.data_keys;
  auto first = EnsureSamlSpKey(config);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->generated);
  EXPECT_NE(first->key_pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  EXPECT_NE(first->cert_pem.find("-----BEGIN CERTIFICATE-----"), std::string::npos);
  auto second = EnsureSamlSpKey(config);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->generated);
  EXPECT_EQ(second->key_pem, first->key_pem);
  // The data keys are still read from the same file.
  Config again;
  again.data_dir = config.data_dir;
  ASSERT_TRUE(EnsureDataKeys(again).ok());
  EXPECT_EQ(again.data_keys, data_keys);
  EXPECT_EQ(std::filesystem::status(std::filesystem::path(config.data_dir) / "keys.toml").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  // Configured files win; one without the other is an error.
  Config files;
  files.data_dir = config.data_dir;
  files.saml_sp_key_file = WriteFile(first->key_pem);
  EXPECT_EQ(EnsureSamlSpKey(files).status().code(), ErrorCode::kInvalidArgument);
  files.saml_sp_cert_file = WriteFile(first->cert_pem);
  auto from_files = EnsureSamlSpKey(files);
  ASSERT_TRUE(from_files.ok());
  EXPECT_EQ(from_files->cert_pem, first->cert_pem);
}

}  // namespace
}  // namespace passwerk
