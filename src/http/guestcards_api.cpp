// The guest-card API: registrations (Meldeschein) from landlords' software,
// the web form and CSV batches all end in guestcards::RegistrationService.
// Contract: docs/guest-cards.md and docs/openapi.yaml.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "guestcards/annual_cards.h"
#include "guestcards/logistics.h"
#include "guestcards/registration_csv.h"
#include "guestcards/registration_csv_batch.h"
#include "guestcards/registrations.h"
#include "guestcards/statistics.h"
#include "http/api_util.h"
#include "http/context.h"
#include "http/idempotency.h"
#include "http/router.h"

namespace passwerk::http {
namespace {

using json = nlohmann::json;

json ResultJson(const guestcards::RegistrationResult& r) {
  json guests = json::array();
  for (const auto& g : r.guests) {
    guests.push_back({{"nights", g.nights}, {"amount_cents", g.amount_cents}, {"reductions", g.reductions}});
  }
  json spa_tax = {{"total_cents", r.total_cents}, {"currency", "EUR"}, {"guests", guests}};
  if (r.group_members > 0) {
    spa_tax["group_members"] = {{"persons", r.group_members}, {"amount_cents", r.group_members_cents}};
  }
  json cards = json::array();
  for (const auto& c : r.cards) {
    cards.push_back({{"guest_index", c.guest_index}, {"card_number", c.card_number}, {"barcode", c.barcode}});
  }
  json out = {{"registration_number", r.registration_number}, {"spa_tax", spa_tax}, {"cards", cards}};
  if (!r.consent_id.empty()) out["marketing_consent_id"] = r.consent_id;
  return out;
}

using Registrations = std::vector<guestcards::RegistrationResult>;

json SummaryJson(const guestcards::RegistrationSummary& s) {
  json out = {{"registration_number", s.registration_number},
              {"accommodation_id", s.accommodation_id},
              {"arrival", s.arrival},
              {"departure", s.departure},
              {"adults", s.adults},
              {"children", s.children},
              {"spa_tax_total_cents", s.total_cents},
              {"state", s.state}};
  out["group_size"] = s.group_size ? json(*s.group_size) : json(nullptr);
  return out;
}

Response Register(AppContext& app, Request& request, const accounts::Actor& actor) {
  PW_API_BODY(body);
  auto input = guestcards::ParseRegistration(body);
  if (!input.ok()) return Response::Error(input.status());
  return Idempotently<Registrations>(
      app, request, actor, [&](auto* idempotent) { return app.registrations.RegisterAll(actor, {*input}, idempotent); },
      [](const Registrations& r) { return Response::Json(201, ResultJson(r.front())); });
}

Response RegistrationsAnswer(const Registrations& registrations) {
  json out = json::array();
  for (const auto& r : registrations) out.push_back(ResultJson(r));
  return Response::Json(201, {{"registrations", out}});
}

Response RegisterBatch(AppContext& app, Request& request, const accounts::Actor& actor) {
  PW_API_BODY(body);
  auto list = body.find("registrations");
  if (list == body.end() || !list->is_array() || list->empty() || list->size() > 1000) {
    return Response::Error(InvalidArgument("registrations must list 1 to 1000 registrations", "registrations"));
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "registrations") return Response::Error(InvalidArgument("unknown field " + key, key));
  }
  std::vector<guestcards::RegistrationInput> inputs;
  for (size_t i = 0; i < list->size(); ++i) {
    auto input = guestcards::ParseRegistration((*list)[i]);
    if (!input.ok()) {
      Status s = input.status();
      std::string field = "registrations[" + std::to_string(i) + "]" + (s.field().empty() ? "" : "." + s.field());
      return Response::Error(Status(s.code(), s.message()).WithField(field));
    }
    inputs.push_back(std::move(*input));
  }
  return Idempotently<Registrations>(
      app, request, actor, [&](auto* idempotent) { return app.registrations.RegisterAll(actor, inputs, idempotent); },
      RegistrationsAnswer);
}

// A 400 for a file with bad lines: the error, and every problem with line and column.
template <typename Problem>
Response ProblemsResponse(const std::vector<Problem>& problems, const Status& status) {
  json list = json::array();
  for (const auto& p : problems) list.push_back({{"line", p.line}, {"column", p.column}, {"message", p.message}});
  Response response = Response::Error(status);
  json body = json::parse(response.body, nullptr, false);
  body["problems"] = list;
  response.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return response;
}

// A CSV batch (docs/guest-cards.md): all registrations of the file, or none;
// every problem with its line and column.
Response RegisterCsv(AppContext& app, Request& request, const accounts::Actor& actor) {
  std::vector<guestcards::CsvProblem> problems;
  return Idempotently<Registrations>(
      app, request, actor,
      [&](auto* idempotent) -> Result<Registrations> {
        auto batch = guestcards::RegisterCsvBatch(app.registrations, actor, request.body, problems, idempotent);
        if (!batch.ok()) return batch.status();
        return std::move(batch->registrations);
      },
      RegistrationsAnswer,
      [&](const Status& status) {
        return problems.empty() ? Response::Error(status) : ProblemsResponse(problems, status);
      });
}

Response ListRegistrations(AppContext& app, Request& request, const accounts::Actor& actor) {
  auto limit_param = IntQueryParam(request, "limit", INT32_MIN, INT32_MAX, "limit must be a number");
  if (!limit_param.ok()) return Response::Error(limit_param.status());
  const int limit = static_cast<int>(limit_param->value_or(100));
  auto list = app.registrations.ListRegistrations(actor, limit);
  if (!list.ok()) return Response::Error(list.status());
  json out = json::array();
  for (const auto& s : *list) out.push_back(SummaryJson(s));
  return Response::Json(200, {{"registrations", out}});
}

Response GetRegistration(AppContext& app, Request& request, const accounts::Actor& actor) {
  auto details = app.registrations.GetRegistration(actor, request.path_params["number"]);
  if (!details.ok()) return Response::Error(details.status());
  json out = SummaryJson(details->summary);
  out["form"] = details->form;
  return Response::Json(200, out);
}

Response CancelRegistration(AppContext& app, Request& request, const accounts::Actor& actor) {
  Status cancelled = app.registrations.CancelRegistration(actor, request.path_params["number"]);
  if (!cancelled.ok()) return Response::Error(cancelled);
  return Response::Json(200, {{"registration_number", request.path_params["number"]}, {"state", "cancelled"}});
}

json CardStatusJson(const guestcards::CardStatus& c) {
  auto opt = [](const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); };
  auto nullable = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  json packages = json::array();
  for (const auto& p : c.packages) {
    packages.push_back({{"package_number", p.package_number},
                        {"name", p.name},
                        {"kind", p.kind},
                        {"amount_cents", p.price_cents},
                        {"state", p.state},
                        {"valid_from", p.valid_from},
                        {"valid_to", p.valid_to},
                        {"first_use", p.first_use.empty() ? json(nullptr) : json(p.first_use)},
                        {"days_left", opt(p.days_left)},
                        {"points_left", opt(p.points_left)},
                        {"uses", p.uses}});
  }
  json uses = json::array();
  for (const auto& u : c.uses) {
    uses.push_back({{"at", u.at}, {"tid", u.tid}, {"terminal", u.terminal_name}, {"kind", u.kind}});
  }
  return {{"card_number", c.card_number},
          {"card_type", c.card_type},
          {"status", c.status},
          {"stay",
           {{"arrival", c.arrival.empty() ? json(nullptr) : json(c.arrival)},
            {"departure", c.departure.empty() ? json(nullptr) : json(c.departure)}}},
          {"provisional", c.provisional_days ? json{{"days", *c.provisional_days},
                                                    {"first_use", nullable(c.first_use)},
                                                    {"valid_to", nullable(c.provisional_valid_to)}}
                                             : json(nullptr)},
          {"spa_tax",
           {{"amount_cents", c.spa_tax_cents ? json(*c.spa_tax_cents) : json(nullptr)},
            {"currency", "EUR"},
            {"place", c.place}}},
          {"packages", packages},
          {"uses", uses}};
}

