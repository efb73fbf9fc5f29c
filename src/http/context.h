// What handlers may use: the domain services and configuration, built once at
// start-up by cli/serve.cpp. Handlers get no database handle.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "accounts/accounts.h"
#include "applications/applications.h"
#include "cards/cards.h"
#include "checks/check_service.h"
#include "checks/partners.h"
#include "checks/verdict.h"
#include "core/clock.h"
#include "core/config.h"
#include "guestcards/annual_cards.h"
#include "guestcards/logistics.h"
#include "guestcards/registrations.h"
#include "guestcards/statistics.h"
#include "http/metrics.h"
#include "portal/citizen_accounts.h"
#include "portal/mail_outbox.h"
#include "portal/mailbox.h"
#include "portal/sign_in.h"
#include "settlement/settlement.h"
#include "terminals/catalogue.h"
#include "terminals/terminals.h"
#include "terminals/transactions.h"

namespace passwerk::http {

// The portal's sign-in, made once the server's address is known: the
// public URL defaults to it, and the SAML metadata and ACS carry it. Until
// then (the moment between binding and serving) sign-in routes answer 503.
struct PortalRuntime {
  std::string public_url;  // set before `flows` is published
  std::atomic<portal::SignInFlows*> flows{nullptr};
  portal::SignInFlows* Flows() const { return flows.load(std::memory_order_acquire); }
};

struct AppContext {
  const Config& config;
  const Clock& clock;
  accounts::AccountService& accounts;
  Metrics& metrics;
  cards::CardService& cards;
  checks::PartnerService& partners;
  checks::CheckService& checks;
  const checks::VerdictSigner& verdicts;
  guestcards::RegistrationService& registrations;
  terminals::CatalogueService& catalogue;
  terminals::TerminalService& terminals;
  terminals::TransactionService& transactions;
  guestcards::LogisticsService& logistics;
  guestcards::AnnualCardService& annual_cards;
  settlement::SettlementService& settlement;
  guestcards::StatisticsService& statistics;
  portal::CitizenAccounts& citizens;
  portal::Mailbox& mailbox;
  portal::MailOutbox& mail;
  applications::ApplicationService& applications;
  PortalRuntime& portal;
  // Whether every storage handle answers (/readyz); handlers get no handle itself.
  std::function<Status()> ready;
};

// Every route of the JSON API (/api/v1/…, /api/terminal/v1/…, /healthz,
// /readyz, /metrics), area by area; the staff pages are web::RegisterWebRoutes.
class Router;
void RegisterApiRoutes(Router& router, AppContext& app);

// The areas of the API, one file each, called by RegisterApiRoutes (api.cpp).
void RegisterAccountApiRoutes(Router& router, AppContext& app);     // api.cpp: users, audit
void RegisterCardApiRoutes(Router& router, AppContext& app);        // cards_api.cpp: schemes, cards, checks
void RegisterGuestCardApiRoutes(Router& router, AppContext& app);   // guestcards_api.cpp
void RegisterTerminalApiRoutes(Router& router, AppContext& app);    // terminal_api.cpp: protocol, catalogue
void RegisterSettlementApiRoutes(Router& router, AppContext& app);  // settlement_api.cpp
void RegisterPortalApiRoutes(Router& router, AppContext& app);      // portal_api.cpp: /api/portal/v1
void RegisterMailboxApiRoutes(Router& router, AppContext& app);     // mailbox_api.cpp: threads, citizen and staff
void RegisterApplicationApiRoutes(Router& router, AppContext& app);  // applications_api.cpp: applicant and staff

// Whether a request carries files (a larger body limit and read time): a
// message with attachments below the mailbox's thread paths, an
// application's evidence document (portal_routes.cpp).
bool IsUpload(std::string_view method, std::string_view target);

// The citizen session cookie of the portal and the JSON API for apps.
inline constexpr std::string_view kCitizenSessionCookie = "pw_citizen";

}  // namespace passwerk::http
