// The one table of configuration keys: parsing from TOML and environment,
// validation, and the generated reference in docs/configuration.md.
#include "core/config.h"

#include <sys/stat.h>
#include <toml++/toml.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "core/crypto.h"
#include "core/dates.h"

namespace passwerk {
namespace {

enum class Kind { kString, kInt, kBool, kStringList };

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

struct KeySpec {
  const char* key;
  Kind kind;
  const char* description;
  std::function<void(Config&, const std::string&)> set_string;
  std::function<void(Config&, int64_t)> set_int;
  std::function<void(Config&, bool)> set_bool;
  std::function<void(Config&, std::vector<std::string>)> set_list;
  std::function<std::string(const Config&)> show;
  int64_t min = 0;
  int64_t max = 0;
};

template <typename T>
KeySpec IntKey(const char* key, T Config::*member, int64_t min, int64_t max, const char* description) {
  KeySpec spec{key, Kind::kInt, description};
  spec.set_int = [member](Config& c, int64_t v) { c.*member = static_cast<T>(v); };
  spec.show = [member](const Config& c) { return std::to_string(c.*member); };
  spec.min = min;
  spec.max = max;
  return spec;
}

KeySpec StringKey(const char* key, std::string Config::*member, const char* description) {
  KeySpec spec{key, Kind::kString, description};
  spec.set_string = [member](Config& c, const std::string& v) { c.*member = v; };
  spec.show = [member](const Config& c) { return c.*member; };
  return spec;
}

KeySpec BoolKey(const char* key, bool Config::*member, const char* description) {
  KeySpec spec{key, Kind::kBool, description};
  spec.set_bool = [member](Config& c, bool v) { c.*member = v; };
  spec.show = [member](const Config& c) { return std::string(c.*member ? "true" : "false"); };
  return spec;
}

const std::vector<KeySpec>& Specs() {
  static const std::vector<KeySpec> kSpecs = [] {
    std::vector<KeySpec> s;
    s.push_back(StringKey("data_dir", &Config::data_dir,
                          "Directory for the SQLite segment files (`<segment>.db`) and generated keys."));
    s.push_back(StringKey("listen", &Config::listen, "Address and port the server listens on, `HOST:PORT`."));
    s.push_back(StringKey("database_url", &Config::database_url,
                          "Empty for SQLite under `data_dir`, or a `postgresql://user:password@host:port/db` URL."));
    s.push_back(IntKey("database_pool_size", &Config::database_pool_size, 0, 256,
                       "Database connections per process; 0 chooses the engine default (4)."));
    s.push_back(IntKey("threads", &Config::threads, 0, 256,
                       "Event loops (one thread each); 0 means one per CPU the process may use."));
    s.push_back(IntKey("body_limit_bytes", &Config::body_limit_bytes, 1024, int64_t{1} << 30,
                       "Largest request body accepted; larger ones get 413."));
    s.push_back(IntKey("header_limit_bytes", &Config::header_limit_bytes, 1024, 1 << 20,
                       "Largest request header block accepted; larger ones get 431."));
    s.push_back(IntKey("read_timeout_seconds", &Config::read_timeout_seconds, 1, 3600,
                       "Time a client has to send one whole request."));
    s.push_back(IntKey("idle_timeout_seconds", &Config::idle_timeout_seconds, 1, 3600,
                       "Time an idle keep-alive connection stays open."));
    s.push_back(IntKey("shutdown_grace_seconds", &Config::shutdown_grace_seconds, 0, 3600,
                       "On SIGTERM, time in-flight requests get to finish."));
    s.push_back(StringKey("tls_cert_file", &Config::tls_cert_file,
                          "PEM certificate chain; with `tls_key_file` the server speaks HTTPS only and sends HSTS."));
    s.push_back(StringKey("tls_key_file", &Config::tls_key_file, "PEM private key for `tls_cert_file`."));
    s.push_back(StringKey("log_level", &Config::log_level, "One of `trace`, `debug`, `info`, `warn`, `error`."));
    s.push_back(BoolKey("access_log", &Config::access_log, "Write one JSON log line per request."));
    {
      KeySpec spec{"data_keys", Kind::kStringList,
                   "Keys for personal data and secrets at rest (AES-256-GCM), each 64 hex digits. The last "
                   "encrypts, all decrypt (rotation: append a key, restart). Empty: `<data_dir>/keys.toml` is "
                   "created with a random key on first start. In the environment: comma-separated."};
      spec.set_list = [](Config& c, std::vector<std::string> v) { c.data_keys = std::move(v); };
      spec.show = [](const Config& c) { return c.data_keys.empty() ? std::string() : std::string("(set)"); };
      s.push_back(std::move(spec));
    }
    s.push_back(IntKey("session_idle_seconds", &Config::session_idle_seconds, 60, 86400,
                       "A staff session ends after this long without a request."));
    s.push_back(IntKey("session_max_seconds", &Config::session_max_seconds, 300, 7 * 86400,
                       "A staff session ends this long after login, active or not."));
    s.push_back(IntKey("login_max_failures_per_account", &Config::login_max_failures_per_account, 1, 1000,
                       "Failed logins per account within the window before it is throttled."));
    s.push_back(IntKey("login_max_failures_per_address", &Config::login_max_failures_per_address, 1, 100000,
                       "Failed logins per client address within the window before it is throttled."));
    s.push_back(IntKey("login_window_seconds", &Config::login_window_seconds, 10, 86400,
                       "Length of the login throttling window."));
    s.push_back(
        StringKey("totp_issuer", &Config::totp_issuer, "Issuer name shown in authenticator apps at TOTP enrolment."));
    s.push_back(IntKey("check_rate_per_second", &Config::check_rate_per_second, 1, 100000,
                       "Partner check: requests per second each key may make (token bucket rate); more get 429."));
    s.push_back(IntKey("check_burst", &Config::check_burst, 1, 100000,
                       "Partner check: token bucket size, the burst a key may send at once."));
    s.push_back(IntKey("check_card_no_match_limit", &Config::check_card_no_match_limit, 1, 1000,
                       "Partner check: `no_match` answers for one card number within the window after which the "
                       "card is locked for partner checks (staff see an alert)."));
    s.push_back(IntKey("check_card_window_seconds", &Config::check_card_window_seconds, 60, 30 * 86400,
                       "Partner check: window for counting a card's `no_match` answers."));
    s.push_back(IntKey("check_card_lock_seconds", &Config::check_card_lock_seconds, 60, 365 * 86400,
                       "Partner check: how long a locked card answers `no_match` even with the right name."));
    s.push_back(IntKey("check_key_daily_no_match_budget", &Config::check_key_daily_no_match_budget, 1, 10000000,
                       "Partner check: `no_match` answers per key and day (Europe/Berlin) after which the key is "
                       "suspended and staff alerted."));
    s.push_back(IntKey("retention_interval_minutes", &Config::retention_interval_minutes, 0, 7 * 24 * 60,
                       "Guest cards: `serve` applies the retention rules at start and then every this many "
                       "minutes (unlinking 14 days after departure, deleting registration forms after a year); "
                       "0 turns the schedule off (then run `passwerk retention run` from cron)."));
    s.push_back(StringKey("annual_cycle_rotation_day", &Config::annual_cycle_rotation_day,
                          "Guest cards: the day of the year, `MM-DD`, on which retention gives every annual card a "
                          "new card-cycle id, moving only unused credits (preferably the end of the season)."));
    s.push_back(IntKey("terminal_upload_window_days", &Config::terminal_upload_window_days, 1, 3660,
                       "Terminals: how many days before its upload a transaction may lie; an older one (or one "
                       "before the terminal was registered, or more than a day ahead) is refused as "
                       "`date_out_of_window` and kept aside for the operator."));
    s.push_back(IntKey("idempotency_key_hours", &Config::idempotency_key_hours, 1, 24 * 366,
                       "API: how long the answer to a creating request with an `Idempotency-Key` header is kept; "
                       "a retry with the same key within this time gets that answer instead of creating again. "
                       "Expired answers are deleted by the retention schedule."));
    s.push_back(StringKey("public_url", &Config::public_url,
                          "Portal: the base URL citizens reach the server at (`https://passwerk.example.de`), as "
                          "registered with the identity providers. Empty: the address the server listens on, "
                          "which suits a local trial only."));
    s.push_back(BoolKey("portal_test_login", &Config::portal_test_login,
                        "Portal: offer the test sign-in (\"Testanmeldung\": any name, any assurance level). For "
                        "demonstrations only; every page says so while it is on. Never on by default."));
    s.push_back(IntKey("portal_session_idle_seconds", &Config::portal_session_idle_seconds, 60, 86400,
                       "Portal: a citizen session ends after this long without a request."));
    s.push_back(IntKey("portal_session_max_seconds", &Config::portal_session_max_seconds, 300, 7 * 86400,
                       "Portal: a citizen session ends this long after sign-in, active or not."));
    s.push_back(StringKey("saml_idp_metadata_file", &Config::saml_idp_metadata_file,
                          "Portal: the SAML metadata file of the identity provider (BundID). Empty: no SAML "
                          "sign-in is offered."));
    s.push_back(StringKey("saml_sp_entity_id", &Config::saml_sp_entity_id,
                          "Portal: this service provider's SAML entity id. Empty: "
                          "`{public_url}/portal/saml/metadata`."));
    s.push_back(StringKey("saml_sp_key_file", &Config::saml_sp_key_file,
                          "Portal: PEM private key (RSA) that signs SAML requests and decrypts assertions. Empty: "
                          "a key generated into the key store (`<data_dir>/keys.toml`) on first start."));
    s.push_back(StringKey("saml_sp_cert_file", &Config::saml_sp_cert_file,
                          "Portal: PEM certificate of `saml_sp_key_file`, published in the SP metadata."));
    {
      KeySpec spec{"saml_level_map", Kind::kStringList,
                   "Portal: how SAML authentication context classes map to assurance levels, as "
                   "`\"CLASS=low|substantial|high\"`. In the environment: comma-separated."};
      spec.set_list = [](Config& c, std::vector<std::string> v) { c.saml_level_map = std::move(v); };
      spec.show = [](const Config& c) { return Join(c.saml_level_map); };
      s.push_back(std::move(spec));
    }
    s.push_back(StringKey("saml_organisation_name", &Config::saml_organisation_name,
                          "Portal: the organisation name BundID shows at sign-in (`akdb:DisplayInformation`)."));
    s.push_back(StringKey("saml_online_service_id", &Config::saml_online_service_id,
                          "Portal: the online-service id agreed with BundID (`akdb:DisplayInformation`)."));
    s.push_back(IntKey("sign_in_clock_skew_seconds", &Config::sign_in_clock_skew_seconds, 0, 600,
                       "Portal: how far the identity provider's clock may be off when assertion and ID token "
                       "times are checked."));
    s.push_back(StringKey("oidc_issuer", &Config::oidc_issuer,
                          "Portal: the OpenID Connect provider's issuer URL (discovery at "
                          "`{issuer}/.well-known/openid-configuration`). Empty: no OIDC sign-in is offered."));
    s.push_back(
        StringKey("oidc_client_id", &Config::oidc_client_id, "Portal: the client id registered at the provider."));
    {
      KeySpec spec{"oidc_client_secret", Kind::kString, "Portal: the client secret registered at the provider."};
      spec.set_string = [](Config& c, const std::string& v) { c.oidc_client_secret = v; };
      spec.show = [](const Config& c) { return c.oidc_client_secret.empty() ? std::string() : std::string("(set)"); };
      s.push_back(std::move(spec));
    }
    {
      KeySpec spec{"oidc_acr_map", Kind::kStringList,
                   "Portal: how OIDC `acr` values map to assurance levels, as `\"ACR=low|substantial|high\"`. "
                   "In the environment: comma-separated."};
      spec.set_list = [](Config& c, std::vector<std::string> v) { c.oidc_acr_map = std::move(v); };
      spec.show = [](const Config& c) { return Join(c.oidc_acr_map); };
      s.push_back(std::move(spec));
    }
    s.push_back(StringKey("oidc_ca_file", &Config::oidc_ca_file,
                          "Portal: CA certificates (PEM) for the OIDC provider's TLS. Empty: the system's CA store."));
    s.push_back(IntKey("mailbox_attachment_max_bytes", &Config::mailbox_attachment_max_bytes, 1024,
                       64 * 1024 * 1024, "Mailbox: the largest attachment (PDF, PNG or JPEG) a message may carry."));
    s.push_back(IntKey("mailbox_attachment_max_count", &Config::mailbox_attachment_max_count, 0, 20,
                       "Mailbox: how many attachments one message may carry."));
    s.push_back(IntKey("mailbox_retention_days", &Config::mailbox_retention_days, 1, 3650,
                       "Mailbox: a closed thread, its messages and attachments are deleted this many days after "
                       "closing (`passwerk retention run`)."));
    s.push_back(IntKey("mailbox_citizen_messages_per_day", &Config::mailbox_citizen_messages_per_day, 1, 100000,
                       "Mailbox: how many messages (new questions and answers) one citizen account may send in 24 "
                       "hours; beyond, 429."));
    s.push_back(IntKey("mailbox_citizen_bytes_per_day", &Config::mailbox_citizen_bytes_per_day, 1024,
                       int64_t{64} * 1024 * 1024 * 1024,
                       "Mailbox: how many bytes of attachments one citizen account may send in 24 hours; beyond, "
                       "429."));
    s.push_back(StringKey("smtp_url", &Config::smtp_url,
                          "E-mail: the SMTP server, `smtp://host:587` (STARTTLS, see `smtp_starttls`) or "
                          "`smtps://host:465` (TLS from the start); `file://DIR` writes each mail into DIR instead "
                          "(the demo). Empty: mail waits in the outbox until a server is configured."));
    s.push_back(StringKey("smtp_starttls", &Config::smtp_starttls,
                          "E-mail: `required` (refuse to send without STARTTLS) or `off` (plain SMTP, for a relay "
                          "on the same host). Ignored for `smtps://`."));
    s.push_back(StringKey("smtp_username", &Config::smtp_username,
                          "E-mail: the SMTP user name. Empty: no authentication."));
    {
      KeySpec spec{"smtp_password", Kind::kString, "E-mail: the SMTP password."};
      spec.set_string = [](Config& c, const std::string& v) { c.smtp_password = v; };
      spec.show = [](const Config& c) { return c.smtp_password.empty() ? std::string() : std::string("(set)"); };
      s.push_back(std::move(spec));
    }
    s.push_back(StringKey("smtp_ca_file", &Config::smtp_ca_file,
                          "E-mail: CA certificates (PEM) for the SMTP server's TLS. Empty: the system's CA store."));
    s.push_back(StringKey("mail_from", &Config::mail_from,
                          "E-mail: the sender, `Name <address>` or `address`."));
    s.push_back(IntKey("mail_retry_days", &Config::mail_retry_days, 1, 60,
                       "E-mail: a mail the SMTP server has not accepted for this long is dropped, with an audit "
                       "entry. Until then it is retried with growing pauses (up to an hour)."));
    s.push_back(IntKey("mail_retry_base_seconds", &Config::mail_retry_base_seconds, 1, 3600,
                       "E-mail: the pause after the first refused delivery; it doubles with each further attempt, "
                       "up to an hour."));
    s.push_back(IntKey("mail_confirmations_per_account_per_day", &Config::mail_confirmations_per_account_per_day, 1,
                       100, "E-mail: confirmation mails one citizen account may request in 24 hours."));
    s.push_back(IntKey("mail_confirmations_per_address_per_day", &Config::mail_confirmations_per_address_per_day, 1,
                       100, "E-mail: confirmation mails one address may receive in 24 hours, from all accounts."));
    return s;
  }();
  return kSpecs;
}

std::string EnvName(const std::string& key) {
  std::string env = "PASSWERK_";
  for (char c : key) env.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return env;
}

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kString:
      return "string";
    case Kind::kInt:
      return "integer";
    case Kind::kBool:
      return "boolean";
    case Kind::kStringList:
      return "list of strings";
  }
  return "string";
}

