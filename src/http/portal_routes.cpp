// Routes of the citizen's JSON API: session, assurance level and CSRF checks
// before the handler runs (portal_routes.h).
#include "http/portal_routes.h"

#include <string_view>
#include <utility>

#include "core/crypto.h"
#include "http/api_util.h"

namespace passwerk::http {
namespace {

void AddRoute(Router& router, AppContext& app, std::string method, std::string pattern, std::string name,
              std::optional<accounts::CitizenService> service, CitizenHandler handler) {
  const bool write = method != "GET";
  router.Add(std::move(method), std::move(pattern), std::move(name),
             [&app, write, service, handler = std::move(handler)](Request& request) {
               auto session = CitizenOf(app, request);
               if (!session.ok()) return Response::Error(session.status());
               if (service &&
                   accounts::DecideCitizenAccess(session->assurance, *service) != accounts::CitizenAccess::kAllowed) {
                 return Response::Error(PermissionDenied("this needs a sign-in at a higher assurance level"));
               }
               if (write) {
                 auto header = request.Header("x-csrf-token");
                 if (!header || !crypto::ConstantTimeEquals(*header, session->csrf_token)) {
                   return Response::Error(
                       PermissionDenied("send the session's csrf_token (GET /api/portal/v1/me) as X-CSRF-Token"));
                 }
               }
               return handler(request, *session);
             });
}

}  // namespace

Result<portal::CitizenSession> CitizenOf(AppContext& app, const Request& request) {
  std::optional<std::string> token = request.Cookie(kCitizenSessionCookie);
  if (!token) return Unauthenticated("sign in to the portal first");
  return app.citizens.GetSession(*token);
}

void AddCitizenRoute(Router& router, AppContext& app, std::string method, std::string pattern, std::string name,
                     accounts::CitizenService service, CitizenHandler handler) {
  AddRoute(router, app, std::move(method), std::move(pattern), std::move(name), service, std::move(handler));
}

void AddCitizenSessionRoute(Router& router, AppContext& app, std::string method, std::string pattern, std::string name,
                            CitizenHandler handler) {
  AddRoute(router, app, std::move(method), std::move(pattern), std::move(name), std::nullopt, std::move(handler));
}

accounts::Actor IdempotencyActor(const portal::CitizenSession& session) {
  accounts::Actor actor;
  actor.id = "citizen:" + session.account_id;
  return actor;
}

Response DocumentResponse(const portal::Document& document) {
  Response response;
  response.status = 200;
  response.content_type = document.type;
  response.body = document.data;
  response.AddHeader("Content-Disposition", AttachmentDisposition(document.name));
  response.AddHeader("Cache-Control", "private, no-store");
  return response;
}

bool IsUpload(std::string_view method, std::string_view target) {
  if (method != "POST") return false;
  std::string_view path = target.substr(0, target.find('?'));
  auto starts = [&](std::string_view prefix) { return path.substr(0, prefix.size()) == prefix; };
  auto ends = [&](std::string_view suffix) {
    return path.size() > suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
  };
  // `prefix` + one segment + `suffix`, as a route `prefix{id}suffix` matches.
  auto one_below = [&](std::string_view prefix, std::string_view suffix) {
    if (!starts(prefix) || !ends(suffix) || path.size() <= prefix.size() + suffix.size()) return false;
    std::string_view id = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
    return id.find('/') == std::string_view::npos;
  };
  // The routes that take files, and only those: a message in a thread, a
  // new question or an answer from the pages; an application's evidence.
  if (starts("/api/portal/v1/threads/") || starts("/api/v1/threads/")) return ends("/messages");
  if (path == "/portal/mailbox/new") return true;
  if (starts("/portal/mailbox/") || starts("/mailbox/")) return ends("/reply");
  if (one_below("/api/portal/v1/applications/", "/documents")) return true;
  if (one_below("/portal/applications/", "/upload")) return true;
  return false;
}

Response NoContent() {
  Response response;
  response.status = 204;
  return response;
}

}  // namespace passwerk::http
