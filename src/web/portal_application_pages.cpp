// Applying online in the citizen portal: the forms on offer, the citizen's
// applications with renewal banners, the step-by-step form (a draft saved at
// every step), the summary and submission, the status page with its
// timeline, withdrawal, and the organisation's confirmation by link. Thin
// handlers over applications::ApplicationService; the form itself is data
// (applications/forms.h), rendered field by field. Everything works without
// JavaScript; web/static/portal-application.js only hides questions whose
// condition does not hold and saves a step's answers as they change.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "applications/applications.h"
#include "applications/forms.h"
#include "cards/card_number.h"
#include "core/clock.h"
#include "core/dates.h"
#include "core/numbers.h"
#include "portal/attachments.h"
#include "web/areas.h"
#include "web/assets.h"
#include "web/html.h"
#include "web/i18n.h"
#include "web/page_env.h"
#include "web/portal_env.h"

namespace passwerk::web {
namespace {

using accounts::Assurance;
using accounts::CitizenService;
using applications::Application;
using applications::ApplicationStatus;
using applications::Field;
using applications::FieldType;
using applications::FormDefinition;
using applications::FormOffer;
using applications::Step;
using http::Response;
using nlohmann::json;

constexpr std::string_view kApplyPath = "/portal/apply";
constexpr std::string_view kListPath = "/portal/applications";
constexpr std::string_view kOrganisationPath = "/portal/organisation/confirm";
constexpr std::string_view kScript = "/static/portal-application.js";
constexpr std::string_view kPersonParts[] = {"given_name", "family_name", "birth_date"};

// --- small helpers ---

std::string H1(std::string_view text) { return "<h1 class=\"kern-heading-large\">" + Escape(text) + "</h1>\n"; }

std::string P(std::string_view text) { return "<p class=\"kern-body\">" + Escape(text) + "</p>\n"; }

// A text from outside with its line breaks kept.
std::string Lines(std::string_view text) {
  std::string out;
  size_t start = 0;
  bool first = true;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    if (!first) out += "<br>";
    first = false;
    out += Escape(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string_view L(Lang lang) { return LangCode(lang); }

// A reason or request of the office (or the organisation), labelled.
std::string Reason(Lang lang, std::string_view label_key, std::string_view text, std::string_view id) {
  return "<dl class=\"kern-description-list pw-state-reason\" id=\"" + std::string(id) + "\">" +
         DescriptionItemHtml(T(lang, label_key), Lines(text)) + "</dl>";
}

std::string AppHref(std::string_view id) { return std::string(kListPath) + "/" + UrlEncode(id); }
std::string StepHref(std::string_view id, size_t n) { return AppHref(id) + "/steps/" + std::to_string(n); }
std::string SummaryHref(std::string_view id) { return AppHref(id) + "/summary"; }

std::string TimeTag(int64_t at, Lang lang) {
  return "<time datetime=\"" + Escape(FormatUtc(at)) + "\">" + Escape(FormatBerlinTime(at, lang)) + "</time>";
}

Date Today(const PortalEnv& env) { return passwerk::BerlinDate(env.app.clock.NowUnix()); }

bool CsrfOk(const PortalEnv& env, const std::map<std::string, std::string>& fields) {
  return CsrfMatches(env.session->csrf_token, fields);
}

std::string Hidden(std::string_view name, std::string_view value) {
  return "<input type=\"hidden\" name=\"" + Escape(name) + "\" value=\"" + Escape(value) + "\">";
}

// A form of one button (with hidden fields) posting to `action`.
std::string PostButton(const PortalEnv& env, std::string_view action, std::string_view label, ButtonKind kind,
                       std::string_view id, const std::vector<std::pair<std::string, std::string>>& fields = {}) {
  std::string html = "<form class=\"pw-inline-form\" method=\"post\" action=\"" + Escape(action) + "\">" +
                     CsrfInput(env.session->csrf_token);
  for (const auto& [name, value] : fields) html += Hidden(name, value);
  return html + RenderButton(kind, label, id.empty() ? std::string() : "id=\"" + std::string(id) + "\"") + "</form>";
}

Response NoContent() {
  Response response;
  response.status = 204;
  response.content_type = "text/plain; charset=utf-8";
  response.AddHeader("Cache-Control", "no-store");
  return response;
}

// Another account's application looks like none; the service down is a 503.
Response Failure(PortalEnv& env, const Status& status) {
  switch (status.code()) {
    case ErrorCode::kNotFound:
      return ErrorPage(PortalChrome(env, ""), 404);
    case ErrorCode::kPermissionDenied:
      return ErrorPage(PortalChrome(env, ""), 403);
    default:
      return ErrorPage(PortalChrome(env, ""), 503);
  }
}

// A refusal the citizen can understand: the page says why and leads back.
Response Refused(PortalEnv& env, int status, std::string_view text_key, std::string_view back_href) {
  const Lang lang = env.lang;
  std::string body = H1(T(lang, "portal.app.refused_title"));
  body += RenderAlert(AlertKind::kWarning, T(lang, text_key), "");
  body += "<p class=\"kern-body\"><a class=\"kern-link\" href=\"" + Escape(back_href) + "\">" +
          Escape(T(lang, "portal.app.back_to_application")) + "</a></p>\n";
  return PortalHtml(env, kApplyPath, status, T(lang, "portal.app.refused_title"), body);
}

// --- levels ---

CitizenService ServiceFor(cards::SchemeKind kind) {
  return kind == cards::SchemeKind::kVolunteerCard ? CitizenService::kApplyVolunteerCard
                                                   : CitizenService::kApplySocialPass;
}

std::string_view KindPath(cards::SchemeKind kind) {
  return kind == cards::SchemeKind::kVolunteerCard ? "volunteer-card" : "social-pass";
}

// The level a form needs: its own, and never less than the portal's service.
Assurance NeededLevel(cards::SchemeKind kind, const FormDefinition& form) {
  return std::max(accounts::RequiredAssurance(ServiceFor(kind)), form.assurance);
}

// The step-up page of PortalServicePage (portal_env.cpp), for a level the
// form sets: why, and the way to sign in again and come back.
Response StepUp(PortalEnv& env, Assurance needed, std::string_view return_to) {
  const Lang lang = env.lang;
  std::string body = H1(T(lang, "portal.stepup.title"));
  body +=
      P(Tf(lang, "portal.stepup.text", {AssuranceLabel(lang, needed), AssuranceLabel(lang, env.session->assurance)}));
  body += P(T(lang, "portal.stepup.how"));
  body += "<p class=\"kern-body\"><a class=\"kern-btn kern-btn--primary\" id=\"step-up\" href=\"" +
          Escape(LoginHref(needed, return_to)) + "\"><span class=\"kern-label\">" +
          Escape(T(lang, "portal.stepup.button")) + "</span></a></p>\n";
  return PortalHtml(env, "", 403, T(lang, "portal.stepup.title"), body);
}

// Pages of the citizen's own applications: a session at any level (each
// application's form then asks for its own).
http::Handler SessionPage(AppContext& app, PortalHandler handler) {
  return PortalPage(app, [handler = std::move(handler)](PortalEnv& env) {
    if (!env.session) {
      // A form posted without a session cannot be sent again after the sign-in.
      const std::string back = env.request.method == "GET" ? CurrentPath(env.request) : std::string(kListPath);
      return Response::Redirect(LoginHref(Assurance::kLow, back));
    }
    return handler(env);
  });
}

// --- words for states and events ---

std::string_view StatusLabel(Lang lang, ApplicationStatus status) {
  return T(lang, "portal.app.status." + std::string(applications::StatusName(status)));
}

std::string StatusBadge(Lang lang, ApplicationStatus status) {
  std::string_view kind = "info";
  switch (status) {
    case ApplicationStatus::kNeedsInformation:
      kind = "warning";
      break;
    case ApplicationStatus::kApproved:
      kind = "success";
      break;
    case ApplicationStatus::kRejected:
      kind = "danger";
      break;
    default:
      break;
  }
  return Badge(kind, StatusLabel(lang, status));
}

std::string EventText(Lang lang, const std::string& kind) {
  const std::string key = "portal.app.event." + kind;
  return std::string(HasText(key) ? T(lang, key) : T(lang, "portal.app.event.other"));
}

bool Editable(const Application& application) {
  return application.status == ApplicationStatus::kDraft || application.status == ApplicationStatus::kNeedsInformation;
}

// --- the application and its form ---

struct Loaded {
  Application application;
  std::shared_ptr<const FormDefinition> form;
};

// Loads the account's application of the path (404 for anybody else's) with
// the form version it was begun with, and checks the form's level; nullopt
// when `out` is filled, else the response to give.
std::optional<Response> LoadApplication(PortalEnv& env, Loaded& out) {
  auto application = env.app.applications.CitizenApplication(*env.session, env.request.path_params["id"]);
  if (!application.ok()) return Failure(env, application.status());
  auto form = env.app.applications.FormVersion(application->scheme_id, application->form_version);
  if (!form.ok()) return Failure(env, form.status());
  const Assurance needed = NeededLevel(application->kind, **form);
  if (env.session->assurance < needed) {
    return StepUp(env, needed, env.request.method == "GET" ? CurrentPath(env.request) : AppHref(application->id));
  }
  out.application = std::move(*application);
  out.form = std::move(*form);
  return std::nullopt;
}

std::set<std::string> DocumentFields(const Application& application) {
  std::set<std::string> fields;
  for (const applications::DocumentInfo& document : application.documents) fields.insert(document.field);
  return fields;
}

// The index of the step that asks `field` (a person's part counts as its list).
std::optional<size_t> StepOf(const FormDefinition& form, std::string_view field) {
  for (size_t i = 0; i < form.steps.size(); ++i) {
    for (const Field& f : form.steps[i].fields) {
      if (f.id == field) return i;
    }
  }
  return std::nullopt;
}

// The fields a step shows: those asked given the answers so far, and those
// whose condition is a question of the same step (the answer may still
// change there; the script hides them while it does not hold).
std::vector<const Field*> ShownFields(const FormDefinition& form, const Step& step, const json& answers) {
  std::vector<const Field*> shown;
  std::set<std::string> on_step;
  for (const Field& f : step.fields) {
    if (applications::Visible(form, f, answers) || (f.when && on_step.contains(f.when->field))) {
      shown.push_back(&f);
      on_step.insert(f.id);
    }
  }
  return shown;
}

// The next (or previous) step that asks something, from step index `from`;
// nullopt when there is none.
std::optional<size_t> NeighbourStep(const FormDefinition& form, const json& answers, size_t from, int direction) {
  for (int64_t i = static_cast<int64_t>(from) + direction; i >= 0 && i < static_cast<int64_t>(form.steps.size());
       i += direction) {
    if (!ShownFields(form, form.steps[static_cast<size_t>(i)], answers).empty()) return static_cast<size_t>(i);
  }
  return std::nullopt;
}

// Where a problem's field is on the page: "household_members[1].birth_date"
// is the input "field-household_members-1-birth_date".
struct FieldRef {
  std::string base;
  std::optional<size_t> index;
  std::string part;
};

FieldRef ParseFieldRef(std::string_view name) {
  FieldRef ref;
  size_t bracket = name.find('[');
  if (bracket == std::string_view::npos) {
    ref.base = std::string(name);
    return ref;
  }
  ref.base = std::string(name.substr(0, bracket));
  size_t close = name.find(']', bracket);
  if (close != std::string_view::npos) {
    if (auto n = ParseIntegerIn(name.substr(bracket + 1, close - bracket - 1), 0, 1000)) {
      ref.index = static_cast<size_t>(*n);
    }
    if (close + 2 <= name.size() && name[close + 1] == '.') ref.part = std::string(name.substr(close + 2));
  }
  return ref;
}

std::string PartInputName(std::string_view field, size_t index, std::string_view part) {
  return std::string(field) + "." + std::to_string(index) + "." + std::string(part);
}

std::string PartAnchor(std::string_view field, size_t index, std::string_view part) {
  return "field-" + std::string(field) + "-" + std::to_string(index) + "-" + std::string(part);
}

std::string Anchor(std::string_view problem_field) {
  FieldRef ref = ParseFieldRef(problem_field);
  if (!ref.index) return "field-" + ref.base;
  return PartAnchor(ref.base, *ref.index, ref.part.empty() ? "given_name" : ref.part);
}

std::string_view PartLabel(Lang lang, std::string_view part) {
  return T(lang, "portal.app.person." + std::string(part));
}

// --- field problems in words ---

struct Problem {
  std::string field;  // as the service names it
  std::string message;
};

std::string ProblemText(Lang lang, const FormDefinition& form, const applications::FieldError& error,
                        const Date& today) {
  const FieldRef ref = ParseFieldRef(error.field);
  const Field* field = form.FindField(ref.base);
  if (field == nullptr) return std::string(T(lang, "portal.app.err.unknown"));
  const std::string& code = error.code;
  std::string label = field->label.In(L(lang));
  if (code == "check") {
    for (const applications::Check& check : form.checks) {
      if (check.field == field->id) return check.message.In(L(lang));
    }
    return Tf(lang, "portal.app.err.invalid", {label});
  }
  if (ref.index) {
    // A household member's part.
    label = Tf(lang, "portal.app.person.part", {std::to_string(*ref.index + 1), PartLabel(lang, ref.part)});
    if (code == "required") return Tf(lang, "portal.app.err.required", {label});
    if (code == "too_long") return Tf(lang, "portal.app.err.too_long", {label, "100"});
    if (code == "too_late") return Tf(lang, "portal.app.err.birth_future", {label});
    if (ref.part == "birth_date") return Tf(lang, "portal.app.err.date", {label});
    return Tf(lang, "portal.app.err.invalid", {label});
  }
  if (code == "required") {
    switch (field->type) {
      case FieldType::kBoolean:
        return Tf(lang, "portal.app.err.required_confirm", {label});
      case FieldType::kChoice:
        return Tf(lang, "portal.app.err.required_choice", {label});
      case FieldType::kDocument:
        return Tf(lang, "portal.app.err.required_document", {label});
      default:
        return Tf(lang, "portal.app.err.required", {label});
    }
  }
  if (code == "too_long") return Tf(lang, "portal.app.err.too_long", {label, std::to_string(field->max_length)});
  if (code == "too_short") return Tf(lang, "portal.app.err.too_short", {label, std::to_string(field->min_length)});
  if (code == "not_an_option") return Tf(lang, "portal.app.err.not_an_option", {label});
  if (code == "too_small" && field->min)
    return Tf(lang, "portal.app.err.too_small", {label, std::to_string(*field->min)});
  if (code == "too_large") {
    if (field->type == FieldType::kPersons) {
      return Tf(lang, "portal.app.err.too_many_persons", {std::to_string(field->max_items)});
    }
    if (field->max) return Tf(lang, "portal.app.err.too_large", {label, std::to_string(*field->max)});
  }
  if (code == "too_early" && field->min_date) {
    return Tf(lang, "portal.app.err.too_early", {label, ShowDate(field->min_date->Resolve(today), lang)});
  }
  if (code == "too_late" && field->max_date) {
    return Tf(lang, "portal.app.err.too_late", {label, ShowDate(field->max_date->Resolve(today), lang)});
  }
  switch (field->type) {
    case FieldType::kDate:
      return Tf(lang, "portal.app.err.date", {label});
    case FieldType::kEmail:
      return Tf(lang, "portal.app.err.email", {label});
    case FieldType::kPostalCode:
      return std::string(T(lang, "portal.app.err.postal_code"));
    case FieldType::kInteger:
      return Tf(lang, "portal.app.err.integer", {label});
    case FieldType::kText:
    case FieldType::kMultiline:
      return Tf(lang, "portal.app.err.characters", {label});
    default:
      return Tf(lang, "portal.app.err.invalid", {label});
  }
}

// Problems in the order the form asks, one per field (the first).
std::vector<Problem> InWords(Lang lang, const FormDefinition& form, std::vector<applications::FieldError> errors,
                             const Date& today) {
  std::vector<const Field*> order = form.Fields();
  auto position = [&](const applications::FieldError& e) {
    const FieldRef ref = ParseFieldRef(e.field);
    for (size_t i = 0; i < order.size(); ++i) {
      if (order[i]->id == ref.base) return i * 10000 + (ref.index ? *ref.index * 10 + 1 : 0);
    }
    return order.size() * 10000;
  };
  std::stable_sort(
      errors.begin(), errors.end(),
      [&](const applications::FieldError& a, const applications::FieldError& b) { return position(a) < position(b); });
  std::vector<Problem> problems;
  std::set<std::string> seen;
  for (const applications::FieldError& error : errors) {
    if (!seen.insert(error.field).second) continue;
    problems.push_back({error.field, ProblemText(lang, form, error, today)});
  }
  return problems;
}

std::string ProblemFor(const std::vector<Problem>& problems, std::string_view field) {
  for (const Problem& p : problems) {
    if (p.field == field) return p.message;
  }
  return {};
}

// The error summary: each problem linked to its field, on this page
// (`step_href` empty) or on its step.
std::string ErrorSummary(Lang lang, const FormDefinition& form, const std::vector<Problem>& problems,
                         std::string_view application_id, bool on_this_page) {
  if (problems.empty()) return {};
  std::string list = "<ul class=\"kern-list pw-error-list\">";
  for (const Problem& problem : problems) {
    std::string href = "#" + Anchor(problem.field);
    if (!on_this_page) {
      auto step = StepOf(form, ParseFieldRef(problem.field).base);
      href = StepHref(application_id, step ? *step + 1 : 1) + href;
    }
    list += "<li><a class=\"kern-link\" href=\"" + Escape(href) + "\">" + Escape(problem.message) + "</a></li>";
  }
  list += "</ul>";
  return RenderAlert(AlertKind::kDanger, T(lang, "common.error_summary"), list);
}

// --- answers as shown ---

std::string AnswerText(const json& answers, const std::string& id) {
  if (!answers.is_object() || !answers.contains(id)) return {};
  const json& v = answers.at(id);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  return {};
}

std::string FileSize(int64_t bytes, Lang lang) { return MailboxFileSize(bytes, lang); }

// An answer for reading (the summary, the organisation's page), as markup.
std::string ShowAnswer(Lang lang, const Field& field, const json& answers,
                       const std::vector<applications::DocumentInfo>& documents) {
  const std::string none = "<span class=\"pw-muted\">" + Escape(T(lang, "portal.app.no_answer")) + "</span>";
  if (field.type == FieldType::kDocument) {
    std::string list;
    for (const applications::DocumentInfo& document : documents) {
      if (document.field == field.id) {
        list += "<li>" + Escape(document.name) + " (" + Escape(FileSize(document.size, lang)) + ")</li>";
      }
    }
    return list.empty() ? "<span class=\"pw-muted\">" + Escape(T(lang, "portal.app.no_document")) + "</span>"
                        : "<ul class=\"kern-list\">" + list + "</ul>";
  }
  if (!answers.is_object() || !answers.contains(field.id) || answers.at(field.id).is_null()) return none;
  const json& v = answers.at(field.id);
  switch (field.type) {
    case FieldType::kBoolean:
      return Escape(T(lang, v.is_boolean() && v.get<bool>() ? "portal.app.yes" : "portal.app.no"));
    case FieldType::kDate:
      return v.is_string() ? Escape(ShowIsoDate(v.get<std::string>(), lang)) : none;
    case FieldType::kChoice: {
      if (!v.is_string()) return none;
      for (const applications::Option& option : field.options) {
        if (option.value == v.get<std::string>()) return Escape(option.label.In(L(lang)));
      }
      return Escape(v.get<std::string>());
    }
    case FieldType::kPersons: {
      if (!v.is_array() || v.empty()) return Escape(T(lang, "portal.app.no_persons"));
      std::string list = "<ul class=\"kern-list\">";
      for (const json& person : v) {
        const std::string given = AnswerText(person, "given_name");
        const std::string family = AnswerText(person, "family_name");
        const std::string born = AnswerText(person, "birth_date");
        list += "<li>" +
                Escape(Tf(lang, "portal.app.person.line",
                          {given + (given.empty() || family.empty() ? "" : " ") + family,
                           born.empty() ? std::string("–") : ShowIsoDate(born, lang)})) +
                "</li>";
      }
      return list + "</ul>";
    }
    case FieldType::kMultiline:
      return v.is_string() && !v.get<std::string>().empty() ? Lines(v.get<std::string>()) : none;
    default: {
      const std::string text = AnswerText(answers, field.id);
      return text.empty() ? none : Escape(text);
    }
  }
}

// --- the form's fields as inputs ---

struct StepView {
  const Loaded* loaded = nullptr;
  size_t index = 0;                        // of the step
  json answers;                            // to show
  std::map<std::string, std::string> raw;  // input name → as typed, where it could not be kept
  std::vector<Problem> problems;
  std::string upload_field;  // an upload refused: its field and why
  std::string upload_error;
  int status = 200;
};

struct Described {
  std::string hint_html;
  std::string error_html;
  std::string describedby;
};

Described Describe(const std::string& id, std::string_view hint, std::string_view error) {
  Described d;
  if (!hint.empty()) {
    d.hint_html = "<div class=\"kern-hint\" id=\"" + id + "-hint\">" + Escape(hint) + "</div>";
    d.describedby = id + "-hint";
  }
  if (!error.empty()) {
    d.error_html = "<p class=\"kern-error\" id=\"" + id +
                   "-error\"><span class=\"kern-icon kern-icon--danger kern-icon--default\" "
                   "aria-hidden=\"true\"></span><span class=\"kern-body\">" +
                   Escape(error) + "</span></p>";
    d.describedby = d.describedby.empty() ? id + "-error" : id + "-error " + d.describedby;
  }
  return d;
}

std::string ControlState(bool required, const std::string& error, const Described& d) {
  std::string html;
  if (required) html += " required";
  if (!error.empty()) html += " aria-invalid=\"true\"";
  if (!d.describedby.empty()) html += " aria-describedby=\"" + d.describedby + "\"";
  return html;
}

struct InputSpec {
  std::string id;
  std::string name;
  std::string label;
  std::string hint;
  std::string error;
  std::string value;
  std::string type = "text";
  std::string autocomplete;
  std::string inputmode;
  int maxlength = 0;
  bool required = false;
  bool multiline = false;
};

std::string TextInput(const InputSpec& s) {
  Described d = Describe(s.id, s.hint, s.error);
  std::string html = "<div class=\"kern-form-input";
  if (!s.error.empty()) html += " kern-form-input--error";
  html +=
      "\">\n<label class=\"kern-label\" for=\"" + Escape(s.id) + "\">" + Escape(s.label) + "</label>\n" + d.hint_html;
  if (s.multiline) {
    html += "<textarea class=\"kern-form-input__input pw-textarea";
    if (!s.error.empty()) html += " kern-form-input__input--error";
    html += "\" id=\"" + Escape(s.id) + "\" name=\"" + Escape(s.name) + "\" rows=\"5\"";
  } else {
    html += "<input class=\"kern-form-input__input";
    if (!s.error.empty()) html += " kern-form-input__input--error";
    html += "\" id=\"" + Escape(s.id) + "\" name=\"" + Escape(s.name) + "\" type=\"" + Escape(s.type) + "\" value=\"" +
            Escape(s.value) + "\"";
    if (!s.autocomplete.empty()) html += " autocomplete=\"" + Escape(s.autocomplete) + "\"";
    if (!s.inputmode.empty()) html += " inputmode=\"" + Escape(s.inputmode) + "\"";
  }
  if (s.maxlength > 0) html += " maxlength=\"" + std::to_string(s.maxlength) + "\"";
  if (s.type == "email") html += " spellcheck=\"false\" autocapitalize=\"none\"";
  html += ControlState(s.required, s.error, d);
  html += s.multiline ? ">" + Escape(s.value) + "</textarea>\n" : ">\n";
  return html + d.error_html + "</div>\n";
}

std::string_view AutocompleteFor(applications::Prefill prefill) {
  switch (prefill) {
    case applications::Prefill::kGivenName:
      return "given-name";
    case applications::Prefill::kFamilyName:
      return "family-name";
    case applications::Prefill::kBirthDate:
      return "bday";
    case applications::Prefill::kStreet:
      return "street-address";
    case applications::Prefill::kPostalCode:
      return "postal-code";
    case applications::Prefill::kCity:
      return "address-level2";
    case applications::Prefill::kEmail:
      return "email";
    case applications::Prefill::kNone:
      break;
  }
  return {};
}

std::string ChoiceInput(Lang lang, const Field& f, const std::string& value, const std::string& error) {
  const std::string id = "field-" + f.id;
  Described d = Describe(id + "-group", f.help.In(L(lang)), error);
  std::string html = "<fieldset class=\"kern-fieldset";
  if (!error.empty()) html += " kern-fieldset--error";
  html += "\"";
  if (!d.describedby.empty()) html += " aria-describedby=\"" + d.describedby + "\"";
  html += "><legend class=\"kern-label\">" + Escape(f.label.In(L(lang))) + "</legend>" + d.hint_html +
          "<div class=\"kern-fieldset__body\">";
  for (size_t i = 0; i < f.options.size(); ++i) {
    const applications::Option& option = f.options[i];
    // The first option carries the field's id: the error summary leads there.
    const std::string option_id = i == 0 ? id : id + "-" + std::to_string(i + 1);
    html += "<div class=\"kern-form-check\"><input class=\"kern-form-check__radio";
    if (!error.empty()) html += " kern-form-check__radio--error";
    html += "\" type=\"radio\" id=\"" + Escape(option_id) + "\" name=\"" + Escape(f.id) + "\" value=\"" +
            Escape(option.value) + "\"";
    if (option.value == value) html += " checked";
    if (f.required) html += " required";
    html += "><label class=\"kern-label\" for=\"" + Escape(option_id) + "\">" + Escape(option.label.In(L(lang))) +
            "</label></div>";
  }
  return html + "</div>" + d.error_html + "</fieldset>\n";
}

std::string BooleanInput(Lang lang, const Field& f, bool checked, const std::string& error) {
  const std::string id = "field-" + f.id;
  Described d = Describe(id, f.help.In(L(lang)), error);
  std::string html = "<div class=\"kern-form-input";
  if (!error.empty()) html += " kern-form-input--error";
  html += "\"><div class=\"kern-form-check\"><input class=\"kern-form-check__checkbox";
  if (!error.empty()) html += " kern-form-check__checkbox--error";
  html += "\" type=\"checkbox\" id=\"" + Escape(id) + "\" name=\"" + Escape(f.id) + "\" value=\"true\"";
  if (checked) html += " checked";
  html += ControlState(f.required, error, d);
  html += "><label class=\"kern-label\" for=\"" + Escape(id) + "\">" + Escape(f.label.In(L(lang))) + "</label></div>" +
          d.hint_html + d.error_html + "</div>\n";
  return html;
}

std::string PersonsInput(Lang lang, const StepView& view, const Field& f) {
  const std::string id = "field-" + f.id;
  const std::string group_error = ProblemFor(view.problems, f.id);
  Described d = Describe(id, f.help.In(L(lang)), group_error);
  std::string html = "<fieldset class=\"kern-fieldset";
  if (!group_error.empty()) html += " kern-fieldset--error";
  html += "\" id=\"" + Escape(id) + "\" tabindex=\"-1\"";
  if (!d.describedby.empty()) html += " aria-describedby=\"" + d.describedby + "\"";
  html += "><legend class=\"kern-label\">" + Escape(f.label.In(L(lang))) + "</legend>" + d.hint_html +
          "<div class=\"kern-fieldset__body\">";
  const json persons =
      view.answers.contains(f.id) && view.answers.at(f.id).is_array() ? view.answers.at(f.id) : json::array();
  if (persons.empty()) html += "<p class=\"kern-body pw-muted\">" + Escape(T(lang, "portal.app.no_persons")) + "</p>";
  for (size_t i = 0; i < persons.size(); ++i) {
    const std::string number = std::to_string(i + 1);
    html += "<fieldset class=\"kern-fieldset pw-person\" id=\"" + Escape(id + "-" + std::to_string(i)) +
            "\"><legend class=\"kern-label\">" + Escape(Tf(lang, "portal.app.person.title", {number})) +
            "</legend><div class=\"kern-fieldset__body\">";
    for (std::string_view part : kPersonParts) {
      const std::string problem_field = f.id + "[" + std::to_string(i) + "]." + std::string(part);
      InputSpec s;
      s.id = PartAnchor(f.id, i, part);
      s.name = PartInputName(f.id, i, part);
      s.label = PartLabel(lang, part);
      s.error = ProblemFor(view.problems, problem_field);
      if (s.error.empty() && part == "given_name")
        s.error = ProblemFor(view.problems, f.id + "[" + std::to_string(i) + "]");
      s.value = AnswerText(persons[i], std::string(part));
      s.required = true;
      if (part == "birth_date") {
        s.type = "date";
      } else {
        s.maxlength = 100;
        s.autocomplete = "off";  // not the applicant's own name
      }
      html += TextInput(s);
    }
    html +=
        "<div class=\"pw-actions\"><button type=\"submit\" class=\"kern-btn kern-btn--tertiary\" name=\"action\" "
        "value=\"remove_person:" +
        std::to_string(i) + "\"><span class=\"kern-label\">" + Escape(Tf(lang, "portal.app.person.remove", {number})) +
        "</span></button></div>";
    html += "</div></fieldset>\n";
  }
  if (persons.size() < static_cast<size_t>(f.max_items)) {
    html +=
        "<div class=\"pw-actions\"><button type=\"submit\" class=\"kern-btn kern-btn--secondary\" name=\"action\" "
        "value=\"add_person\" id=\"add-person\"><span class=\"kern-label\">" +
        Escape(T(lang, "portal.app.person.add")) + "</span></button></div>";
  } else {
    html += "<p class=\"kern-body kern-body--small\">" +
            Escape(Tf(lang, "portal.app.person.max", {std::to_string(f.max_items)})) + "</p>";
  }
  return html + "</div>" + d.error_html + "</fieldset>\n";
}

std::string UploadFormId(const Field& f) { return "upload-" + f.id; }

// The documents of the field with their "remove" buttons (posting the step's
// form to the removal), and the file input with its own upload form (the
// `form` attribute: a form cannot hold another).
std::string DocumentInput(Lang lang, const StepView& view, const Field& f) {
  const Application& application = view.loaded->application;
  const std::string id = "field-" + f.id;
  std::string error = ProblemFor(view.problems, f.id);
  if (view.upload_field == f.id) error = view.upload_error;
  Described d = Describe(id, f.help.In(L(lang)), error);
  std::string html = "<div class=\"kern-form-input";
  if (!error.empty()) html += " kern-form-input--error";
  html += "\">\n<label class=\"kern-label\" for=\"" + Escape(id) + "\">" + Escape(f.label.In(L(lang))) + "</label>\n" +
          d.hint_html;
  std::string list;
  for (const applications::DocumentInfo& document : application.documents) {
    if (document.field != f.id) continue;
    const std::string href = AppHref(application.id) + "/documents/" + UrlEncode(document.id);
    list += "<li><a class=\"kern-link\" href=\"" + Escape(href) + "\">" + Escape(document.name) + "</a> (" +
            Escape(FileSize(document.size, lang)) +
            ") <button type=\"submit\" class=\"kern-btn kern-btn--tertiary\" formaction=\"" +
            Escape(href + "/remove?step=" + std::to_string(view.index + 1)) + "\" aria-label=\"" +
            Escape(Tf(lang, "portal.app.document.remove_named", {document.name})) + "\"><span class=\"kern-label\">" +
            Escape(T(lang, "portal.app.document.remove")) + "</span></button></li>";
  }
  html += list.empty() ? "<p class=\"kern-body pw-muted\">" + Escape(T(lang, "portal.app.no_document")) + "</p>"
                       : "<ul class=\"kern-list\" id=\"" + Escape(id + "-documents") + "\">" + list + "</ul>";
  html += "<input class=\"kern-form-input__input";
  if (!error.empty()) html += " kern-form-input__input--error";
  html += "\" type=\"file\" id=\"" + Escape(id) + "\" name=\"file\" form=\"" + Escape(UploadFormId(f)) +
          "\" accept=\".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg\"";
  html += ControlState(false, error, d) + ">\n" + d.error_html;
  html += "<div class=\"pw-actions\"><button type=\"submit\" class=\"kern-btn kern-btn--secondary\" form=\"" +
          Escape(UploadFormId(f)) + "\" aria-label=\"" +
          Escape(Tf(lang, "portal.app.document.upload_named", {f.label.In(L(lang))})) +
          "\"><span class=\"kern-label\">" + Escape(T(lang, "portal.app.document.upload")) +
          "</span></button></div></div>\n";
  return html;
}

std::string FieldInput(Lang lang, const StepView& view, const Field& f) {
  const std::string error = ProblemFor(view.problems, f.id);
  auto raw = view.raw.find(f.id);
  const std::string value = raw != view.raw.end() ? raw->second : AnswerText(view.answers, f.id);
  InputSpec s;
  s.id = "field-" + f.id;
  s.name = f.id;
  s.label = f.label.In(L(lang));
  s.hint = f.help.In(L(lang));
  s.error = error;
  s.value = value;
  s.required = f.required;
  s.autocomplete = std::string(AutocompleteFor(f.prefill));
  switch (f.type) {
    case FieldType::kText:
      s.maxlength = f.max_length;
      return TextInput(s);
    case FieldType::kMultiline:
      s.maxlength = f.max_length;
      s.multiline = true;
      return TextInput(s);
    case FieldType::kEmail:
      s.type = "email";
      s.maxlength = f.max_length;
      return TextInput(s);
    case FieldType::kPostalCode:
      s.inputmode = "numeric";
      s.maxlength = 5;
      return TextInput(s);
    case FieldType::kDate:
      s.type = "date";
      return TextInput(s);
    case FieldType::kInteger:
      s.inputmode = "numeric";
      s.maxlength = 12;
      return TextInput(s);
    case FieldType::kChoice:
      return ChoiceInput(lang, f, value, error);
    case FieldType::kBoolean: {
      const bool checked =
          view.answers.contains(f.id) && view.answers.at(f.id).is_boolean() && view.answers.at(f.id).get<bool>();
      return BooleanInput(lang, f, checked, error);
    }
    case FieldType::kPersons:
      return PersonsInput(lang, view, f);
    case FieldType::kDocument:
      return DocumentInput(lang, view, f);
  }
  return {};
}

// --- the step page ---

std::string Progress(Lang lang, const Loaded& loaded, size_t current) {
  const FormDefinition& form = *loaded.form;
  const std::string total = std::to_string(form.steps.size());
  const std::string label =
      Tf(lang, "portal.app.progress", {std::to_string(current + 1), total, form.steps[current].title.In(L(lang))});
  std::string html = "<div class=\"kern-progress\"><p class=\"kern-body\" id=\"progress-label\">" + Escape(label) +
                     "</p><progress max=\"" + total + "\" value=\"" + std::to_string(current + 1) +
                     "\" aria-labelledby=\"progress-label\"></progress></div>\n";
  html += "<nav aria-label=\"" + Escape(T(lang, "portal.app.steps")) +
          "\"><ol class=\"kern-list kern-list--number pw-steps\" id=\"steps\">";
  for (size_t i = 0; i < form.steps.size(); ++i) {
    const std::string title = form.steps[i].title.In(L(lang));
    if (i == current) {
      html += "<li aria-current=\"step\"><strong>" + Escape(title) + "</strong></li>";
    } else {
      html += "<li><a class=\"kern-link\" href=\"" + Escape(StepHref(loaded.application.id, i + 1)) + "\">" +
              Escape(title) + "</a></li>";
    }
  }
  html += "<li><a class=\"kern-link\" href=\"" + Escape(SummaryHref(loaded.application.id)) + "\">" +
          Escape(T(lang, "portal.app.summary_step")) + "</a></li>";
  return html + "</ol></nav>\n";
}

std::string FormTitle(Lang lang, const Loaded& loaded) {
  std::string title = loaded.form->title.In(L(lang));
  if (loaded.application.renewal) title += " – " + std::string(T(lang, "portal.app.renewal"));
  return title;
}

Response RenderStep(PortalEnv& env, const StepView& view) {
  const Lang lang = env.lang;
  const Loaded& loaded = *view.loaded;
  const Application& application = loaded.application;
  const FormDefinition& form = *loaded.form;
  const Step& step = form.steps[view.index];
  const std::string action = StepHref(application.id, view.index + 1);

  std::string body = "<p class=\"kern-body kern-body--small pw-muted\" id=\"form-title\">" +
                     Escape(FormTitle(lang, loaded)) + "</p>\n";
  body += Progress(lang, loaded, view.index);
  body += ErrorSummary(lang, form, view.problems, application.id, true);
  if (!view.upload_error.empty()) {
    body += RenderAlert(AlertKind::kDanger, T(lang, "common.error_summary"),
                        "<ul class=\"kern-list pw-error-list\"><li><a class=\"kern-link\" href=\"#field-" +
                            Escape(view.upload_field) + "\">" + Escape(view.upload_error) + "</a></li></ul>");
  }
  if (view.problems.empty() && view.upload_error.empty()) {
    const std::string done = env.request.QueryParam("done").value_or("");
    if (done == "uploaded" || done == "removed") {
      body += RenderAlert(AlertKind::kSuccess, T(lang, "portal.app.document." + done), "");
    }
  }
  body += H1(step.title.In(L(lang)));
  if (!step.help.In(L(lang)).empty())
    body += "<p class=\"kern-body pw-lead\">" + Escape(step.help.In(L(lang))) + "</p>\n";
  if (application.status == ApplicationStatus::kNeedsInformation && !application.reason.empty()) {
    body += RenderAlert(AlertKind::kWarning, T(lang, "portal.app.needs_information"),
                        "<p class=\"kern-body\">" + Lines(application.reason) + "</p>", false);
  }

  const std::vector<const Field*> shown = ShownFields(form, step, view.answers);
  std::vector<const Field*> uploads;
  body += "<form class=\"pw-form\" id=\"pw-application-step\" method=\"post\" action=\"" + Escape(action) +
          "\" novalidate>" + CsrfInput(env.session->csrf_token);
  // Enter in a field means "next": the first submit button of the form is
  // the one a browser presses then (the person buttons come earlier).
  body +=
      "<button type=\"submit\" name=\"action\" value=\"next\" class=\"kern-sr-only\" tabindex=\"-1\" "
      "aria-hidden=\"true\">" +
      Escape(T(lang, "portal.app.next")) + "</button>";
  if (shown.empty()) body += P(T(lang, "portal.app.nothing_here"));
  std::string kept;
  std::string inputs;
  for (const Field* f : shown) {
    if (application.renewal && f->keep_on_renewal) {
      kept += DescriptionItemHtml(f->label.In(L(lang)), ShowAnswer(lang, *f, view.answers, application.documents));
      continue;
    }
    if (f->type == FieldType::kDocument) uploads.push_back(f);
    std::string wrapper_open = "<div class=\"pw-app-field\" id=\"wrap-" + Escape(f->id) + "\"";
    if (f->when && StepOf(form, f->when->field) == view.index) {
      wrapper_open += " data-when-field=\"" + Escape(f->when->field) + "\" data-when-values=\"" +
                      Escape(json(f->when->values).dump()) + "\"";
    }
    inputs += wrapper_open + ">" + FieldInput(lang, view, *f) + "</div>\n";
  }
  // A renewal keeps some answers: shown, not asked again.
  if (!kept.empty()) {
    body += "<p class=\"kern-body\">" + Escape(T(lang, "portal.app.kept_on_renewal")) + "</p>" +
            "<dl class=\"kern-description-list\" id=\"kept-answers\">" + kept + "</dl>\n";
  }
  body += inputs;
  const bool last = !NeighbourStep(form, view.answers, view.index, +1);
  const bool first = !NeighbourStep(form, view.answers, view.index, -1);
  body += "<div class=\"pw-actions\">";
  body +=
      "<button type=\"submit\" class=\"kern-btn kern-btn--primary\" name=\"action\" value=\"next\" "
      "id=\"step-next\"><span class=\"kern-label\">" +
      Escape(T(lang, last ? "portal.app.to_summary" : "portal.app.next")) + "</span></button>";
  if (!first) {
    body +=
        "<button type=\"submit\" class=\"kern-btn kern-btn--secondary\" name=\"action\" value=\"back\" "
        "id=\"step-back\"><span class=\"kern-label\">" +
        Escape(T(lang, "portal.app.back")) + "</span></button>";
  }
  body +=
      "<button type=\"submit\" class=\"kern-btn kern-btn--tertiary\" name=\"action\" value=\"save\" "
      "id=\"step-save\"><span class=\"kern-label\">" +
      Escape(T(lang,
               application.status == ApplicationStatus::kDraft ? "portal.app.save_later" : "portal.app.save_answers")) +
      "</span></button>";
  body += "</div></form>\n";
  // The upload forms the file inputs belong to: nothing but their hidden fields.
  for (const Field* f : uploads) {
    body += "<form id=\"" + Escape(UploadFormId(*f)) + "\" method=\"post\" action=\"" +
            Escape(AppHref(application.id) + "/upload") + "\" enctype=\"multipart/form-data\" novalidate>" +
            CsrfInput(env.session->csrf_token) + Hidden("field", f->id) +
            Hidden("step", std::to_string(view.index + 1)) + "</form>\n";
  }
  body += "<script src=\"" + Escape(AssetUrl(kScript)) + "\"></script>\n";
  std::string title = step.title.In(L(lang)) + " – " + FormTitle(lang, loaded);
  if (!view.problems.empty() || !view.upload_error.empty()) title = Tf(lang, "portal.app.title_error", {title});
  return PortalHtml(env, kApplyPath, view.status, title, body);
}

std::optional<size_t> StepIndex(const PortalEnv& env, const FormDefinition& form) {
  auto n = ParseIntegerIn(env.request.path_params.at("n"), 1, static_cast<int64_t>(form.steps.size()));
  if (!n) return std::nullopt;
  return static_cast<size_t>(*n - 1);
}

Response GetStep(PortalEnv& env) {
  Loaded loaded;
  if (auto refused = LoadApplication(env, loaded)) return std::move(*refused);
  if (!Editable(loaded.application)) return Response::Redirect(AppHref(loaded.application.id));
  std::optional<size_t> index = StepIndex(env, *loaded.form);
  if (!index) return ErrorPage(PortalChrome(env, ""), 404);
  StepView view;
  view.loaded = &loaded;
  view.index = *index;
  view.answers = loaded.application.answers;
  return RenderStep(env, view);
}

// "12.08.1964" as typed without a date picker: the ISO date; else as typed.
std::string NormaliseDate(const std::string& typed) {
  std::string text = TrimSpaces(typed);
  int day = 0, month = 0, year = 0;
  char a = 0, b = 0;
  if (std::sscanf(text.c_str(), "%2d%c%2d%c%4d", &day, &a, &month, &b, &year) == 5 && a == '.' && b == '.' &&
      year >= 1000) {
    Date date{year, month, day};
    const std::string iso = FormatIsoDate(date);
    if (ParseIsoDate(iso) && text.size() <= 10) return iso;
  }
  return text;
}

struct StepPost {
  json update = json::object();                 // field → value (null clears)
  std::map<std::string, std::string> raw;       // what could not be kept as typed
  std::vector<applications::FieldError> local;  // what the page found (a number that is none)
};

// The step's answers as JSON: numbers as numbers, a tick box as true/false,
// an empty answer as null, household members as an array; the read-only
// answers of a renewal and documents are not answers of the form.
StepPost ReadStep(const Loaded& loaded, size_t index, const std::map<std::string, std::string>& fields) {
  StepPost post;
  const FormDefinition& form = *loaded.form;
  for (const Field* f : ShownFields(form, form.steps[index], loaded.application.answers)) {
    if (f->type == FieldType::kDocument) continue;
    if (loaded.application.renewal && f->keep_on_renewal) continue;
    const std::string typed = FormValue(fields, f->id);
    switch (f->type) {
      case FieldType::kBoolean:
        post.update[f->id] = fields.contains(f->id);
        break;
      case FieldType::kInteger: {
        const std::string text = TrimSpaces(typed);
        if (text.empty()) {
          post.update[f->id] = nullptr;
        } else if (auto n = ParseInteger(text)) {
          post.update[f->id] = *n;
        } else {
          post.update[f->id] = nullptr;
          post.raw[f->id] = typed;
          post.local.push_back({f->id, "invalid", "is not a whole number"});
        }
        break;
      }
      case FieldType::kDate: {
        const std::string text = NormaliseDate(typed);
        post.update[f->id] = text.empty() ? json(nullptr) : json(text);
        break;
      }
      case FieldType::kPersons: {
        json persons = json::array();
        for (size_t i = 0; i < static_cast<size_t>(f->max_items) + 1; ++i) {
          if (!fields.contains(PartInputName(f->id, i, "given_name"))) break;
          json person = json::object();
          for (std::string_view part : kPersonParts) {
            std::string value = FormValue(fields, PartInputName(f->id, i, part));
            if (part == "birth_date") value = NormaliseDate(value);
            person[std::string(part)] = value;
          }
          persons.push_back(std::move(person));
        }
        post.update[f->id] = std::move(persons);
        break;
      }
      default:
        post.update[f->id] = TrimSpaces(typed).empty() ? json(nullptr) : json(typed);
        break;
    }
  }
  return post;
}

bool EmptyPerson(const json& person) {
  for (std::string_view part : kPersonParts) {
    if (!AnswerText(person, std::string(part)).empty()) return false;
  }
  return true;
}

// The problems of the step's shown questions, given the answers now: the
// service's and those of the whole form (required, checks) that belong here.
std::vector<applications::FieldError> StepProblems(const PortalEnv& env, const Loaded& loaded, size_t index,
                                                   const std::vector<applications::FieldError>& reported,
                                                   const std::vector<applications::FieldError>& local) {
  const FormDefinition& form = *loaded.form;
  const json& answers = loaded.application.answers;
  std::vector<applications::FieldError> all =
      applications::ValidateAnswers(form, answers, DocumentFields(loaded.application), Today(env), /*complete=*/true);
  all.insert(all.end(), reported.begin(), reported.end());
  std::set<std::string> locally;
  for (const applications::FieldError& e : local) locally.insert(e.field);
  std::vector<applications::FieldError> out = local;
  std::set<std::pair<std::string, std::string>> seen;
  for (const applications::FieldError& e : all) {
    const FieldRef ref = ParseFieldRef(e.field);
    if (locally.contains(ref.base)) continue;
    const Field* f = form.FindField(ref.base);
    if (f == nullptr || StepOf(form, ref.base) != index || !applications::Visible(form, *f, answers)) continue;
    if (loaded.application.renewal && f->keep_on_renewal) continue;
    if (seen.insert({e.field, e.code}).second) out.push_back(e);
  }
  return out;
}

Response PostStep(PortalEnv& env) {
  const Lang lang = env.lang;
  auto fields = env.request.FormParams();
  if (!CsrfOk(env, fields)) return CsrfErrorPage(PortalChrome(env, ""));
  Loaded loaded;
  if (auto refused = LoadApplication(env, loaded)) return std::move(*refused);
  const std::string id = loaded.application.id;
  if (!Editable(loaded.application)) return Response::Redirect(AppHref(id));
  std::optional<size_t> index = StepIndex(env, *loaded.form);
  if (!index) return ErrorPage(PortalChrome(env, ""), 404);
  const FormDefinition& form = *loaded.form;
  const std::string action = FormValue(fields, "action").empty() ? "next" : FormValue(fields, "action");

  StepPost post = ReadStep(loaded, *index, fields);
  // Household members: add or remove a row; rows left wholly empty go when
  // the step is left.
  std::string anchor;
  for (auto& [field_id, value] : post.update.items()) {
    if (!value.is_array()) continue;
    if (action == "add_person") {
      value.push_back(json{{"given_name", ""}, {"family_name", ""}, {"birth_date", ""}});
      anchor = PartAnchor(field_id, value.size() - 1, "given_name");
    } else if (action.rfind("remove_person:", 0) == 0) {
      if (auto n = ParseIntegerIn(std::string_view(action).substr(14), 0, 1000);
          n && static_cast<size_t>(*n) < value.size()) {
        value.erase(value.begin() + *n);
      }
      anchor = "field-" + field_id;
    } else {
      json kept = json::array();
      for (json& person : value) {
        if (!EmptyPerson(person)) kept.push_back(std::move(person));
      }
      value = std::move(kept);
    }
  }

  std::vector<applications::FieldError> reported;
  auto updated = env.app.applications.UpdateAnswers(*env.session, id, post.update, &reported);
  // What to show again if the step stays: the answers as typed.
  json shown = loaded.application.answers.is_object() ? loaded.application.answers : json::object();
  for (const auto& [key, value] : post.update.items()) {
    if (value.is_null()) {
      shown.erase(key);
    } else {
      shown[key] = value;
    }
  }
  if (!updated.ok()) {
    const Status& status = updated.status();
    if (action == "autosave") {
      // The script does not show it: the next button's post says what is wrong.
      Response refused = NoContent();
      refused.status = HttpStatusFor(status.code());
      return refused;
    }
    if (status.code() == ErrorCode::kFailedPrecondition) return Response::Redirect(AppHref(id));
    if (status.code() != ErrorCode::kInvalidArgument) return Failure(env, status);
    // A value of the wrong kind: said at its field (the page sent what it could).
    std::string field = status.field();
    if (field.rfind("answers.", 0) == 0) field = field.substr(8);
    if (form.FindField(ParseFieldRef(field).base) == nullptr && !form.steps[*index].fields.empty()) {
      field = form.steps[*index].fields.front().id;
    }
    StepView view;
    view.loaded = &loaded;
    view.index = *index;
    view.answers = std::move(shown);
    view.raw = std::move(post.raw);
    view.problems = InWords(lang, form, {{field, "invalid", ""}}, Today(env));
    view.status = 400;
    return RenderStep(env, view);
  }
  loaded.application = std::move(*updated);

  if (action == "autosave") return NoContent();
  if (action == "add_person" || action.rfind("remove_person:", 0) == 0) {
    return Response::Redirect(StepHref(id, *index + 1) + "#" + anchor);
  }
  if (action == "save") {
    // A draft waits in the list; answers asked for again wait on their application.
    return Response::Redirect(loaded.application.status == ApplicationStatus::kDraft
                                  ? std::string(kListPath) + "?saved=1"
                                  : AppHref(id) + "?saved=1");
  }
  if (action == "back") {
    auto previous = NeighbourStep(form, loaded.application.answers, *index, -1);
    return Response::Redirect(previous ? StepHref(id, *previous + 1) : StepHref(id, 1));
  }
  std::vector<applications::FieldError> problems = StepProblems(env, loaded, *index, reported, post.local);
  if (!problems.empty()) {
    StepView view;
    view.loaded = &loaded;
    view.index = *index;
    view.answers = std::move(shown);
    view.raw = std::move(post.raw);
    view.problems = InWords(lang, form, std::move(problems), Today(env));
    view.status = 400;
    return RenderStep(env, view);
  }
  auto next = NeighbourStep(form, loaded.application.answers, *index, +1);
  return Response::Redirect(next ? StepHref(id, *next + 1) : SummaryHref(id));
}

// --- documents ---

Response PostUpload(PortalEnv& env) {
  const Lang lang = env.lang;
  std::optional<std::vector<http::FormPart>> parts = env.request.MultipartParts();
  if (!parts) return PortalError(env, 400, T(lang, "mailbox.bad_form_title"), T(lang, "mailbox.bad_form_text"));
  std::map<std::string, std::string> fields;
  std::optional<portal::NewAttachment> file;
  for (http::FormPart& part : *parts) {
    if (part.name == "file") {
      // A file input left empty still sends a part: no name, no content.
      if (!file && !(part.file_name.empty() && part.data.empty())) {
        file = portal::NewAttachment{std::move(part.file_name), std::move(part.data)};
      }
    } else {
      fields.try_emplace(part.name, std::move(part.data));
    }
  }
  if (!CsrfOk(env, fields)) return CsrfErrorPage(PortalChrome(env, ""));
  Loaded loaded;
  if (auto refused = LoadApplication(env, loaded)) return std::move(*refused);
  const std::string id = loaded.application.id;
  if (!Editable(loaded.application)) return Response::Redirect(AppHref(id));
  const FormDefinition& form = *loaded.form;
  const std::string field_id = FormValue(fields, "field");
  const Field* field = form.FindField(field_id);
  if (field == nullptr || field->type != FieldType::kDocument) return ErrorPage(PortalChrome(env, ""), 404);
  std::optional<size_t> step = StepOf(form, field_id);
  if (auto n = ParseIntegerIn(FormValue(fields, "step"), 1, static_cast<int64_t>(form.steps.size()))) {
    step = static_cast<size_t>(*n - 1);
  }

  const applications::ApplicationOptions defaults;
  std::string error;
  const std::string name = file && !file->name.empty() ? file->name : std::string(T(lang, "mailbox.unnamed_file"));
  if (!file) {
    error = T(lang, "portal.app.document.choose");
  } else if (file->data.empty()) {
    error = Tf(lang, "mailbox.err_file_empty", {name});
  } else if (!portal::SniffType(file->data)) {
    error = Tf(lang, "mailbox.err_file_type", {name});
  } else {
    auto added = env.app.applications.AddDocument(*env.session, id, field_id, std::move(*file));
    if (added.ok()) return Response::Redirect(StepHref(id, *step + 1) + "?done=uploaded#field-" + field_id);
    switch (added.status().code()) {
      case ErrorCode::kInvalidArgument:
        error = Tf(lang, "portal.app.document.refused", {name, FileSize(defaults.documents.max_bytes, lang)});
        break;
      case ErrorCode::kResourceExhausted:
        error = Tf(lang, "portal.app.document.too_many", {std::to_string(defaults.documents.max_count)});
        break;
      case ErrorCode::kFailedPrecondition:
        return Response::Redirect(AppHref(id));
      default:
        return Failure(env, added.status());
    }
  }
  StepView view;
  view.loaded = &loaded;
  view.index = *step;
  view.answers = loaded.application.answers;
  view.upload_field = field_id;
  view.upload_error = std::move(error);
  view.status = 400;
  return RenderStep(env, view);
}

Response PostRemoveDocument(PortalEnv& env) {
  auto fields = env.request.FormParams();
  if (!CsrfOk(env, fields)) return CsrfErrorPage(PortalChrome(env, ""));
  Loaded loaded;
  if (auto refused = LoadApplication(env, loaded)) return std::move(*refused);
  const std::string id = loaded.application.id;
  const std::string document_id = env.request.path_params["doc"];
  std::string field;
  for (const applications::DocumentInfo& document : loaded.application.documents) {
    if (document.id == document_id) field = document.field;
  }
  Status removed = env.app.applications.RemoveDocument(*env.session, id, document_id);
  if (removed.code() == ErrorCode::kFailedPrecondition) return Response::Redirect(AppHref(id));
  if (!removed.ok()) return Failure(env, removed);
  size_t step = StepOf(*loaded.form, field).value_or(0);
  if (auto n = ParseIntegerIn(env.request.QueryParam("step").value_or(""), 1,
                              static_cast<int64_t>(loaded.form->steps.size()))) {
    step = static_cast<size_t>(*n - 1);
  }
  return Response::Redirect(StepHref(id, step + 1) + "?done=removed" + (field.empty() ? "" : "#field-" + field));
}

Response GetDocument(PortalEnv& env) {
  Loaded loaded;
  if (auto refused = LoadApplication(env, loaded)) return std::move(*refused);
  auto document =
      env.app.applications.CitizenDocument(*env.session, loaded.application.id, env.request.path_params["doc"]);
  if (!document.ok()) return Failure(env, document.status());
  return MailboxDownload(std::move(*document));
}

// --- the summary and submitting ---

Response RenderSummary(PortalEnv& env, const Loaded& loaded, const std::vector<Problem>& problems, int status) {
  const Lang lang = env.lang;
  const Application& application = loaded.application;
  const FormDefinition& form = *loaded.form;
  const bool editable = Editable(application);
  std::string body = "<p class=\"kern-body kern-body--small pw-muted\" id=\"form-title\">" +
                     Escape(FormTitle(lang, loaded)) + "</p>\n";
  body += H1(T(lang, editable ? "portal.app.summary_title" : "portal.app.answers_title"));
  body += ErrorSummary(lang, form, problems, application.id, false);
  if (editable) body += "<p class=\"kern-body pw-lead\">" + Escape(T(lang, "portal.app.summary_intro")) + "</p>\n";
  for (size_t i = 0; i < form.steps.size(); ++i) {
    const Step& step = form.steps[i];
    std::string items;
    for (const Field& f : step.fields) {
      if (!applications::Visible(form, f, application.answers)) continue;
      std::string value = ShowAnswer(lang, f, application.answers, application.documents);
      // The step's problems at their answers (parts of a list at the list).
      for (const Problem& p : problems) {
        if (ParseFieldRef(p.field).base == f.id) {
          value +=
              "<p class=\"kern-error\"><span class=\"kern-icon kern-icon--danger kern-icon--default\" "
              "aria-hidden=\"true\"></span><span class=\"kern-body\">" +
              Escape(p.message) + "</span></p>";
        }
      }
      items += DescriptionItemHtml(f.label.In(L(lang)), value);
    }
    if (items.empty()) continue;
    const std::string heading_id = "summary-" + step.id;
    body += "<section class=\"pw-section\" aria-labelledby=\"" + Escape(heading_id) +
            "\"><h2 class=\"kern-heading-medium\" id=\"" + Escape(heading_id) + "\">" + Escape(step.title.In(L(lang))) +
            "</h2>";
    body += "<dl class=\"kern-description-list\">" + items + "</dl>";
    if (editable) {
      body += "<p class=\"kern-body\"><a class=\"kern-link\" href=\"" + Escape(StepHref(application.id, i + 1)) +
              "\" aria-label=\"" + Escape(Tf(lang, "portal.app.change_named", {step.title.In(L(lang))})) + "\">" +
              Escape(T(lang, "portal.app.change")) + "</a></p>";
    }
    body += "</section>\n";
  }
  if (editable) {
    if (form.organisation) {
      const Field* email = form.FindField(form.organisation->email_field);
      if (email != nullptr && applications::Visible(form, *email, application.answers)) {
        body += P(T(lang, "portal.app.organisation_note"));
      }
    }
    body += P(T(lang, "portal.app.declaration"));
    body += "<div class=\"pw-actions\">";
    body += PostButton(env, AppHref(application.id) + "/submit",
                       T(lang, application.status == ApplicationStatus::kNeedsInformation ? "portal.app.resubmit"
                                                                                          : "portal.app.submit"),
                       ButtonKind::kPrimary, "submit-application");
    body += LinkButton(AppHref(application.id), T(lang, "portal.app.not_now"), false);
    body += "</div>\n";
  } else {
    body += "<p class=\"kern-body\"><a class=\"kern-link\" href=\"" + Escape(AppHref(application.id)) + "\">" +
            Escape(T(lang, "portal.app.back_to_application")) + "</a></p>\n";
  }
  std::string title = std::string(T(lang, editable ? "portal.app.summary_title" : "portal.app.answers_title")) + " – " +
                      FormTitle(lang, loaded);
  if (!problems.empty()) title = Tf(lang, "portal.app.title_error", {title});
  return PortalHtml(env, kApplyPath, status, title, body);
}

Response GetSummary(PortalEnv& env) {
  Loaded loaded;
  if (auto refused = LoadApplication(env, loaded)) return std::move(*refused);
  return RenderSummary(env, loaded, {}, 200);
}

Response PostSubmit(PortalEnv& env) {
  auto fields = env.request.FormParams();
  if (!CsrfOk(env, fields)) return CsrfErrorPage(PortalChrome(env, ""));
  Loaded loaded;
  if (auto refused = LoadApplication(env, loaded)) return std::move(*refused);
  const std::string id = loaded.application.id;
  std::vector<applications::FieldError> problems;
  auto submitted = env.app.applications.Submit(*env.session, id, &problems);
  if (submitted.ok()) return Response::Redirect(AppHref(id) + "?submitted=1");
  switch (submitted.status().code()) {
    case ErrorCode::kFailedPrecondition:
      if (!problems.empty()) {
        return RenderSummary(env, loaded, InWords(env.lang, *loaded.form, std::move(problems), Today(env)), 400);
      }
      return Refused(env, 409, "portal.app.refused.submit", AppHref(id));
    case ErrorCode::kResourceExhausted:
      return Refused(env, 429, "portal.app.refused.busy", AppHref(id));
    default:
      return Failure(env, submitted.status());
  }
}

Response GetReceipt(PortalEnv& env) {
  Loaded loaded;
  if (auto refused = LoadApplication(env, loaded)) return std::move(*refused);
  auto pdf = env.app.applications.ReceiptPdf(*env.session, loaded.application.id, L(env.lang));
  if (!pdf.ok()) {
    if (pdf.status().code() == ErrorCode::kFailedPrecondition) return ErrorPage(PortalChrome(env, ""), 404);
    return Failure(env, pdf.status());
  }
  const std::string reference =
      loaded.application.reference.empty() ? loaded.application.id : loaded.application.reference;
  return MailboxDownload({std::string(T(env.lang, "portal.app.receipt_file")) + "-" + reference + ".pdf",
                          "application/pdf", std::move(*pdf)});
}

// --- the status page ---

std::string ConfirmationSection(PortalEnv& env, const Loaded& loaded) {
  const Lang lang = env.lang;
  const Application& application = loaded.application;
  if (!application.confirmation || !loaded.form->organisation) return {};
  const applications::ConfirmationInfo& c = *application.confirmation;
  const applications::OrganisationStep& step = *loaded.form->organisation;
  std::string organisation = AnswerText(application.answers, step.name_field);
  if (organisation.empty()) organisation = T(lang, "portal.app.your_organisation");
  std::string html = SectionStart("confirmation", T(lang, "portal.app.confirmation_title"));
  switch (c.state) {
    case applications::ConfirmationState::kPending:
      html += P(Tf(lang, "portal.app.confirmation_pending",
                   {organisation, ShowDate(passwerk::BerlinDate(c.sent_at), lang),
                    ShowDate(passwerk::BerlinDate(c.expires_at), lang)}));
      if (application.status == ApplicationStatus::kAwaitingConfirmation && c.resends < step.max_resends) {
        html += P(Tf(lang, "portal.app.resend_left", {std::to_string(step.max_resends - c.resends)}));
        html += "<div class=\"pw-actions\">" +
                PostButton(env, AppHref(application.id) + "/resend", T(lang, "portal.app.resend"),
                           ButtonKind::kSecondary, "resend-confirmation") +
                "</div>";
      }
      break;
    case applications::ConfirmationState::kConfirmed:
      html += P(Tf(lang, "portal.app.confirmation_confirmed",
                   {organisation, c.answered_at ? ShowDate(passwerk::BerlinDate(*c.answered_at), lang) : "–"}));
      break;
    case applications::ConfirmationState::kDeclined:
      html += P(Tf(lang, "portal.app.confirmation_declined", {organisation}));
      if (!c.reason.empty()) html += Reason(lang, "portal.app.reason", c.reason, "confirmation-reason");
      break;
  }
  return html + "</section>\n";
}

// The first step that asks for a document (the needs-information page's link).
std::optional<size_t> DocumentStep(const Loaded& loaded) {
  const FormDefinition& form = *loaded.form;
  for (size_t i = 0; i < form.steps.size(); ++i) {
    for (const Field& f : form.steps[i].fields) {
      if (f.type == FieldType::kDocument && applications::Visible(form, f, loaded.application.answers)) return i;
    }
  }
  return std::nullopt;
}

std::string NextSteps(PortalEnv& env, const Loaded& loaded) {
  const Lang lang = env.lang;
  const Application& application = loaded.application;
  const std::string& department = application.department_name;
  std::string html = SectionStart("next", T(lang, "portal.app.next_title"));
  switch (application.status) {
    case ApplicationStatus::kDraft:
      html += P(T(lang, "portal.app.next.draft"));
      html += "<div class=\"pw-actions\">" +
              LinkButton(StepHref(application.id, 1), T(lang, "portal.app.resume"), true) +
              LinkButton(SummaryHref(application.id), T(lang, "portal.app.to_summary"), false) +
              PostButton(env, AppHref(application.id) + "/delete", T(lang, "portal.app.delete_draft"),
                         ButtonKind::kSecondary, "delete-draft") +
              "</div>";
      break;
    case ApplicationStatus::kSubmitted:
    case ApplicationStatus::kInReview:
      html += P(Tf(lang, "portal.app.next.in_review", {department}));
      break;
    case ApplicationStatus::kAwaitingConfirmation:
      html += P(Tf(lang, "portal.app.next.awaiting_confirmation", {department}));
      break;
    case ApplicationStatus::kPendingSecondApproval:
      html += P(Tf(lang, "portal.app.next.pending_second_approval", {department}));
      break;
    case ApplicationStatus::kNeedsInformation: {
      html += P(Tf(lang, "portal.app.next.needs_information", {department}));
      if (!application.reason.empty()) html += Reason(lang, "portal.app.request", application.reason, "reason");
      html += "<ul class=\"kern-list\"><li><a class=\"kern-link\" href=\"" + Escape(StepHref(application.id, 1)) +
              "\">" + Escape(T(lang, "portal.app.change_answers")) + "</a></li>";
      if (auto step = DocumentStep(loaded)) {
        html += "<li><a class=\"kern-link\" href=\"" + Escape(StepHref(application.id, *step + 1)) + "\">" +
                Escape(T(lang, "portal.app.upload_documents")) + "</a></li>";
      }
      html += "<li><a class=\"kern-link\" href=\"" + Escape(SummaryHref(application.id)) + "\">" +
              Escape(T(lang, "portal.app.check_answers")) + "</a></li></ul>";
      html += "<div class=\"pw-actions\">" +
              PostButton(env, AppHref(application.id) + "/submit", T(lang, "portal.app.resubmit"), ButtonKind::kPrimary,
                         "resubmit-application") +
              "</div>";
      break;
    }
    case ApplicationStatus::kApproved: {
      html += P(T(lang, "portal.app.next.approved"));
      if (!application.card_numbers.empty()) {
        html += "<ul class=\"kern-list\" id=\"card-numbers\">";
        for (const std::string& number : application.card_numbers) {
          html += "<li>" + Escape(Tf(lang, "portal.app.card_number", {cards::FormatCardNumber(number)})) + "</li>";
        }
        html += "</ul>";
      }
      if (application.valid_until) {
        html += P(Tf(lang, "portal.app.valid_until", {ShowDate(*application.valid_until, lang)}));
      }
      html += "<p class=\"kern-body\"><a class=\"kern-link\" id=\"to-cards\" href=\"/portal/cards\">" +
              Escape(T(lang, "portal.app.to_cards")) + "</a></p>";
      break;
    }
    case ApplicationStatus::kRejected:
      html += P(T(lang, "portal.app.next.rejected"));
      if (!application.reason.empty()) html += Reason(lang, "portal.app.reason", application.reason, "reason");
      break;
    case ApplicationStatus::kWithdrawn:
      html += P(T(lang, "portal.app.next.withdrawn"));
      break;
  }
  return html + "</section>\n";
}

Response RenderStatus(PortalEnv& env, const Loaded& loaded, int status, std::string notice_html) {
  const Lang lang = env.lang;
  const Application& application = loaded.application;
  const bool draft = application.status == ApplicationStatus::kDraft;
  const std::string title = draft ? Tf(lang, "portal.app.draft_title", {application.scheme_name})
                                  : Tf(lang, "portal.app.reference_title",
                                       {application.reference.empty() ? application.id : application.reference});
  std::string body = H1(title);
  if (notice_html.empty()) {
    if (env.request.QueryParam("submitted")) {
      notice_html = RenderAlert(AlertKind::kSuccess, T(lang, "portal.app.submitted"),
                                P(Tf(lang, "portal.app.submitted_text", {application.reference})));
    } else if (env.request.QueryParam("withdrawn")) {
      notice_html = RenderAlert(AlertKind::kSuccess, T(lang, "portal.app.withdrawn"), "");
    } else if (env.request.QueryParam("resent")) {
      notice_html = RenderAlert(AlertKind::kSuccess, T(lang, "portal.app.resent"), "");
    } else if (env.request.QueryParam("saved")) {
      notice_html = RenderAlert(AlertKind::kSuccess, T(lang, "portal.app.answers_saved"), "");
    }
  }
  body += notice_html;
  body += "<dl class=\"kern-description-list\" id=\"application\">";
  if (!application.reference.empty()) body += DescriptionItem(T(lang, "portal.app.reference"), application.reference);
  body += DescriptionItem(T(lang, "portal.app.scheme"), application.scheme_name);
  body += DescriptionItem(T(lang, "portal.app.kind"),
                          T(lang, application.renewal ? "portal.app.kind_renewal" : "portal.app.kind_first"));
  body += DescriptionItem(T(lang, "portal.app.department"), application.department_name);
  body += DescriptionItemHtml(T(lang, "portal.app.state"), StatusBadge(lang, application.status));
  if (application.submitted_at) {
    body += DescriptionItemHtml(T(lang, "portal.app.submitted_at"), TimeTag(*application.submitted_at, lang));
  }
  body += DescriptionItemHtml(T(lang, "portal.app.updated_at"), TimeTag(application.updated_at, lang));
  body += "</dl>\n";

  body += NextSteps(env, loaded);
  body += ConfirmationSection(env, loaded);

  // Links: what was sent, the conversation, withdrawing.
  std::string links;
  if (!draft) {
    links += "<li><a class=\"kern-link\" href=\"" + Escape(SummaryHref(application.id)) + "\">" +
             Escape(T(lang, "portal.app.show_answers")) + "</a></li>";
  }
  if (application.submitted_at) {
    links += "<li><a class=\"kern-link\" id=\"receipt\" href=\"" + Escape(AppHref(application.id) + "/receipt.pdf") +
             "\">" + Escape(T(lang, "portal.app.receipt")) + "</a></li>";
  }
  if (!application.thread_id.empty()) {
    links += "<li><a class=\"kern-link\" id=\"thread\" href=\"/portal/mailbox/" +
             Escape(UrlEncode(application.thread_id)) + "\">" + Escape(T(lang, "portal.app.thread")) + "</a></li>";
  }
  if (!links.empty()) {
    body += SectionStart("links", T(lang, "portal.app.links_title")) + "<ul class=\"kern-list\">" + links +
            "</ul></section>\n";
  }
  // Withdrawing asks once more on a page of its own.
  if (!draft && applications::IsOpen(application.status)) {
    body += "<p class=\"pw-actions\"><a class=\"kern-btn kern-btn--secondary\" id=\"withdraw\" href=\"" +
            Escape(AppHref(application.id) + "/withdraw") + "\"><span class=\"kern-label\">" +
            Escape(T(lang, "portal.app.withdraw_link")) + "</span></a></p>\n";
  }

  if (!application.events.empty()) {
    body += SectionStart("history", T(lang, "portal.app.history"));
    body += "<ol class=\"kern-list\" id=\"timeline\">";
    for (const applications::Event& event : application.events) {
      body += "<li>" + TimeTag(event.at, lang) + ": " + Escape(EventText(lang, event.kind)) + "</li>";
    }
    body += "</ol></section>\n";
  }
  body += "<p class=\"kern-body\"><a class=\"kern-link\" href=\"" + std::string(kListPath) + "\">" +
          Escape(T(lang, "portal.app.to_list")) + "</a></p>\n";
  return PortalHtml(env, kApplyPath, status, title, body);
}

Response GetStatus(PortalEnv& env) {
  Loaded loaded;
  if (auto refused = LoadApplication(env, loaded)) return std::move(*refused);
  return RenderStatus(env, loaded, 200, "");
}

Response PostResend(PortalEnv& env) {
  auto fields = env.request.FormParams();
  if (!CsrfOk(env, fields)) return CsrfErrorPage(PortalChrome(env, ""));
  Loaded loaded;
  if (auto refused = LoadApplication(env, loaded)) return std::move(*refused);
  Status resent = env.app.applications.ResendConfirmation(*env.session, loaded.application.id);
  if (resent.ok()) return Response::Redirect(AppHref(loaded.application.id) + "?resent=1");
  if (resent.code() == ErrorCode::kFailedPrecondition || resent.code() == ErrorCode::kResourceExhausted) {
    return RenderStatus(env, loaded, resent.code() == ErrorCode::kResourceExhausted ? 429 : 409,
                        RenderAlert(AlertKind::kDanger, T(env.lang, "portal.app.resend_refused"), ""));
  }
  return Failure(env, resent);
}

Response GetWithdraw(PortalEnv& env) {
  const Lang lang = env.lang;
  Loaded loaded;
  if (auto refused = LoadApplication(env, loaded)) return std::move(*refused);
  const Application& application = loaded.application;
  if (application.status == ApplicationStatus::kDraft || !applications::IsOpen(application.status)) {
    return Response::Redirect(AppHref(application.id));
  }
  std::string body = H1(T(lang, "portal.app.withdraw_title"));
  body += P(Tf(
      lang, "portal.app.withdraw_text",
      {application.reference.empty() ? application.scheme_name : application.reference, application.department_name}));
  body += "<div class=\"pw-actions\">" +
          PostButton(env, AppHref(application.id) + "/withdraw", T(lang, "portal.app.withdraw_confirm"),
                     ButtonKind::kPrimary, "withdraw-confirm") +
          LinkButton(AppHref(application.id), T(lang, "portal.app.withdraw_cancel"), false) + "</div>\n";
  return PortalHtml(env, kApplyPath, 200, T(lang, "portal.app.withdraw_title"), body);
}

Response PostWithdraw(PortalEnv& env) {
  auto fields = env.request.FormParams();
  if (!CsrfOk(env, fields)) return CsrfErrorPage(PortalChrome(env, ""));
  Loaded loaded;
  if (auto refused = LoadApplication(env, loaded)) return std::move(*refused);
  auto withdrawn = env.app.applications.Withdraw(*env.session, loaded.application.id);
  if (withdrawn.ok()) return Response::Redirect(AppHref(loaded.application.id) + "?withdrawn=1");
  if (withdrawn.status().code() == ErrorCode::kFailedPrecondition) {
    return RenderStatus(env, loaded, 409,
                        RenderAlert(AlertKind::kDanger, T(env.lang, "portal.app.withdraw_refused"), ""));
  }
  return Failure(env, withdrawn.status());
}

Response PostDelete(PortalEnv& env) {
  auto fields = env.request.FormParams();
  if (!CsrfOk(env, fields)) return CsrfErrorPage(PortalChrome(env, ""));
  Loaded loaded;
  if (auto refused = LoadApplication(env, loaded)) return std::move(*refused);
  Status deleted = env.app.applications.DeleteDraft(*env.session, loaded.application.id);
  if (deleted.ok()) return Response::Redirect(std::string(kListPath) + "?deleted=1");
  if (deleted.code() == ErrorCode::kFailedPrecondition) {
    return Refused(env, 409, "portal.app.refused.delete", AppHref(loaded.application.id));
  }
  return Failure(env, deleted);
}

// --- the list with renewal banners ---

std::string RenewalBanners(PortalEnv& env) {
  const Lang lang = env.lang;
  auto due = env.app.applications.RenewalsDue(*env.session);
  if (!due.ok()) return {};
  std::string html;
  for (const applications::RenewalOffer& offer : *due) {
    std::string action;
    if (!offer.draft_id.empty()) {
      action = LinkButton(StepHref(offer.draft_id, 1), T(lang, "portal.app.renewal_resume"), true);
    } else {
      action = PostButton(env, std::string(kListPath) + "/new", T(lang, "portal.app.renewal_start"),
                          ButtonKind::kPrimary, "", {{"scheme", offer.scheme}, {"renews", offer.application_id}});
    }
    html += RenderAlert(
        AlertKind::kWarning,
        Tf(lang, "portal.app.renewal_due",
           {offer.scheme_name, cards::FormatCardNumber(offer.card_number), ShowDate(offer.valid_until, lang)}),
        "<p class=\"kern-body\">" + Escape(T(lang, "portal.app.renewal_text")) + "</p><div class=\"pw-actions\">" +
            action + "</div>",
        false);
  }
  return html;
}

Response GetList(PortalEnv& env) {
  const Lang lang = env.lang;
  auto list = env.app.applications.CitizenApplications(*env.session);
  if (!list.ok()) return Failure(env, list.status());
  std::string body = H1(T(lang, "portal.app.list_title"));
  if (env.request.QueryParam("saved")) {
    body += RenderAlert(AlertKind::kSuccess, T(lang, "portal.app.saved"), P(T(lang, "portal.app.saved_text")));
  } else if (env.request.QueryParam("deleted")) {
    body += RenderAlert(AlertKind::kSuccess, T(lang, "portal.app.deleted"), "");
  }
  body += RenewalBanners(env);
  body += "<p class=\"pw-actions\">" + LinkButton(kApplyPath, T(lang, "portal.app.new"), true) + "</p>\n";
  if (list->empty()) {
    body += "<p class=\"kern-body\" id=\"applications-empty\">" + Escape(T(lang, "portal.app.list_empty")) + "</p>\n";
    return PortalHtml(env, kApplyPath, 200, T(lang, "portal.app.list_title"), body);
  }
  std::vector<Application> items = std::move(*list);
  std::stable_sort(items.begin(), items.end(),
                   [](const Application& a, const Application& b) { return a.updated_at > b.updated_at; });
  body += MailboxTableStart(
      "applications-caption", T(lang, "portal.app.list_caption"),
      {"portal.app.col_application", "portal.app.col_scheme", "portal.app.col_state", "portal.app.col_updated"}, lang);
  for (const Application& a : items) {
    std::string name = a.reference.empty() ? std::string(T(lang, "portal.app.draft")) : a.reference;
    if (a.renewal) name += " (" + std::string(T(lang, "portal.app.renewal")) + ")";
    body +=
        "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header\"><a class=\"kern-link\" "
        "href=\"" +
        Escape(AppHref(a.id)) + "\">" + Escape(name) + "</a></th>" +
        MailboxCell(T(lang, "portal.app.col_scheme"), Escape(a.scheme_name)) +
        MailboxCell(T(lang, "portal.app.col_state"), StatusBadge(lang, a.status)) +
        MailboxCell(T(lang, "portal.app.col_updated"), TimeTag(a.updated_at, lang), "pw-nowrap") + "</tr>";
  }
  body += "</tbody></table></div>\n";
  return PortalHtml(env, kApplyPath, 200, T(lang, "portal.app.list_title"), body);
}

// --- the offers ---

std::string OfferTile(Lang lang, const FormOffer& offer) {
  const Assurance needed = NeededLevel(offer.kind, *offer.form);
  const std::string href =
      std::string(kApplyPath) + "/" + std::string(KindPath(offer.kind)) + "?scheme=" + UrlEncode(offer.scheme);
  return "<li class=\"pw-tile\"><h2 class=\"kern-heading-small\"><a class=\"kern-link\" href=\"" + Escape(href) +
         "\">" + Escape(offer.form->title.In(L(lang))) + "</a></h2><p class=\"kern-body\">" +
         Escape(Tf(lang, "portal.app.offer_by", {offer.department_name, offer.municipality_name})) +
         "</p><p class=\"kern-body kern-body--small\">" +
         Escape(Tf(lang, "portal.needs_level", {AssuranceLabel(lang, needed)})) + "</p></li>\n";
}

Response GetApply(PortalEnv& env) {
  const Lang lang = env.lang;
  auto offers = env.app.applications.Offers();
  if (!offers.ok()) return Failure(env, offers.status());
  std::string body = H1(T(lang, "portal.apply.title"));
  if (offers->empty()) {
    body += RenderAlert(AlertKind::kInfo, T(lang, "portal.app.no_offers"), P(T(lang, "portal.not_yet.text")), false);
  } else {
    body += P(T(lang, "portal.apply.intro"));
    body += "<ul class=\"pw-tiles\" id=\"offers\">\n";
    for (const FormOffer& offer : *offers) body += OfferTile(lang, offer);
    body += "</ul>\n";
  }
  if (env.session) {
    body += "<p class=\"kern-body\"><a class=\"kern-link\" id=\"my-applications\" href=\"" + std::string(kListPath) +
            "\">" + Escape(T(lang, "portal.app.list_title")) + "</a></p>\n";
  }
  return PortalHtml(env, kApplyPath, 200, T(lang, "portal.apply.title"), body);
}

// /portal/apply/social-pass and /portal/apply/volunteer-card: the offer of
// that kind with its introduction (several: the list to choose from).
PortalHandler KindPage(cards::SchemeKind kind, std::string title_key) {
  return [kind, title_key = std::move(title_key)](PortalEnv& env) {
    const Lang lang = env.lang;
    auto offers = env.app.applications.Offers();
    if (!offers.ok()) return Failure(env, offers.status());
    const std::string wanted = env.request.QueryParam("scheme").value_or("");
    std::vector<const FormOffer*> of_kind;
    for (const FormOffer& offer : *offers) {
      if (offer.kind == kind && (wanted.empty() || offer.scheme == wanted)) of_kind.push_back(&offer);
    }
    if (!wanted.empty() && of_kind.empty()) return ErrorPage(PortalChrome(env, ""), 404);
    if (of_kind.empty()) {
      std::string body = H1(T(lang, title_key));
      body += RenderAlert(AlertKind::kInfo, T(lang, "portal.app.no_offer"), P(T(lang, "portal.not_yet.text")), false);
      return PortalHtml(env, kApplyPath, 200, T(lang, title_key), body);
    }
    if (of_kind.size() > 1) {
      std::string body = H1(T(lang, title_key));
      body += P(T(lang, "portal.app.choose_offer"));
      body += "<ul class=\"pw-tiles\" id=\"offers\">\n";
      for (const FormOffer* offer : of_kind) body += OfferTile(lang, *offer);
      body += "</ul>\n";
      return PortalHtml(env, kApplyPath, 200, T(lang, title_key), body);
    }
    const FormOffer& offer = *of_kind.front();
    const Assurance needed = NeededLevel(offer.kind, *offer.form);
    if (env.session->assurance < needed) return StepUp(env, needed, CurrentPath(env.request));
    const std::string title = offer.form->title.In(L(lang));
    std::string body = H1(title);
    body += "<p class=\"kern-body pw-lead\" id=\"intro\">" + Lines(offer.form->intro.In(L(lang))) + "</p>\n";
    body += "<dl class=\"kern-description-list\" id=\"offer\">";
    body += DescriptionItem(T(lang, "portal.app.department"), offer.department_name);
    body += DescriptionItem(T(lang, "portal.app.municipality"), offer.municipality_name);
    body += DescriptionItem(T(lang, "portal.app.steps_count"), std::to_string(offer.form->steps.size()));
    body += "</dl>\n";
    // A draft begun earlier: go on with it rather than start again.
    auto mine = env.app.applications.CitizenApplications(*env.session);
    if (mine.ok()) {
      for (const Application& a : *mine) {
        if (a.status != ApplicationStatus::kDraft || a.scheme != offer.scheme || a.renewal) continue;
        body +=
            RenderAlert(AlertKind::kInfo, Tf(lang, "portal.app.draft_exists", {FormatBerlinTime(a.updated_at, lang)}),
                        "<div class=\"pw-actions\">" +
                            LinkButton(StepHref(a.id, 1), T(lang, "portal.app.resume_draft"), false) + "</div>",
                        false);
        break;
      }
    }
    body += "<div class=\"pw-actions\">" +
            PostButton(env, std::string(kListPath) + "/new", T(lang, "portal.app.begin"), ButtonKind::kPrimary,
                       "begin-application", {{"scheme", offer.scheme}}) +
            "</div>\n";
    return PortalHtml(env, kApplyPath, 200, title, body);
  };
}

Response PostNew(PortalEnv& env) {
  auto fields = env.request.FormParams();
  if (!CsrfOk(env, fields)) return CsrfErrorPage(PortalChrome(env, ""));
  const std::string scheme = FormValue(fields, "scheme");
  const std::string renews = FormValue(fields, "renews");
  auto offer = env.app.applications.Offer(scheme);
  if (!offer.ok()) return Failure(env, offer.status());
  const Assurance needed = NeededLevel(offer->kind, *offer->form);
  if (env.session->assurance < needed) {
    return StepUp(env, needed,
                  std::string(kApplyPath) + "/" + std::string(KindPath(offer->kind)) + "?scheme=" + UrlEncode(scheme));
  }
  auto draft = env.app.applications.CreateDraft(*env.session, scheme, renews);
  if (draft.ok()) return Response::Redirect(StepHref(draft->id, 1));
  switch (draft.status().code()) {
    case ErrorCode::kResourceExhausted:
      return Refused(env, 429, "portal.app.refused.drafts", kListPath);
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kAlreadyExists:
      return Refused(env, 409, renews.empty() ? "portal.app.refused.new" : "portal.app.refused.renewal", kListPath);
    default:
      return Failure(env, draft.status());
  }
}

// --- the organisation's confirmation (a link from an e-mail, no account) ---

// Unknown, used and expired links look the same: nothing tells a guesser
// which links exist.
Response LinkNotValid(PortalEnv& env) {
  const Lang lang = env.lang;
  std::string body = H1(T(lang, "portal.app.org.invalid_title"));
  body += P(T(lang, "portal.app.org.invalid_text"));
  return PortalHtml(env, "", 404, T(lang, "portal.app.org.invalid_title"), body);
}

bool LinkProblem(ErrorCode code) {
  return code == ErrorCode::kNotFound || code == ErrorCode::kFailedPrecondition ||
         code == ErrorCode::kInvalidArgument || code == ErrorCode::kUnauthenticated ||
         code == ErrorCode::kPermissionDenied;
}

Response RenderOrganisation(PortalEnv& env, const std::string& token, const std::string& reason,
                            const std::vector<FieldError>& errors, int status) {
  const Lang lang = env.lang;
  if (token.empty()) return LinkNotValid(env);
  auto request = env.app.applications.ConfirmationByToken(token);
  if (!request.ok()) return LinkProblem(request.status().code()) ? LinkNotValid(env) : Failure(env, request.status());
  if (request->state != applications::ConfirmationState::kPending) return LinkNotValid(env);
  std::string body = H1(T(lang, "portal.app.org.title"));
  body += RenderErrorSummary(lang, errors);
  body += P(Tf(lang, "portal.app.org.intro",
               {request->contact, request->scheme_name, request->municipality_name, request->organisation}));
  body += P(T(lang, "portal.app.org.only"));
  body += "<dl class=\"kern-description-list\" id=\"confirm-answers\">";
  body += DescriptionItem(T(lang, "portal.app.org.organisation"), request->organisation);
  body += DescriptionItem(T(lang, "portal.app.org.scheme"), request->scheme_name);
  for (const auto& [field, value] : request->shown) {
    if (field == nullptr) continue;
    json one = json::object();
    one[field->id] = value;
    body += DescriptionItemHtml(field->label.In(L(lang)), ShowAnswer(lang, *field, one, {}));
  }
  body += "</dl>\n";
  body += P(Tf(lang, "portal.app.org.valid_until", {ShowDate(passwerk::BerlinDate(request->expires_at), lang)}));

  body += SectionStart("org-confirm", T(lang, "portal.app.org.confirm_title"));
  body += P(T(lang, "portal.app.org.confirm_text"));
  body += "<form class=\"pw-form\" method=\"post\" action=\"" + std::string(kOrganisationPath) + "\">" +
          Hidden("token", token) + Hidden("decision", "confirm") + "<div class=\"pw-actions\">" +
          RenderButton(ButtonKind::kPrimary, T(lang, "portal.app.org.confirm"), "id=\"org-confirm-button\"") +
          "</div></form>\n</section>\n";

  body += SectionStart("org-decline", T(lang, "portal.app.org.decline_title"));
  body += "<form class=\"pw-form\" method=\"post\" action=\"" + std::string(kOrganisationPath) + "\" novalidate>" +
          Hidden("token", token) + Hidden("decision", "decline");
  TextareaField text;
  text.name = "reason";
  text.label = T(lang, "portal.app.org.reason");
  text.hint = T(lang, "portal.app.org.reason_hint");
  text.value = reason;
  text.error = MessageFor(errors, "reason");
  text.rows = 4;
  text.maxlength = 2000;
  text.required = true;
  body += RenderTextarea(text);
  body += "<div class=\"pw-actions\">" +
          RenderButton(ButtonKind::kSecondary, T(lang, "portal.app.org.decline"), "id=\"org-decline-button\"") +
          "</div></form>\n</section>\n";
  return PortalHtml(env, "", status, T(lang, "portal.app.org.title"), body);
}

Response GetOrganisation(PortalEnv& env) {
  const Lang lang = env.lang;
  const std::string done = env.request.QueryParam("done").value_or("");
  if (done == "confirmed" || done == "declined") {
    std::string body = H1(T(lang, "portal.app.org.thanks_title"));
    body += RenderAlert(AlertKind::kSuccess, T(lang, "portal.app.org.done_" + done), "");
    body += P(T(lang, "portal.app.org.thanks_text"));
    return PortalHtml(env, "", 200, T(lang, "portal.app.org.thanks_title"), body);
  }
  return RenderOrganisation(env, env.request.QueryParam("token").value_or(""), "", {}, 200);
}

// No CSRF token: the organisation has no session, and the link's key is
// itself the secret only the addressee holds.
Response PostOrganisation(PortalEnv& env) {
  const Lang lang = env.lang;
  auto fields = env.request.FormParams();
  const std::string token = FormValue(fields, "token");
  const std::string decision = FormValue(fields, "decision");
  const std::string reason = TrimSpaces(FormValue(fields, "reason"));
  if (token.empty() || (decision != "confirm" && decision != "decline")) return LinkNotValid(env);
  const bool confirmed = decision == "confirm";
  if (!confirmed && reason.empty()) {
    return RenderOrganisation(env, token, reason, {{"reason", std::string(T(lang, "portal.app.org.reason_missing"))}},
                              400);
  }
  Status answered =
      env.app.applications.AnswerConfirmation(token, confirmed, confirmed ? "" : reason, env.request.request_id);
  if (answered.ok()) {
    return Response::Redirect(std::string(kOrganisationPath) + "?done=" + (confirmed ? "confirmed" : "declined"));
  }
  if (answered.code() == ErrorCode::kInvalidArgument && answered.field() == "reason") {
    return RenderOrganisation(env, token, reason, {{"reason", std::string(T(lang, "portal.app.org.reason_long"))}},
                              400);
  }
  return LinkProblem(answered.code()) ? LinkNotValid(env) : Failure(env, answered);
}

}  // namespace

void RegisterPortalApplicationPages(Router& router, AppContext& app) {
  router.Add("GET", "/portal/apply", "portal.apply", PortalPage(app, GetApply));
  router.Add("GET", "/portal/apply/social-pass", "portal.apply.social_pass",
             PortalServicePage(app, CitizenService::kApplySocialPass,
                               KindPage(cards::SchemeKind::kSocialPass, "portal.apply.social_pass")));
  router.Add("GET", "/portal/apply/volunteer-card", "portal.apply.volunteer_card",
             PortalServicePage(app, CitizenService::kApplyVolunteerCard,
                               KindPage(cards::SchemeKind::kVolunteerCard, "portal.apply.volunteer_card")));
  auto page = [&app](PortalHandler handler) { return SessionPage(app, std::move(handler)); };
  router.Add("GET", "/portal/applications", "portal.applications", page(GetList));
  router.Add("POST", "/portal/applications/new", "portal.applications.new", page(PostNew));
  router.Add("GET", "/portal/applications/{id}", "portal.applications.status", page(GetStatus));
  router.Add("GET", "/portal/applications/{id}/steps/{n}", "portal.applications.step", page(GetStep));
  router.Add("POST", "/portal/applications/{id}/steps/{n}", "portal.applications.step_save", page(PostStep));
  router.Add("POST", "/portal/applications/{id}/upload", "portal.applications.upload", page(PostUpload));
  router.Add("GET", "/portal/applications/{id}/documents/{doc}", "portal.applications.document", page(GetDocument));
  router.Add("POST", "/portal/applications/{id}/documents/{doc}/remove", "portal.applications.document_remove",
             page(PostRemoveDocument));
  router.Add("GET", "/portal/applications/{id}/summary", "portal.applications.summary", page(GetSummary));
  router.Add("POST", "/portal/applications/{id}/submit", "portal.applications.submit", page(PostSubmit));
  router.Add("GET", "/portal/applications/{id}/receipt.pdf", "portal.applications.receipt", page(GetReceipt));
  router.Add("POST", "/portal/applications/{id}/resend", "portal.applications.resend", page(PostResend));
  router.Add("GET", "/portal/applications/{id}/withdraw", "portal.applications.withdraw_page", page(GetWithdraw));
  router.Add("POST", "/portal/applications/{id}/withdraw", "portal.applications.withdraw", page(PostWithdraw));
  router.Add("POST", "/portal/applications/{id}/delete", "portal.applications.delete", page(PostDelete));
  router.Add("GET", std::string(kOrganisationPath), "portal.organisation.confirm_page",
             PortalPage(app, GetOrganisation));
  router.Add("POST", std::string(kOrganisationPath), "portal.organisation.confirm", PortalPage(app, PostOrganisation));
}

}  // namespace passwerk::web
