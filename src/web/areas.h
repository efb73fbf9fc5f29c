// The areas of the staff UI and the citizen portal, one file each (<area>_pages.cpp): each declares
// its own routes here, and web::RegisterWebRoutes (routes.cpp) calls them all.
// Only what one area shows of another is declared beside them.
#pragma once

#include <string>

#include "http/context.h"
#include "http/router.h"
#include "web/page_env.h"

namespace passwerk::web {

void RegisterSignInPages(Router& router, AppContext& app);        // signin_pages.cpp
void RegisterDashboardPages(Router& router, AppContext& app);     // dashboard_pages.cpp
void RegisterUserPages(Router& router, AppContext& app);          // user_pages.cpp
void RegisterDepartmentPages(Router& router, AppContext& app);    // department_pages.cpp
void RegisterAuditPages(Router& router, AppContext& app);         // audit_pages.cpp
void RegisterCardPages(Router& router, AppContext& app);          // card_pages.cpp
void RegisterPartnerPages(Router& router, AppContext& app);       // partner_pages.cpp (and alerts)
void RegisterStatisticsPages(Router& router, AppContext& app);    // statistics_pages.cpp
void RegisterRegistrationPages(Router& router, AppContext& app);  // registration_pages.cpp
void RegisterCardStockPages(Router& router, AppContext& app);     // card_stock_pages.cpp
void RegisterAnnualCardPages(Router& router, AppContext& app);    // annual_card_pages.cpp
void RegisterTerminalPages(Router& router, AppContext& app);      // terminal_pages.cpp (and the catalogue)
void RegisterSettlementPages(Router& router, AppContext& app);    // settlement_pages.cpp
// The citizen portal (/portal): its frame and account, and signing in.
void RegisterPortalPages(Router& router, AppContext& app);        // portal_pages.cpp
void RegisterPortalSignInPages(Router& router, AppContext& app);  // portal_signin_pages.cpp

// The open alerts of the enumeration defence this user may see, as a
// dashboard section (partner_pages.cpp); empty when there are none.
std::string AlertsSection(Env& env);

}  // namespace passwerk::web
