// Registers the embedded assets and every area of the staff UI (areas.h).
#include "web/routes.h"

#include "web/areas.h"
#include "web/assets.h"

namespace passwerk::web {

void RegisterWebRoutes(http::Router& router, http::AppContext& app) {
  for (const Asset& asset : AllAssets()) {
    const Asset* a = &asset;
    router.Add("GET", std::string(asset.url_path), "static",
               [a](http::Request& request) { return ServeAsset(*a, request); });
  }
  RegisterSignInPages(router, app);
  RegisterDashboardPages(router, app);
  RegisterUserPages(router, app);
  RegisterDepartmentPages(router, app);
  RegisterAuditPages(router, app);
  RegisterCardPages(router, app);
  RegisterPartnerPages(router, app);
  RegisterStatisticsPages(router, app);
  RegisterRegistrationPages(router, app);
  RegisterCardStockPages(router, app);
  RegisterAnnualCardPages(router, app);
  RegisterTerminalPages(router, app);
  RegisterSettlementPages(router, app);
  RegisterMailboxPages(router, app);
  RegisterApplicationPages(router, app);
  RegisterPortalPages(router, app);
  RegisterPortalSignInPages(router, app);
  RegisterPortalMailboxPages(router, app);
  RegisterPortalApplicationPages(router, app);
}

}  // namespace passwerk::web
