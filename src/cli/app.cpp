// Shared wiring for the subcommands.
#include "cli/app.h"

#include <unistd.h>

#include "core/crypto.h"
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
  return services;
}

Result<int64_t> DeleteExpiredIdempotencyAnswers(Services& s) {
  using storage::Segment;
  const int64_t now = s.clock.NowUnix();
  PW_ASSIGN_OR_RETURN(int64_t staff, storage::DeleteExpiredAnswers(*s.db, {Segment::kCore, Segment::kCards}, now));
  PW_ASSIGN_OR_RETURN(
      int64_t guest,
      storage::DeleteExpiredAnswers(*s.guest_db, {Segment::kSpaTax, Segment::kLogistics, Segment::kSettlement}, now));
  return staff + guest;
}

accounts::Actor CliActor() {
  accounts::Actor actor;
  actor.id = "cli";
  actor.request_id = "cli-" + crypto::RandomToken(5);
  return actor;
}

}  // namespace passwerk::cli
