// Staff web pages. The audit trail for auditors: filter and page through entries.
// Thin handlers: read the form, call one domain service, render. Forms work
// without JavaScript; every POST carries a CSRF token.
#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "audit/audit_log.h"
#include "core/dates.h"
#include "web/areas.h"
#include "web/html.h"
#include "web/i18n.h"
#include "web/page_env.h"

namespace passwerk::web {
namespace {

constexpr int kAuditPageSize = 50;
// --- audit ---

std::string AuditQuery(const std::string& action, const std::string& actor, const std::string& from,
                       const std::string& to, int64_t before) {
  std::string query;
  auto add = [&](std::string_view name, const std::string& value) {
    if (value.empty()) return;
    query += query.empty() ? "?" : "&";
    query += std::string(name) + "=" + UrlEncode(value);
  };
  add("action", action);
  add("actor", actor);
  add("from", from);
  add("to", to);
  if (before > 0) add("before", std::to_string(before));
  return "/audit" + query;
}

Response GetAudit(Env& env) {
  const Lang lang = env.lang;
  if (!Can(env, accounts::Action::kReadAudit)) return Forbidden(env);
  const Request& request = env.request;
  std::string action = TrimSpaces(request.QueryParam("action").value_or(""));
  std::string actor = TrimSpaces(request.QueryParam("actor").value_or(""));
  std::string from = TrimSpaces(request.QueryParam("from").value_or(""));
  std::string to = TrimSpaces(request.QueryParam("to").value_or(""));
  int64_t before = ParseId(request.QueryParam("before").value_or("")).value_or(0);

  audit::AuditFilter filter;
  filter.action_prefix = action;
  filter.actor = actor;
  filter.before_seq = before;
  filter.limit = kAuditPageSize;
  std::vector<web::FieldError> errors;
  if (!from.empty()) {
    filter.from = web::BerlinMidnight(from);
    if (!filter.from) errors.push_back({"from", std::string(T(lang, "audit.bad_date"))});
  }
  if (!to.empty()) {
    // Inclusive end date: up to the next local midnight.
    std::optional<int64_t> start = web::BerlinMidnight(to);
    if (start) {
      filter.to = web::BerlinMidnight(web::BerlinDate(*start + 36 * 3600));
    } else {
      errors.push_back({"to", std::string(T(lang, "audit.bad_date"))});
    }
  }
  if (filter.from && filter.to && *filter.to <= *filter.from) {
    errors.push_back({"to", std::string(T(lang, "audit.bad_range"))});
  }

  auto error_for = [&](std::string_view field) {
    for (const web::FieldError& e : errors) {
      if (e.field == field) return e.message;
    }
    return std::string();
  };

  std::string body = Heading(T(lang, "audit.title"));
  body += web::RenderErrorSummary(lang, errors);
  body += Paragraph(T(lang, "audit.intro"));
  body +=
      "<form class=\"pw-filter\" method=\"get\" action=\"/audit\" role=\"search\" "
      "aria-labelledby=\"filter-heading\" novalidate><h2 class=\"kern-heading-small\" "
      "id=\"filter-heading\">" +
      Escape(T(lang, "audit.filter")) + "</h2><div class=\"pw-filter__fields\">";
  web::InputField action_field;
  action_field.name = "action";
  action_field.label = T(lang, "audit.action");
  action_field.hint = T(lang, "audit.action_hint");
  action_field.value = action;
  action_field.spellcheck_off = true;
  action_field.maxlength = 100;
  body += web::RenderInput(action_field);
  web::InputField actor_field;
  actor_field.name = "actor";
  actor_field.label = T(lang, "audit.actor");
  actor_field.hint = T(lang, "audit.actor_hint");
  actor_field.value = actor;
  actor_field.spellcheck_off = true;
  actor_field.maxlength = 100;
  body += web::RenderInput(actor_field);
  web::InputField from_field;
  from_field.name = "from";
  from_field.label = T(lang, "audit.from");
  from_field.type = "date";
  from_field.value = from;
  from_field.error = error_for("from");
  body += web::RenderInput(from_field);
  web::InputField to_field;
  to_field.name = "to";
  to_field.label = T(lang, "audit.to");
  to_field.type = "date";
  to_field.value = to;
  to_field.error = error_for("to");
  body += web::RenderInput(to_field);
  body += "</div><div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "audit.apply")) +
          "<a class=\"kern-btn kern-btn--tertiary\" href=\"/audit\"><span class=\"kern-label\">" +
          Escape(T(lang, "audit.reset")) + "</span></a></div></form>\n";

  int status = errors.empty() ? 200 : 422;
  if (errors.empty()) {
    Result<std::vector<audit::AuditEntry>> entries = env.app.accounts.ListAudit(ActorFor(env), filter);
    if (!entries.ok()) return ErrorFor(env, entries.status());
    if (entries->empty()) {
      body += "<p class=\"kern-body pw-empty\">" + Escape(T(lang, "audit.empty")) + "</p>";
    } else {
      body +=
          "<div class=\"kern-table-responsive pw-table-wrap\" role=\"region\" "
          "aria-labelledby=\"audit-caption\" tabindex=\"0\"><table class=\"kern-table "
          "kern-table--small kern-table--striped pw-audit\"><caption class=\"kern-title\" "
          "id=\"audit-caption\">" +
          Escape(T(lang, "audit.caption")) + "</caption><thead><tr class=\"kern-table__row\">";
      for (std::string_view key : {"audit.col_seq", "audit.col_time", "audit.col_actor", "audit.col_action",
                                   "audit.col_object", "audit.col_detail"}) {
        body += "<th scope=\"col\" class=\"kern-table__header\">" + Escape(T(lang, key)) + "</th>";
      }
      body += "</tr></thead><tbody class=\"kern-table__body\">";
      for (const audit::AuditEntry& e : *entries) {
        body +=
            "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header "
            "kern-table__header--numeric\">" +
            std::to_string(e.seq) +
            "</th><td class=\"kern-table__cell pw-nowrap\"><time "
            "datetime=\"" +
            Escape(FormatUtc(e.at)) + "\">" + Escape(web::FormatBerlinTime(e.at, lang)) +
            "</time></td><td class=\"kern-table__cell\">" + Escape(e.event.actor) +
            "</td><td class=\"kern-table__cell\">" + Escape(e.event.action) + "</td><td class=\"kern-table__cell\">" +
            Escape(e.event.object) + "</td><td class=\"kern-table__cell\"><code class=\"pw-detail\">" +
            Escape(e.event.detail) + "</code></td></tr>";
      }
      body += "</tbody></table></div>\n";
    }
    bool more = entries->size() == static_cast<size_t>(kAuditPageSize);
    if (more || before > 0) {
      body += "<nav class=\"pw-paging\" aria-label=\"" + Escape(T(lang, "audit.paging")) + "\"><ul>";
      if (before > 0) {
        body += "<li><a class=\"kern-link\" href=\"" + Escape(AuditQuery(action, actor, from, to, 0)) + "\">" +
                Escape(T(lang, "audit.newest")) + "</a></li>";
      }
      if (more) {
        body += "<li><a class=\"kern-link\" rel=\"next\" href=\"" +
                Escape(AuditQuery(action, actor, from, to, entries->back().seq)) + "\">" +
                Escape(T(lang, "audit.older")) + "</a></li>";
      }
      body += "</ul></nav>\n";
    }
  }
  return web::HtmlPage(UserChrome(env, "audit"), status, T(lang, "audit.title"), body);
}

}  // namespace

void RegisterAuditPages(Router& router, AppContext& app) {
  router.Add("GET", "/audit", "web_audit", Protected(app, GetAudit));
}

}  // namespace passwerk::web
