// The settlement API (docs/settlement.md): list, run and close statements,
// read one, and download a provider's report as CSV or PDF. Thin handlers
// around settlement::SettlementService; tokens need the scope settlement:read
// or settlement:write.
#include <nlohmann/json.hpp>

#include "http/api_util.h"
#include "http/context.h"
#include "http/idempotency.h"
#include "http/router.h"
#include "settlement/settlement.h"
#include "settlement/settlement_report.h"

namespace passwerk::http {
namespace {

using json = nlohmann::json;

// The municipality by number; without one, the actor's own (0: all it may see).
Result<int64_t> MunicipalityFor(AppContext& app, const accounts::Actor& actor, const std::string& number) {
  if (number.empty()) return actor.user && actor.user->municipality_id ? *actor.user->municipality_id : int64_t{0};
  PW_ASSIGN_OR_RETURN(accounts::Municipality m, app.accounts.FindMunicipality(number));
  return m.id;
}

Response Attachment(std::string content_type, std::string body, const std::string& file_name) {
  Response response;
  response.status = 200;
  response.content_type = std::move(content_type);
  response.body = std::move(body);
  response.AddHeader("Content-Disposition", "attachment; filename=\"" + file_name + "\"");
  return response;
}

Response ListStatements(AppContext& app, Request& request, const accounts::Actor& actor) {
  auto municipality = MunicipalityFor(app, actor, request.QueryParam("municipality").value_or(""));
  if (!municipality.ok()) return Response::Error(municipality.status());
  auto list = app.settlement.List(actor, *municipality);
  if (!list.ok()) return Response::Error(list.status());
  json out = json::array();
  for (const auto& s : *list) out.push_back(settlement::StatementJson(s, false));
  return Response::Json(200, {{"statements", out}});
}

// POST {"period": "2026-07", "municipality": "01055021"}: computes the draft.
Response RunStatement(AppContext& app, Request& request, const accounts::Actor& actor) {
  PW_API_BODY(body);
  for (const auto& [key, value] : body.items()) {
    if (key != "period" && key != "municipality") return Response::Error(InvalidArgument("unknown field " + key, key));
  }
  std::string period, number;
  PW_API_STRING(body, "period", period);
  PW_API_OPT_STRING(body, "municipality", number);
  auto municipality = MunicipalityFor(app, actor, number);
  if (!municipality.ok()) return Response::Error(municipality.status());
  if (*municipality == 0) return Response::Error(InvalidArgument("name the municipality", "municipality"));
  return Idempotently<settlement::Statement>(
      app, request, actor,
      [&](auto* idempotent) { return app.settlement.Run(actor, *municipality, period, idempotent); },
      [](const settlement::Statement& statement) {
        return Response::Json(201, settlement::StatementJson(statement, true));
      });
}

Response CloseStatement(AppContext& app, Request& request, const accounts::Actor& actor) {
  auto id = PathId(request, "id", "statement");
  if (!id.ok()) return Response::Error(id.status());
  auto statement = app.settlement.Close(actor, *id);
  if (!statement.ok()) return Response::Error(statement.status());
  return Response::Json(200, settlement::StatementJson(*statement, true));
}

// GET …/{id}, or with ?format=csv the whole statement as CSV.
Response GetStatement(AppContext& app, Request& request, const accounts::Actor& actor) {
  auto id = PathId(request, "id", "statement");
  if (!id.ok()) return Response::Error(id.status());
  auto statement = app.settlement.Get(actor, *id);
  if (!statement.ok()) return Response::Error(statement.status());
  const std::string format = request.QueryParam("format").value_or("json");
  if (format == "csv") {
    return Attachment("text/csv; charset=utf-8", settlement::StatementCsv(*statement),
                      settlement::ReportFileName(*statement, "", "csv"));
  }
  if (format != "json") return Response::Error(InvalidArgument("format is json or csv", "format"));
  return Response::Json(200, settlement::StatementJson(*statement, true));
}

// GET …/{id}/providers/{vu}.csv or {vu}.pdf
Response ProviderReport(AppContext& app, Request& request, const accounts::Actor& actor) {
  auto id = PathId(request, "id", "statement");
  if (!id.ok()) return Response::Error(id.status());
  const std::string& file = request.path_params["file"];
  const size_t dot = file.rfind('.');
  const std::string vu = dot == std::string::npos ? "" : file.substr(0, dot);
  const std::string extension = dot == std::string::npos ? "" : file.substr(dot + 1);
  if (vu.empty() || vu.size() > 8 || vu.find_first_not_of("0123456789") != std::string::npos ||
      (extension != "csv" && extension != "pdf")) {
    return Response::Error(NotFound("a report is …/providers/<VU number>.csv or .pdf", "provider"));
  }
  auto statement = app.settlement.Get(actor, *id);
  if (!statement.ok()) return Response::Error(statement.status());
  auto report = extension == "csv" ? settlement::ProviderCsv(*statement, vu) : settlement::ProviderPdf(*statement, vu);
  if (!report.ok()) return Response::Error(report.status());
  return Attachment(extension == "csv" ? "text/csv; charset=utf-8" : "application/pdf", std::move(*report),
                    settlement::ReportFileName(*statement, vu, extension));
}

}  // namespace

void RegisterSettlementApiRoutes(Router& router, AppContext& app) {
  AddTokenRoute(router, app, "GET", "/api/v1/settlement/statements", "api.settlement.list",
                accounts::Action::kReadSettlement,
                [&app](Request& r, const accounts::Actor& a) { return ListStatements(app, r, a); });
  AddTokenRoute(router, app, "POST", "/api/v1/settlement/statements", "api.settlement.run",
                accounts::Action::kRunSettlement,
                [&app](Request& r, const accounts::Actor& a) { return RunStatement(app, r, a); });
  AddTokenRoute(router, app, "GET", "/api/v1/settlement/statements/{id}", "api.settlement.get",
                accounts::Action::kReadSettlement,
                [&app](Request& r, const accounts::Actor& a) { return GetStatement(app, r, a); });
  AddTokenRoute(router, app, "POST", "/api/v1/settlement/statements/{id}/close", "api.settlement.close",
                accounts::Action::kRunSettlement,
                [&app](Request& r, const accounts::Actor& a) { return CloseStatement(app, r, a); });
  AddTokenRoute(router, app, "GET", "/api/v1/settlement/statements/{id}/providers/{file}", "api.settlement.report",
                accounts::Action::kReadSettlement,
                [&app](Request& r, const accounts::Actor& a) { return ProviderReport(app, r, a); });
}

}  // namespace passwerk::http
