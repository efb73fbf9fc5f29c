// The card registry API for staff clients and the partner check contract
// (POST /api/v1/checks, docs/partner-check.md). Handlers parse, call one
// domain function, serialise.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "cards/card_number.h"
#include "core/json_text.h"
#include "http/api_util.h"
#include "http/check_body.h"
#include "http/context.h"
#include "http/idempotency.h"
#include "http/router.h"

namespace passwerk::http {
namespace {

using nlohmann::json;

json CardJson(const cards::Card& card, const std::string& scheme_slug) {
  json j = {{"card_number", card.card_number},
            {"circulation_counter", card.circulation_counter},
            {"scheme", scheme_slug},
            {"discount_class", card.discount_class},
            {"state", cards::CardStateName(card.state)},
            {"valid_from", FormatIsoDate(card.valid_from)},
            {"valid_until", FormatIsoDate(card.valid_until)}};
  if (!card.block_reason.empty()) j["reason"] = card.block_reason;
  if (!card.replaced_by.empty()) j["replaced_by"] = card.replaced_by;
  return j;
}

json SchemeJson(const cards::Scheme& s) {
  json j = {{"id", s.slug},
            {"scheme_code", s.scheme_code},
            {"municipality_id", s.municipality_id},
            {"department", s.department_id},
            {"kind", cards::SchemeKindName(s.kind)},
            {"name", s.name},
            {"validity", cards::ValidityRuleName(s.rule)},
            {"discount_classes", s.discount_classes},
            {"name_part_letters", s.name_part_letters},
            {"partner_checks", s.partner_checks}};
  if (s.amount > 0) j["validity_amount"] = s.amount;
  if (s.fixed_from) j["valid_from"] = FormatIsoDate(*s.fixed_from);
  if (s.fixed_until) j["valid_until"] = FormatIsoDate(*s.fixed_until);
  return j;
}

std::string SlugOf(AppContext& app, int64_t scheme_id) {
  auto scheme = app.cards.GetScheme(scheme_id);
  return scheme.ok() ? scheme->slug : std::string();
}

Response CreateScheme(AppContext& app, Request& request, const accounts::Actor& actor) {
  PW_API_BODY(body);
  cards::NewScheme input;
  PW_API_STRING(body, "id", input.slug);
  PW_API_STRING(body, "name", input.name);
  std::string kind, validity = "calendar_year";
  PW_API_STRING(body, "kind", kind);
  auto parsed_kind = cards::ParseSchemeKind(kind);
  if (!parsed_kind)
    return Response::Error(InvalidArgument("kind is social_pass, volunteer_card or guest_card", "kind"));
  input.kind = *parsed_kind;
  PW_API_INT(body, "municipality_id", input.municipality_id);
  PW_API_FIELD_(ReadOptionalInt, body, "department", false, input.department_id);
  PW_API_OPT_STRING(body, "validity", validity);
  auto rule = cards::ParseValidityRule(validity);
  if (!rule) {
    return Response::Error(InvalidArgument("validity is calendar_year, days, months, years or fixed", "validity"));
  }
  input.rule = *rule;
  int64_t amount = 0, letters = 3;
  PW_API_OPT_INT(body, "validity_amount", amount);
  input.amount = static_cast<int>(std::clamp<int64_t>(amount, -1, 100000));
  PW_API_OPT_INT(body, "name_part_letters", letters);
  input.name_part_letters = static_cast<int>(std::clamp<int64_t>(letters, -1, 1000));
  std::string from, until;
  PW_API_OPT_STRING(body, "valid_from", from);
  PW_API_OPT_STRING(body, "valid_until", until);
  if (!from.empty()) {
    input.fixed_from = ParseIsoDate(from);
    if (!input.fixed_from) return Response::Error(InvalidArgument("valid_from must be YYYY-MM-DD", "valid_from"));
  }
  if (!until.empty()) {
    input.fixed_until = ParseIsoDate(until);
    if (!input.fixed_until) return Response::Error(InvalidArgument("valid_until must be YYYY-MM-DD", "valid_until"));
  }
  if (auto it = body.find("discount_classes"); it != body.end()) {
    if (!it->is_array()) return Response::Error(InvalidArgument("discount_classes must be a list", "discount_classes"));
    input.discount_classes.clear();
    for (const json& c : *it) {
      if (!c.is_string()) {
        return Response::Error(InvalidArgument("discount_classes must be strings", "discount_classes"));
      }
      input.discount_classes.push_back(c.get<std::string>());
    }
  }
  if (auto it = body.find("partner_checks"); it != body.end()) {
    if (!it->is_boolean())
      return Response::Error(InvalidArgument("partner_checks must be true or false", "partner_checks"));
    input.partner_checks = it->get<bool>();
  }
  return Idempotently<cards::Scheme>(
      app, request, actor, [&](auto* idempotent) { return app.cards.CreateScheme(actor, input, idempotent); },
      [](const cards::Scheme& scheme) { return Response::Json(201, SchemeJson(scheme)); });
}

Response ListSchemes(AppContext& app, Request&, const accounts::Actor& actor) {
  // A clerk sees the schemes of their departments, an administrator their municipality's.
  auto schemes = app.cards.ListSchemes(actor, accounts::Action::kReadSchemes);
  if (!schemes.ok()) return Response::Error(schemes.status());
  json out = json::array();
  for (const auto& s : *schemes) out.push_back(SchemeJson(s));
  return Response::Json(200, {{"schemes", out}});
}

Response IssueCard(AppContext& app, Request& request, const accounts::Actor& actor) {
  PW_API_BODY(body);
  std::string slug;
  PW_API_STRING(body, "scheme", slug);
  auto scheme = app.cards.FindScheme(slug);
  if (!scheme.ok()) return Response::Error(InvalidArgument("no such scheme", "scheme"));
  cards::NewCard input;
  input.scheme_id = scheme->id;
  auto holder_it = body.find("holder");
  if (holder_it == body.end() || !holder_it->is_object()) {
    return Response::Error(InvalidArgument("holder must be an object", "holder"));
  }
  const json& holder = *holder_it;
  PW_API_STRING(holder, "family_name", input.holder.family_name);
  PW_API_STRING(holder, "given_name", input.holder.given_name);
  PW_API_STRING(holder, "birth_date", input.holder.birth_date);
  PW_API_OPT_STRING(holder, "street", input.holder.street);
  PW_API_OPT_STRING(holder, "postal_code", input.holder.postal_code);
  PW_API_OPT_STRING(holder, "city", input.holder.city);
  PW_API_OPT_STRING(body, "discount_class", input.discount_class);
  PW_API_OPT_STRING(body, "card_number", input.card_number);
  std::string from;
  PW_API_OPT_STRING(body, "valid_from", from);
  if (!from.empty()) {
    input.valid_from = ParseIsoDate(from);
    if (!input.valid_from) return Response::Error(InvalidArgument("valid_from must be YYYY-MM-DD", "valid_from"));
  }
  return Idempotently<cards::Card>(
      app, request, actor, [&](auto* idempotent) { return app.cards.IssueCard(actor, input, idempotent); },
      [&](const cards::Card& card) {
        Response response = Response::Json(201, CardJson(card, scheme->slug));
        response.AddHeader("Location", "/api/v1/cards/" + card.card_number);
        return response;
      });
}

Response GetCard(AppContext& app, Request& request, const accounts::Actor& actor) {
  auto details = app.cards.GetCard(actor, request.path_params.at("number"));
  if (!details.ok()) return Response::Error(details.status());
  json out = CardJson(details->card, SlugOf(app, details->card.scheme_id));
  out["holder"] = {{"family_name", details->holder.family_name}, {"given_name", details->holder.given_name},
                   {"birth_date", details->holder.birth_date},   {"street", details->holder.street},
                   {"postal_code", details->holder.postal_code}, {"city", details->holder.city}};
  json history = json::array();
  for (const auto& e : details->history) {
    json detail = json::parse(e.detail, nullptr, false);
    history.push_back({{"at", FormatUtc(e.at)}, {"kind", e.kind}, {"detail", detail}, {"actor", e.actor}});
  }
  out["history"] = history;
  return Response::Json(200, out);
}

Response ChangeCard(AppContext& app, Request& request, const accounts::Actor& actor, cards::CardAction action) {
  std::string reason;
  if (action != cards::CardAction::kRenew) {
    PW_API_BODY(body);
    PW_API_STRING(body, "reason", reason);
  }
  // The answer is rendered inside the write transaction (for its key): the
  // scheme names are read before, not from within it.
  auto schemes = app.cards.ListSchemes();
  if (!schemes.ok()) return Response::Error(schemes.status());
  auto answer = [&](const cards::Card& card) {
    std::string slug;
    for (const auto& s : *schemes) {
      if (s.id == card.scheme_id) slug = s.slug;
    }
    return Response::Json(action == cards::CardAction::kReplace ? 201 : 200, CardJson(card, slug));
  };
  auto apply = [&](storage::Idempotent<cards::Card>* idempotent) {
    return app.cards.Apply(actor, request.path_params.at("number"), action, reason, idempotent);
  };
  // Replacing and renewing create or extend a card: a retry must not do it twice.
  if (action == cards::CardAction::kReplace || action == cards::CardAction::kRenew) {
    return Idempotently<cards::Card>(app, request, actor, apply, answer);
  }
  auto card = apply(nullptr);
  if (!card.ok()) return Response::Error(card.status());
  return answer(*card);
}

// The check answer as nlohmann writes it (keys sorted), built directly.
std::string CheckAnswerJson(const checks::CheckAnswer& answer) {
  std::string out;
  out.reserve(128);
  if (answer.valid) {
    out += "{\"discount\":";
    AppendJsonString(out, answer.discount);
    out += ",\"scheme\":";
    AppendJsonString(out, answer.scheme);
    out += ",\"valid\":true,\"valid_until\":";
    AppendJsonString(out, answer.valid_until);
  } else {
    out += "{\"reason\":";
    AppendJsonString(out, answer.reason);
    out += ",\"valid\":false";
  }
  out += '}';
  return out;
}

// The partner check. Answers are deliberately uniform: see docs/partner-check.md.
Response Check(AppContext& app, Request& request) {
  auto header = request.Header("authorization");
  std::string secret;
  if (header && header->size() > 7 && header->substr(0, 7) == "Bearer ") secret = std::string(header->substr(7));
  auto key = app.checks.Authenticate(secret);
  if (!key.ok()) {
    if (key.status().code() != ErrorCode::kUnauthenticated) return Response::Error(key.status());
    Response response = Response::Error(key.status());
    response.AddHeader("WWW-Authenticate", "Bearer realm=\"passwerk-partner-check\"");
    return response;
  }
  std::string allow_origin;
  if (key->kind == checks::KeyKind::kPublishable) {
    // Publishable keys live in web pages: only the partner's registered origins may use them.
    auto origin = request.Header("origin");
    bool allowed = origin && std::find(key->origins.begin(), key->origins.end(), *origin) != key->origins.end();
    if (!allowed) return Response::Error(PermissionDenied("this key may be used only from the partner's web pages"));
    allow_origin = std::string(*origin);
  }
  auto with_cors = [&](Response response) {
    if (!allow_origin.empty()) {
      response.AddHeader("Access-Control-Allow-Origin", allow_origin);
      response.AddHeader("Vary", "Origin");
    }
    return response;
  };
  if (int64_t wait = app.checks.TakeToken(key->key_id); wait > 0) {
    Response response = with_cors(Response::Error(ResourceExhausted("too many checks; slow down")));
    response.AddHeader("Retry-After", std::to_string(wait));
    return response;
  }
  CheckBody body;
  if (Status read = ReadCheckBody(request, body); !read.ok()) return with_cors(Response::Error(read));
  const std::string& number = body.card_number;
  auto answer = app.checks.Check(*key, number, body.name, body.date);
  if (!answer.ok()) return with_cors(Response::Error(answer.status()));
  if (key->kind == checks::KeyKind::kServer) {
    // The hot path: the same bytes nlohmann would write, without building a json object.
    Response response;
    response.status = 200;
    response.content_type = "application/json";
    response.body = CheckAnswerJson(*answer);
    return response;
  }
  json out;
  if (answer->valid) {
    out = {{"valid", true},
           {"scheme", answer->scheme},
           {"discount", answer->discount},
           {"valid_until", answer->valid_until}};
  } else {
    out = {{"valid", false}, {"reason", answer->reason}};
  }
  // The browser hands the signed verdict to the partner's server, which verifies it offline (JWKS).
  if (key->kind == checks::KeyKind::kPublishable)
    out["verdict"] = app.checks.SignVerdict(app.verdicts, *key, number, *answer);
  return with_cors(Response::Json(200, out));
}

Response CheckPreflight(Request& request) {
  // CORS preflight for the widget; the real request re-checks the origin against the key.
  Response response;
  response.status = 204;
  auto origin = request.Header("origin");
  if (origin) {
    response.AddHeader("Access-Control-Allow-Origin", std::string(*origin));
    response.AddHeader("Access-Control-Allow-Methods", "POST");
    response.AddHeader("Access-Control-Allow-Headers", "Authorization, Content-Type");
    response.AddHeader("Access-Control-Max-Age", "600");
    response.AddHeader("Vary", "Origin");
  }
  response.content_type.clear();
  return response;
}

}  // namespace

void RegisterCardApiRoutes(Router& router, AppContext& app) {
  router.Add("POST", "/api/v1/checks", "api.checks", [&app](Request& r) { return Check(app, r); });
  router.Add("GET", "/.well-known/jwks.json", "jwks", [&app](Request&) {
    Response response;
    response.body = app.verdicts.Jwks();
    response.AddHeader("Cache-Control", "public, max-age=3600");
    response.AddHeader("Access-Control-Allow-Origin", "*");
    return response;
  });
  router.Add("OPTIONS", "/api/v1/checks", "api.checks.preflight", [](Request& r) { return CheckPreflight(r); });
  AddTokenRoute(router, app, "GET", "/api/v1/schemes", "api.schemes.list", accounts::Action::kReadSchemes,
                [&app](Request& r, const accounts::Actor& a) { return ListSchemes(app, r, a); });
  AddTokenRoute(router, app, "POST", "/api/v1/schemes", "api.schemes.create", accounts::Action::kManageSchemes,
                [&app](Request& r, const accounts::Actor& a) { return CreateScheme(app, r, a); });
  AddTokenRoute(router, app, "POST", "/api/v1/cards", "api.cards.issue", accounts::Action::kManageCards,
                [&app](Request& r, const accounts::Actor& a) { return IssueCard(app, r, a); });
  AddTokenRoute(router, app, "GET", "/api/v1/cards/{number}", "api.cards.get", accounts::Action::kReadCards,
                [&app](Request& r, const accounts::Actor& a) { return GetCard(app, r, a); });
  for (cards::CardAction action : cards::kCardActions) {
    const std::string name(cards::CardActionName(action));
    AddTokenRoute(router, app, "POST", "/api/v1/cards/{number}/" + name, "api.cards." + name,
                  accounts::Action::kManageCards,
                  [&app, action](Request& r, const accounts::Actor& a) { return ChangeCard(app, r, a, action); });
  }
}

}  // namespace passwerk::http