// The guest proves the card with its number and the registration number (no login).
Response GuestCardStatus(AppContext& app, Request& request) {
  PW_API_BODY(body);
  std::string number, registration;
  PW_API_STRING(body, "card_number", number);
  PW_API_STRING(body, "registration_number", registration);
  if (number.size() > 32 || registration.size() > 32) {
    return Response::Error(NotFound("no such card for this registration"));
  }
  auto status = app.registrations.CardStatusForGuest(number, registration, request.request_id);
  if (!status.ok()) return Response::Error(status.status());
  return Response::Json(200, CardStatusJson(*status));
}

Response StaffCardStatus(AppContext& app, Request& request, const accounts::Actor& actor) {
  auto status = app.registrations.CardStatusForStaff(actor, request.path_params["number"]);
  if (!status.ok()) return Response::Error(status.status());
  return Response::Json(200, CardStatusJson(*status));
}

Response ReplaceGuestCard(AppContext& app, Request& request, const accounts::Actor& actor) {
  PW_API_BODY(body);
  std::string registration, reason;
  PW_API_STRING(body, "registration_number", registration);
  PW_API_STRING(body, "reason", reason);
  const std::string& number = request.path_params["number"];
  return Idempotently<guestcards::IssuedCard>(
      app, request, actor,
      [&](auto* idempotent) {
        return app.registrations.ReplaceGuestCard(actor, number, registration, reason, idempotent);
      },
      [&](const guestcards::IssuedCard& issued) {
        return Response::Json(201,
                              {{"replaces", number}, {"card_number", issued.card_number}, {"barcode", issued.barcode}});
      });
}

