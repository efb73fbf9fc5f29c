// The JSON API: health, readiness, metrics, and the staff API under /api/v1
// for machine clients with bearer tokens. Each handler parses, calls one
// domain function and serialises.
#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "http/api_util.h"
#include "http/context.h"
#include "http/idempotency.h"
#include "http/router.h"

namespace passwerk::http {
namespace {

using nlohmann::json;

json UserJson(const accounts::User& user) {
  return {{"id", user.id},
          {"username", user.username},
          {"display_name", user.display_name},
          {"role", accounts::RoleName(user.role)},
          {"municipality_id", user.municipality_id ? json(*user.municipality_id) : json(nullptr)},
          // The first department, for clients from before memberships; "departments" has them all.
          {"department_id", user.department_ids.empty() ? json(nullptr) : json(user.department_ids.front())},
          {"departments", user.department_ids},
          {"totp_enrolled", user.totp_enrolled},
          {"disabled", user.disabled},
          {"created_at", FormatUtc(user.created_at)}};
}

json EntryJson(const audit::AuditEntry& entry) {
  json detail = json::parse(entry.event.detail, nullptr, false);
  if (detail.is_discarded()) detail = entry.event.detail;
  return {{"seq", entry.seq},
          {"at", FormatUtc(entry.at)},
          {"actor", entry.event.actor},
          {"action", entry.event.action},
          {"object", entry.event.object},
          {"detail", detail},
          {"request_id", entry.event.request_id},
          {"entry_hash", entry.entry_hash}};
}

Response ListUsers(AppContext& app, Request&, const accounts::Actor& actor) {
  auto users = app.accounts.ListUsers(actor);
  if (!users.ok()) return Response::Error(users.status());
  json out = json::array();
  for (const auto& user : *users) out.push_back(UserJson(user));
  return Response::Json(200, {{"users", out}});
}

Response CreateUser(AppContext& app, Request& request, const accounts::Actor& actor) {
  PW_API_BODY(body);
  accounts::NewUser input;
  std::string role_text;
  PW_API_STRING(body, "username", input.username);
  PW_API_STRING(body, "display_name", input.display_name);
  PW_API_STRING(body, "role", role_text);
  auto role = accounts::ParseRole(role_text);
  if (!role)
    return Response::Error(InvalidArgument("role must be operator, municipality_admin, clerk or auditor", "role"));
  input.role = *role;
  PW_API_STRING(body, "password", input.password);
  PW_API_FIELD_(ReadOptionalInt, body, "municipality_id", false, input.municipality_id);
  PW_API_FIELD_(ReadOptionalInt, body, "department_id", false, input.department_id);
  if (auto it = body.find("departments"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return Response::Error(InvalidArgument("departments must be a list of ids", "departments"));
    for (const json& d : *it) {
      if (!d.is_number_integer()) return Response::Error(InvalidArgument("departments must be numbers", "departments"));
      input.department_ids.push_back(d.get<int64_t>());
    }
  }
  return Idempotently<accounts::User>(
      app, request, actor, [&](auto* idempotent) { return app.accounts.CreateUser(actor, input, idempotent); },
      [](const accounts::User& user) {
        Response response = Response::Json(201, UserJson(user));
        response.AddHeader("Location", "/api/v1/users/" + std::to_string(user.id));
        return response;
      });
}

Response GetUser(AppContext& app, Request& request, const accounts::Actor& actor) {
  auto id = PathId(request, "id");
  if (!id.ok()) return Response::Error(id.status());
  // Visibility follows the list rules: reuse them rather than duplicate them.
  auto users = app.accounts.ListUsers(actor);
  if (!users.ok()) return Response::Error(users.status());
  for (const auto& user : *users) {
    if (user.id == *id) return Response::Json(200, UserJson(user));
  }
  return Response::Error(NotFound("no such user"));
}

Response SetUserDisabled(AppContext& app, Request& request, const accounts::Actor& actor, bool disabled) {
  auto id = PathId(request, "id");
  if (!id.ok()) return Response::Error(id.status());
  Status status = disabled ? app.accounts.DisableUser(actor, *id) : app.accounts.EnableUser(actor, *id);
  if (!status.ok()) return Response::Error(status);
  auto user = app.accounts.GetUser(*id);
  if (!user.ok()) return Response::Error(user.status());
  return Response::Json(200, UserJson(*user));
}

Result<std::optional<int64_t>> DateParam(const Request& request, const char* name) {
  auto text = request.QueryParam(name);
  if (!text || text->empty()) return std::optional<int64_t>();
  // YYYY-MM-DD, interpreted as 00:00 UTC.
  std::tm tm{};
  if (text->size() != 10 || strptime(text->c_str(), "%Y-%m-%d", &tm) == nullptr) {
    return InvalidArgument(std::string(name) + " must be a date YYYY-MM-DD", name);
  }
  return std::optional<int64_t>(static_cast<int64_t>(timegm(&tm)));
}

Response ListAudit(AppContext& app, Request& request, const accounts::Actor& actor) {
  audit::AuditFilter filter;
  filter.action_prefix = request.QueryParam("action").value_or("");
  filter.actor = request.QueryParam("actor").value_or("");
  auto from = DateParam(request, "from");
  if (!from.ok()) return Response::Error(from.status());
  auto to = DateParam(request, "to");
  if (!to.ok()) return Response::Error(to.status());
  filter.from = *from;
  if (*to) filter.to = **to + 86400;  // inclusive end date
  auto before = IntQueryParam(request, "before", 0, INT64_MAX, "before must be a number");
  if (!before.ok()) return Response::Error(before.status());
  if (*before) filter.before_seq = **before;
  auto limit = IntQueryParam(request, "limit", 0, 999, "limit must be 1 to 500");
  if (!limit.ok()) return Response::Error(limit.status());
  if (*limit) filter.limit = static_cast<int>(**limit);
  auto entries = app.accounts.ListAudit(actor, filter);
  if (!entries.ok()) return Response::Error(entries.status());
  json out = json::array();
  for (const auto& entry : *entries) out.push_back(EntryJson(entry));
  json body = {{"entries", out}};
  if (!entries->empty() && static_cast<int>(entries->size()) == filter.limit) {
    body["next_before"] = entries->back().seq;
  }
  return Response::Json(200, body);
}

}  // namespace

void RegisterApiRoutes(Router& router, AppContext& app) {
  RegisterAccountApiRoutes(router, app);
  RegisterCardApiRoutes(router, app);
  RegisterGuestCardApiRoutes(router, app);
  RegisterTerminalApiRoutes(router, app);
  RegisterSettlementApiRoutes(router, app);
  RegisterPortalApiRoutes(router, app);
  RegisterMailboxApiRoutes(router, app);
  RegisterApplicationApiRoutes(router, app);
}

void RegisterAccountApiRoutes(Router& router, AppContext& app) {
  router.Add("GET", "/healthz", "healthz", [](Request&) {
    Response response;
    response.body = R"({"status":"ok"})";
    return response;
  });
  router.Add("GET", "/readyz", "readyz", [&app](Request&) {
    Status status = app.ready();
    if (!status.ok()) return Response::Error(Unavailable("the database is not available", status.detail()));
    return Response::Json(200, {{"status", "ready"}});
  });
  router.Add("GET", "/metrics", "metrics", [&app](Request&) {
    Response response;
    response.content_type = "text/plain; version=0.0.4";
    response.body = app.metrics.RenderPrometheus();
    return response;
  });
  router.Add("GET", "/api/v1/version", "api.version", [](Request&) {
    return Response::Json(200, {{"name", "passwerk"}, {"version", PASSWERK_VERSION}});
  });
  AddTokenRoute(router, app, "GET", "/api/v1/users", "api.users.list", accounts::Action::kReadUsers,
                [&app](Request& r, const accounts::Actor& a) { return ListUsers(app, r, a); });
  AddTokenRoute(router, app, "POST", "/api/v1/users", "api.users.create", accounts::Action::kManageUsers,
                [&app](Request& r, const accounts::Actor& a) { return CreateUser(app, r, a); });
  AddTokenRoute(router, app, "GET", "/api/v1/users/{id}", "api.users.get", accounts::Action::kReadUsers,
                [&app](Request& r, const accounts::Actor& a) { return GetUser(app, r, a); });
  AddTokenRoute(router, app, "POST", "/api/v1/users/{id}/disable", "api.users.disable", accounts::Action::kManageUsers,
                [&app](Request& r, const accounts::Actor& a) { return SetUserDisabled(app, r, a, true); });
  AddTokenRoute(router, app, "POST", "/api/v1/users/{id}/enable", "api.users.enable", accounts::Action::kManageUsers,
                [&app](Request& r, const accounts::Actor& a) { return SetUserDisabled(app, r, a, false); });
  AddTokenRoute(router, app, "GET", "/api/v1/audit", "api.audit.list", accounts::Action::kReadAudit,
                [&app](Request& r, const accounts::Actor& a) { return ListAudit(app, r, a); });
}

}  // namespace passwerk::http