Status SetFromText(const KeySpec& spec, Config& config, const std::string& text, const std::string& origin) {
  switch (spec.kind) {
    case Kind::kString:
      spec.set_string(config, text);
      return Status::Ok();
    case Kind::kInt: {
      int64_t value = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc() || ptr != text.data() + text.size()) {
        return InvalidArgument(origin + ": not an integer", spec.key);
      }
      if (value < spec.min || value > spec.max) {
        return InvalidArgument(
            origin + ": must be between " + std::to_string(spec.min) + " and " + std::to_string(spec.max), spec.key);
      }
      spec.set_int(config, value);
      return Status::Ok();
    }
    case Kind::kBool:
      if (text == "true" || text == "1" || text == "yes") {
        spec.set_bool(config, true);
      } else if (text == "false" || text == "0" || text == "no") {
        spec.set_bool(config, false);
      } else {
        return InvalidArgument(origin + ": not a boolean (true/false)", spec.key);
      }
      return Status::Ok();
    case Kind::kStringList: {
      std::vector<std::string> items;
      std::stringstream in(text);
      std::string item;
      while (std::getline(in, item, ',')) {
        if (!item.empty()) items.push_back(item);
      }
      spec.set_list(config, std::move(items));
      return Status::Ok();
    }
  }
  return Status::Ok();
}