// POST /api/v1/card-batches?file_name=…: a production file (text/csv), all lines or none.
Response ImportProductionFile(AppContext& app, Request& request, const accounts::Actor& actor) {
  std::string file_name = request.QueryParam("file_name").value_or("upload.csv");
  if (file_name.empty() || file_name.size() > 200) {
    return Response::Error(InvalidArgument("file_name: 1 to 200 characters", "file_name"));
  }
  std::vector<guestcards::ProductionProblem> problems;
  return Idempotently<guestcards::ProductionImport>(
      app, request, actor,
      [&](auto* idempotent) {
        return app.logistics.ImportProductionFile(actor, file_name, request.body, problems, idempotent);
      },
      [](const guestcards::ProductionImport& imported) {
        return Response::Json(201, {{"batches", imported.batches}, {"cards", imported.cards}});
      },
      [&](const Status& status) {
        return problems.empty() ? Response::Error(status) : ProblemsResponse(problems, status);
      });
}

// GET /api/v1/card-stock?municipality=01055021[&status=in_stock][&limit=100]
Response ListStock(AppContext& app, Request& request, const accounts::Actor& actor) {
  std::string number = request.QueryParam("municipality").value_or("");
  auto m = app.accounts.FindMunicipality(number);
  if (!m.ok()) return Response::Error(m.status());
  auto limit_param = IntQueryParam(request, "limit", 0, 9999, "limit must be a number from 1 to 1000");
  if (!limit_param.ok()) return Response::Error(limit_param.status());
  const int limit = static_cast<int>(limit_param->value_or(100));
  auto cards = app.logistics.ListCards(actor, m->id, request.QueryParam("status").value_or(""), limit);
  if (!cards.ok()) return Response::Error(cards.status());
  json out = json::array();
  for (const auto& c : *cards) {
    out.push_back({{"card_number", c.card_number},
                   {"circulation_counter", c.circulation_counter},
                   {"card_type", c.card_type},
                   {"status", c.status},
                   {"batch_id", c.batch_id}});
  }
  return Response::Json(200, {{"cards", out}});
}

// A card handed out before the stay is known (001 §4.3): 28 days from its first use.
Response HandOutCard(AppContext& app, Request& request, const accounts::Actor& actor) {
  PW_API_BODY(body);
  std::string barcode;
  PW_API_STRING(body, "card_barcode", barcode);
  for (const auto& [key, value] : body.items()) {
    if (key != "card_barcode") return Response::Error(InvalidArgument("unknown field " + key, key));
  }
  return Idempotently<guestcards::HandedOutCard>(
      app, request, actor, [&](auto* idempotent) { return app.logistics.HandOut(actor, barcode, idempotent); },
      [](const guestcards::HandedOutCard& card) {
        return Response::Json(201, {{"card_number", card.card_number},
                                    {"card_type", card.card_type},
                                    {"status", "handed_out"},
                                    {"valid_days_from_first_use", card.valid_days}});
      });
}

Response ReinitialiseCard(AppContext& app, Request& request, const accounts::Actor& actor) {
  auto card = app.logistics.Reinitialise(actor, request.path_params["number"]);
  if (!card.ok()) return Response::Error(card.status());
  return Response::Json(200, {{"card_number", card->card_number},
                              {"circulation_counter", card->circulation_counter},
                              {"barcode", card->barcode},
                              {"status", "in_stock"}});
}

Response AnnualCardAnswer(const guestcards::AnnualCardResult& result) {
  return Response::Json(201, guestcards::AnnualCardJson(result));
}

