// Staff web pages. Spa-tax statistics for staff, as a chart and a CSV download.
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

#include "cards/cards.h"
#include "core/dates.h"
#include "core/numbers.h"
#include "guestcards/registrations.h"
#include "guestcards/statistics.h"
#include "web/areas.h"
#include "web/html.h"
#include "web/i18n.h"
#include "web/page_env.h"

namespace passwerk::web {
namespace {

// ---- Guest cards: spa-tax statistics (staff) and registrations (landlords) ----

struct StatisticsQuery {
  std::string municipality_number;  // empty: the user's own
  int year = 0;
  guestcards::StatisticsBy by = guestcards::StatisticsBy::kMonth;
};

// The filter from the address; what is missing or malformed takes its default
// (this year, by month, the user's own municipality or else the first).
StatisticsQuery ReadStatisticsQuery(Env& env) {
  StatisticsQuery q;
  q.year = ::passwerk::BerlinDate(env.app.clock.NowUnix()).year;
  if (auto y = env.request.QueryParam("year"))
    q.year = static_cast<int>(ParseIntegerIn(*y, 1000, 9999).value_or(q.year));
  if (auto by = guestcards::ParseStatisticsBy(env.request.QueryParam("by").value_or("month"))) q.by = *by;
  q.municipality_number = env.request.QueryParam("municipality").value_or("");
  if (q.municipality_number.empty()) q.municipality_number = env.app.statistics.DefaultMunicipality(ActorFor(env));
  return q;
}

Result<guestcards::SpaTaxStatistics> Compute(Env& env, const StatisticsQuery& q) {
  return env.app.statistics.Compute(ActorFor(env), q.municipality_number, q.year, q.by,
                                    /*accommodations_by_name=*/true);
}

// A municipality that does not exist or is not the user's: the page says there is none to show.
bool NoMunicipality(const Status& status) {
  return status.code() == ErrorCode::kNotFound || status.code() == ErrorCode::kPermissionDenied;
}

std::string StatisticsChart(const guestcards::SpaTaxStatistics& stats, Lang lang) {
  int64_t max = 0;
  for (const auto& c : stats.cells) max = std::max(max, c.suppressed ? 0 : c.overnight_stays);
  if (max == 0) return "";
  const int bar_height = 22, gap = 8, label_width = 120, chart_width = 520;
  const int height = static_cast<int>(stats.cells.size()) * (bar_height + gap) + gap;
  std::string svg = "<figure class=\"pw-chart\"><svg role=\"img\" aria-labelledby=\"chart-title\" viewBox=\"0 0 " +
                    std::to_string(label_width + chart_width + 90) + " " + std::to_string(height) +
                    "\" width=\"100%\"><title id=\"chart-title\">" + Escape(T(lang, "stats.chart_title")) + "</title>";
  int y = gap;
  for (const auto& c : stats.cells) {
    svg += "<text x=\"0\" y=\"" + std::to_string(y + 16) + "\" font-size=\"14\" fill=\"#1b1b1b\">" + Escape(c.key) +
           "</text>";
    if (c.suppressed) {
      svg += "<text x=\"" + std::to_string(label_width) + "\" y=\"" + std::to_string(y + 16) +
             "\" font-size=\"14\" fill=\"#4a4a4a\">" + Escape(T(lang, "stats.suppressed_short")) + "</text>";
    } else {
      int width = static_cast<int>(c.overnight_stays * chart_width / max);
      svg += "<rect x=\"" + std::to_string(label_width) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
             std::to_string(std::max(width, 1)) + "\" height=\"" + std::to_string(bar_height) +
             "\" fill=\"#1c4f8f\"></rect><text x=\"" + std::to_string(label_width + width + 6) + "\" y=\"" +
             std::to_string(y + 16) + "\" font-size=\"14\" fill=\"#1b1b1b\">" + std::to_string(c.overnight_stays) +
             "</text>";
    }
    y += bar_height + gap;
  }
  svg += "</svg><figcaption class=\"kern-body kern-body--small\">" + Escape(T(lang, "stats.chart_caption")) +
         "</figcaption></figure>";
  return svg;
}

std::string StatisticsQueryString(const StatisticsQuery& q) {
  return "municipality=" + q.municipality_number + "&year=" + std::to_string(q.year) +
         "&by=" + std::string(guestcards::StatisticsByName(q.by));
}

Response GetStatistics(Env& env) {
  const Lang lang = env.lang;
  if (!Can(env, accounts::Action::kReadStatistics)) return Forbidden(env);
  std::string body = Heading(T(lang, "stats.title"));
  body += Paragraph(T(lang, "stats.intro"));
  // The applications' counts have their own page (application_pages.cpp).
  if (Can(env, accounts::Action::kReadApplications)) {
    body += "<p class=\"kern-body\"><a class=\"kern-link\" href=\"/statistics/applications\">" +
            Escape(T(lang, "applications.statistics_link")) + "</a></p>\n";
  }
  const StatisticsQuery q = ReadStatisticsQuery(env);
  auto stats = Compute(env, q);
  if (!stats.ok() && NoMunicipality(stats.status())) {
    body += Paragraph(T(lang, "stats.no_municipality"));
    return web::HtmlPage(UserChrome(env, "statistics"), 200, T(lang, "stats.title"), body);
  }
  if (!stats.ok()) return ErrorFor(env, stats.status());
  const StatisticsQuery* query = &q;
  body +=
      "<form class=\"pw-filter\" method=\"get\" action=\"/statistics\" aria-labelledby=\"stats-filter\" "
      "novalidate><h2 class=\"kern-heading-small\" id=\"stats-filter\">" +
      Escape(T(lang, "stats.filter")) + "</h2><input type=\"hidden\" name=\"municipality\" value=\"" +
      Escape(stats->municipality_number) + "\">";
  web::SelectField year;
  year.name = "year";
  year.label = T(lang, "stats.year");
  year.groups.push_back({});
  int this_year = ::passwerk::BerlinDate(env.app.clock.NowUnix()).year;
  for (int y = this_year + 1; y >= this_year - 4; --y) {
    year.groups[0].options.push_back({std::to_string(y), std::to_string(y), y == query->year});
  }
  body += web::RenderSelect(year);
  web::SelectField by;
  by.name = "by";
  by.label = T(lang, "stats.by");
  by.groups.push_back({});
  for (auto b : {guestcards::StatisticsBy::kMonth, guestcards::StatisticsBy::kOrigin,
                 guestcards::StatisticsBy::kAgeBand, guestcards::StatisticsBy::kAccommodation}) {
    std::string name(guestcards::StatisticsByName(b));
    by.groups[0].options.push_back({name, std::string(T(lang, "stats.by_" + name)), b == query->by});
  }
  body += web::RenderSelect(by);
  body += "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "stats.show")) +
          "</div></form>\n";
  if (stats->cells.empty()) {
    body += Paragraph(T(lang, "stats.empty"));
    return web::HtmlPage(UserChrome(env, "statistics"), 200, T(lang, "stats.title"), body);
  }
  body += StatisticsChart(*stats, lang);
  body +=
      "<div class=\"kern-table-responsive pw-table-wrap\" role=\"region\" aria-labelledby=\"stats-caption\" "
      "tabindex=\"0\"><table class=\"kern-table kern-table--small kern-table--striped\"><caption "
      "class=\"kern-title\" id=\"stats-caption\">" +
      Escape(Tf(lang, "stats.caption", {std::to_string(query->year)})) +
      "</caption><thead><tr class=\"kern-table__row\">";
  for (std::string key :
       {"stats.by_" + std::string(guestcards::StatisticsByName(query->by)), std::string("stats.col_guests"),
        std::string("stats.col_stays"), std::string("stats.col_tax")}) {
    body += "<th scope=\"col\" class=\"kern-table__header\">" + Escape(T(lang, key)) + "</th>";
  }
  body += "</tr></thead><tbody class=\"kern-table__body\">";
  auto row = [&](const guestcards::StatisticsCell& c, const std::string& label) {
    body += "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header\">" + Escape(label) + "</th>";
    if (c.suppressed) {
      body += "<td class=\"kern-table__cell\" colspan=\"3\">" + Escape(T(lang, "stats.suppressed")) + "</td>";
    } else {
      body += "<td class=\"kern-table__cell\">" + std::to_string(c.guests) + "</td><td class=\"kern-table__cell\">" +
              std::to_string(c.overnight_stays) + "</td><td class=\"kern-table__cell\">" +
              Escape(Euro(c.spa_tax_cents, lang)) + "</td>";
    }
    body += "</tr>";
  };
  for (const auto& c : stats->cells) row(c, c.key == "unknown" ? std::string(T(lang, "stats.unknown")) : c.key);
  row(stats->total, std::string(T(lang, "stats.total")));
  body += "</tbody></table></div>\n";
  body += "<p class=\"pw-actions\">" +
          LinkButton("/statistics.csv?" + StatisticsQueryString(*query), T(lang, "stats.csv"), false) + "</p>\n";
  return web::HtmlPage(UserChrome(env, "statistics"), 200, T(lang, "stats.title"), body);
}

Response GetStatisticsCsv(Env& env) {
  if (!Can(env, accounts::Action::kReadStatistics)) return Forbidden(env);
  auto stats = Compute(env, ReadStatisticsQuery(env));
  if (!stats.ok() && NoMunicipality(stats.status())) return web::ErrorPage(UserChrome(env, ""), 404);
  if (!stats.ok()) return ErrorFor(env, stats.status());
  Response response;
  response.status = 200;
  response.content_type = "text/csv; charset=utf-8";
  response.body = guestcards::StatisticsCsv(*stats);
  response.AddHeader("Content-Disposition",
                     "attachment; filename=\"" + guestcards::StatisticsCsvFileName(*stats) + "\"");
  return response;
}

}  // namespace

void RegisterStatisticsPages(Router& router, AppContext& app) {
  router.Add("GET", "/statistics", "web_statistics", Protected(app, GetStatistics));
  router.Add("GET", "/statistics.csv", "web_statistics_csv", Protected(app, GetStatisticsCsv));
}

}  // namespace passwerk::web
