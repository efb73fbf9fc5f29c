// Staff pages for terminals and the catalogue (issue 5): the terminal
// registry with its keys, the acceptance conflicts (double use found when
// offline acceptances arrive), the transactions refused by the catalogue's
// rules, and the catalogue of providers, services and
// packages. Thin handlers: read the form, call one terminals:: service, render.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "core/money.h"
#include "http/context.h"
#include "http/router.h"
#include "terminals/terminal_key.h"
#include "web/areas.h"
#include "web/html.h"
#include "web/i18n.h"
#include "web/page_env.h"

namespace passwerk::web {
namespace {

bool MayView(const Env& env) { return Can(env, accounts::Action::kReadTerminals); }
bool MayManage(const Env& env) { return Can(env, accounts::Action::kManageTerminals); }

std::optional<int64_t> ParseCount(const std::string& text) {
  std::string t = TrimSpaces(text);
  if (t.empty()) return int64_t{0};
  return ParseId(t);
}

std::string InlineAction(Env& env, const std::string& action, std::string_view label, const std::string& aria) {
  return "<form class=\"pw-inline-form\" method=\"post\" action=\"" + Escape(action) + "\">" +
         web::CsrfInput(env.session->csrf_token) +
         web::RenderButton(web::ButtonKind::kSecondary, label, "aria-label=\"" + Escape(aria) + "\"") + "</form>";
}

web::InputField Input(Lang lang, const std::string& name, const std::string& label_key,
                      const std::map<std::string, std::string>& values, const std::vector<web::FieldError>& errors,
                      int maxlength, bool required = true) {
  web::InputField f;
  f.name = name;
  f.label = T(lang, label_key);
  auto it = values.find(name);
  if (it != values.end()) f.value = it->second;
  f.error = MessageFor(errors, name);
  f.maxlength = maxlength;
  f.required = required;
  f.autocomplete = "off";
  return f;
}

// A domain error on a form field, in the page's language.
web::FieldError FieldErrorFor(Lang lang, const Status& s, const std::string& prefix) {
  std::string field = s.field().empty() ? "" : s.field();
  std::string key = prefix + ".err." + (s.code() == ErrorCode::kAlreadyExists ? "taken" : field);
  std::string_view text = T(lang, key);
  if (text == key) text = T(lang, "term.err.generic");
  return {field, std::string(text)};
}

std::string KindLabel(Lang lang, const std::string& kind) { return std::string(T(lang, "term.kind." + kind)); }

// ---- /terminals ----------------------------------------------------------------

Response RenderTerminals(Env& env, int status, const std::map<std::string, std::string>& values,
                         const std::vector<web::FieldError>& errors, const std::string& notice) {
  const Lang lang = env.lang;
  std::string body = Heading(T(lang, "term.title"));
  body += Paragraph(T(lang, "term.lead"));
  body += notice;
  if (!errors.empty()) body += web::RenderErrorSummary(lang, errors);
  accounts::Actor actor = ActorFor(env);
  auto terminals = env.app.terminals.ListTerminals(actor);
  if (!terminals.ok()) return ErrorFor(env, terminals.status());
  body += SectionStart("terminals-heading", T(lang, "term.registry"));
  if (terminals->empty()) {
    body += TextBlock(T(lang, "term.empty"));
  } else {
    body += TableStart(
        "terminals-caption", T(lang, "term.registry_caption"),
        {"term.col_tid", "term.col_provider", "term.col_kind", "term.col_name", "term.col_status", "term.col_action"},
        lang);
    for (const auto& t : *terminals) {
      body += "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header\"><code>" + Escape(t.tid) +
              "</code></th>" + Cell(t.vu_number) + Cell(KindLabel(lang, t.kind)) + Cell(t.name) +
              "<td class=\"kern-table__cell\">" +
              (t.active ? Badge("success", T(lang, "term.active")) : Badge("danger", T(lang, "term.disabled"))) +
              "</td><td class=\"kern-table__cell kern-table__cell--action\">";
      if (MayManage(env)) {
        std::string verb = t.active ? "disable" : "enable";
        body += InlineAction(env, "/terminals/" + t.tid + "/" + verb, T(lang, "term." + verb),
                             Tf(lang, "term." + verb + "_named", {t.tid}));
      }
      body += "</td></tr>";
    }
    body += "</tbody></table></div>";
  }
  body += "</section>\n";

  if (MayManage(env)) {
    auto providers = env.app.catalogue.ListProviders(actor);
    if (!providers.ok()) return ErrorFor(env, providers.status());
    body += SectionStart("register-heading", T(lang, "term.register"));
    if (providers->empty()) {
      body += TextBlock(T(lang, "term.no_providers")) + "<p class=\"pw-actions\">" +
              LinkButton("/catalogue", T(lang, "term.to_catalogue"), false) + "</p></section>\n";
    } else {
      body += TextBlock(T(lang, "term.register_hint"));
      body += "<form class=\"pw-form\" method=\"post\" action=\"/terminals\" novalidate>" +
              web::CsrfInput(env.session->csrf_token);
      auto tid = Input(lang, "tid", "term.f_tid", values, errors, 32);
      tid.hint = T(lang, "term.f_tid_hint");
      tid.spellcheck_off = true;
      body += web::RenderInput(tid);
      web::SelectField provider;
      provider.name = "vu_number";
      provider.label = T(lang, "term.f_provider");
      provider.error = MessageFor(errors, "vu_number");
      provider.required = true;
      web::SelectGroup group;
      for (const auto& p : *providers) {
        bool selected = values.count("vu_number") && values.at("vu_number") == p.vu_number;
        group.options.push_back({p.vu_number, p.name + " (VU " + p.vu_number + ")", selected});
      }
      provider.groups.push_back(group);
      body += web::RenderSelect(provider);
      web::SelectField kind;
      kind.name = "kind";
      kind.label = T(lang, "term.f_kind");
      kind.error = MessageFor(errors, "kind");
      kind.required = true;
      web::SelectGroup kinds;
      for (const auto& k : terminals::TerminalKinds()) {
        kinds.options.push_back({k, KindLabel(lang, k), values.count("kind") && values.at("kind") == k});
      }
      kind.groups.push_back(kinds);
      body += web::RenderSelect(kind);
      body += web::RenderInput(Input(lang, "name", "term.f_name", values, errors, 200, false));
      auto key = Input(lang, "public_key", "term.f_public_key", values, errors, 64);
      key.hint = T(lang, "term.f_public_key_hint");
      key.spellcheck_off = true;
      body += web::RenderInput(key);
      auto ops = Input(lang, "operators", "term.f_operators", values, errors, 200, false);
      ops.hint = T(lang, "term.f_operators_hint");
      body += web::RenderInput(ops);
      body += "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "term.submit")) +
              "</div></form></section>\n";
    }
  }

  auto conflicts = env.app.transactions.Conflicts(actor, 50);
  if (!conflicts.ok()) return ErrorFor(env, conflicts.status());
  body += SectionStart("conflicts-heading", T(lang, "term.conflicts"));
  body += TextBlock(T(lang, "term.conflicts_lead"));
  if (conflicts->empty()) {
    body += TextBlock(T(lang, "term.conflicts_empty"));
  } else {
    body += TableStart(
        "conflicts-caption", T(lang, "term.conflicts_caption"),
        {"term.col_time", "term.col_card", "term.col_conflict", "term.col_tid", "term.col_booking", "term.col_service"},
        lang);
    for (const auto& c : *conflicts) {
      auto text = [&](const char* k) {
        auto it = c.detail.find(k);
        if (it == c.detail.end()) return std::string();
        return it->is_string() ? it->get<std::string>() : it->dump();
      };
      body += "<tr class=\"kern-table__row\">" + Cell(web::FormatBerlinTime(c.at, lang)) +
              "<td class=\"kern-table__cell\"><code>" + Escape(c.card_number) + "</code></td>" +
              Cell(T(lang, "term.conflict." + c.kind)) + Cell(text("tid")) + Cell(text("booking_number")) +
              Cell(text("service_number")) + "</tr>";
    }
    body += "</tbody></table></div>";
  }
  body += "</section>\n";

  // Refused by the catalogue's rules: kept aside, never settled, without card references.
  auto municipality =
      PageMunicipality(env, env.request.QueryParam("municipality").value_or(""), accounts::Action::kReadTerminalData);
  if (municipality) {
    auto refused = env.app.transactions.Refused(actor, municipality->id, 50);
    if (!refused.ok()) return ErrorFor(env, refused.status());
    body += SectionStart("refused-heading", T(lang, "term.refused"));
    body += TextBlock(T(lang, "term.refused_lead"));
    if (refused->empty()) {
      body += TextBlock(T(lang, "term.refused_empty"));
    } else {
      body +=
          TableStart("refused-caption", T(lang, "term.refused_caption"),
                     {"term.col_tid", "term.col_booking", "term.col_day", "term.col_refusal", "term.col_amount"}, lang);
      for (const auto& r : *refused) {
        auto day = ParseIsoDate(r.occurred_on);
        body += "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header\"><code>" + Escape(r.tid) +
                "</code></th>" + Cell(std::to_string(r.booking_number)) +
                Cell(day ? (lang == Lang::kDe ? FormatGermanDate(*day) : FormatIsoDate(*day)) : r.occurred_on) +
                Cell(T(lang, "term.refusal." + r.refusal)) + Cell(r.amount_cents ? Euro(*r.amount_cents, lang) : "") +
                "</tr>";
      }
      body += "</tbody></table></div>";
    }
    body += "</section>\n";
  }
  return web::HtmlPage(UserChrome(env, "terminals"), status, T(lang, "term.title"), body);
}

Response GetTerminals(Env& env) {
  if (!MayView(env)) return Forbidden(env);
  std::string notice;
  if (env.request.QueryParam("registered")) {
    notice = web::RenderAlert(web::AlertKind::kSuccess, T(env.lang, "term.registered"), "");
  }
  return RenderTerminals(env, 200, {}, {}, notice);
}

Response PostTerminals(Env& env) {
  const Lang lang = env.lang;
  if (!MayManage(env)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  std::map<std::string, std::string> values;
  for (const char* f : {"tid", "vu_number", "kind", "name", "public_key", "operators"}) {
    values[f] = TrimSpaces(FormValue(form, f));
  }
  terminals::NewTerminal input{values["tid"], values["vu_number"], values["kind"], values["name"], "", {}};
  auto key = terminals::DecodePublicKey(values["public_key"]);
  if (!key.ok())
    return RenderTerminals(env, 422, values, {{"public_key", std::string(T(lang, "term.err.public_key"))}}, "");
  input.public_key = *key;
  std::string ops = values["operators"];
  std::replace(ops.begin(), ops.end(), ',', ' ');
  for (size_t pos = 0; pos < ops.size();) {
    size_t end = ops.find(' ', pos);
    std::string op = ops.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (!op.empty()) input.operators.push_back(op);
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  auto created = env.app.terminals.RegisterTerminal(ActorFor(env), input);
  if (!created.ok()) {
    const Status& s = created.status();
    if (s.code() == ErrorCode::kPermissionDenied) return Forbidden(env);
    if (s.code() != ErrorCode::kInvalidArgument && s.code() != ErrorCode::kAlreadyExists &&
        s.code() != ErrorCode::kNotFound) {
      return ErrorFor(env, s);
    }
    return RenderTerminals(env, s.code() == ErrorCode::kAlreadyExists ? 409 : 422, values,
                           {FieldErrorFor(lang, s, "term")}, "");
  }
  return Response::Redirect("/terminals?registered=1");
}

Response PostTerminalState(Env& env, bool active) {
  if (!MayManage(env)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  Status s = env.app.terminals.SetActive(ActorFor(env), env.request.path_params["tid"], active);
  if (!s.ok()) {
    if (s.code() == ErrorCode::kPermissionDenied) return Forbidden(env);
    return ErrorFor(env, s);
  }
  return Response::Redirect("/terminals");
}

// ---- /catalogue ----------------------------------------------------------------

std::string PackageKindLabel(Lang lang, terminals::PackageKind kind) {
  return std::string(T(lang, "cat.kind." + std::string(terminals::PackageKindName(kind))));
}

std::string PackageRules(Lang lang, const terminals::PackageRule& r) {
  using terminals::PackageKind;
  switch (r.kind) {
    case PackageKind::kBase:
      return std::string(T(lang, "cat.rule_base"));
    case PackageKind::kDaysOf:
      return Tf(lang, "cat.rule_days_of",
                {std::to_string(r.days), std::to_string(r.window_days), std::to_string(r.validity_days)});
    case PackageKind::kPoints:
      return Tf(lang, "cat.rule_points", {std::to_string(r.points), std::to_string(r.validity_days)});
    default:
      return Tf(lang, "cat.rule_validity", {std::to_string(r.validity_days)});
  }
}

Response RenderCatalogue(Env& env, int status, const std::string& form_name,
                         const std::map<std::string, std::string>& values, const std::vector<web::FieldError>& errors,
                         const std::string& notice) {
  const Lang lang = env.lang;
  auto municipality =
      PageMunicipality(env, env.request.QueryParam("municipality").value_or(""), accounts::Action::kReadTerminals);
  if (!municipality) return Forbidden(env);
  accounts::Actor actor = ActorFor(env);
  auto snapshot = env.app.catalogue.Snapshot(actor, municipality->id);
  if (!snapshot.ok()) return ErrorFor(env, snapshot.status());
  auto providers = env.app.catalogue.ListProviders(actor);
  if (!providers.ok()) return ErrorFor(env, providers.status());
  std::erase_if(*providers, [&](const auto& p) { return p.municipality_id != municipality->id; });
  const bool manage = MayManage(env);
  const std::string q = "?municipality=" + municipality->municipality_number;
  auto errors_of = [&](const std::string& name) { return form_name == name ? errors : std::vector<web::FieldError>{}; };
  auto values_of = [&](const std::string& name) {
    return form_name == name ? values : std::map<std::string, std::string>{};
  };

  std::string body = Heading(T(lang, "cat.title"));
  body += Paragraph(Tf(lang, "cat.lead", {municipality->name}));
  body += notice;
  if (!errors.empty()) body += web::RenderErrorSummary(lang, errors);

  // Providers
  body += SectionStart("providers-heading", T(lang, "cat.providers"));
  if (providers->empty()) {
    body += TextBlock(T(lang, "cat.providers_empty"));
  } else {
    body += TableStart("providers-caption", T(lang, "cat.providers_caption"), {"cat.col_vu", "cat.col_name"}, lang);
    for (const auto& p : *providers) {
      body += "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header\">" + Escape(p.vu_number) +
              "</th>" + Cell(p.name) + "</tr>";
    }
    body += "</tbody></table></div>";
  }
  if (manage) {
    auto v = values_of("provider");
    auto e = errors_of("provider");
    body += "<form class=\"pw-form\" method=\"post\" action=\"/catalogue/providers" + q + "\" novalidate>" +
            web::CsrfInput(env.session->csrf_token) + "<h3 class=\"kern-heading-small\">" +
            Escape(T(lang, "cat.new_provider")) + "</h3>";
    body += web::RenderInput(Input(lang, "provider_vu_number", "cat.f_vu", v, e, 8));
    body += web::RenderInput(Input(lang, "provider_name", "cat.f_provider_name", v, e, 200));
    body += "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kSecondary, T(lang, "cat.add_provider")) +
            "</div></form>";
  }
  body += "</section>\n";

  // Services
  body += SectionStart("services-heading", T(lang, "cat.services"));
  if (snapshot->services.empty()) {
    body += TextBlock(T(lang, "cat.services_empty"));
  } else {
    body += TableStart("services-caption", T(lang, "cat.services_caption"),
                       {"cat.col_service", "cat.col_name", "cat.col_vu", "cat.col_points"}, lang);
    for (const auto& [number, s] : snapshot->services) {
      body += "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header\">" + Escape(number) +
              "</th>" + Cell(s.name) + Cell(s.vu_number) + Cell(std::to_string(s.points)) + "</tr>";
    }
    body += "</tbody></table></div>";
  }
  if (manage && !providers->empty()) {
    auto v = values_of("service");
    auto e = errors_of("service");
    body += "<form class=\"pw-form\" method=\"post\" action=\"/catalogue/services" + q + "\" novalidate>" +
            web::CsrfInput(env.session->csrf_token) + "<h3 class=\"kern-heading-small\">" +
            Escape(T(lang, "cat.new_service")) + "</h3>";
    body += web::RenderInput(Input(lang, "service_number", "cat.f_service_number", v, e, 8));
    web::SelectField provider;
    provider.name = "service_vu_number";
    provider.label = T(lang, "cat.f_provider");
    provider.error = MessageFor(e, "service_vu_number");
    provider.required = true;
    web::SelectGroup group;
    for (const auto& p : *providers) {
      group.options.push_back(
          {p.vu_number, p.name, v.count("service_vu_number") && v.at("service_vu_number") == p.vu_number});
    }
    provider.groups.push_back(group);
    body += web::RenderSelect(provider);
    body += web::RenderInput(Input(lang, "service_name", "cat.f_service_name", v, e, 200));
    auto points = Input(lang, "service_points", "cat.f_points", v, e, 5, false);
    points.hint = T(lang, "cat.f_points_hint");
    points.inputmode = "numeric";
    body += web::RenderInput(points);
    body += "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kSecondary, T(lang, "cat.add_service")) +
            "</div></form>";
  }
  body += "</section>\n";

  // Packages
  body += SectionStart("packages-heading", T(lang, "cat.packages"));
  if (snapshot->packages.empty()) {
    body += TextBlock(T(lang, "cat.packages_empty"));
  } else {
    body += TableStart("packages-caption", T(lang, "cat.packages_caption"),
                       {"cat.col_package", "cat.col_name", "cat.col_kind", "cat.col_price", "cat.col_rules",
                        "cat.col_services", "cat.col_settlement", "cat.col_status", "cat.col_action"},
                       lang);
    for (const auto& [number, p] : snapshot->packages) {
      std::string services;
      for (const auto& s : p.rule.service_numbers) services += (services.empty() ? "" : ", ") + s;
      std::string settlement;
      for (const auto& s : p.shares) {
        settlement += (settlement.empty() ? "" : ", ") + s.vu_number + ": " + std::to_string(s.share_permille) + " ‰";
      }
      if (settlement.empty()) settlement = T(lang, "cat.by_acceptances");
      body += "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header\">" + Escape(number) +
              "</th>" + Cell(p.rule.name) + Cell(PackageKindLabel(lang, p.rule.kind)) +
              Cell(Euro(p.rule.price_cents, lang)) + Cell(PackageRules(lang, p.rule)) + Cell(services) +
              Cell(settlement) + "<td class=\"kern-table__cell\">" +
              (p.active ? Badge("success", T(lang, "cat.on_sale")) : Badge("warning", T(lang, "cat.stopped"))) +
              "</td><td class=\"kern-table__cell kern-table__cell--action\">";
      if (manage) {
        std::string verb = p.active ? "stop" : "resume";
        body += InlineAction(env, "/catalogue/packages/" + number + "/" + verb + q, T(lang, "cat." + verb),
                             Tf(lang, "cat." + verb + "_named", {p.rule.name}));
      }
      body += "</td></tr>";
    }
    body += "</tbody></table></div>";
  }
  if (manage && !snapshot->services.empty()) {
    auto v = values_of("package");
    auto e = errors_of("package");
    body += "<form class=\"pw-form\" method=\"post\" action=\"/catalogue/packages" + q + "\" novalidate>" +
            web::CsrfInput(env.session->csrf_token) + "<h3 class=\"kern-heading-small\">" +
            Escape(T(lang, "cat.new_package")) + "</h3>";
    body += web::RenderInput(Input(lang, "package_number", "cat.f_package_number", v, e, 8));
    web::SelectField kind;
    kind.name = "package_kind";
    kind.label = T(lang, "cat.f_kind");
    kind.error = MessageFor(e, "package_kind");
    kind.required = true;
    web::SelectGroup kinds;
    for (const char* k : {"flat_rate", "days_of", "points", "single", "base"}) {
      kinds.options.push_back({k, std::string(T(lang, std::string("cat.kind.") + k)),
                               v.count("package_kind") && v.at("package_kind") == k});
    }
    kind.groups.push_back(kinds);
    body += web::RenderSelect(kind);
    body += web::RenderInput(Input(lang, "package_name", "cat.f_package_name", v, e, 200));
    auto price = Input(lang, "price", "cat.f_price", v, e, 12);
    price.hint = T(lang, "cat.f_price_hint");
    price.inputmode = "decimal";
    body += web::RenderInput(price);
    auto from = Input(lang, "sale_from", "cat.f_sale_from", v, e, 10);
    from.type = "date";
    body += web::RenderInput(from);
    auto to = Input(lang, "sale_to", "cat.f_sale_to", v, e, 10);
    to.type = "date";
    body += web::RenderInput(to);
    for (std::string f : {"validity_days", "days", "window_days", "package_points"}) {
      std::string key = "cat.fp_" + (f == "package_points" ? std::string("points") : f);
      auto field = Input(lang, f, key, v, e, 5, false);
      field.hint = T(lang, key + "_hint");
      field.inputmode = "numeric";
      body += web::RenderInput(field);
    }
    web::CheckboxGroup boxes;
    boxes.name = "services";
    boxes.legend = T(lang, "cat.f_services");
    boxes.error = MessageFor(e, "services");
    for (const auto& [number, s] : snapshot->services) {
      boxes.options.push_back({"service_" + number, number + " – " + s.name, v.count("service_" + number) > 0});
    }
    body += web::RenderCheckboxes(boxes);
    auto shares = Input(lang, "shares", "cat.f_shares", v, e, 400, false);
    shares.hint = T(lang, "cat.f_shares_hint");
    body += web::RenderInput(shares);
    body += "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "cat.add_package")) +
            "</div></form>";
  }
  body += "</section>\n";
  return web::HtmlPage(UserChrome(env, "terminals"), status, T(lang, "cat.title"), body);
}

Response GetCatalogue(Env& env) {
  if (!MayView(env)) return Forbidden(env);
  std::string notice;
  if (env.request.QueryParam("saved"))
    notice = web::RenderAlert(web::AlertKind::kSuccess, T(env.lang, "cat.saved"), "");
  return RenderCatalogue(env, 200, "", {}, {}, notice);
}

// Runs one catalogue change from a form; re-renders with the error or redirects.
Response CatalogueForm(
    Env& env, const std::string& form_name, const std::vector<const char*>& fields,
    const std::function<Status(const accounts::Actor&, int64_t, std::map<std::string, std::string>&)>& change) {
  if (!MayManage(env)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  auto municipality =
      PageMunicipality(env, env.request.QueryParam("municipality").value_or(""), accounts::Action::kReadTerminals);
  if (!municipality) return Forbidden(env);
  std::map<std::string, std::string> values;
  for (const char* f : fields) values[f] = TrimSpaces(FormValue(form, f));
  for (const auto& [k, v] : form) {
    if (k.rfind("service_", 0) == 0) values[k] = v;
  }
  Status s = change(ActorFor(env), municipality->id, values);
  if (!s.ok()) {
    if (s.code() == ErrorCode::kPermissionDenied) return Forbidden(env);
    if (s.code() != ErrorCode::kInvalidArgument && s.code() != ErrorCode::kAlreadyExists &&
        s.code() != ErrorCode::kNotFound) {
      return ErrorFor(env, s);
    }
    // Domain fields ("name") to this form's fields ("provider_name"): ids are unique on the page.
    web::FieldError error = FieldErrorFor(env.lang, s, "cat");
    std::string domain = error.field == "price_cents" ? "price" : error.field;
    error.field = values.count(form_name + "_" + domain) ? form_name + "_" + domain
                  : values.count(domain)                 ? domain
                                                         : "";
    return RenderCatalogue(env, s.code() == ErrorCode::kAlreadyExists ? 409 : 422, form_name, values, {error}, "");
  }
  return Response::Redirect("/catalogue?municipality=" + municipality->municipality_number + "&saved=1");
}

Response PostProvider(Env& env) {
  return CatalogueForm(
      env, "provider", {"provider_vu_number", "provider_name"}, [&env](const auto& actor, int64_t m, auto& v) {
        return env.app.catalogue.CreateProvider(actor, m, v["provider_vu_number"], v["provider_name"]).status();
      });
}

Response PostService(Env& env) {
  return CatalogueForm(env, "service", {"service_number", "service_vu_number", "service_name", "service_points"},
                       [&env](const auto& actor, int64_t m, auto& v) -> Status {
                         auto points = ParseCount(v["service_points"]);
                         if (!points) return InvalidArgument("points", "points");
                         terminals::NewService input{v["service_number"], v["service_vu_number"], v["service_name"],
                                                     *points == 0 ? 1 : *points};
                         return env.app.catalogue.CreateService(actor, m, input).status();
                       });
}

Response PostPackage(Env& env) {
  return CatalogueForm(env, "package",
                       {"package_number", "package_kind", "package_name", "price", "sale_from", "sale_to",
                        "validity_days", "days", "window_days", "package_points", "shares"},
                       [&env](const auto& actor, int64_t m, auto& v) -> Status {
                         terminals::NewPackage p;
                         p.package_number = v["package_number"];
                         p.kind = v["package_kind"];
                         p.name = v["package_name"];
                         auto price = ParseEuroAmount(v["price"]);
                         if (!price) return InvalidArgument("price", "price_cents");
                         p.price_cents = *price;
                         p.sale_from = v["sale_from"];
                         p.sale_to = v["sale_to"];
                         for (auto [field, target] :
                              {std::pair{"validity_days", &p.validity_days}, std::pair{"days", &p.days},
                               std::pair{"window_days", &p.window_days}, std::pair{"package_points", &p.points}}) {
                           auto n = ParseCount(v[field]);
                           if (!n)
                             return InvalidArgument(field, std::string(field) == "package_points" ? "points" : field);
                           *target = *n;
                         }
                         for (const auto& [k, value] : v) {
                           if (k.rfind("service_", 0) == 0 && !value.empty()) p.services.push_back(k.substr(8));
                         }
                         // "100200=600, 100300=400"
                         std::string shares = v["shares"];
                         std::replace(shares.begin(), shares.end(), ',', ' ');
                         for (size_t pos = 0; pos < shares.size();) {
                           size_t end = shares.find(' ', pos);
                           std::string item =
                               shares.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
                           if (!item.empty()) {
                             size_t eq = item.find('=');
                             auto permille = eq == std::string::npos ? std::nullopt : ParseId(item.substr(eq + 1));
                             if (!permille) return InvalidArgument("shares", "shares");
                             p.shares.push_back({item.substr(0, eq), *permille});
                           }
                           if (end == std::string::npos) break;
                           pos = end + 1;
                         }
                         return env.app.catalogue.CreatePackage(actor, m, p).status();
                       });
}

Response PostPackageState(Env& env, bool active) {
  return CatalogueForm(env, "", {}, [&env, active](const auto& actor, int64_t m, auto&) {
    return env.app.catalogue.SetPackageActive(actor, m, env.request.path_params["number"], active);
  });
}

}  // namespace

void RegisterTerminalPages(Router& router, AppContext& app) {
  router.Add("GET", "/terminals", "web_terminals", Protected(app, GetTerminals));
  router.Add("POST", "/terminals", "web_terminal_register", Protected(app, PostTerminals));
  router.Add("POST", "/terminals/{tid}/disable", "web_terminal_disable",
             Protected(app, [](Env& env) { return PostTerminalState(env, false); }));
  router.Add("POST", "/terminals/{tid}/enable", "web_terminal_enable",
             Protected(app, [](Env& env) { return PostTerminalState(env, true); }));
  router.Add("GET", "/catalogue", "web_catalogue", Protected(app, GetCatalogue));
  router.Add("POST", "/catalogue/providers", "web_provider_create", Protected(app, PostProvider));
  router.Add("POST", "/catalogue/services", "web_service_create", Protected(app, PostService));
  router.Add("POST", "/catalogue/packages", "web_package_create", Protected(app, PostPackage));
  router.Add("POST", "/catalogue/packages/{number}/stop", "web_package_stop",
             Protected(app, [](Env& env) { return PostPackageState(env, false); }));
  router.Add("POST", "/catalogue/packages/{number}/resume", "web_package_resume",
             Protected(app, [](Env& env) { return PostPackageState(env, true); }));
}

}  // namespace passwerk::web
