// What handlers may use: the domain services and configuration, wired by main.
// Handlers never open databases themselves.
#pragma once

#include "accounts/accounts.h"
#include "cards/cards.h"
#include "checks/check_service.h"
#include "checks/partners.h"
#include "checks/verdict.h"
#include "core/clock.h"
#include "core/config.h"
#include "guestcards/annual_cards.h"
#include "guestcards/logistics.h"
#include "guestcards/registrations.h"
#include "http/metrics.h"
#include "storage/database.h"
#include "terminals/catalogue.h"
#include "terminals/terminals.h"
#include "terminals/transactions.h"

namespace passwerk::http {

struct AppContext {
  const Config& config;
  const Clock& clock;
  storage::Database& db;  // segments core + audit
  accounts::AccountService& accounts;
  Metrics& metrics;
  cards::CardService& cards;
  checks::PartnerService& partners;
  checks::CheckService& checks;
  const checks::VerdictSigner& verdicts;
  guestcards::RegistrationService& registrations;
  storage::Database& guest_db;  // core, audit and the guest-card segments (statistics read spa_tax)
  terminals::CatalogueService& catalogue;
  terminals::TerminalService& terminals;
  terminals::TransactionService& transactions;
  guestcards::LogisticsService& logistics;
  guestcards::AnnualCardService& annual_cards;
};

// Routes of the JSON API (/api/v1/…, /healthz, /readyz, /metrics).
class Router;
void RegisterApiRoutes(Router& router, AppContext& app);
// Routes of the card registry and the partner check (/api/v1/schemes, cards, checks).
void RegisterCardApiRoutes(Router& router, AppContext& app);
// Routes of the guest cards (/api/v1/registrations, marketing consents).
void RegisterGuestCardApiRoutes(Router& router, AppContext& app);
// Routes of the terminal protocol (/api/terminal/v1/…) and the staff API for
// the catalogue, terminals and acceptance conflicts (/api/v1/…).
void RegisterTerminalApiRoutes(Router& router, AppContext& app);
// Staff pages for the catalogue and terminals (src/web/terminal_pages.cpp).
void RegisterTerminalPages(Router& router, AppContext& app);
// Settlement statements: the JSON API (/api/v1/settlement/…) and the staff
// pages (/settlement…, src/web/settlement_pages.cpp).
void RegisterSettlementRoutes(Router& router, AppContext& app);
// Staff pages for annual cards (/annual-cards, src/web/annual_card_pages.cpp).
void RegisterAnnualCardPages(Router& router, AppContext& app);
// Routes of the staff web pages and static assets (src/web).
void RegisterWebRoutes(Router& router, AppContext& app);

}  // namespace passwerk::http