Status SetFromToml(const KeySpec& spec, Config& config, const toml::node& node, const std::string& origin) {
  switch (spec.kind) {
    case Kind::kString:
      if (!node.is_string()) return InvalidArgument(origin + ": must be a string", spec.key);
      spec.set_string(config, *node.value<std::string>());
      return Status::Ok();
    case Kind::kInt:
      if (!node.is_integer()) return InvalidArgument(origin + ": must be an integer", spec.key);
      return SetFromText(spec, config, std::to_string(*node.value<int64_t>()), origin);
    case Kind::kBool:
      if (!node.is_boolean()) return InvalidArgument(origin + ": must be true or false", spec.key);
      spec.set_bool(config, *node.value<bool>());
      return Status::Ok();
    case Kind::kStringList: {
      const toml::array* array = node.as_array();
      if (array == nullptr) return InvalidArgument(origin + ": must be a list of strings", spec.key);
      std::vector<std::string> items;
      for (const toml::node& item : *array) {
        if (!item.is_string()) return InvalidArgument(origin + ": must be a list of strings", spec.key);
        items.push_back(*item.value<std::string>());
      }
      spec.set_list(config, std::move(items));
      return Status::Ok();
    }
  }
  return Status::Ok();
}

const KeySpec* FindSpec(std::string_view key) {
  for (const KeySpec& spec : Specs()) {
    if (key == spec.key) return &spec;
  }
  return nullptr;
}

