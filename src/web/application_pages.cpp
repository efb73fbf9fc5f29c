// Applications (Anträge) for office staff: the queue of their departments with
// filters and pages, one application with its answers, documents, the
// organisation's confirmation, its history and internal notes, the decision,
// the CSV export per department and the statistics. Thin handlers over
// applications::ApplicationService, which decides applications.read /
// applications.decide per department and audits every read (a clerk of
// another department gets NotFound, shown as the 404 page).
#include <algorithm>
#include <cstdint>
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
#include "http/api_util.h"
#include "web/areas.h"
#include "web/html.h"
#include "web/i18n.h"
#include "web/page_env.h"

namespace passwerk::web {
namespace {

using accounts::Action;
using applications::Application;
using applications::ApplicationStatus;
using applications::Decision;

constexpr int kPerPage = 25;
// Characters the page lets a clerk type; the domain checks its own limits too.
constexpr int kReasonMax = 2000;
constexpr int kNoteMax = 2000;

std::string ApplicationHref(std::string_view id) { return "/applications/" + UrlEncode(id); }

std::string StatusText(Lang lang, ApplicationStatus status) {
  return std::string(T(lang, "applications.status." + std::string(applications::StatusName(status))));
}

// The status as a badge: what waits for the office stands out.
std::string StatusBadge(Lang lang, ApplicationStatus status) {
  std::string_view kind = "info";
  switch (status) {
    case ApplicationStatus::kApproved:
      kind = "success";
      break;
    case ApplicationStatus::kRejected:
      kind = "danger";
      break;
    case ApplicationStatus::kSubmitted:
    case ApplicationStatus::kPendingSecondApproval:
      kind = "warning";
      break;
    default:
      break;
  }
  return Badge(kind, StatusText(lang, status));
}

std::string KindText(Lang lang, bool renewal) {
  return std::string(T(lang, renewal ? "applications.kind.renewal" : "applications.kind.first"));
}

// Characters, not bytes: what the browser's maxlength counts.
size_t CharacterCount(std::string_view text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string DateTag(int64_t at, Lang lang) {
  const Date date = ::passwerk::BerlinDate(at);
  return "<time datetime=\"" + Escape(FormatIsoDate(date)) + "\">" + Escape(ShowDate(date, lang)) + "</time>";
}

std::string TimeTag(int64_t at, Lang lang) {
  return "<time datetime=\"" + Escape(FormatUtc(at)) + "\">" + Escape(FormatBerlinTime(at, lang)) + "</time>";
}

std::string BackLink(std::string_view href, std::string_view label) {
  return "<p class=\"kern-body\"><a class=\"kern-link\" href=\"" + Escape(href) + "\">" + Escape(label) + "</a></p>\n";
}

// The schemes whose applications the user may see: social passes and
// volunteer cards of their departments (guest cards have no applications).
std::vector<cards::Scheme> ApplicationSchemes(Env& env) {
  std::vector<cards::Scheme> out;
  auto schemes = env.app.cards.ListSchemes(ActorFor(env), Action::kReadSchemes);
  if (!schemes.ok()) return out;
  for (cards::Scheme& scheme : *schemes) {
    if (scheme.kind == cards::SchemeKind::kSocialPass || scheme.kind == cards::SchemeKind::kVolunteerCard) {
      out.push_back(std::move(scheme));
    }
  }
  return out;
}

// ---- the queue ----

struct QueueQuery {
  std::string status;  // a status name but "draft"; empty: all
  std::string scheme;  // a slug of ApplicationSchemes; empty: all
  std::string kind;    // "first", "renewal"; empty: both
  std::string from;    // as typed (YYYY-MM-DD)
  std::string until;
  std::string order = "unprocessed";  // or "submitted"
  int page = 1;
};

// A date as a date field sends it (2026-12-31) or as someone types it where
// the browser has no date field (31.12.2026); `text` becomes the ISO form.
std::optional<Date> ReadDate(std::string& text) {
  std::optional<Date> date = ParseIsoDate(text);
  if (!date && text.size() == 10 && text[2] == '.' && text[5] == '.') {
    date = ParseIsoDate(text.substr(6, 4) + "-" + text.substr(3, 2) + "-" + text.substr(0, 2));
  }
  if (date) text = FormatIsoDate(*date);
  return date;
}

// The filters as a query string (without page), for the pages' links.
std::string QueueQueryString(const QueueQuery& q) {
  std::string out;
  auto add = [&](std::string_view name, const std::string& value) {
    if (value.empty()) return;
    out += out.empty() ? "?" : "&";
    out += std::string(name) + "=" + UrlEncode(value);
  };
  add("status", q.status);
  add("scheme", q.scheme);
  add("kind", q.kind);
  add("from", q.from);
  add("until", q.until);
  if (q.order != "unprocessed") add("order", q.order);
  return out;
}

std::string PageHref(const QueueQuery& q, int page) {
  const std::string filters = QueueQueryString(q);
  return "/applications" + filters + (filters.empty() ? "?" : "&") + "page=" + std::to_string(page);
}

std::string QueueFilterForm(Lang lang, const QueueQuery& q, const std::vector<cards::Scheme>& schemes,
                            const std::vector<FieldError>& errors) {
  std::string html =
      "<form class=\"pw-filter\" method=\"get\" action=\"/applications\" role=\"search\" "
      "aria-labelledby=\"filter-heading\" novalidate><h2 class=\"kern-heading-small\" id=\"filter-heading\">" +
      Escape(T(lang, "applications.filter")) + "</h2><div class=\"pw-filter__fields\">";

  SelectField status;
  status.name = "status";
  status.label = T(lang, "applications.col_status");
  status.groups.push_back({});
  status.groups[0].options.push_back({"", std::string(T(lang, "applications.any_status")), q.status.empty()});
  for (ApplicationStatus s : applications::kAllStatuses) {
    if (s == ApplicationStatus::kDraft) continue;
    const std::string name(applications::StatusName(s));
    status.groups[0].options.push_back({name, StatusText(lang, s), q.status == name});
  }
  html += RenderSelect(status);

  SelectField scheme;
  scheme.name = "scheme";
  scheme.label = T(lang, "applications.col_scheme");
  scheme.groups.push_back({});
  scheme.groups[0].options.push_back({"", std::string(T(lang, "applications.any_scheme")), q.scheme.empty()});
  for (const cards::Scheme& s : schemes) scheme.groups[0].options.push_back({s.slug, s.name, q.scheme == s.slug});
  html += RenderSelect(scheme);

  SelectField kind;
  kind.name = "kind";
  kind.label = T(lang, "applications.col_kind");
  kind.groups.push_back({});
  kind.groups[0].options.push_back({"", std::string(T(lang, "applications.any_kind")), q.kind.empty()});
  kind.groups[0].options.push_back({"first", KindText(lang, false), q.kind == "first"});
  kind.groups[0].options.push_back({"renewal", KindText(lang, true), q.kind == "renewal"});
  html += RenderSelect(kind);

  InputField from;
  from.name = "from";
  from.type = "date";
  from.label = T(lang, "applications.from");
  from.value = q.from;
  from.error = MessageFor(errors, "from");
  html += RenderInput(from);
  InputField until;
  until.name = "until";
  until.type = "date";
  until.label = T(lang, "applications.until");
  until.value = q.until;
  until.error = MessageFor(errors, "until");
  html += RenderInput(until);

  SelectField order;
  order.name = "order";
  order.label = T(lang, "applications.order");
  order.groups.push_back({});
  order.groups[0].options.push_back(
      {"unprocessed", std::string(T(lang, "applications.order.unprocessed")), q.order == "unprocessed"});
  order.groups[0].options.push_back(
      {"submitted", std::string(T(lang, "applications.order.submitted")), q.order == "submitted"});
  html += RenderSelect(order);

  return html + "</div><div class=\"pw-actions\">" + RenderButton(ButtonKind::kPrimary, T(lang, "applications.show")) +
         "<a class=\"kern-btn kern-btn--tertiary\" href=\"/applications\"><span class=\"kern-label\">" +
         Escape(T(lang, "applications.reset")) + "</span></a></div></form>\n";
}

// The export links, one per department of the user that they may read.
std::string ExportLinks(Env& env) {
  const Lang lang = env.lang;
  const accounts::User& user = env.session->user;
  if (!user.municipality_id || user.department_ids.empty()) return std::string();
  std::map<int64_t, std::string> names;
  if (auto departments = env.app.accounts.ListDepartments(user.municipality_id); departments.ok()) {
    for (const accounts::Department& d : *departments) names[d.id] = d.name;
  }
  std::string items;
  for (int64_t department : user.department_ids) {
    if (!Can(env, Action::kReadApplications, accounts::Resource::InDepartment(*user.municipality_id, department))) {
      continue;
    }
    auto name = names.find(department);
    items += "<li><a class=\"kern-link\" href=\"/applications/export.csv?department_id=" + std::to_string(department) +
             "\" download>" +
             Escape(Tf(lang, "applications.export_department",
                       {name == names.end() ? std::to_string(department) : name->second})) +
             "</a></li>";
  }
  if (items.empty()) return std::string();
  return SectionStart("export", T(lang, "applications.export_title")) + TextBlock(T(lang, "applications.export_text")) +
         "<ul class=\"kern-list\">" + items + "</ul></section>\n";
}

Response GetQueue(Env& env) {
  const Lang lang = env.lang;
  if (!Can(env, Action::kReadApplications)) return Forbidden(env);
  const std::vector<cards::Scheme> schemes = ApplicationSchemes(env);
  const Request& request = env.request;

  QueueQuery q;
  applications::QueueFilter filter;
  std::vector<FieldError> errors;
  if (auto status = applications::ParseStatus(request.QueryParam("status").value_or(""));
      status && *status != ApplicationStatus::kDraft) {
    q.status = std::string(applications::StatusName(*status));
    filter.status = *status;
  }
  const std::string scheme = request.QueryParam("scheme").value_or("");
  if (std::any_of(schemes.begin(), schemes.end(), [&](const cards::Scheme& s) { return s.slug == scheme; })) {
    q.scheme = scheme;
    filter.scheme = scheme;
  }
  const std::string kind = request.QueryParam("kind").value_or("");
  if (kind == "first" || kind == "renewal") {
    q.kind = kind;
    filter.renewal = kind == "renewal";
  }
  q.from = TrimSpaces(request.QueryParam("from").value_or(""));
  q.until = TrimSpaces(request.QueryParam("until").value_or(""));
  if (!q.from.empty()) {
    filter.from = ReadDate(q.from);
    if (!filter.from) errors.push_back({"from", std::string(T(lang, "applications.err_date"))});
  }
  if (!q.until.empty()) {
    filter.until = ReadDate(q.until);
    if (!filter.until) errors.push_back({"until", std::string(T(lang, "applications.err_date"))});
  }
  if (filter.from && filter.until && *filter.until < *filter.from) {
    errors.push_back({"until", std::string(T(lang, "applications.err_range"))});
  }
  if (request.QueryParam("order").value_or("") == "submitted") q.order = "submitted";
  filter.unprocessed_first = q.order == "unprocessed";
  if (auto page = request.QueryParam("page")) q.page = static_cast<int>(ParseIntegerIn(*page, 1, 999999).value_or(1));
  filter.page = q.page;
  filter.per_page = kPerPage;

  std::string body = Heading(T(lang, "applications.title"));
  body += RenderErrorSummary(lang, errors);
  body += Paragraph(T(lang, "applications.intro"));
  body += QueueFilterForm(lang, q, schemes, errors);
  if (!errors.empty()) return HtmlPage(UserChrome(env, "applications"), 422, T(lang, "applications.title"), body);

  auto queue = env.app.applications.Queue(ActorFor(env), filter);
  if (!queue.ok()) {
    if (queue.status().code() != ErrorCode::kInvalidArgument) return ErrorFor(env, queue.status());
    // A filter the domain refused: said at the top, the form kept as typed.
    std::string refused = Heading(T(lang, "applications.title"));
    refused += RenderErrorSummary(lang, {{"", std::string(T(lang, "applications.err_filter"))}});
    refused += Paragraph(T(lang, "applications.intro"));
    refused += QueueFilterForm(lang, q, schemes, {});
    return HtmlPage(UserChrome(env, "applications"), 422, T(lang, "applications.title"), refused);
  }
  const int per_page = queue->per_page > 0 ? queue->per_page : kPerPage;
  const int64_t pages = std::max<int64_t>(1, (queue->total + per_page - 1) / per_page);
  const int page = queue->page > 0 ? queue->page : q.page;

  body += SectionStart("queue", T(lang, "applications.queue_title"));
  body += TextBlock(
      Tf(lang, queue->total == 1 ? "applications.count_one" : "applications.count", {std::to_string(queue->total)}));
  if (queue->items.empty()) {
    if (queue->total > 0) {
      body += TextBlock(T(lang, "applications.page_empty"));
      body += BackLink(PageHref(q, 1), T(lang, "applications.first_page"));
    } else {
      body += "<p class=\"kern-body pw-empty\">" + Escape(T(lang, "applications.empty")) + "</p>";
    }
  } else {
    body += MailboxTableStart("queue-caption",
                              Tf(lang, "applications.caption", {std::to_string(page), std::to_string(pages)}),
                              {"applications.col_reference", "applications.col_applicant", "applications.col_scheme",
                               "applications.col_kind", "applications.col_status", "applications.col_submitted"},
                              lang);
    for (const applications::QueueItem& item : queue->items) {
      const std::string reference = item.reference.empty() ? item.id : item.reference;
      body +=
          "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header\"><a class=\"kern-link\" "
          "href=\"" +
          Escape(ApplicationHref(item.id)) + "\">" + Escape(reference) + "</a></th>" +
          MailboxCell(T(lang, "applications.col_applicant"), Escape(item.applicant)) +
          MailboxCell(T(lang, "applications.col_scheme"),
                      Escape(item.scheme_name.empty() ? item.scheme : item.scheme_name)) +
          MailboxCell(T(lang, "applications.col_kind"), Escape(KindText(lang, item.renewal))) +
          MailboxCell(T(lang, "applications.col_status"),
                      "<span class=\"pw-badges\">" + StatusBadge(lang, item.status) + "</span>") +
          MailboxCell(T(lang, "applications.col_submitted"), DateTag(item.submitted_at, lang), "pw-nowrap") + "</tr>";
    }
    body += "</tbody></table></div>\n";
  }
  if (pages > 1) {
    body += "<nav class=\"pw-paging\" aria-label=\"" + Escape(T(lang, "applications.pages")) + "\"><ul>";
    if (page > 1) {
      body += "<li><a class=\"kern-link\" rel=\"prev\" href=\"" + Escape(PageHref(q, page - 1)) + "\">" +
              Escape(T(lang, "applications.previous")) + "</a></li>";
    }
    body += "<li aria-current=\"page\">" +
            Escape(Tf(lang, "applications.page_of", {std::to_string(page), std::to_string(pages)})) + "</li>";
    if (page < pages) {
      body += "<li><a class=\"kern-link\" rel=\"next\" href=\"" + Escape(PageHref(q, page + 1)) + "\">" +
              Escape(T(lang, "applications.next")) + "</a></li>";
    }
    body += "</ul></nav>\n";
  }
  body += "</section>\n";

  body += ExportLinks(env);
  if (Can(env, Action::kReadStatistics)) {
    body += "<p class=\"kern-body\"><a class=\"kern-link\" href=\"/statistics/applications\">" +
            Escape(T(lang, "applications.statistics_link")) + "</a></p>\n";
  }
  return HtmlPage(UserChrome(env, "applications"), 200, T(lang, "applications.title"), body);
}

Response GetExport(Env& env) {
  if (!Can(env, Action::kReadApplications)) return Forbidden(env);
  std::optional<int64_t> department = ParseId(env.request.QueryParam("department_id").value_or(""));
  if (!department) return ErrorPage(UserChrome(env, ""), 404);
  auto csv = env.app.applications.ExportCsv(ActorFor(env), *department);
  if (!csv.ok()) return ErrorFor(env, csv.status());
  Response response;
  response.status = 200;
  response.content_type = "text/csv; charset=utf-8";
  response.body = std::move(*csv);
  response.AddHeader(
      "Content-Disposition",
      http::AttachmentDisposition("antraege-fachbereich-" + std::to_string(*department) + "-" +
                                  FormatIsoDate(::passwerk::BerlinDate(env.app.clock.NowUnix())) + ".csv"));
  response.AddHeader("Cache-Control", "private, no-store");
  return response;
}

// ---- one application ----

// The answer of one field as the page shows it (trusted markup).
std::string AnswerHtml(Lang lang, const applications::Field& field, const nlohmann::json& value) {
  using applications::FieldType;
  const std::string_view code = LangCode(lang);
  if (value.is_null()) return "<span class=\"pw-muted\">" + Escape(T(lang, "applications.no_answer")) + "</span>";
  switch (field.type) {
    case FieldType::kBoolean:
      if (value.is_boolean()) return Escape(T(lang, value.get<bool>() ? "applications.yes" : "applications.no"));
      break;
    case FieldType::kDate:
      if (value.is_string()) return Escape(ShowIsoDate(value.get<std::string>(), lang));
      break;
    case FieldType::kChoice:
      if (value.is_string()) {
        const std::string chosen = value.get<std::string>();
        for (const applications::Option& option : field.options) {
          if (option.value == chosen) return Escape(option.label.In(code));
        }
        return Escape(chosen);
      }
      break;
    case FieldType::kMultiline:
      if (value.is_string()) {
        return "<span class=\"pw-message__body\">" + Escape(value.get<std::string>()) + "</span>";
      }
      break;
    case FieldType::kPersons:
      if (value.is_array()) {
        if (value.empty()) return Escape(T(lang, "applications.no_persons"));
        std::string html = "<ul class=\"kern-list\">";
        for (const nlohmann::json& person : value) {
          if (!person.is_object()) continue;
          auto part = [&](const char* key) {
            auto it = person.find(key);
            return it != person.end() && it->is_string() ? it->get<std::string>() : std::string();
          };
          const std::string name = TrimSpaces(part("given_name") + " " + part("family_name"));
          const std::string born = part("birth_date");
          html += "<li>" + Escape(name);
          if (!born.empty()) html += ", " + Escape(Tf(lang, "applications.born", {ShowIsoDate(born, lang)}));
          html += "</li>";
        }
        return html + "</ul>";
      }
      break;
    default:
      if (value.is_string()) return Escape(value.get<std::string>());
      if (value.is_number_integer()) return Escape(std::to_string(value.get<int64_t>()));
      break;
  }
  // A value of an unexpected kind: shown as it is rather than hidden.
  return Escape(value.is_string() ? value.get<std::string>() : value.dump());
}

// The answers step by step, with the form's labels; hidden questions and
// documents (their own section) left out.
std::string AnswersSection(Lang lang, const applications::FormDefinition& form, const nlohmann::json& answers) {
  const std::string_view code = LangCode(lang);
  std::string html = SectionStart("answers", T(lang, "applications.answers"));
  int step_number = 0;
  for (const applications::Step& step : form.steps) {
    ++step_number;
    std::string items;
    for (const applications::Field& field : step.fields) {
      if (field.type == applications::FieldType::kDocument) continue;
      if (!applications::Visible(form, field, answers)) continue;
      const nlohmann::json value =
          answers.is_object() && answers.contains(field.id) ? answers.at(field.id) : nlohmann::json();
      items += DescriptionItemHtml(field.label.In(code), AnswerHtml(lang, field, value));
    }
    if (items.empty()) continue;
    const std::string id = "step-" + std::to_string(step_number);
    html += "<h3 class=\"kern-heading-small\" id=\"" + id + "\">" + Escape(step.title.In(code)) +
            "</h3><dl class=\"kern-description-list\" aria-labelledby=\"" + id + "\">" + items + "</dl>\n";
  }
  return html + "</section>\n";
}

std::string DocumentsSection(Lang lang, const Application& application, const applications::FormDefinition* form) {
  std::string html = SectionStart("documents", T(lang, "applications.documents"));
  if (application.documents.empty()) {
    return html + TextBlock(T(lang, "applications.no_documents")) + "</section>\n";
  }
  html += MailboxTableStart(
      "documents-caption", T(lang, "applications.documents_caption"),
      {"applications.col_document", "applications.col_evidence", "applications.col_size", "applications.col_uploaded"},
      lang);
  const std::string base = ApplicationHref(application.id) + "/documents/";
  for (const applications::DocumentInfo& document : application.documents) {
    std::string evidence = document.field;
    if (form) {
      if (const applications::Field* field = form->FindField(document.field))
        evidence = field->label.In(LangCode(lang));
    }
    const std::string name = document.name.empty() ? std::string(T(lang, "mailbox.unnamed_file")) : document.name;
    html +=
        "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header\"><a class=\"kern-link\" href=\"" +
        Escape(base + UrlEncode(document.id)) + "\" download>" + Escape(name) + "</a></th>" +
        MailboxCell(T(lang, "applications.col_evidence"), Escape(evidence)) +
        MailboxCell(T(lang, "applications.col_size"), Escape(MailboxFileSize(document.size, lang)), "pw-nowrap") +
        MailboxCell(T(lang, "applications.col_uploaded"), TimeTag(document.uploaded_at, lang), "pw-nowrap") + "</tr>";
  }
  return html + "</tbody></table></div></section>\n";
}

std::string AnswerText(const nlohmann::json& answers, const std::string& field) {
  if (field.empty() || !answers.is_object()) return std::string();
  auto it = answers.find(field);
  return it != answers.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string ConfirmationSection(Lang lang, const Application& application, const applications::FormDefinition* form) {
  const applications::ConfirmationInfo& c = *application.confirmation;
  std::string html = SectionStart("confirmation", T(lang, "applications.confirmation"));
  html += "<dl class=\"kern-description-list\">";
  if (form && form->organisation) {
    const applications::OrganisationStep& organisation = *form->organisation;
    if (std::string name = AnswerText(application.answers, organisation.name_field); !name.empty()) {
      html += DescriptionItem(T(lang, "applications.organisation"), name);
    }
    if (std::string contact = AnswerText(application.answers, organisation.contact_field); !contact.empty()) {
      html += DescriptionItem(T(lang, "applications.contact"), contact);
    }
    if (std::string email = AnswerText(application.answers, organisation.email_field); !email.empty()) {
      html += DescriptionItem(T(lang, "applications.contact_email"), email);
    }
  }
  std::string_view kind = c.state == applications::ConfirmationState::kConfirmed  ? "success"
                          : c.state == applications::ConfirmationState::kDeclined ? "danger"
                                                                                  : "info";
  html += DescriptionItemHtml(
      T(lang, "applications.confirmation_state"),
      Badge(kind, T(lang, "applications.confirmation." + std::string(applications::ConfirmationStateName(c.state)))));
  html += DescriptionItemHtml(T(lang, "applications.confirmation_sent"), TimeTag(c.sent_at, lang));
  if (c.answered_at) {
    html += DescriptionItemHtml(T(lang, "applications.confirmation_answered"), TimeTag(*c.answered_at, lang));
  } else if (c.expires_at > 0) {
    html += DescriptionItemHtml(T(lang, "applications.confirmation_expires"), TimeTag(c.expires_at, lang));
  }
  if (c.resends > 0) html += DescriptionItem(T(lang, "applications.confirmation_resends"), std::to_string(c.resends));
  if (c.state == applications::ConfirmationState::kDeclined && !c.reason.empty()) {
    html += DescriptionItemHtml(T(lang, "applications.decline_reason"),
                                "<span class=\"pw-message__body\">" + Escape(c.reason) + "</span>");
  }
  return html + "</dl></section>\n";
}

std::string EventsSection(Lang lang, const Application& application) {
  std::string html = SectionStart("history", T(lang, "applications.history"));
  if (application.events.empty()) return html + TextBlock(T(lang, "applications.no_events")) + "</section>\n";
  html += "<ol class=\"kern-list\">";
  for (const applications::Event& event : application.events) {
    const std::string key = "applications.event." + event.kind;
    html += "<li>" + TimeTag(event.at, lang) + ": " +
            Escape(HasText(key) ? T(lang, key) : T(lang, "applications.event.other")) + "</li>";
  }
  return html + "</ol></section>\n";
}

// What a failed POST asks the page to show again.
struct Outcome {
  int status = 200;
  std::vector<FieldError> errors;
  bool conflict = false;  // a decision the application's state refused: explained from the state shown
  std::string decision;   // as chosen
  std::string reason;     // as typed
  std::string note;       // as typed
};

// Whether the first approval of a four-eyes application was this user's.
bool FirstApprovalIsMine(const Env& env, const Application& application) {
  if (application.first_approver.empty()) return false;
  const accounts::User& user = env.session->user;
  return application.first_approver == ActorFor(env).id || application.first_approver == user.username ||
         (!user.display_name.empty() && application.first_approver == user.display_name);
}

// Why the application's state refused a decision, from what it is now.
std::string ConflictMessage(const Env& env, const Application& application) {
  const Lang lang = env.lang;
  switch (application.status) {
    case ApplicationStatus::kWithdrawn:
      return std::string(T(lang, "applications.err_withdrawn"));
    case ApplicationStatus::kApproved:
    case ApplicationStatus::kRejected:
      return std::string(T(lang, "applications.err_decided"));
    case ApplicationStatus::kPendingSecondApproval:
      if (FirstApprovalIsMine(env, application)) return std::string(T(lang, "applications.err_own_approval"));
      break;
    default:
      break;
  }
  return std::string(T(lang, "applications.err_state"));
}

bool Decidable(ApplicationStatus status) { return status != ApplicationStatus::kDraft && applications::IsOpen(status); }

std::string DecisionForm(const Env& env, const Application& application, const Outcome& outcome) {
  const Lang lang = env.lang;
  const bool second = application.status == ApplicationStatus::kPendingSecondApproval;
  std::string html = SectionStart("decision", T(lang, "applications.decision"));
  if (second) {
    html += TextBlock(FirstApprovalIsMine(env, application)
                          ? std::string(T(lang, "applications.second_own"))
                          : Tf(lang, "applications.second_text", {application.first_approver}));
  }
  html += "<form class=\"pw-form\" method=\"post\" action=\"" + Escape(ApplicationHref(application.id) + "/decision") +
          "\" novalidate>" + CsrfInput(env.session->csrf_token);

  const std::string error = MessageFor(outcome.errors, "decision");
  const std::string id = FieldId("decision");
  html += "<fieldset class=\"kern-fieldset";
  if (!error.empty()) html += " kern-fieldset--error";
  html += "\" id=\"" + id + "\"";
  if (!error.empty()) html += " aria-describedby=\"" + id + "-error\"";
  html += "><legend class=\"kern-label\">" + Escape(T(lang, "applications.decision_legend")) +
          "</legend><div class=\"kern-fieldset__body\">";
  const std::pair<const char*, std::string> choices[] = {
      {"approve", std::string(T(lang, second ? "applications.decide.confirm" : "applications.decide.approve"))},
      {"reject", std::string(T(lang, "applications.decide.reject"))},
      {"request_information", std::string(T(lang, "applications.decide.request_information"))},
  };
  for (const auto& [value, label] : choices) {
    const std::string radio_id = id + "-" + value;
    html += "<div class=\"kern-form-check\"><input class=\"kern-form-check__radio";
    if (!error.empty()) html += " kern-form-check__radio--error";
    html += "\" type=\"radio\" id=\"" + radio_id + "\" name=\"decision\" value=\"" + value + "\"";
    if (outcome.decision == value) html += " checked";
    if (!error.empty()) html += " aria-invalid=\"true\"";
    html += "><label class=\"kern-label\" for=\"" + radio_id + "\">" + Escape(label) + "</label></div>";
  }
  html += "</div>";
  if (!error.empty()) {
    html += "<p class=\"kern-error\" id=\"" + id +
            "-error\"><span class=\"kern-icon kern-icon--danger kern-icon--default\" aria-hidden=\"true\"></span>"
            "<span class=\"kern-body\">" +
            Escape(error) + "</span></p>";
  }
  html += "</fieldset>\n";

  TextareaField reason;
  reason.name = "reason";
  reason.label = T(lang, "applications.reason");
  reason.hint = T(lang, "applications.reason_hint");
  reason.value = outcome.reason;
  reason.error = MessageFor(outcome.errors, "reason");
  reason.rows = 6;
  reason.maxlength = kReasonMax;
  html += RenderTextarea(reason);
  return html + "<div class=\"pw-actions\">" + RenderButton(ButtonKind::kPrimary, T(lang, "applications.decide")) +
         "</div></form></section>\n";
}

std::string NotesSection(const Env& env, const Application& application, const Outcome& outcome, bool may_write) {
  const Lang lang = env.lang;
  std::string html = SectionStart("notes", T(lang, "applications.notes"));
  html += TextBlock(T(lang, "applications.notes_text"));
  if (application.notes.empty()) {
    html += TextBlock(T(lang, "applications.no_notes"));
  } else {
    html += "<ol class=\"pw-messages\">";
    for (const applications::Note& note : application.notes) {
      html += "<li class=\"pw-message\"><h3 class=\"kern-heading-small pw-message__from\">" + Escape(note.author) +
              "</h3><p class=\"kern-body kern-body--small pw-message__meta\">" + TimeTag(note.at, lang) +
              "</p><div class=\"kern-body pw-message__body\">" + Escape(note.text) + "</div></li>\n";
    }
    html += "</ol>\n";
  }
  if (may_write) {
    html += "<form class=\"pw-form\" method=\"post\" action=\"" + Escape(ApplicationHref(application.id) + "/notes") +
            "\" novalidate>" + CsrfInput(env.session->csrf_token);
    TextareaField note;
    note.name = "note";
    note.label = T(lang, "applications.note");
    note.hint = T(lang, "applications.note_hint");
    note.value = outcome.note;
    note.error = MessageFor(outcome.errors, "note");
    note.rows = 4;
    note.maxlength = kNoteMax;
    html += RenderTextarea(note);
    html += "<div class=\"pw-actions\">" + RenderButton(ButtonKind::kSecondary, T(lang, "applications.add_note")) +
            "</div></form>";
  }
  return html + "</section>\n";
}

// The form the application was filled with; the scheme's current one when
// its version cannot be had (labels may then differ).
std::shared_ptr<const applications::FormDefinition> FormOf(Env& env, const Application& application) {
  if (auto form = env.app.applications.FormVersion(application.scheme_id, application.form_version); form.ok()) {
    return *form;
  }
  if (auto offer = env.app.applications.Offer(application.scheme); offer.ok()) return offer->form;
  return nullptr;
}

Response RenderDetail(Env& env, Outcome outcome) {
  const Lang lang = env.lang;
  if (!Can(env, Action::kReadApplications)) return Forbidden(env);
  const std::string id = env.request.path_params["id"];
  // Audited; a submitted application goes into review with this view.
  auto loaded = env.app.applications.StaffApplication(ActorFor(env), id);
  if (!loaded.ok()) return ErrorFor(env, loaded.status());
  const Application& application = *loaded;
  const std::shared_ptr<const applications::FormDefinition> form = FormOf(env, application);
  const accounts::Resource department =
      accounts::Resource::InDepartment(application.municipality_id, application.department_id);
  const bool may_decide = Can(env, Action::kDecideApplications, department);
  const std::string reference = application.reference.empty() ? application.id : application.reference;
  const std::string title = Tf(lang, "applications.detail_title", {reference});

  if (outcome.conflict) outcome.errors.push_back({"", ConflictMessage(env, application)});
  std::string body = Heading(title);
  if (outcome.errors.empty()) {
    const std::string done = env.request.QueryParam("done").value_or("");
    if (done == "approved" || done == "second_approval" || done == "rejected" || done == "information" ||
        done == "note") {
      body += RenderAlert(AlertKind::kSuccess, T(lang, "applications.done." + done), "");
    }
  }
  body += RenderErrorSummary(lang, outcome.errors);

  body += "<dl class=\"kern-description-list\" id=\"application-data\">";
  body += DescriptionItem(T(lang, "applications.col_reference"), reference);
  body += DescriptionItemHtml(T(lang, "applications.col_status"),
                              "<span class=\"pw-badges\">" + StatusBadge(lang, application.status) + "</span>");
  body += DescriptionItem(T(lang, "applications.col_scheme"),
                          application.scheme_name.empty() ? application.scheme : application.scheme_name);
  body += DescriptionItem(T(lang, "applications.department"), application.department_name);
  body += DescriptionItem(T(lang, "applications.col_kind"), KindText(lang, application.renewal));
  if (application.submitted_at) {
    body += DescriptionItemHtml(T(lang, "applications.col_submitted"), DateTag(*application.submitted_at, lang));
  }
  if (application.decided_at) {
    body += DescriptionItemHtml(T(lang, "applications.decided"), DateTag(*application.decided_at, lang));
  }
  if (!application.reason.empty() && (application.status == ApplicationStatus::kRejected ||
                                      application.status == ApplicationStatus::kNeedsInformation)) {
    body += DescriptionItemHtml(
        T(lang, application.status == ApplicationStatus::kRejected ? "applications.reject_reason"
                                                                   : "applications.information_reason"),
        "<span class=\"pw-message__body\">" + Escape(application.reason) + "</span>");
  }
  if (!application.first_approver.empty() && application.status == ApplicationStatus::kPendingSecondApproval) {
    body += DescriptionItem(T(lang, "applications.first_approver"), application.first_approver);
  }
  if (!application.card_numbers.empty()) {
    std::string numbers;
    for (const std::string& number : application.card_numbers) {
      if (!numbers.empty()) numbers += "<br>";
      const std::string shown = Escape(cards::FormatCardNumber(number));
      numbers += Can(env, Action::kReadCards)
                     ? "<a class=\"kern-link\" href=\"/cards/" + Escape(UrlEncode(number)) + "\">" + shown + "</a>"
                     : shown;
    }
    body += DescriptionItemHtml(T(lang, "applications.cards"), numbers);
  }
  if (application.valid_until) {
    body += DescriptionItem(T(lang, "applications.valid_until"), ShowDate(*application.valid_until, lang));
  }
  if (!application.thread_id.empty() && Can(env, Action::kReadThreads)) {
    body += DescriptionItemHtml(T(lang, "applications.thread"),
                                "<a class=\"kern-link\" href=\"/mailbox/" + Escape(UrlEncode(application.thread_id)) +
                                    "\">" + Escape(T(lang, "applications.thread_link")) + "</a>");
  }
  body += "</dl>\n";

  if (may_decide && Decidable(application.status)) body += DecisionForm(env, application, outcome);

  if (form) {
    body += AnswersSection(lang, *form, application.answers);
  } else {
    body += SectionStart("answers", T(lang, "applications.answers")) + TextBlock(T(lang, "applications.form_missing")) +
            "</section>\n";
  }
  body += DocumentsSection(lang, application, form.get());
  if (application.confirmation) body += ConfirmationSection(lang, application, form.get());
  body += EventsSection(lang, application);
  body += NotesSection(env, application, outcome, may_decide);
  body += BackLink("/applications", T(lang, "applications.back"));
  return HtmlPage(UserChrome(env, "applications"), outcome.status, title, body);
}

Response GetDetail(Env& env) { return RenderDetail(env, {}); }

Response PostDecision(Env& env) {
  const Lang lang = env.lang;
  if (!Can(env, Action::kDecideApplications)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return CsrfErrorPage(UserChrome(env, ""));
  const std::string id = env.request.path_params["id"];
  Outcome outcome;
  outcome.status = 422;
  outcome.decision = FormValue(form, "decision");
  outcome.reason = FormValue(form, "reason");
  const std::optional<Decision> decision = applications::ParseDecision(outcome.decision);
  const std::string reason = TrimSpaces(outcome.reason);
  if (!decision) {
    outcome.decision.clear();
    outcome.errors.push_back({"decision", std::string(T(lang, "applications.err_decision"))});
  } else if (*decision != Decision::kApprove && reason.empty()) {
    outcome.errors.push_back(
        {"reason", std::string(T(lang, *decision == Decision::kReject ? "applications.err_reason_reject"
                                                                      : "applications.err_reason_information"))});
  }
  if (CharacterCount(reason) > static_cast<size_t>(kReasonMax)) {
    outcome.errors.push_back({"reason", Tf(lang, "applications.err_reason_long", {std::to_string(kReasonMax)})});
  }
  if (!outcome.errors.empty()) return RenderDetail(env, std::move(outcome));

  auto decided = env.app.applications.Decide(ActorFor(env), id, *decision, reason);
  if (decided.ok()) {
    std::string_view done = "approved";
    switch (decided->status) {
      case ApplicationStatus::kPendingSecondApproval:
        done = "second_approval";
        break;
      case ApplicationStatus::kRejected:
        done = "rejected";
        break;
      case ApplicationStatus::kNeedsInformation:
        done = "information";
        break;
      default:
        break;
    }
    return Response::Redirect(ApplicationHref(id) + "?done=" + std::string(done));
  }
  const Status& refused = decided.status();
  switch (refused.code()) {
    case ErrorCode::kFailedPrecondition:
      outcome.status = 409;
      outcome.conflict = true;
      return RenderDetail(env, std::move(outcome));
    case ErrorCode::kInvalidArgument:
      if (refused.field() == "decision") {
        outcome.errors.push_back({"decision", std::string(T(lang, "applications.err_decision"))});
      } else {
        outcome.errors.push_back({"reason", Tf(lang, "applications.err_reason", {std::to_string(kReasonMax)})});
      }
      return RenderDetail(env, std::move(outcome));
    default:
      return ErrorFor(env, refused);
  }
}

Response PostNote(Env& env) {
  const Lang lang = env.lang;
  if (!Can(env, Action::kDecideApplications)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return CsrfErrorPage(UserChrome(env, ""));
  const std::string id = env.request.path_params["id"];
  Outcome outcome;
  outcome.status = 422;
  outcome.note = FormValue(form, "note");
  const std::string text = TrimSpaces(outcome.note);
  if (text.empty()) {
    outcome.errors.push_back({"note", std::string(T(lang, "applications.err_note_empty"))});
  } else if (CharacterCount(text) > static_cast<size_t>(kNoteMax)) {
    outcome.errors.push_back({"note", Tf(lang, "applications.err_note_long", {std::to_string(kNoteMax)})});
  }
  if (!outcome.errors.empty()) return RenderDetail(env, std::move(outcome));
  Status added = env.app.applications.AddNote(ActorFor(env), id, text);
  if (added.ok()) return Response::Redirect(ApplicationHref(id) + "?done=note#notes");
  switch (added.code()) {
    case ErrorCode::kInvalidArgument:
      outcome.errors.push_back({"note", Tf(lang, "applications.err_note_long", {std::to_string(kNoteMax)})});
      return RenderDetail(env, std::move(outcome));
    case ErrorCode::kFailedPrecondition:
      outcome.status = 409;
      outcome.errors.push_back({"note", std::string(T(lang, "applications.err_note_state"))});
      return RenderDetail(env, std::move(outcome));
    default:
      return ErrorFor(env, added);
  }
}

Response GetDocument(Env& env) {
  if (!Can(env, Action::kReadApplications)) return Forbidden(env);
  auto document =
      env.app.applications.StaffDocument(ActorFor(env), env.request.path_params["id"], env.request.path_params["doc"]);
  if (!document.ok()) return ErrorFor(env, document.status());
  return MailboxDownload(std::move(*document));
}

// ---- statistics ----

// "2026-12" as "Dezember 2026"; as given when it is not a month.
std::string MonthText(Lang lang, const std::string& month) {
  if (month.size() == 7 && month[4] == '-') {
    std::optional<int64_t> year = ParseIntegerIn(month.substr(0, 4), 1000, 9999);
    std::optional<int64_t> number = ParseIntegerIn(month.substr(5, 2), 1, 12);
    if (year && number) {
      return std::string(T(lang, "applications.month." + std::to_string(*number))) + " " + std::to_string(*year);
    }
  }
  return month;
}

Response GetStatistics(Env& env) {
  const Lang lang = env.lang;
  if (!Can(env, Action::kReadStatistics)) return Forbidden(env);
  auto cells = env.app.applications.Statistics(ActorFor(env));
  if (!cells.ok()) return ErrorFor(env, cells.status());

  std::map<std::string, std::string> scheme_names;
  for (const cards::Scheme& scheme : ApplicationSchemes(env)) scheme_names[scheme.slug] = scheme.name;
  // scheme → month → status → count (absent: suppressed)
  std::map<std::string, std::map<std::string, std::map<ApplicationStatus, std::optional<int64_t>>>> table;
  for (const applications::StatisticsCell& cell : *cells) table[cell.scheme][cell.month][cell.status] = cell.count;

  const std::string title(T(lang, "applications.stats_title"));
  std::string body = Heading(title);
  body += Paragraph(T(lang, "applications.stats_intro"));
  if (table.empty()) {
    body += "<p class=\"kern-body pw-empty\">" + Escape(T(lang, "applications.stats_empty")) + "</p>";
  }
  int number = 0;
  for (const auto& [scheme, months] : table) {
    ++number;
    auto name = scheme_names.find(scheme);
    const std::string caption_id = "stats-" + std::to_string(number);
    std::vector<std::string_view> cols = {"applications.month"};
    std::vector<std::string> status_keys;
    std::vector<ApplicationStatus> statuses;
    for (ApplicationStatus status : applications::kAllStatuses) {
      if (status == ApplicationStatus::kDraft) continue;
      statuses.push_back(status);
      status_keys.push_back("applications.status." + std::string(applications::StatusName(status)));
    }
    for (const std::string& key : status_keys) cols.push_back(key);
    std::string table_html = TableStart(
        caption_id, Tf(lang, "applications.stats_caption", {name == scheme_names.end() ? scheme : name->second}), cols,
        lang);
    // The footnote explains "< 5" to whoever reads the table.
    const std::string marker = "<table class=\"kern-table";
    if (size_t at = table_html.find(marker); at != std::string::npos) {
      table_html.insert(at + std::string("<table").size(), " aria-describedby=\"stats-note\"");
    }
    body += table_html;
    for (const auto& [month, counts] : months) {
      body += "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header pw-nowrap\">" +
              Escape(MonthText(lang, month)) + "</th>";
      for (ApplicationStatus status : statuses) {
        auto it = counts.find(status);
        if (it == counts.end()) {
          body += Cell("0");
        } else if (!it->second) {
          body += "<td class=\"kern-table__cell pw-nowrap\">" + Escape(T(lang, "applications.stats_suppressed")) +
                  "<sup aria-hidden=\"true\">*</sup></td>";
        } else {
          body += Cell(std::to_string(*it->second));
        }
      }
      body += "</tr>";
    }
    body += "</tbody></table></div>\n";
  }
  if (!table.empty()) {
    body += "<p class=\"kern-body kern-body--small\" id=\"stats-note\">" +
            Escape(Tf(lang, "applications.stats_note", {std::to_string(applications::kMinimumCell)})) + "</p>\n";
  }
  if (Can(env, Action::kReadApplications)) body += BackLink("/applications", T(lang, "applications.back"));
  return HtmlPage(UserChrome(env, "statistics"), 200, title, body);
}

}  // namespace

void RegisterApplicationPages(Router& router, AppContext& app) {
  router.Add("GET", "/applications", "web_applications", Protected(app, GetQueue));
  router.Add("GET", "/applications/export.csv", "web_applications_export", Protected(app, GetExport));
  router.Add("GET", "/applications/{id}", "web_application", Protected(app, GetDetail));
  router.Add("POST", "/applications/{id}/decision", "web_application_decision", Protected(app, PostDecision));
  router.Add("POST", "/applications/{id}/notes", "web_application_notes", Protected(app, PostNote));
  router.Add("GET", "/applications/{id}/documents/{doc}", "web_application_document", Protected(app, GetDocument));
  router.Add("GET", "/statistics/applications", "web_statistics_applications", Protected(app, GetStatistics));
}

}  // namespace passwerk::web
