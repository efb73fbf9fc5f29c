// The terminal protocol, version 1 (docs/terminal-protocol.md), and the staff
// API for the catalogue, the terminal registry, acceptance conflicts and refused transactions.
// Handlers parse and answer; the rules live in src/terminals.
#include <nlohmann/json.hpp>

#include "core/crypto.h"
#include "http/api_util.h"
#include "http/context.h"
#include "http/idempotency.h"
#include "http/router.h"
#include "terminals/terminal_key.h"
#include "terminals/transaction_parsing.h"

namespace passwerk::http {
namespace {

using json = nlohmann::json;

// ---- Terminal side -----------------------------------------------------------

Result<terminals::TerminalSession> AuthenticateTerminal(AppContext& app, const Request& request) {
  auto header = request.Header("authorization");
  if (!header || header->size() < 8 || header->substr(0, 7) != "Bearer ") {
    return Unauthenticated("a terminal session is required: log in first");
  }
  return app.terminals.Authenticate(std::string(header->substr(7)));
}

#define PW_TERMINAL(name)                         \
  auto name = AuthenticateTerminal(app, request); \
  if (!name.ok()) return Unauthorized(name.status())

Response TerminalChallenge(AppContext& app, Request& request) {
  PW_API_BODY(body);
  std::string tid;
  PW_API_STRING(body, "tid", tid);
  auto challenge = app.terminals.Challenge(tid);
  if (!challenge.ok()) return Response::Error(challenge.status());
  return Response::Json(200, {{"challenge", *challenge}, {"expires_in", 60}});
}

Response TerminalLogin(AppContext& app, Request& request) {
  PW_API_BODY(body);
  std::string tid, challenge, signature;
  PW_API_STRING(body, "tid", tid);
  PW_API_STRING(body, "challenge", challenge);
  PW_API_STRING(body, "signature", signature);
  auto login = app.terminals.Login(tid, challenge, signature);
  if (!login.ok()) return Unauthorized(login.status());
  const auto& t = login->terminal;
  auto last = app.transactions.LastBookingNumber(t.tid);
  if (!last.ok()) return Response::Error(last.status());
  return Response::Json(200, {{"session", login->session},
                              {"expires_in", t.expires_at - app.clock.NowUnix()},
                              {"protocol", terminals::kProtocolVersion},
                              {"last_booking_number", *last},
                              {"terminal",
                               {{"tid", t.tid},
                                {"vu_number", t.vu_number},
                                {"kind", t.kind},
                                {"municipality_number", t.municipality_number}}}});
}

json PackageJson(const terminals::Package& p) {
  const terminals::PackageRule& r = p.rule;
  auto opt = [](int64_t v) { return v == 0 ? json(nullptr) : json(v); };
  return {{"package_number", r.package_number},
          {"kind", terminals::PackageKindName(r.kind)},
          {"name", r.name},
          {"price_cents", r.price_cents},
          {"sale_from", FormatIsoDate(r.sale_from)},
          {"sale_to", FormatIsoDate(r.sale_to)},
          {"validity_days", opt(r.validity_days)},
          {"days", opt(r.days)},
          {"window_days", opt(r.window_days)},
          {"points", opt(r.points)},
          {"services", r.service_numbers}};
}

json ServiceJson(const terminals::Service& s) {
  return {{"service_number", s.service_number}, {"name", s.name}, {"vu_number", s.vu_number}, {"points", s.points}};
}

std::string UtcNow(int64_t now) {
  Date day = CivilFromDays(now / 86400);
  int64_t rest = now % 86400;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02dZ", FormatIsoDate(day).c_str(), static_cast<int>(rest / 3600),
                static_cast<int>(rest / 60 % 60), static_cast<int>(rest % 60));
  return buf;
}

Response TerminalSyncData(AppContext& app, Request& request) {
  PW_TERMINAL(terminal);
  auto catalogue = app.catalogue.Load(terminal->municipality_id);
  if (!catalogue.ok()) return Response::Error(catalogue.status());
  auto data = app.transactions.SyncDataFor(*terminal);
  if (!data.ok()) return Response::Error(data.status());
  json services = json::array();
  for (const auto& [number, s] : catalogue->services) services.push_back(ServiceJson(s));
  json packages = json::array();
  for (const auto& [number, p] : catalogue->packages) {
    if (p.active) packages.push_back(PackageJson(p));
  }
  json blocked = json::array();
  for (const auto& b : data->blocked_cards) {
    blocked.push_back({{"card_number", b.card_number}, {"circulation_counter", b.circulation_counter}});
  }
  return Response::Json(200, {{"protocol", terminals::kProtocolVersion},
                              {"as_of", UtcNow(app.clock.NowUnix())},
                              {"municipality_number", data->municipality_number},
                              {"operators", terminal->operators},
                              {"services", services},
                              {"packages", packages},
                              {"blocked_cards", blocked}});
}

Response TerminalUpload(AppContext& app, Request& request) {
  PW_TERMINAL(terminal);
  if (Status content = RequireJsonBody(request); !content.ok()) return Response::Error(content);
  auto batch = terminals::ParseBatch(request.body);
  if (!batch.ok()) return Response::Error(batch.status());
  auto outcomes = app.transactions.Upload(*terminal, *batch, request.request_id);
  if (!outcomes.ok()) return Response::Error(outcomes.status());
  // Written directly, not through a json tree per entry (a thousand per
  // upload); only the free texts need escaping. Keys in alphabetical order, as always.
  auto text = [](const std::string& s) { return json(s).dump(-1, ' ', false, json::error_handler_t::replace); };
  std::string out = "{\"results\":[";
  out.reserve(outcomes->size() * 48);
  for (const auto& o : *outcomes) {
    if (out.back() == '}') out += ',';
    out += "{\"booking_number\":" + std::to_string(o.booking_number);
    if (!o.conflict.empty()) out += ",\"conflict\":" + text(o.conflict);
    if (!o.reason.empty()) out += ",\"reason\":" + text(o.reason);
    if (o.refusal != terminals::Refusal::kNone) {
      out += ",\"refusal\":\"";
      out += terminals::RefusalName(o.refusal);
      out += '"';
    }
    out += ",\"result\":\"";
    out += terminals::UploadResultName(o.result);
    out += "\"}";
  }
  out += "]}";
  Response response;
  response.status = 200;
  response.content_type = "application/json";
  response.body = std::move(out);
  return response;
}

Response TerminalAccept(AppContext& app, Request& request) {
  PW_TERMINAL(terminal);
  if (Status content = RequireJsonBody(request); !content.ok()) return Response::Error(content);
  auto parsed = terminals::ParseAcceptanceRequest(request.body);
  if (!parsed.ok()) return Response::Error(parsed.status());
  auto answer = app.transactions.Accept(*terminal, *parsed, request.request_id);
  if (!answer.ok()) return Response::Error(answer.status());
  bool allowed = answer->denial == terminals::Denial::kNone;
  json out = {{"decision", allowed ? "allowed" : "denied"},
              {"booking_number", parsed->booking_number},
              {"result", allowed ? terminals::UploadResultName(answer->result) : "not_recorded"},
              {"package_number", answer->package_number.empty() ? json(nullptr) : json(answer->package_number)},
              {"remaining",
               {{"days_left", answer->days_left ? json(*answer->days_left) : json(nullptr)},
                {"points_left", answer->points_left ? json(*answer->points_left) : json(nullptr)},
                {"valid_to", answer->valid_to ? json(FormatIsoDate(*answer->valid_to)) : json(nullptr)}}}};
  if (!allowed) out["reason"] = terminals::DenialName(answer->denial);
  return Response::Json(200, out);
}

// ---- Staff side ------------------------------------------------------------------

// The municipality a staff request means: ?municipality=NUMBER (or "municipality"
// in the body), else the user's own.
Result<int64_t> MunicipalityOf(AppContext& app, const accounts::Actor& actor, const std::string& number) {
  PW_ASSIGN_OR_RETURN(accounts::Municipality m, app.accounts.MunicipalityFor(actor, number));
  return m.id;
}

Response ListCatalogue(AppContext& app, Request& request, const accounts::Actor& actor) {
  auto municipality = MunicipalityOf(app, actor, request.QueryParam("municipality").value_or(""));
  if (!municipality.ok()) return Response::Error(municipality.status());
  auto snapshot = app.catalogue.Snapshot(actor, *municipality);
  if (!snapshot.ok()) return Response::Error(snapshot.status());
  json providers = json::array();
  auto list = app.catalogue.ListProviders(actor);
  if (!list.ok()) return Response::Error(list.status());
  for (const auto& p : *list) {
    if (p.municipality_id == *municipality) providers.push_back({{"vu_number", p.vu_number}, {"name", p.name}});
  }
  json services = json::array();
  for (const auto& [number, s] : snapshot->services) services.push_back(ServiceJson(s));
  json packages = json::array();
  for (const auto& [number, p] : snapshot->packages) {
    json j = PackageJson(p);
    j["active"] = p.active;
    json shares = json::array();
    for (const auto& s : p.shares) shares.push_back({{"vu_number", s.vu_number}, {"share_permille", s.share_permille}});
    j["shares"] = shares;
    packages.push_back(std::move(j));
  }
  return Response::Json(200, {{"providers", providers}, {"services", services}, {"packages", packages}});
}

Response CreateProvider(AppContext& app, Request& request, const accounts::Actor& actor) {
  PW_API_BODY(body);
  std::string municipality_number, vu_number, name;
  PW_API_OPT_STRING(body, "municipality", municipality_number);
  PW_API_STRING(body, "vu_number", vu_number);
  PW_API_STRING(body, "name", name);
  auto municipality = MunicipalityOf(app, actor, municipality_number);
  if (!municipality.ok()) return Response::Error(municipality.status());
  return Idempotently<terminals::Provider>(
      app, request, actor,
      [&](auto* idempotent) { return app.catalogue.CreateProvider(actor, *municipality, vu_number, name, idempotent); },
      [](const terminals::Provider& provider) {
        return Response::Json(201, {{"vu_number", provider.vu_number}, {"name", provider.name}});
      });
}

Response CreateService(AppContext& app, Request& request, const accounts::Actor& actor) {
  PW_API_BODY(body);
  std::string municipality_number;
  terminals::NewService input;
  PW_API_OPT_STRING(body, "municipality", municipality_number);
  PW_API_STRING(body, "service_number", input.service_number);
  PW_API_STRING(body, "vu_number", input.vu_number);
  PW_API_STRING(body, "name", input.name);
  std::optional<int64_t> points;
  PW_API_FIELD_(ReadOptionalInt, body, "points", false, points);
  input.points = points.value_or(1);
  auto municipality = MunicipalityOf(app, actor, municipality_number);
  if (!municipality.ok()) return Response::Error(municipality.status());
  return Idempotently<terminals::Service>(
      app, request, actor,
      [&](auto* idempotent) { return app.catalogue.CreateService(actor, *municipality, input, idempotent); },
      [](const terminals::Service& service) { return Response::Json(201, ServiceJson(service)); });
}

Status ReadPackage(const json& body, terminals::NewPackage& p) {
  PW_RETURN_IF_ERROR(ReadString(body, "package_number", true, p.package_number));
  PW_RETURN_IF_ERROR(ReadString(body, "kind", true, p.kind));
  PW_RETURN_IF_ERROR(ReadString(body, "name", true, p.name));
  PW_RETURN_IF_ERROR(ReadInt(body, "price_cents", true, p.price_cents));
  PW_RETURN_IF_ERROR(ReadString(body, "sale_from", true, p.sale_from));
  PW_RETURN_IF_ERROR(ReadString(body, "sale_to", true, p.sale_to));
  std::optional<int64_t> v;
  PW_RETURN_IF_ERROR(ReadOptionalInt(body, "validity_days", false, v));
  p.validity_days = v.value_or(0);
  v.reset();
  PW_RETURN_IF_ERROR(ReadOptionalInt(body, "days", false, v));
  p.days = v.value_or(0);
  v.reset();
  PW_RETURN_IF_ERROR(ReadOptionalInt(body, "window_days", false, v));
  p.window_days = v.value_or(0);
  v.reset();
  PW_RETURN_IF_ERROR(ReadOptionalInt(body, "points", false, v));
  p.points = v.value_or(0);
  auto services = body.find("services");
  if (services == body.end() || !services->is_array()) {
    return InvalidArgument("services must list service numbers", "services");
  }
  for (const auto& s : *services) {
    if (!s.is_string()) return InvalidArgument("services must list service numbers", "services");
    p.services.push_back(s.get<std::string>());
  }
  auto shares = body.find("shares");
  if (shares != body.end() && !shares->is_null()) {
    if (!shares->is_array()) return InvalidArgument("shares is a list of {vu_number, share_permille}", "shares");
    for (const auto& s : *shares) {
      terminals::PackageShare share;
      if (!s.is_object() || !ReadString(s, "vu_number", true, share.vu_number).ok() ||
          !ReadInt(s, "share_permille", true, share.share_permille).ok()) {
        return InvalidArgument("shares is a list of {vu_number, share_permille}", "shares");
      }
      p.shares.push_back(share);
    }
  }
  for (const auto& [key, value] : body.items()) {
    static const std::set<std::string> kKnown = {
        "municipality",  "package_number", "kind",        "name",   "price_cents", "sale_from", "sale_to",
        "validity_days", "days",           "window_days", "points", "services",    "shares"};
    if (!kKnown.count(key)) return InvalidArgument("unknown field " + key, key);
  }
  return Status::Ok();
}

Response CreatePackage(AppContext& app, Request& request, const accounts::Actor& actor) {
  PW_API_BODY(body);
  std::string municipality_number;
  PW_API_OPT_STRING(body, "municipality", municipality_number);
  terminals::NewPackage input;
  Status read = ReadPackage(body, input);
  if (!read.ok()) return Response::Error(read);
  auto municipality = MunicipalityOf(app, actor, municipality_number);
  if (!municipality.ok()) return Response::Error(municipality.status());
  return Idempotently<terminals::Package>(
      app, request, actor,
      [&](auto* idempotent) { return app.catalogue.CreatePackage(actor, *municipality, input, idempotent); },
      [](const terminals::Package& package) {
        json out = PackageJson(package);
        out["active"] = true;
        return Response::Json(201, out);
      });
}

Response SetPackageActive(AppContext& app, Request& request, const accounts::Actor& actor, bool active) {
  auto municipality = MunicipalityOf(app, actor, request.QueryParam("municipality").value_or(""));
  if (!municipality.ok()) return Response::Error(municipality.status());
  Status status = app.catalogue.SetPackageActive(actor, *municipality, request.path_params["number"], active);
  if (!status.ok()) return Response::Error(status);
  return Response::Json(200, {{"package_number", request.path_params["number"]}, {"active", active}});
}

json TerminalJson(const terminals::Terminal& t) {
  return {{"tid", t.tid},
          {"vu_number", t.vu_number},
          {"kind", t.kind},
          {"name", t.name},
          {"active", t.active},
          {"operators", t.operators},
          {"public_key", crypto::Base64Encode(t.public_key)}};
}

Response ListTerminals(AppContext& app, Request&, const accounts::Actor& actor) {
  auto list = app.terminals.ListTerminals(actor);
  if (!list.ok()) return Response::Error(list.status());
  json out = json::array();
  for (const auto& t : *list) out.push_back(TerminalJson(t));
  return Response::Json(200, {{"terminals", out}});
}

Response RegisterTerminal(AppContext& app, Request& request, const accounts::Actor& actor) {
  PW_API_BODY(body);
  terminals::NewTerminal input;
  std::string public_key;
  PW_API_STRING(body, "tid", input.tid);
  PW_API_STRING(body, "vu_number", input.vu_number);
  PW_API_STRING(body, "kind", input.kind);
  PW_API_OPT_STRING(body, "name", input.name);
  PW_API_STRING(body, "public_key", public_key);
  auto key = terminals::DecodePublicKey(public_key);
  if (!key.ok()) return Response::Error(key.status());
  input.public_key = *key;
  if (auto ops = body.find("operators"); ops != body.end() && !ops->is_null()) {
    if (!ops->is_array()) return Response::Error(InvalidArgument("operators lists operator numbers", "operators"));
    for (const auto& o : *ops) {
      if (!o.is_string()) return Response::Error(InvalidArgument("operators lists operator numbers", "operators"));
      input.operators.push_back(o.get<std::string>());
    }
  }
  return Idempotently<terminals::Terminal>(
      app, request, actor, [&](auto* idempotent) { return app.terminals.RegisterTerminal(actor, input, idempotent); },
      [](const terminals::Terminal& terminal) { return Response::Json(201, TerminalJson(terminal)); });
}

Response SetTerminalActive(AppContext& app, Request& request, const accounts::Actor& actor, bool active) {
  Status status = app.terminals.SetActive(actor, request.path_params["tid"], active);
  if (!status.ok()) return Response::Error(status);
  return Response::Json(200, {{"tid", request.path_params["tid"]}, {"active", active}});
}

Response TerminalTotals(AppContext& app, Request& request, const accounts::Actor& actor) {
  auto totals = app.transactions.Totals(actor, request.path_params["tid"]);
  if (!totals.ok()) return Response::Error(totals.status());
  return Response::Json(200, {{"tid", totals->tid},
                              {"transactions", totals->transactions},
                              {"payments_cents", totals->payments_cents},
                              {"by_kind", totals->by_kind}});
}

Response ListConflicts(AppContext& app, Request& request, const accounts::Actor& actor) {
  auto limit_param = IntQueryParam(request, "limit", INT32_MIN, INT32_MAX, "limit must be a number");
  if (!limit_param.ok()) return Response::Error(limit_param.status());
  const int limit = static_cast<int>(limit_param->value_or(100));
  auto conflicts = app.transactions.Conflicts(actor, limit);
  if (!conflicts.ok()) return Response::Error(conflicts.status());
  json out = json::array();
  for (const auto& c : *conflicts) {
    out.push_back({{"id", c.id}, {"card_number", c.card_number}, {"at", c.at}, {"kind", c.kind}, {"detail", c.detail}});
  }
  return Response::Json(200, {{"conflicts", out}});
}

Response ListRefused(AppContext& app, Request& request, const accounts::Actor& actor) {
  auto municipality = MunicipalityOf(app, actor, request.QueryParam("municipality").value_or(""));
  if (!municipality.ok()) return Response::Error(municipality.status());
  auto limit_param = IntQueryParam(request, "limit", INT32_MIN, INT32_MAX, "limit must be a number");
  if (!limit_param.ok()) return Response::Error(limit_param.status());
  auto refused = app.transactions.Refused(actor, *municipality, static_cast<int>(limit_param->value_or(100)));
  if (!refused.ok()) return Response::Error(refused.status());
  json out = json::array();
  for (const auto& r : *refused) {
    out.push_back({{"tid", r.tid},
                   {"booking_number", r.booking_number},
                   {"kind", r.kind},
                   {"occurred_on", r.occurred_on},
                   {"refusal", r.refusal},
                   {"reason", r.reason},
                   {"amount_cents", r.amount_cents ? json(*r.amount_cents) : json(nullptr)},
                   {"received_at", r.received_at}});
  }
  return Response::Json(200, {{"refused_transactions", out}});
}

}  // namespace