Status Validate(const Config& config) {
  PW_RETURN_IF_ERROR(config.ListenEndpoint().status());
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
  if (!kLevels.contains(config.log_level)) {
    return InvalidArgument("log_level must be one of trace, debug, info, warn, error", "log_level");
  }
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    return InvalidArgument("tls_cert_file and tls_key_file must be set together", "tls_cert_file");
  }
  if (!config.database_url.empty() && config.database_url.rfind("postgresql://", 0) != 0 &&
      config.database_url.rfind("postgres://", 0) != 0) {
    return InvalidArgument("database_url must start with postgresql://", "database_url");
  }
  if (config.data_dir.empty()) return InvalidArgument("data_dir must not be empty", "data_dir");
  const std::string& rotation = config.annual_cycle_rotation_day;
  if (rotation.size() != 5 || rotation[2] != '-' || !ParseIsoDate("2024-" + rotation)) {
    return InvalidArgument("annual_cycle_rotation_day must be a day of the year, MM-DD", "annual_cycle_rotation_day");
  }
  if (config.smtp_starttls != "required" && config.smtp_starttls != "off") {
    return InvalidArgument("smtp_starttls must be required or off", "smtp_starttls");
  }
  if (!config.smtp_url.empty() && config.smtp_url.rfind("smtp://", 0) != 0 &&
      config.smtp_url.rfind("smtps://", 0) != 0 && config.smtp_url.rfind("file://", 0) != 0) {
    return InvalidArgument("smtp_url must start with smtp://, smtps:// or file://", "smtp_url");
  }
  return Status::Ok();
}

}  // namespace

