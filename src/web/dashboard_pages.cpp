// Staff web pages. The dashboard: tasks for the role, the audit count of the day, open alerts.
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

// Entries since local midnight; counted page by page, capped.
std::pair<int64_t, bool> CountAuditToday(Env& env) {
  AppContext& app = env.app;
  constexpr int kPage = 500;
  constexpr int kMaxPages = 10;
  audit::AuditFilter filter;
  filter.from = web::BerlinMidnight(web::BerlinDate(app.clock.NowUnix()));
  filter.limit = kPage;
  int64_t count = 0;
  for (int page = 0; page < kMaxPages; ++page) {
    auto entries = app.accounts.ListAudit(ActorFor(env), filter);
    if (!entries.ok()) return {-1, false};
    count += static_cast<int64_t>(entries->size());
    if (entries->size() < static_cast<size_t>(kPage)) return {count, false};
    filter.before_seq = entries->back().seq;
  }
  return {count, true};
}

std::string TaskCard(std::string_view href, std::string_view title, std::string_view text) {
  return "<li class=\"kern-card kern-card--interactive pw-task\"><div class=\"kern-card__container\">"
         "<div class=\"kern-card__header\"><h3 class=\"kern-title\"><a class=\"kern-link "
         "kern-link--stretched\" href=\"" +
         Escape(href) + "\">" + Escape(title) +
         "</a></h3></div><div class=\"kern-card__body\"><p class=\"kern-body\">" + Escape(text) +
         "</p></div></div></li>";
}

Response GetDashboard(Env& env) {
  const Lang lang = env.lang;
  const User& user = env.session->user;
  accounts::Actor actor = ActorFor(env);
  std::string name = user.display_name.empty() ? user.username : user.display_name;

  std::string body = Heading(Tf(lang, "dashboard.greeting", {name}));
  if (env.request.QueryParam("acknowledged")) {
    body += web::RenderAlert(web::AlertKind::kSuccess, T(lang, "alerts.acknowledged_title"),
                             "<p class=\"kern-body\">" + Escape(T(lang, "alerts.acknowledged")) + "</p>");
  }
  body += AlertsSection(env);
  body +=
      "<section class=\"pw-section\" aria-labelledby=\"account-heading\"><h2 "
      "class=\"kern-heading-medium\" id=\"account-heading\">" +
      Escape(T(lang, "dashboard.your_account")) + "</h2><dl class=\"kern-description-list\">";
  body += DescriptionItem(T(lang, "dashboard.role"), RoleLabel(lang, user.role));
  if (user.municipality_id) {
    auto names = MunicipalityNames(env.app);
    auto it = names.find(*user.municipality_id);
    if (it != names.end()) body += DescriptionItem(T(lang, "dashboard.municipality"), it->second);
    if (!user.department_ids.empty()) {
      if (auto departments = env.app.accounts.ListDepartments(*user.municipality_id); departments.ok()) {
        std::string joined;
        for (const accounts::Department& d : *departments) {
          if (std::find(user.department_ids.begin(), user.department_ids.end(), d.id) != user.department_ids.end()) {
            joined += (joined.empty() ? "" : ", ") + d.name;
          }
        }
        body += DescriptionItem(
            T(lang, user.department_ids.size() > 1 ? "dashboard.departments" : "dashboard.department"), joined);
      }
    }
  }
  body += "</dl></section>\n";

  using accounts::Action;
  const bool may_users = Can(env, Action::kManageUsers);
  const bool may_audit = Can(env, Action::kReadAudit);
  const bool may_cards = Can(env, Action::kReadCards);
  const bool may_partners = Can(env, Action::kManagePartners);
  body +=
      "<section class=\"pw-section\" aria-labelledby=\"tasks-heading\"><h2 "
      "class=\"kern-heading-medium\" id=\"tasks-heading\">" +
      Escape(T(lang, "dashboard.tasks")) + "</h2>";
  // Registering guests is the first task of those who register for their own
  // accommodations; the office finds registrations in the navigation.
  const bool may_register = Can(env, Action::kRegisterGuests) &&
                            accounts::RoleReach(user.role, Action::kRegisterGuests) == accounts::Reach::kOwnRecords;
  if (may_users || may_audit || may_cards || may_register) {
    body += "<ul class=\"pw-tasks\">";
    if (may_register) {
      body +=
          TaskCard("/registrations", T(lang, "dashboard.registrations_link"), T(lang, "dashboard.registrations_desc"));
    }
    if (may_cards) {
      body += TaskCard("/cards", T(lang, "dashboard.cards_link"), T(lang, "dashboard.cards_desc"));
    }
    if (may_partners) {
      body += TaskCard("/partners", T(lang, "dashboard.partners_link"), T(lang, "dashboard.partners_desc"));
    }
    if (may_users) {
      body += TaskCard("/users", T(lang, "dashboard.users_link"), T(lang, "dashboard.users_desc"));
    }
    if (accounts::Can(actor, accounts::Action::kManageDepartments)) {
      body += TaskCard("/departments", T(lang, "dashboard.departments_link"), T(lang, "dashboard.departments_desc"));
    }
    if (may_audit) {
      body += TaskCard("/audit", T(lang, "dashboard.audit_link"), T(lang, "dashboard.audit_desc"));
    }
    body += "</ul>";
  } else {
    body += "<p class=\"kern-body\">" + Escape(T(lang, "dashboard.no_tasks")) + "</p>";
  }
  body += "</section>\n";

  // Only figures the services can tell us; nothing made up.
  std::string figures;
  if (may_users) {
    if (auto users = env.app.accounts.ListUsers(actor); users.ok()) {
      int64_t active = std::count_if(users->begin(), users->end(), [](const User& u) { return !u.disabled; });
      figures += "<div class=\"pw-figure\"><dt>" + Escape(T(lang, "dashboard.user_count")) + "</dt><dd>" +
                 std::to_string(users->size()) + "</dd></div>";
      figures += "<div class=\"pw-figure\"><dt>" + Escape(T(lang, "dashboard.user_active")) + "</dt><dd>" +
                 std::to_string(active) + "</dd></div>";
    }
  }
  if (may_audit) {
    auto [count, capped] = CountAuditToday(env);
    if (count >= 0) {
      std::string value = capped ? Tf(lang, "dashboard.more_than", {std::to_string(count)}) : std::to_string(count);
      figures += "<div class=\"pw-figure\"><dt>" + Escape(T(lang, "dashboard.audit_today")) + "</dt><dd>" +
                 Escape(value) + "</dd></div>";
    }
  }
  if (!figures.empty()) {
    body +=
        "<section class=\"pw-section\" aria-labelledby=\"figures-heading\"><h2 "
        "class=\"kern-heading-medium\" id=\"figures-heading\">" +
        Escape(T(lang, "dashboard.figures")) + "</h2><dl class=\"pw-figures\">" + figures + "</dl></section>\n";
  }
  return web::HtmlPage(UserChrome(env, "dashboard"), 200, T(lang, "dashboard.title"), body);
}

}  // namespace

void RegisterDashboardPages(Router& router, AppContext& app) {
  router.Add("GET", "/dashboard", "web_dashboard", Protected(app, GetDashboard));
}

}  // namespace passwerk::web