// POST /api/v1/annual-cards: an annual card at the office (001 §2.2, §4.5).
Response IssueAnnualCard(AppContext& app, Request& request, const accounts::Actor& actor) {
  PW_API_BODY(body);
  auto input = guestcards::ParseAnnualCard(body, BerlinDate(app.clock.NowUnix()));
  if (!input.ok()) return Response::Error(input.status());
  return Idempotently<guestcards::AnnualCardResult>(
      app, request, actor, [&](auto* idempotent) { return app.annual_cards.Issue(actor, *input, idempotent); },
      AnnualCardAnswer);
}

// POST /api/v1/annual-cards/{number}/renew {"receipt_number", "year", "reductions"}
Response RenewAnnualCard(AppContext& app, Request& request, const accounts::Actor& actor) {
  PW_API_BODY(body);
  guestcards::AnnualRenewal renewal;
  PW_API_STRING(body, "receipt_number", renewal.receipt_number);
  int64_t year = 0;
  PW_API_INT(body, "year", year);
  if (year < 2000 || year > 9999) return Response::Error(InvalidArgument("year must be a year", "year"));
  renewal.year = static_cast<int>(year);
  for (const auto& [key, value] : body.items()) {
    if (key != "receipt_number" && key != "year" && key != "reductions") {
      return Response::Error(InvalidArgument("unknown field " + key, key));
    }
  }
  if (auto reductions = body.find("reductions"); reductions != body.end() && !reductions->is_null()) {
    if (!reductions->is_array() || reductions->size() > 10) {
      return Response::Error(InvalidArgument("reductions must be a list of reduction ids", "reductions"));
    }
    for (size_t i = 0; i < reductions->size(); ++i) {
      const json& r = (*reductions)[i];
      if (!r.is_string() || r.get<std::string>().empty() || r.get<std::string>().size() > 64) {
        return Response::Error(InvalidArgument("a reduction id is a string", "reductions[" + std::to_string(i) + "]"));
      }
      renewal.reductions.push_back(r.get<std::string>());
    }
  }
  return Idempotently<guestcards::AnnualCardResult>(
      app, request, actor,
      [&](auto* idempotent) {
        return app.annual_cards.Renew(actor, request.path_params["number"], renewal, idempotent);
      },
      AnnualCardAnswer);
}

Response WithdrawConsent(AppContext& app, Request& request) {
  Status withdrawn = app.registrations.WithdrawConsent(request.path_params["consent_id"], request.request_id);
  if (!withdrawn.ok()) return Response::Error(withdrawn);
  Response response;
  response.status = 204;
  return response;
}

// GET /api/v1/statistics/spa-tax?municipality=01055021&year=2026&by=month[&format=csv]
Response SpaTaxStatistics(AppContext& app, Request& request, const accounts::Actor& actor) {
  auto year = IntQueryParam(request, "year", INT32_MIN, INT32_MAX, "year must be a number");
  if (!year.ok()) return Response::Error(year.status());
  auto by = guestcards::ParseStatisticsBy(request.QueryParam("by").value_or("month"));
  if (!by) return Response::Error(InvalidArgument("by must be month, origin, age_band or accommodation", "by"));
  auto stats = app.statistics.Compute(actor, request.QueryParam("municipality").value_or(""),
                                      static_cast<int>(year->value_or(BerlinDate(app.clock.NowUnix()).year)), *by,
                                      /*accommodations_by_name=*/false);
  if (!stats.ok()) return Response::Error(stats.status());
  if (request.QueryParam("format").value_or("") == "csv") {
    Response response;
    response.status = 200;
    response.content_type = "text/csv; charset=utf-8";
    response.body = guestcards::StatisticsCsv(*stats);
    response.AddHeader("Content-Disposition",
                       "attachment; filename=\"" + guestcards::StatisticsCsvFileName(*stats) + "\"");
    return response;
  }
  auto cell_json = [](const guestcards::StatisticsCell& c) {
    json out = {{"key", c.key}, {"suppressed", c.suppressed}};
    if (!c.suppressed) {
      out["guests"] = c.guests;
      out["overnight_stays"] = c.overnight_stays;
      out["spa_tax_cents"] = c.spa_tax_cents;
    }
    return out;
  };
  json cells = json::array();
  for (const auto& c : stats->cells) cells.push_back(cell_json(c));
  return Response::Json(200, {{"municipality", stats->municipality_number},
                              {"year", stats->year},
                              {"by", guestcards::StatisticsByName(stats->by)},
                              {"min_cell_guests", guestcards::kMinCellGuests},
                              {"cells", cells},
                              {"total", cell_json(stats->total)}});
}

}  // namespace