Result<std::pair<std::string, uint16_t>> Config::ListenEndpoint() const {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return InvalidArgument("listen must be HOST:PORT, e.g. 127.0.0.1:8080", "listen");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port_text = listen.substr(colon + 1);
  int port = -1;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return InvalidArgument("listen must end with a port between 0 and 65535", "listen");
  }
  return std::make_pair(host, static_cast<uint16_t>(port));
}

const std::vector<ConfigKeyDoc>& ConfigKeyDocs() {
  static const std::vector<ConfigKeyDoc> kDocs = [] {
    std::vector<ConfigKeyDoc> docs;
    Config defaults;
    for (const KeySpec& spec : Specs()) {
      docs.push_back({spec.key, EnvName(spec.key), KindName(spec.kind), spec.show(defaults), spec.description});
    }
    return docs;
  }();
  return kDocs;
}

std::string RenderConfigMarkdown() {
  std::string out =
      "# Configuration\n\n"
      "<!-- Generated by `passwerk config docs`; a test keeps this file in sync with the code. -->\n\n"
      "Passwerk runs with no configuration at all: SQLite files under `./data`, listening on "
      "127.0.0.1:8080. Settings come, each overriding the one before, from the built-in defaults, an "
      "optional TOML file (`--config FILE`), environment variables `PASSWERK_<KEY>`, and the command-line "
      "flags `--data DIR` (`data_dir`) and `--listen HOST:PORT` (`listen`). An unknown key in the file or "
      "an unknown `PASSWERK_*` variable is an error that names it, so a misspelling never goes unnoticed "
      "(`PASSWERK_CONFIG` names the configuration file; `PASSWERK_BIN` and `PASSWERK_TEST_*` belong to the "
      "test tooling). "
      "`passwerk config check` validates a configuration without starting anything.\n\n"
      "| key | environment | type | default | meaning |\n|---|---|---|---|---|\n";
  for (const ConfigKeyDoc& doc : ConfigKeyDocs()) {
    out += "| `" + doc.key + "` | `" + doc.env + "` | " + doc.type + " | " +
           (doc.default_value.empty() ? std::string("(empty)") : "`" + doc.default_value + "`") + " | " +
           doc.description + " |\n";
  }
  out +=
      "\nExample `passwerk.toml`:\n\n```toml\nlisten = \"0.0.0.0:8443\"\ndata_dir = \"/var/lib/passwerk\"\n"
      "tls_cert_file = \"/etc/passwerk/cert.pem\"\ntls_key_file = \"/etc/passwerk/key.pem\"\n"
      "access_log = true\n```\n";
  return out;
}

