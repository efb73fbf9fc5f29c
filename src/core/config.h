// Configuration: defaults, then an optional TOML file, then PASSWERK_*
// environment variables, then command-line flags. Every key is declared once
// in a table (config.cpp) that also generates docs/configuration.md; an
// unknown key in the file or environment is an error naming it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace passwerk {

struct Config {
  std::string data_dir = "./data";
  std::string listen = "127.0.0.1:8080";
  std::string database_url;  // empty: SQLite under data_dir; or postgresql://…
  int database_pool_size = 0;
  int threads = 0;
  int64_t body_limit_bytes = 1024 * 1024;
  int64_t header_limit_bytes = 16 * 1024;
  int read_timeout_seconds = 30;
  int idle_timeout_seconds = 60;
  int shutdown_grace_seconds = 10;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string log_level = "info";
  bool access_log = true;
  // Hex-encoded 32-byte keys for data at rest; the last one encrypts, all decrypt.
  std::vector<std::string> data_keys;
  int64_t session_idle_seconds = 30 * 60;
  int64_t session_max_seconds = 12 * 3600;
  int login_max_failures_per_account = 5;
  int login_max_failures_per_address = 20;
  int64_t login_window_seconds = 15 * 60;
  std::string totp_issuer = "Passwerk";
  // Partner check and its enumeration defence.
  int64_t check_rate_per_second = 10;
  int64_t check_burst = 20;
  int check_card_no_match_limit = 5;
  int64_t check_card_window_seconds = 24 * 3600;
  int64_t check_card_lock_seconds = 24 * 3600;
  int check_key_daily_no_match_budget = 100;

  // Guest cards: how often `serve` applies the retention rules (0: never; run `passwerk retention run`).
  int retention_interval_minutes = 360;
  // Guest cards: the day ("MM-DD") annual cards get their yearly new cycle (001 §3.3.3.4).
  std::string annual_cycle_rotation_day = "11-01";
  // Terminals: how many days before the upload a transaction may lie (docs/terminal-protocol.md §3).
  int terminal_upload_window_days = 62;
  // API: how long the answer to a request with an Idempotency-Key is kept for retries (docs/api.md).
  int idempotency_key_hours = 24;

  // Citizen portal (docs/portal.md).
  std::string public_url;  // empty: the address the server listens on
  bool portal_test_login = false;
  int64_t portal_session_idle_seconds = 30 * 60;
  int64_t portal_session_max_seconds = 8 * 3600;
  std::string saml_idp_metadata_file;  // empty: no BundID sign-in
  std::string saml_sp_entity_id;       // empty: {public_url}/portal/saml/metadata
  std::string saml_sp_key_file;        // empty: the key store's generated key
  std::string saml_sp_cert_file;
  std::vector<std::string> saml_level_map = {"STORK-QAA-Level-1=low", "STORK-QAA-Level-2=low",
                                             "STORK-QAA-Level-3=substantial", "STORK-QAA-Level-4=high"};
  std::string saml_organisation_name = "Passwerk";
  std::string saml_online_service_id;
  int sign_in_clock_skew_seconds = 120;
  std::string oidc_issuer;  // empty: no OpenID Connect sign-in
  std::string oidc_client_id;
  std::string oidc_client_secret;
  std::vector<std::string> oidc_acr_map = {"STORK-QAA-Level-1=low", "STORK-QAA-Level-2=low",
                                           "STORK-QAA-Level-3=substantial", "STORK-QAA-Level-4=high"};
  std::string oidc_ca_file;  // empty: the system's CA store

  // Mailbox and e-mail (docs/mailbox.md).
  int64_t mailbox_attachment_max_bytes = 10 * 1024 * 1024;
  int mailbox_attachment_max_count = 5;
  int mailbox_retention_days = 730;  // after a thread is closed
  int mailbox_citizen_messages_per_day = 50;                    // per citizen account
  int64_t mailbox_citizen_bytes_per_day = 100 * 1024 * 1024;    // attachments, per citizen account
  std::string smtp_url;              // empty: mail waits in the outbox; "file://DIR": written to DIR
  std::string smtp_starttls = "required";  // required | off (smtp:// only)
  std::string smtp_username;
  std::string smtp_password;
  std::string smtp_ca_file;  // empty: the system's CA store
  std::string mail_from = "Passwerk <noreply@localhost>";
  int mail_retry_days = 7;
  int mail_retry_base_seconds = 30;  // the first pause after a refusal; doubles up to an hour  // a mail not delivered for this long is dropped (audited)
  int mail_confirmations_per_account_per_day = 5;
  int mail_confirmations_per_address_per_day = 3;

  // host and port parts of `listen`.
  Result<std::pair<std::string, uint16_t>> ListenEndpoint() const;
};

struct ConfigKeyDoc {
  std::string key;
  std::string env;
  std::string type;
  std::string default_value;
  std::string description;
};
const std::vector<ConfigKeyDoc>& ConfigKeyDocs();
// Markdown reference of every key (docs/configuration.md is this output).
std::string RenderConfigMarkdown();

// `file` may be empty (no file). `environ` is the process environment.
Result<Config> LoadConfig(const std::string& file, char** environ);

// Ensures data keys exist: if none are configured, uses `<data_dir>/keys.toml`,
// creating it with a fresh random key (mode 0600) on first start.
Status EnsureDataKeys(Config& config);

}  // namespace passwerk

namespace passwerk {

// The SAML service provider's key and certificate (PEM): from
// `saml_sp_key_file` and `saml_sp_cert_file` when set; otherwise from the key
// store `<data_dir>/keys.toml`, where a fresh pair is generated on first use.
struct SamlSpKey {
  std::string key_pem;
  std::string cert_pem;
  bool generated = false;  // made just now
};
Result<SamlSpKey> EnsureSamlSpKey(const Config& config);

}  // namespace passwerk