void RegisterGuestCardApiRoutes(Router& router, AppContext& app) {
  AddTokenRoute(router, app, "POST", "/api/v1/registrations", "api.registrations.create",
                accounts::Action::kRegisterGuests,
                [&app](Request& r, const accounts::Actor& a) { return Register(app, r, a); });
  AddTokenRoute(router, app, "POST", "/api/v1/registrations/batch", "api.registrations.batch",
                accounts::Action::kRegisterGuests,
                [&app](Request& r, const accounts::Actor& a) { return RegisterBatch(app, r, a); });
  AddTokenRoute(router, app, "POST", "/api/v1/registrations/csv", "api.registrations.csv",
                accounts::Action::kRegisterGuests,
                [&app](Request& r, const accounts::Actor& a) { return RegisterCsv(app, r, a); });
  AddTokenRoute(router, app, "GET", "/api/v1/registrations", "api.registrations.list",
                accounts::Action::kReadRegistrations,
                [&app](Request& r, const accounts::Actor& a) { return ListRegistrations(app, r, a); });
  AddTokenRoute(router, app, "GET", "/api/v1/registrations/{number}", "api.registrations.get",
                accounts::Action::kRegisterGuests,
                [&app](Request& r, const accounts::Actor& a) { return GetRegistration(app, r, a); });
  AddTokenRoute(router, app, "POST", "/api/v1/registrations/{number}/cancel", "api.registrations.cancel",
                accounts::Action::kRegisterGuests,
                [&app](Request& r, const accounts::Actor& a) { return CancelRegistration(app, r, a); });
  router.Add("POST", "/api/v1/card-status", "api.card_status.guest",
             [&app](Request& r) { return GuestCardStatus(app, r); });
  AddTokenRoute(router, app, "GET", "/api/v1/guest-cards/{number}", "api.card_status.staff",
                accounts::Action::kManageGuestCards,
                [&app](Request& r, const accounts::Actor& a) { return StaffCardStatus(app, r, a); });
  AddTokenRoute(router, app, "POST", "/api/v1/guest-cards/{number}/replace", "api.guest_cards.replace",
                accounts::Action::kManageGuestCards,
                [&app](Request& r, const accounts::Actor& a) { return ReplaceGuestCard(app, r, a); });
  AddTokenRoute(router, app, "POST", "/api/v1/guest-cards/hand-out", "api.guest_cards.hand_out",
                accounts::Action::kHandOutCards,
                [&app](Request& r, const accounts::Actor& a) { return HandOutCard(app, r, a); });
  AddTokenRoute(router, app, "POST", "/api/v1/guest-cards/{number}/reinitialise", "api.guest_cards.reinitialise",
                accounts::Action::kManageGuestCards,
                [&app](Request& r, const accounts::Actor& a) { return ReinitialiseCard(app, r, a); });
  AddTokenRoute(router, app, "POST", "/api/v1/annual-cards", "api.annual_cards.issue",
                accounts::Action::kManageGuestCards,
                [&app](Request& r, const accounts::Actor& a) { return IssueAnnualCard(app, r, a); });
  AddTokenRoute(router, app, "POST", "/api/v1/annual-cards/{number}/renew", "api.annual_cards.renew",
                accounts::Action::kManageGuestCards,
                [&app](Request& r, const accounts::Actor& a) { return RenewAnnualCard(app, r, a); });
  AddTokenRoute(router, app, "POST", "/api/v1/card-batches", "api.card_stock.import",
                accounts::Action::kImportCardStock,
                [&app](Request& r, const accounts::Actor& a) { return ImportProductionFile(app, r, a); });
  AddTokenRoute(router, app, "GET", "/api/v1/card-stock", "api.card_stock.list", accounts::Action::kReadCardStock,
                [&app](Request& r, const accounts::Actor& a) { return ListStock(app, r, a); });
  AddTokenRoute(router, app, "GET", "/api/v1/statistics/spa-tax", "api.statistics.spa_tax",
                accounts::Action::kReadStatistics,
                [&app](Request& r, const accounts::Actor& a) { return SpaTaxStatistics(app, r, a); });
  router.Add("DELETE", "/api/v1/marketing-consents/{consent_id}", "api.marketing.withdraw",
             [&app](Request& r) { return WithdrawConsent(app, r); });
}

}  // namespace passwerk::http