Result<Config> LoadConfig(const std::string& file, char** environ_list) {
  Config config;
  if (!file.empty()) {
    toml::table table;
    try {
      table = toml::parse_file(file);
    } catch (const toml::parse_error& error) {
      std::ostringstream where;
      where << "configuration file is not valid TOML: " << error.description() << " (line " << error.source().begin.line
            << ")";
      return InvalidArgument(where.str());
    }
    for (const auto& [key, node] : table) {
      const KeySpec* spec = FindSpec(key.str());
      if (spec == nullptr) {
        return InvalidArgument("unknown configuration key '" + std::string(key.str()) + "' in " + file,
                               std::string(key.str()));
      }
      PW_RETURN_IF_ERROR(SetFromToml(*spec, config, node, "configuration key " + std::string(key.str())));
    }
  }
  // Variables that are not configuration keys but belong to the tooling.
  // PASSWERK_TEST_* belongs to the test harness.
  static const std::set<std::string> kNotKeys = {"PASSWERK_BIN", "PASSWERK_CONFIG"};
  for (char** env = environ_list; env != nullptr && *env != nullptr; ++env) {
    std::string_view entry(*env);
    if (entry.rfind("PASSWERK_", 0) != 0) continue;
    size_t eq = entry.find('=');
    std::string name(entry.substr(0, eq));
    if (kNotKeys.contains(name) || name.rfind("PASSWERK_TEST_", 0) == 0) continue;
    std::string value = eq == std::string_view::npos ? "" : std::string(entry.substr(eq + 1));
    const KeySpec* match = nullptr;
    for (const KeySpec& spec : Specs()) {
      if (EnvName(spec.key) == name) match = &spec;
    }
    if (match == nullptr) return InvalidArgument("unknown environment variable " + name, name);
    PW_RETURN_IF_ERROR(SetFromText(*match, config, value, "environment variable " + name));
  }
  PW_RETURN_IF_ERROR(Validate(config));
  return config;
}