void RegisterTerminalApiRoutes(Router& router, AppContext& app) {
  auto bind = [&app](Response (*handler)(AppContext&, Request&)) {
    return [&app, handler](Request& request) { return handler(app, request); };
  };
  router.Add("POST", "/api/terminal/v1/challenge", "api.terminal.challenge", bind(TerminalChallenge));
  router.Add("POST", "/api/terminal/v1/login", "api.terminal.login", bind(TerminalLogin));
  router.Add("GET", "/api/terminal/v1/sync-data", "api.terminal.sync_data", bind(TerminalSyncData));
  router.Add("POST", "/api/terminal/v1/transactions", "api.terminal.transactions", bind(TerminalUpload));
  router.Add("POST", "/api/terminal/v1/acceptances", "api.terminal.acceptance", bind(TerminalAccept));

  AddTokenRoute(router, app, "GET", "/api/v1/catalogue", "api.catalogue", accounts::Action::kReadCatalogue,
                [&app](Request& r, const accounts::Actor& a) { return ListCatalogue(app, r, a); });
  AddTokenRoute(router, app, "POST", "/api/v1/providers", "api.providers.create", accounts::Action::kManageCatalogue,
                [&app](Request& r, const accounts::Actor& a) { return CreateProvider(app, r, a); });
  AddTokenRoute(router, app, "POST", "/api/v1/services", "api.services.create", accounts::Action::kManageCatalogue,
                [&app](Request& r, const accounts::Actor& a) { return CreateService(app, r, a); });
  AddTokenRoute(router, app, "POST", "/api/v1/packages", "api.packages.create", accounts::Action::kManageCatalogue,
                [&app](Request& r, const accounts::Actor& a) { return CreatePackage(app, r, a); });
  AddTokenRoute(
      router, app, "POST", "/api/v1/packages/{number}/stop", "api.packages.stop", accounts::Action::kManageCatalogue,
      [&app](Request& request, const accounts::Actor& a) { return SetPackageActive(app, request, a, false); });
  AddTokenRoute(router, app, "POST", "/api/v1/packages/{number}/resume", "api.packages.resume",
                accounts::Action::kManageCatalogue,
                [&app](Request& request, const accounts::Actor& a) { return SetPackageActive(app, request, a, true); });
  AddTokenRoute(router, app, "GET", "/api/v1/terminals", "api.terminals.list", accounts::Action::kReadTerminals,
                [&app](Request& r, const accounts::Actor& a) { return ListTerminals(app, r, a); });
  AddTokenRoute(router, app, "POST", "/api/v1/terminals", "api.terminals.register", accounts::Action::kManageTerminals,
                [&app](Request& r, const accounts::Actor& a) { return RegisterTerminal(app, r, a); });
  AddTokenRoute(router, app, "POST", "/api/v1/terminals/{tid}/disable", "api.terminals.disable",
                accounts::Action::kManageTerminals, [&app](Request& request, const accounts::Actor& a) {
                  return SetTerminalActive(app, request, a, false);
                });
  AddTokenRoute(
      router, app, "POST", "/api/v1/terminals/{tid}/enable", "api.terminals.enable", accounts::Action::kManageTerminals,
      [&app](Request& request, const accounts::Actor& a) { return SetTerminalActive(app, request, a, true); });
  AddTokenRoute(router, app, "GET", "/api/v1/terminals/{tid}/totals", "api.terminals.totals",
                accounts::Action::kReadTerminalData,
                [&app](Request& r, const accounts::Actor& a) { return TerminalTotals(app, r, a); });
  AddTokenRoute(router, app, "GET", "/api/v1/acceptance-conflicts", "api.acceptance_conflicts",
                accounts::Action::kReadTerminalData,
                [&app](Request& r, const accounts::Actor& a) { return ListConflicts(app, r, a); });
  AddTokenRoute(router, app, "GET", "/api/v1/refused-transactions", "api.refused_transactions",
                accounts::Action::kReadTerminalData,
                [&app](Request& r, const accounts::Actor& a) { return ListRefused(app, r, a); });
}

}  // namespace passwerk::http
