// Opening the configured storage and the services every subcommand shares.
#pragma once

#include <memory>
#include <string>

#include "accounts/accounts.h"
#include "accounts/throttle.h"
#include "applications/applications.h"
#include "cards/cards.h"
#include "checks/partners.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/crypto.h"
#include "guestcards/annual_cards.h"
#include "guestcards/logistics.h"
#include "guestcards/registrations.h"
#include "guestcards/statistics.h"
#include "portal/citizen_accounts.h"
#include "portal/mail_outbox.h"
#include "portal/mailbox.h"
#include "portal/sign_in.h"
#include "settlement/settlement.h"
#include "storage/database.h"
#include "terminals/catalogue.h"
#include "terminals/terminals.h"
#include "terminals/transactions.h"

namespace passwerk::cli {

struct Services {
  Config config;
  SystemClock clock;
  std::unique_ptr<storage::Database> db;
  std::unique_ptr<crypto::SecretBox> secrets;
  std::unique_ptr<accounts::LoginThrottle> throttle;
  std::unique_ptr<accounts::AccountService> accounts;
  std::unique_ptr<cards::CardKeys> card_keys;
  std::unique_ptr<cards::CardService> cards;
  std::unique_ptr<checks::PartnerService> partners;
  // The guest-card segments need their own handle: SQLite attaches at most
  // ten files to a connection (core, audit and the seven guest-card segments).
  std::unique_ptr<storage::Database> guest_db;
  std::unique_ptr<guestcards::RegistrationService> registrations;
  std::unique_ptr<guestcards::LogisticsService> logistics;  // card stock and re-initialisation
  std::unique_ptr<guestcards::AnnualCardService> annual_cards;
  // Terminals, their catalogue and their transactions (on guest_db: card_link,
  // card_usage, logistics and settlement).
  std::unique_ptr<terminals::CatalogueService> catalogue;
  std::unique_ptr<terminals::TerminalService> terminals;
  std::unique_ptr<terminals::TransactionService> transactions;
  std::unique_ptr<settlement::SettlementService> settlement;  // on guest_db
  std::unique_ptr<guestcards::StatisticsService> statistics;  // on guest_db
  // The citizen side's handle: core, audit, cards and portal.
  std::unique_ptr<storage::Database> portal_db;
  std::unique_ptr<portal::CitizenAccounts> citizens;
  std::unique_ptr<portal::MailOutbox> mail;  // the citizen's address, the outbox
  std::unique_ptr<portal::Mailbox> mailbox;
  std::unique_ptr<applications::ApplicationService> applications;  // on portal_db (segment applications)
};

// Common options of every subcommand.
struct CommonOptions {
  std::string config_file;
  std::string data_dir;  // empty: from configuration
};

Result<Config> LoadEffectiveConfig(const CommonOptions& options);
// Opens the staff segments (core, audit, cards, checks); in a second handle
// core, audit and the guest-card segments; in a third core, audit, cards and
// the citizen side's segments (portal, applications). Applies migrations.
Result<std::unique_ptr<Services>> OpenServices(Config config);

// The portal's sign-in flows as configured: BundID when an IdP's metadata is
// given, OIDC when an issuer is, the test sign-in when switched on.
// `public_url`: where citizens reach the server (configured, or the address
// it listens on).
Result<std::unique_ptr<portal::SignInFlows>> MakeSignInFlows(Services& s, const std::string& public_url);

// Where citizens reach the server: public_url, or the address it listens on;
// no trailing slash.
std::string PublicUrl(const Config& config);
// The SMTP settings of the configuration.
portal::SmtpSettings SmtpSettingsOf(const Config& config);

// Deletes the expired answers of requests with an Idempotency-Key from every
// segment that keeps them, on both handles (retention); the number deleted.
Result<int64_t> DeleteExpiredIdempotencyAnswers(Services& s);

// The actor for changes made on the command line.
accounts::Actor CliActor();

}  // namespace passwerk::cli