Status EnsureDataKeys(Config& config) {
  if (!config.data_keys.empty()) {
    return crypto::SecretBox::FromHexKeys(config.data_keys).status();
  }
  std::filesystem::path path = std::filesystem::path(config.data_dir) / "keys.toml";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec) return Unavailable("cannot create the data directory", ec.message());
    std::string key = crypto::HexEncode(crypto::RandomBytes(32));
    std::filesystem::path tmp = path;
    tmp += ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << "# Generated by passwerk on first start. Keep it secret and back it up:\n"
             "# without it, encrypted personal data cannot be read. Rotation: append a key.\n"
             "data_keys = [\""
          << key << "\"]\n";
      if (!out) return Unavailable("cannot write the data key file", tmp.string());
    }
    ::chmod(tmp.c_str(), 0600);
    std::filesystem::rename(tmp, path, ec);
    if (ec) return Unavailable("cannot write the data key file", ec.message());
  }
  toml::table table;
  try {
    table = toml::parse_file(path.string());
  } catch (const toml::parse_error& error) {
    return InvalidArgument("the data key file is not valid TOML", std::string(error.description()));
  }
  const toml::array* keys = table["data_keys"].as_array();
  if (keys == nullptr) return InvalidArgument("the data key file has no data_keys list");
  for (const toml::node& key : *keys) {
    if (!key.is_string()) return InvalidArgument("the data key file's data_keys must be strings");
    config.data_keys.push_back(*key.value<std::string>());
  }
  return crypto::SecretBox::FromHexKeys(config.data_keys).status();
}

}  // namespace passwerk

namespace passwerk {
namespace {

Result<std::string> ReadWholeFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("cannot read " + std::string(what), path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

Result<SamlSpKey> EnsureSamlSpKey(const Config& config) {
  SamlSpKey out;
  if (!config.saml_sp_key_file.empty() || !config.saml_sp_cert_file.empty()) {
    if (config.saml_sp_key_file.empty() || config.saml_sp_cert_file.empty()) {
      return InvalidArgument("saml_sp_key_file and saml_sp_cert_file are set together");
    }
    PW_ASSIGN_OR_RETURN(out.key_pem, ReadWholeFile(config.saml_sp_key_file, "saml_sp_key_file"));
    PW_ASSIGN_OR_RETURN(out.cert_pem, ReadWholeFile(config.saml_sp_cert_file, "saml_sp_cert_file"));
    return out;
  }
  std::filesystem::path path = std::filesystem::path(config.data_dir) / "keys.toml";
  std::string text;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    PW_ASSIGN_OR_RETURN(text, ReadWholeFile(path.string(), "the key store"));
    toml::table table;
    try {
      table = toml::parse(text);
    } catch (const toml::parse_error& error) {
      return InvalidArgument("the key store is not valid TOML", std::string(error.description()));
    }
    std::optional<std::string> key = table["saml_sp_key"].value<std::string>();
    std::optional<std::string> cert = table["saml_sp_cert"].value<std::string>();
    if (key && cert) {
      out.key_pem = *key;
      out.cert_pem = *cert;
      return out;
    }
  }
  // First use: a new pair, appended to the key store (written whole, then renamed).
  PW_ASSIGN_OR_RETURN(crypto::KeyAndCertificate pair, crypto::GenerateRsaKeyAndCertificate("Passwerk SAML SP"));
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) return Unavailable("cannot create the data directory", ec.message());
  if (!text.empty() && text.back() != '\n') text += '\n';
  text +=
      "# The portal's SAML service provider key (generated on first start): signs\n"
      "# requests to the identity provider and decrypts its assertions.\n"
      "saml_sp_key = \"\"\"\n" +
      pair.key_pem + "\"\"\"\nsaml_sp_cert = \"\"\"\n" + pair.cert_pem + "\"\"\"\n";
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out_file(tmp, std::ios::trunc);
    out_file << text;
    out_file.flush();
    if (!out_file) return Unavailable("cannot write the key store", tmp.string());
  }
  ::chmod(tmp.c_str(), 0600);
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Unavailable("cannot write the key store", ec.message());
  out.key_pem = pair.key_pem;
  out.cert_pem = pair.cert_pem;
  out.generated = true;
  return out;
}

}  // namespace passwerk
