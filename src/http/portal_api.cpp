// The citizen side's JSON API (/api/portal/v1), for the wallet and other
// apps: the same domain functions as the portal's pages, authorised by the
// citizen session cookie (docs/portal.md).
#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "http/api_util.h"
#include "http/context.h"
#include "http/router.h"

namespace passwerk::http {
namespace {

// The citizen session behind the request's cookie, or the 401 to answer.
Result<portal::CitizenSession> CitizenFor(AppContext& app, const Request& request) {
  std::optional<std::string> token = request.Cookie(kCitizenSessionCookie);
  if (!token) return Unauthenticated("sign in to the portal first");
  return app.citizens.GetSession(*token);
}

}  // namespace

void RegisterPortalApiRoutes(Router& router, AppContext& app) {
  router.Add("GET", "/api/portal/v1/me", "portal.me", [&app](Request& request) {
    auto session = CitizenFor(app, request);
    if (!session.ok()) return Response::Error(session.status());
    return Response::Json(
        200, {{"account_id", session->account_id},
              {"assurance", accounts::AssuranceName(session->assurance)},
              {"method", portal::MethodName(session->method)},
              {"csrf_token", session->csrf_token},
              {"expires_at", FormatUtc(std::min(session->expires_at,
                                                session->last_seen_at + app.config.portal_session_idle_seconds))}});
  });
}

}  // namespace passwerk::http
