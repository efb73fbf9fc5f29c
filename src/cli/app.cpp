// Shared wiring for the subcommands.
#include "cli/app.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "core/crypto.h"
#include "core/log.h"
#include "portal/http_fetch.h"
#include "storage/engines/engines.h"
#include "storage/idempotency.h"

extern char** environ;

namespace passwerk::cli {

Result<Config> LoadEffectiveConfig(const CommonOptions& options) {
  std::string file = options.config_file;
  if (file.empty()) {
    if (const char* env = std::getenv("PASSWERK_CONFIG"); env != nullptr) file = env;
  }
  PW_ASSIGN_OR_RETURN(Config config, LoadConfig(file, environ));
  if (!options.data_dir.empty()) config.data_dir = options.data_dir;
  return config;
}

Result<std::unique_ptr<Services>> OpenServices(Config config) {
  auto services = std::make_unique<Services>();
  PW_RETURN_IF_ERROR(EnsureDataKeys(config));
  services->config = std::move(config);
  const Config& c = services->config;
  PW_ASSIGN_OR_RETURN(crypto::SecretBox box, crypto::SecretBox::FromHexKeys(c.data_keys));
  services->secrets = std::make_unique<crypto::SecretBox>(std::move(box));
  storage::DatabaseOptions db_options;
  db_options.data_dir = c.data_dir;
  db_options.postgres_url = c.database_url;
  db_options.pool_size = c.database_pool_size;
  db_options.segments = {storage::Segment::kCore, storage::Segment::kAudit, storage::Segment::kCards,
                         storage::Segment::kChecks};
  PW_ASSIGN_OR_RETURN(services->db, storage::OpenDatabase(db_options));
  accounts::ThrottleOptions throttle_options{c.login_max_failures_per_account, c.login_max_failures_per_address,
                                             c.login_window_seconds};
  services->throttle = std::make_unique<accounts::LoginThrottle>(services->clock, throttle_options);
  accounts::AccountOptions account_options;
  account_options.session_idle_seconds = c.session_idle_seconds;
  account_options.session_max_seconds = c.session_max_seconds;
  account_options.totp_issuer = c.totp_issuer;
  services->accounts = std::make_unique<accounts::AccountService>(*services->db, services->clock, *services->secrets,
                                                                  *services->throttle, account_options);
  services->card_keys = std::make_unique<cards::CardKeys>(*services->secrets);
  services->cards =
      std::make_unique<cards::CardService>(*services->db, services->clock, *services->secrets, *services->card_keys);
  services->partners = std::make_unique<checks::PartnerService>(*services->db, services->clock);
  db_options.segments = {storage::Segment::kCore,      storage::Segment::kAudit,    storage::Segment::kSpaTax,
                         storage::Segment::kMarketing, storage::Segment::kCardLink, storage::Segment::kCardUsage,
                         storage::Segment::kLogistics, storage::Segment::kHistory,  storage::Segment::kSettlement};
  PW_ASSIGN_OR_RETURN(services->guest_db, storage::OpenDatabase(db_options));
  services->registrations =
      std::make_unique<guestcards::RegistrationService>(*services->guest_db, services->clock, *services->secrets);
  services->logistics = std::make_unique<guestcards::LogisticsService>(*services->guest_db, services->clock);
  services->annual_cards =
      std::make_unique<guestcards::AnnualCardService>(*services->guest_db, services->clock, *services->secrets);
  services->catalogue = std::make_unique<terminals::CatalogueService>(*services->guest_db, services->clock);
  services->terminals = std::make_unique<terminals::TerminalService>(*services->guest_db, services->clock);
  terminals::TransactionOptions transaction_options;
  transaction_options.upload_window_days = c.terminal_upload_window_days;
  services->transactions =
      std::make_unique<terminals::TransactionService>(*services->guest_db, services->clock, transaction_options);
  services->settlement = std::make_unique<settlement::SettlementService>(*services->guest_db, services->clock);
  services->statistics = std::make_unique<guestcards::StatisticsService>(*services->guest_db, *services->accounts,
                                                                         *services->registrations);
  db_options.segments = {storage::Segment::kCore, storage::Segment::kAudit, storage::Segment::kCards,
                         storage::Segment::kPortal, storage::Segment::kApplications};
  PW_ASSIGN_OR_RETURN(services->portal_db, storage::OpenDatabase(db_options));
  portal::PortalOptions portal_options;
  portal_options.session_idle_seconds = c.portal_session_idle_seconds;
  portal_options.session_max_seconds = c.portal_session_max_seconds;
  services->citizens = std::make_unique<portal::CitizenAccounts>(*services->portal_db, services->clock,
                                                                 *services->secrets, portal_options);
  portal::MailOptions mail_options;
  mail_options.from = c.mail_from;
  mail_options.public_url = PublicUrl(c);
  mail_options.retry_seconds = int64_t{c.mail_retry_days} * 86400;
  mail_options.retry_base_seconds = c.mail_retry_base_seconds;
  mail_options.confirmations_per_account = c.mail_confirmations_per_account_per_day;
  mail_options.confirmations_per_address = c.mail_confirmations_per_address_per_day;
  services->mail =
      std::make_unique<portal::MailOutbox>(*services->portal_db, services->clock, *services->secrets, mail_options);
  portal::MailboxOptions mailbox_options;
  mailbox_options.attachments.max_bytes = c.mailbox_attachment_max_bytes;
  mailbox_options.attachments.max_count = c.mailbox_attachment_max_count;
  mailbox_options.retention_days = c.mailbox_retention_days;
  mailbox_options.citizen_messages_per_day = c.mailbox_citizen_messages_per_day;
  mailbox_options.citizen_bytes_per_day = c.mailbox_citizen_bytes_per_day;
  services->mailbox = std::make_unique<portal::Mailbox>(*services->portal_db, services->clock, *services->secrets,
                                                        mailbox_options, services->mail.get());
  applications::ApplicationOptions application_options;
  application_options.documents.max_bytes = c.mailbox_attachment_max_bytes;
  services->applications = std::make_unique<applications::ApplicationService>(
      *services->portal_db, services->clock, *services->secrets, *services->cards, *services->citizens,
      *services->mailbox, services->mail.get(), application_options);
  services->mailbox->AddDocumentSource(
      "application_document", [applications = services->applications.get()](const std::string& ref) {
        return applications->LinkedDocument(ref);
      });
  // Deleting a citizen account withdraws its open applications first.
  services->citizens->AddDeletionParticipant(
      [applications = services->applications.get()](storage::Tx& tx, int64_t account, bool apply,
                                                    const std::string& request_id) {
        return applications->DeletionParticipant(tx, account, apply, request_id);
      });
  // Deleting a citizen account takes its threads, its address and its queued mail along.
  services->citizens->AddDeletionParticipant(
      [mailbox = services->mailbox.get(), mail = services->mail.get()](
          storage::Tx& tx, int64_t account, bool apply, const std::string&) -> Result<portal::DeletionFinding> {
        portal::DeletionFinding finding;
        finding.area = "mailbox";
        if (!apply) return finding;
        PW_RETURN_IF_ERROR(mailbox->DeleteAccountThreads(tx, account).status());
        PW_RETURN_IF_ERROR(mail->DeleteForAccount(tx, account));
        return finding;
      });
  return services;
}

std::string PublicUrl(const Config& config) {
  std::string url = config.public_url.empty() ? "http://" + config.listen : config.public_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

portal::SmtpSettings SmtpSettingsOf(const Config& config) {
  portal::SmtpSettings settings;
  settings.url = config.smtp_url;
  settings.starttls = config.smtp_starttls != "off";
  settings.username = config.smtp_username;
  settings.password = config.smtp_password;
  settings.ca_file = config.smtp_ca_file;
  return settings;
}

Result<std::unique_ptr<portal::SignInFlows>> MakeSignInFlows(Services& s, const std::string& public_url) {
  const Config& c = s.config;
  std::string base = public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  portal::SamlSpSettings saml_settings;
  saml_settings.entity_id = c.saml_sp_entity_id.empty() ? base + "/portal/saml/metadata" : c.saml_sp_entity_id;
  saml_settings.acs_url = base + "/portal/saml/acs";
  PW_ASSIGN_OR_RETURN(saml_settings.level_map, portal::ParseLevelMap(c.saml_level_map, "saml_level_map"));
  saml_settings.organisation_name = c.saml_organisation_name;
  saml_settings.online_service_id = c.saml_online_service_id;
  saml_settings.skew_seconds = c.sign_in_clock_skew_seconds;
  auto load_key = [&c, &saml_settings]() -> Status {
    PW_ASSIGN_OR_RETURN(SamlSpKey key, EnsureSamlSpKey(c));
    if (key.generated) log::Info("SAML service provider key generated into the key store", nlohmann::json::object());
    saml_settings.key_pem = key.key_pem;
    saml_settings.cert_pem = key.cert_pem;
    return Status::Ok();
  };
  std::unique_ptr<portal::SamlServiceProvider> saml;
  std::function<Result<std::string>()> sp_metadata;
  if (!c.saml_idp_metadata_file.empty()) {
    std::ifstream in(c.saml_idp_metadata_file, std::ios::binary);
    if (!in) return InvalidArgument("cannot read saml_idp_metadata_file", "saml_idp_metadata_file");
    std::stringstream metadata;
    metadata << in.rdbuf();
    saml_settings.idp_metadata_xml = metadata.str();
    PW_RETURN_IF_ERROR(load_key());
    PW_ASSIGN_OR_RETURN(saml, portal::SamlServiceProvider::Create(saml_settings));
  } else {
    // Onboarding: BundID wants our metadata before it gives its own; the key
    // is made on the first request for it, not at every start.
    sp_metadata = [&c, saml_settings]() mutable -> Result<std::string> {
      PW_ASSIGN_OR_RETURN(SamlSpKey key, EnsureSamlSpKey(c));
      if (key.generated) log::Info("SAML service provider key generated into the key store", nlohmann::json::object());
      saml_settings.cert_pem = key.cert_pem;
      return portal::SpMetadata(saml_settings);
    };
  }
  std::unique_ptr<portal::OidcClient> oidc;
  if (!c.oidc_issuer.empty()) {
    if (c.oidc_client_id.empty()) return InvalidArgument("oidc_client_id is needed with oidc_issuer", "oidc_client_id");
    portal::OidcSettings settings;
    settings.issuer = c.oidc_issuer;
    settings.client_id = c.oidc_client_id;
    settings.client_secret = c.oidc_client_secret;
    settings.redirect_uri = base + "/portal/oidc/callback";
    settings.skew_seconds = c.sign_in_clock_skew_seconds;
    terminal_client::HttpClientOptions http;
    http.ca_file = c.oidc_ca_file;
    http.body_limit = 1024 * 1024;
    oidc = std::make_unique<portal::OidcClient>(settings, portal::MakeHttpFetch(http), s.clock);
  }
  portal::SignInSettings settings;
  settings.test_login = c.portal_test_login;
  PW_ASSIGN_OR_RETURN(settings.oidc_acr_map, portal::ParseLevelMap(c.oidc_acr_map, "oidc_acr_map"));
  settings.skew_seconds = c.sign_in_clock_skew_seconds;
  return std::make_unique<portal::SignInFlows>(*s.citizens, s.clock, std::move(saml), std::move(oidc), settings,
                                               std::move(sp_metadata));
}

Result<int64_t> DeleteExpiredIdempotencyAnswers(Services& s) {
  using storage::Segment;
  const int64_t now = s.clock.NowUnix();
  PW_ASSIGN_OR_RETURN(int64_t staff, storage::DeleteExpiredAnswers(*s.db, {Segment::kCore, Segment::kCards}, now));
  PW_ASSIGN_OR_RETURN(
      int64_t guest,
      storage::DeleteExpiredAnswers(*s.guest_db, {Segment::kSpaTax, Segment::kLogistics, Segment::kSettlement}, now));
  PW_ASSIGN_OR_RETURN(int64_t portal, storage::DeleteExpiredAnswers(*s.portal_db, {Segment::kPortal, Segment::kApplications}, now));
  return staff + guest + portal;
}

accounts::Actor CliActor() {
  accounts::Actor actor;
  actor.id = "cli";
  actor.request_id = "cli-" + crypto::RandomToken(5);
  return actor;
}

}  // namespace passwerk::cli
