// Staff pages for the settlement (issue 5, docs/settlement.md): the list of
// statements with a form to settle a month, one statement with its lines, the
// reconciliation of each terminal, the close button and the reports per
// provider. Thin handlers: read the form, call settlement::SettlementService,
// render.

#include <map>
#include <string>
#include <vector>

#include "core/dates.h"
#include "http/context.h"
#include "http/router.h"
#include "settlement/settlement.h"
#include "settlement/settlement_report.h"
#include "web/areas.h"
#include "web/html.h"
#include "web/i18n.h"
#include "web/page_env.h"

namespace passwerk::web {
namespace {

bool MayView(const Env& env) { return Can(env, accounts::Action::kReadSettlement); }
bool MayRun(const Env& env) { return Can(env, accounts::Action::kRunSettlement); }

std::string PermilleText(int64_t permille, Lang lang) {
  return std::to_string(permille / 10) + (lang == Lang::kDe ? "," : ".") + std::to_string(permille % 10) + " %";
}

std::string StateBadge(Lang lang, const std::string& state) {
  return state == settlement::kStateClosed ? Badge("success", T(lang, "settle.state_closed"))
                                           : Badge("info", T(lang, "settle.state_draft"));
}

std::string BasisLabel(Lang lang, const std::string& basis) { return std::string(T(lang, "settle.basis_" + basis)); }

std::string AmountCell(std::string_view text) {
  return "<td class=\"kern-table__cell pw-nowrap\">" + Escape(text) + "</td>";
}
std::string RowHeader(std::string_view text) {
  return "<th scope=\"row\" class=\"kern-table__header\">" + Escape(text) + "</th>";
}

// The municipalities the user may see statements of, by number.
std::vector<accounts::Municipality> VisibleMunicipalities(Env& env) {
  std::vector<accounts::Municipality> out;
  auto all = env.app.accounts.ListMunicipalities();
  if (!all.ok()) return out;
  for (const auto& m : *all) {
    if (!CanIn(env, accounts::Action::kReadSettlement, m.id)) continue;
    out.push_back(m);
  }
  return out;
}

// The month before today's (Berlin): what is usually settled next.
std::string LastMonth(const Clock& clock) {
  Date today = ::passwerk::BerlinDate(clock.NowUnix());
  Date last = AddMonths(Date{today.year, today.month, 1}, -1);
  return FormatIsoDate(last).substr(0, 7);
}

// ---- /settlement ----------------------------------------------------------------

Response RenderList(Env& env, int status, const std::map<std::string, std::string>& values,
                    const std::vector<web::FieldError>& errors) {
  const Lang lang = env.lang;
  std::string body = Heading(T(lang, "settle.title"));
  body += Paragraph(T(lang, "settle.lead"));
  if (!errors.empty()) body += web::RenderErrorSummary(lang, errors);
  std::vector<accounts::Municipality> municipalities = VisibleMunicipalities(env);

  if (MayRun(env)) {
    body += SectionStart("run-heading", T(lang, "settle.run"));
    body += TextBlock(T(lang, "settle.run_hint"));
    body += "<form class=\"pw-form\" method=\"post\" action=\"/settlement\" novalidate>" +
            web::CsrfInput(env.session->csrf_token);
    auto value_of = [&](const std::string& name, const std::string& fallback) {
      auto it = values.find(name);
      return it == values.end() ? fallback : it->second;
    };
    if (municipalities.size() > 1) {
      web::SelectField m;
      m.name = "municipality";
      m.label = T(lang, "settle.f_municipality");
      m.error = MessageFor(errors, "municipality");
      m.required = true;
      web::SelectGroup group;
      for (const auto& mu : municipalities) {
        group.options.push_back({mu.municipality_number, mu.name + " (" + mu.municipality_number + ")",
                                 value_of("municipality", "") == mu.municipality_number});
      }
      m.groups.push_back(group);
      body += web::RenderSelect(m);
    } else if (municipalities.size() == 1) {
      body += "<input type=\"hidden\" name=\"municipality\" value=\"" + Escape(municipalities[0].municipality_number) +
              "\">";
    }
    web::InputField period;
    period.name = "period";
    period.type = "month";
    period.label = T(lang, "settle.f_period");
    period.hint = T(lang, "settle.f_period_hint");
    period.value = value_of("period", LastMonth(env.app.clock));
    period.error = MessageFor(errors, "period");
    period.required = true;
    period.pattern = "[0-9]{4}-[0-9]{2}";
    period.maxlength = 7;
    body += web::RenderInput(period);
    body += "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "settle.submit")) +
            "</div></form></section>\n";
  }

  body += SectionStart("statements-heading", T(lang, "settle.statements"));
  auto statements = env.app.settlement.List(ActorFor(env), 0);
  if (!statements.ok()) return ErrorFor(env, statements.status());
  if (statements->empty()) {
    body += TextBlock(T(lang, "settle.empty"));
  } else {
    body += TableStart("statements-caption", T(lang, "settle.statements_caption"),
                       {"settle.col_period", "settle.col_municipality", "settle.col_version", "settle.col_state",
                        "settle.col_revenue", "settle.col_unallocated", "settle.col_open"},
                       lang);
    for (const auto& s : *statements) {
      std::string version = std::to_string(s.version);
      if (s.corrects) version += " " + Tf(lang, "settle.corrects_short", {std::to_string(*s.corrects)});
      body += "<tr class=\"kern-table__row\">" + RowHeader(s.period) + Cell(s.municipality_name) + Cell(version) +
              "<td class=\"kern-table__cell\">" + StateBadge(lang, s.state) + "</td>" +
              AmountCell(Euro(s.revenue_cents, lang)) + AmountCell(Euro(s.unallocated_cents, lang)) +
              "<td class=\"kern-table__cell\"><a class=\"kern-link\" href=\"/settlement/statements/" +
              std::to_string(s.id) + "\" aria-label=\"" +
              Escape(Tf(lang, "settle.open_named", {s.period, std::to_string(s.version), s.municipality_name})) +
              "\">" + Escape(T(lang, "settle.open")) + "</a></td></tr>";
    }
    body += "</tbody></table></div>";
  }
  body += "</section>\n";
  return web::HtmlPage(UserChrome(env, "settlement"), status, T(lang, "settle.title"), body);
}

Response GetList(Env& env) {
  if (!MayView(env)) return Forbidden(env);
  return RenderList(env, 200, {}, {});
}

Response PostRun(Env& env) {
  const Lang lang = env.lang;
  if (!MayRun(env)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  std::map<std::string, std::string> values = {{"period", TrimSpaces(FormValue(form, "period"))},
                                               {"municipality", TrimSpaces(FormValue(form, "municipality"))}};
  std::optional<int64_t> municipality;
  for (const auto& m : VisibleMunicipalities(env)) {
    if (m.municipality_number == values["municipality"]) municipality = m.id;
  }
  if (!municipality) {
    return RenderList(env, 422, values, {{"municipality", std::string(T(lang, "settle.err_municipality"))}});
  }
  if (!settlement::PeriodDays(values["period"])) {
    return RenderList(env, 422, values, {{"period", std::string(T(lang, "settle.err_period"))}});
  }
  auto statement = env.app.settlement.Run(ActorFor(env), *municipality, values["period"]);
  if (!statement.ok()) {
    const Status& s = statement.status();
    if (s.code() == ErrorCode::kPermissionDenied) return Forbidden(env);
    if (s.code() == ErrorCode::kUnavailable) {
      return RenderList(env, 409, values, {{"", std::string(T(lang, "settle.err_busy"))}});
    }
    return ErrorFor(env, s);
  }
  return Response::Redirect("/settlement/statements/" + std::to_string(statement->id) + "?run=1");
}

// ---- /settlement/statements/{id} ---------------------------------------------------

Result<settlement::Statement> LoadFor(Env& env) {
  std::optional<int64_t> id = ParseId(env.request.path_params["id"]);
  if (!id) return NotFound("no such statement");
  return env.app.settlement.Get(ActorFor(env), *id);
}

Response GetStatement(Env& env) {
  const Lang lang = env.lang;
  if (!MayView(env)) return Forbidden(env);
  auto loaded = LoadFor(env);
  if (!loaded.ok()) return ErrorFor(env, loaded.status());
  const settlement::Statement& s = *loaded;
  const std::string id = std::to_string(s.id);
  const std::string title = Tf(lang, "settle.statement_title", {s.period, std::to_string(s.version)});
  std::string body = Heading(title);
  if (env.request.QueryParam("run")) {
    body += web::RenderAlert(web::AlertKind::kSuccess, T(lang, "settle.done_run"),
                             TextBlock(T(lang, "settle.done_run_text")));
  } else if (env.request.QueryParam("closed")) {
    body += web::RenderAlert(web::AlertKind::kSuccess, T(lang, "settle.done_closed"),
                             TextBlock(T(lang, "settle.done_closed_text")));
  }

  body += "<dl class=\"kern-description-list\">";
  body += DescriptionItem(T(lang, "settle.col_municipality"), s.municipality_name + " (" + s.municipality_number + ")");
  body += DescriptionItem(T(lang, "settle.col_period"), s.period);
  body += DescriptionItem(T(lang, "settle.col_version"), std::to_string(s.version));
  body += DescriptionItemHtml(T(lang, "settle.col_state"), StateBadge(lang, s.state));
  if (s.corrects) {
    body += DescriptionItemHtml(T(lang, "settle.corrects"),
                                "<a class=\"kern-link\" href=\"/settlement/statements/" + std::to_string(*s.corrects) +
                                    "\">" + Escape(Tf(lang, "settle.statement_no", {std::to_string(*s.corrects)})) +
                                    "</a>");
  }
  body += DescriptionItem(T(lang, "settle.computed_at"), web::FormatBerlinTime(s.created_at, lang));
  if (s.closed_at) body += DescriptionItem(T(lang, "settle.closed_at"), web::FormatBerlinTime(*s.closed_at, lang));
  body += DescriptionItem(T(lang, "settle.col_revenue"), Euro(s.revenue_cents, lang));
  body += DescriptionItem(T(lang, "settle.col_unallocated"), Euro(s.unallocated_cents, lang));
  body += "</dl>";

  if (s.state == settlement::kStateDraft && MayRun(env)) {
    body += SectionStart("close-heading", T(lang, "settle.close"));
    body += TextBlock(T(lang, "settle.close_hint"));
    body +=
        "<div class=\"pw-actions\"><form class=\"pw-inline-form\" method=\"post\" action=\"/settlement/statements/" +
        id + "/close\">" + web::CsrfInput(env.session->csrf_token) +
        web::RenderButton(web::ButtonKind::kPrimary, T(lang, "settle.close_submit")) + "</form></div></section>\n";
  } else if (s.state == settlement::kStateClosed) {
    body += TextBlock(T(lang, "settle.closed_hint"));
  }

  // Package lines: who receives what, and on which basis.
  body += SectionStart("lines-heading", T(lang, "settle.lines"));
  if (s.lines.empty()) {
    body += TextBlock(T(lang, "settle.lines_empty"));
  } else {
    std::map<std::string, int64_t> package_acceptances;
    for (const auto& l : s.lines) {
      if (l.basis == settlement::kBasisAcceptances) package_acceptances[l.package_number] += l.acceptances;
    }
    body += TableStart("lines-caption", T(lang, "settle.lines_caption"),
                       {"settle.col_package", "settle.col_provider", "settle.col_package_revenue", "settle.col_basis",
                        "settle.col_basis_value", "settle.col_amount"},
                       lang);
    for (const auto& l : s.lines) {
      std::string basis_value;
      if (l.basis == settlement::kBasisShares) basis_value = PermilleText(l.share_permille, lang);
      if (l.basis == settlement::kBasisAcceptances) {
        basis_value = Tf(lang, "settle.acceptances_of",
                         {std::to_string(l.acceptances), std::to_string(package_acceptances[l.package_number])});
      }
      std::string provider =
          l.vu_number.empty() ? std::string(T(lang, "settle.nobody")) : l.provider_name + " (VU " + l.vu_number + ")";
      body += "<tr class=\"kern-table__row\">" + RowHeader(l.package_number + " " + l.package_name) + Cell(provider) +
              AmountCell(Euro(l.package_revenue_cents, lang)) + Cell(BasisLabel(lang, l.basis)) + Cell(basis_value) +
              AmountCell(Euro(l.amount_cents, lang)) + "</tr>";
    }
    body += "<tr class=\"kern-table__row\">" + RowHeader(T(lang, "settle.total")) + Cell("") +
            AmountCell(Euro(s.revenue_cents, lang)) + Cell("") + Cell("") + AmountCell(Euro(s.revenue_cents, lang)) +
            "</tr></tbody></table></div>";
  }
  body += "</section>\n";

  // Reports per provider.
  nlohmann::json described = settlement::StatementJson(s, true);
  body += SectionStart("providers-heading", T(lang, "settle.providers"));
  body += "<p class=\"pw-actions\">" +
          LinkButton("/settlement/statements/" + id + "/export.csv", T(lang, "settle.statement_csv"), false) + "</p>";
  if (described["providers"].empty()) {
    body += TextBlock(T(lang, "settle.providers_empty"));
  } else {
    body += TableStart("providers-caption", T(lang, "settle.providers_caption"),
                       {"settle.col_provider", "settle.col_amount", "settle.col_reports"}, lang);
    for (const auto& p : described["providers"]) {
      const std::string vu = p["vu_number"].get<std::string>();
      const std::string name = p["provider"].is_null() ? vu : p["provider"].get<std::string>();
      const std::string base = "/settlement/statements/" + id + "/providers/" + vu;
      body += "<tr class=\"kern-table__row\">" + RowHeader(name + " (VU " + vu + ")") +
              AmountCell(Euro(p["amount_cents"].get<int64_t>(), lang)) +
              "<td class=\"kern-table__cell\"><a class=\"kern-link\" href=\"" + Escape(base) + ".csv\" aria-label=\"" +
              Escape(Tf(lang, "settle.csv_named", {name})) +
              "\">CSV</a> · <a class=\"kern-link\" "
              "href=\"" +
              Escape(base) + ".pdf\" aria-label=\"" + Escape(Tf(lang, "settle.pdf_named", {name})) +
              "\">PDF</a></td></tr>";
    }
    body += "</tbody></table></div>";
  }
  body += "</section>\n";

  // Kassenabgleich.
  body += SectionStart("terminals-heading", T(lang, "settle.terminals"));
  body += TextBlock(T(lang, "settle.terminals_hint"));
  if (s.terminals.empty()) {
    body += TextBlock(T(lang, "settle.terminals_empty"));
  } else {
    body += TableStart("terminals-caption", T(lang, "settle.terminals_caption"),
                       {"settle.col_tid", "settle.col_provider", "settle.col_cash", "settle.col_card",
                        "settle.col_sold", "settle.col_difference"},
                       lang);
    for (const auto& t : s.terminals) {
      std::string difference = Euro(t.difference_cents, lang);
      body += "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header\"><code>" + Escape(t.tid) +
              "</code></th>" +
              Cell((t.provider_name.empty() ? "" : t.provider_name + " ") + "(VU " + t.vu_number + ")") +
              AmountCell(Euro(t.cash_cents, lang)) + AmountCell(Euro(t.card_cents, lang)) +
              AmountCell(Euro(t.sold_cents, lang)) + "<td class=\"kern-table__cell pw-nowrap\">" +
              (t.difference_cents == 0 ? Escape(difference) : Badge("warning", difference)) + "</td></tr>";
    }
    body += "</tbody></table></div>";
  }
  body += "</section>\n";
  body += "<p class=\"pw-actions\">" + LinkButton("/settlement", T(lang, "settle.back"), false) + "</p>\n";
  return web::HtmlPage(UserChrome(env, "settlement"), 200, title, body);
}

Response PostClose(Env& env) {
  const Lang lang = env.lang;
  if (!MayRun(env)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  std::optional<int64_t> id = ParseId(env.request.path_params["id"]);
  if (!id) return web::ErrorPage(UserChrome(env, ""), 404);
  auto closed = env.app.settlement.Close(ActorFor(env), *id);
  if (!closed.ok()) {
    if (closed.status().code() == ErrorCode::kFailedPrecondition) {
      std::string body =
          Heading(T(lang, "settle.close")) +
          web::RenderAlert(web::AlertKind::kWarning, T(lang, "settle.err_closed"),
                           TextBlock(T(lang, "settle.err_closed_text"))) +
          "<p class=\"pw-actions\">" +
          LinkButton("/settlement/statements/" + std::to_string(*id), T(lang, "settle.back_statement"), false) + "</p>";
      return web::HtmlPage(UserChrome(env, "settlement"), 409, T(lang, "settle.close"), body);
    }
    return ErrorFor(env, closed.status());
  }
  return Response::Redirect("/settlement/statements/" + std::to_string(*id) + "?closed=1");
}

Response Download(std::string content_type, std::string body, const std::string& file_name) {
  Response response;
  response.status = 200;
  response.content_type = std::move(content_type);
  response.body = std::move(body);
  response.AddHeader("Content-Disposition", "attachment; filename=\"" + file_name + "\"");
  return response;
}

Response GetStatementCsv(Env& env) {
  if (!MayView(env)) return Forbidden(env);
  auto loaded = LoadFor(env);
  if (!loaded.ok()) return ErrorFor(env, loaded.status());
  return Download("text/csv; charset=utf-8", settlement::StatementCsv(*loaded),
                  settlement::ReportFileName(*loaded, "", "csv"));
}

// …/providers/100200.csv or .pdf
Response GetProviderReport(Env& env) {
  if (!MayView(env)) return Forbidden(env);
  const std::string file = env.request.path_params["file"];
  const size_t dot = file.rfind('.');
  const std::string vu = dot == std::string::npos ? "" : file.substr(0, dot);
  const std::string extension = dot == std::string::npos ? "" : file.substr(dot + 1);
  if (vu.empty() || (extension != "csv" && extension != "pdf")) return web::ErrorPage(UserChrome(env, ""), 404);
  auto loaded = LoadFor(env);
  if (!loaded.ok()) return ErrorFor(env, loaded.status());
  auto report = extension == "csv" ? settlement::ProviderCsv(*loaded, vu) : settlement::ProviderPdf(*loaded, vu);
  if (!report.ok()) return ErrorFor(env, report.status());
  return Download(extension == "csv" ? "text/csv; charset=utf-8" : "application/pdf", std::move(*report),
                  settlement::ReportFileName(*loaded, vu, extension));
}

}  // namespace

void RegisterSettlementPages(Router& router, AppContext& app) {
  router.Add("GET", "/settlement", "web_settlement", Protected(app, GetList));
  router.Add("POST", "/settlement", "web_settlement_run", Protected(app, PostRun));
  router.Add("GET", "/settlement/statements/{id}", "web_settlement_statement", Protected(app, GetStatement));
  router.Add("POST", "/settlement/statements/{id}/close", "web_settlement_close", Protected(app, PostClose));
  router.Add("GET", "/settlement/statements/{id}/export.csv", "web_settlement_csv", Protected(app, GetStatementCsv));
  router.Add("GET", "/settlement/statements/{id}/providers/{file}", "web_settlement_report",
             Protected(app, GetProviderReport));
}

}  // namespace passwerk::web
