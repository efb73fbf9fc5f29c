// The mailbox (Postfach) for office staff: their departments' threads by
// filter, one thread with its messages, the answer with attachments,
// assignment, closing and reopening, and the attachments as downloads. Thin
// handlers over portal::Mailbox, which decides threads.read / threads.write
// per department and audits every read. Also what the citizen's mailbox pages
// (portal_mailbox_pages.cpp) show alike (areas.h): messages, the file field,
// the checks of a message form and the download.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cards/card_number.h"
#include "core/clock.h"
#include "http/api_util.h"
#include "portal/attachments.h"
#include "portal/mailbox.h"
#include "web/areas.h"
#include "web/html.h"
#include "web/i18n.h"
#include "web/page_env.h"

namespace passwerk::web {
namespace {

// Characters, not bytes: what the reader counts (and the browser's maxlength).
size_t CharacterCount(std::string_view text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string_view TypeLabel(Lang lang, std::string_view type) {
  if (type == "application/pdf") return "PDF";
  if (type == "image/png") return "PNG";
  if (type == "image/jpeg") return "JPEG";
  return T(lang, "mailbox.type_other");
}

std::string TimeTag(int64_t at, Lang lang) {
  return "<time datetime=\"" + Escape(FormatUtc(at)) + "\">" + Escape(FormatBerlinTime(at, lang)) + "</time>";
}

}  // namespace

// --- shared with the portal's mailbox (areas.h) ---

std::optional<MailboxForm> ReadMailboxForm(const Request& request) {
  std::optional<std::vector<FormPart>> parts = request.MultipartParts();
  if (!parts) return std::nullopt;
  MailboxForm form;
  for (FormPart& part : *parts) {
    if (part.name == "attachment") {
      // A file input left empty still sends a part: no name, no content.
      if (part.file_name.empty() && part.data.empty()) continue;
      form.attachments.push_back({std::move(part.file_name), std::move(part.data)});
    } else {
      form.fields.try_emplace(part.name, std::move(part.data));
    }
  }
  return form;
}

void CheckMailboxMessage(Lang lang, const AppContext& app, const MailboxForm& form, bool body_required,
                         std::vector<FieldError>& errors) {
  if (auto subject = form.fields.find("subject"); subject != form.fields.end()) {
    if (TrimSpaces(subject->second).empty()) {
      errors.push_back({"subject", std::string(T(lang, "mailbox.err_subject_empty"))});
    } else if (CharacterCount(subject->second) > static_cast<size_t>(kMailboxSubjectMax)) {
      errors.push_back({"subject", Tf(lang, "mailbox.err_subject", {std::to_string(kMailboxSubjectMax)})});
    }
  }
  const std::string body = FormValue(form.fields, "body");
  if (TrimSpaces(body).empty() && (body_required || form.attachments.empty())) {
    errors.push_back(
        {"body", std::string(T(lang, body_required ? "mailbox.err_body_required" : "mailbox.err_body_empty"))});
  } else if (CharacterCount(body) > static_cast<size_t>(kMailboxBodyMax)) {
    errors.push_back({"body", Tf(lang, "mailbox.err_body_long", {std::to_string(kMailboxBodyMax)})});
  }
  const int64_t max_bytes = app.config.mailbox_attachment_max_bytes;
  const int max_count = app.config.mailbox_attachment_max_count;
  if (static_cast<int64_t>(form.attachments.size()) > max_count) {
    errors.push_back({"attachment", Tf(lang, "mailbox.err_files_count",
                                       {std::to_string(form.attachments.size()), std::to_string(max_count)})});
    return;
  }
  for (const portal::NewAttachment& file : form.attachments) {
    const std::string name = file.name.empty() ? std::string(T(lang, "mailbox.unnamed_file")) : file.name;
    if (file.data.empty()) {
      errors.push_back({"attachment", Tf(lang, "mailbox.err_file_empty", {name})});
    } else if (static_cast<int64_t>(file.data.size()) > max_bytes) {
      errors.push_back({"attachment", Tf(lang, "mailbox.err_file_large",
                                         {name, MailboxFileSize(static_cast<int64_t>(file.data.size()), lang),
                                          MailboxFileSize(max_bytes, lang)})});
    } else if (!portal::SniffType(file.data)) {
      errors.push_back({"attachment", Tf(lang, "mailbox.err_file_type", {name})});
    }
  }
}

std::optional<FieldError> MailboxPostError(Lang lang, const AppContext& app, const Status& status) {
  const std::string& field = status.field();
  switch (status.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
      // A thread not found is the error page's; a department not found, the form's.
      if (status.code() == ErrorCode::kNotFound && field.rfind("department", 0) != 0) return std::nullopt;
      if (field.rfind("attachment", 0) == 0) {
        return FieldError{"attachment", Tf(lang, "mailbox.err_files",
                                           {std::to_string(app.config.mailbox_attachment_max_count),
                                            MailboxFileSize(app.config.mailbox_attachment_max_bytes, lang)})};
      }
      if (field == "subject") {
        return FieldError{"subject", Tf(lang, "mailbox.err_subject", {std::to_string(kMailboxSubjectMax)})};
      }
      if (field.rfind("department", 0) == 0) {
        return FieldError{"department_id", std::string(T(lang, "mailbox.err_department"))};
      }
      return FieldError{"body", Tf(lang, "mailbox.err_body", {std::to_string(kMailboxBodyMax)})};
    case ErrorCode::kFailedPrecondition:
      return FieldError{"", std::string(T(lang, "mailbox.err_closed"))};
    case ErrorCode::kResourceExhausted:
      return FieldError{"", std::string(T(lang, "mailbox.err_quota"))};
    default:
      return std::nullopt;
  }
}

std::string FilesAgainNotice(Lang lang, bool had_files, const std::vector<FieldError>& errors) {
  if (!had_files || errors.empty()) return std::string();
  const bool files_refused =
      std::any_of(errors.begin(), errors.end(), [](const FieldError& error) { return error.field == "attachment"; });
  return std::string(T(lang, files_refused ? "mailbox.files_again_fixed" : "mailbox.files_again"));
}

std::string MailboxAttachmentField(Lang lang, const AppContext& app, std::string_view error, std::string_view notice) {
  InputField file;
  file.name = "attachment";
  file.type = "file";
  file.accept = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg";
  file.label = T(lang, "mailbox.attachments");
  file.hint = Tf(lang, "mailbox.attachments_hint",
                 {std::to_string(app.config.mailbox_attachment_max_count),
                  MailboxFileSize(app.config.mailbox_attachment_max_bytes, lang)});
  file.error = std::string(error);
  std::string html = RenderInput(file);
  // InputField knows no `multiple`; the input's type attribute is where it goes.
  const std::string type = "type=\"file\"";
  if (size_t at = html.find(type); at != std::string::npos) html.insert(at + type.size(), " multiple");
  if (!notice.empty()) {
    // A notice, not an error: beside the field, read with it (aria-describedby).
    const std::string notice_id = FieldId(file.name) + "-again";
    const std::string described = "aria-describedby=\"";
    if (size_t at = html.find(described); at != std::string::npos) {
      if (size_t end = html.find('"', at + described.size()); end != std::string::npos) {
        html.insert(end, " " + notice_id);
      }
    } else if (size_t end = html.find(type); end != std::string::npos) {
      html.insert(end + type.size(), " aria-describedby=\"" + notice_id + "\"");
    }
    const std::string notice_html =
        "<p class=\"kern-body kern-body--small pw-field-notice\" id=\"" + notice_id + "\">" + Escape(notice) + "</p>";
    // Inside the field's wrapper, after the input and its error.
    if (size_t close = html.rfind("</div>"); close != std::string::npos) {
      html.insert(close, notice_html);
    } else {
      html += notice_html;
    }
  }
  return html;
}

std::string MailboxMessages(Lang lang, const portal::Thread& thread, bool staff_view, std::string_view thread_href) {
  const portal::ThreadSummary& summary = thread.summary;
  std::string html = "<ol class=\"pw-messages\">";
  for (const portal::Message& message : thread.messages) {
    // Whether the viewer's side wrote it: then its read time is the other side's.
    const bool own = (message.from == portal::Sender::kStaff) == staff_view;
    std::string from;
    if (message.from == portal::Sender::kCitizen) {
      from = staff_view ? T(lang, "mailbox.from_citizen") : T(lang, "portal.mailbox.from_you");
    } else {
      from = staff_view && !message.staff_name.empty() ? message.staff_name : summary.department_name;
    }
    // Read times only where they tell the viewer something: when the other
    // side read the viewer's own message. The other side's messages show
    // "new" until seen; that the viewer read them needs no saying (for staff,
    // when the office first read the citizen's message is worth knowing).
    std::string read;
    if (own) {
      read = message.read_at ? Escape(Tf(lang, staff_view ? "mailbox.read_by_citizen" : "portal.mailbox.read_by_office",
                                         {FormatBerlinTime(*message.read_at, lang)}))
                             : Escape(T(lang, "mailbox.not_read_yet"));
    } else if (!message.read_at) {
      read = Badge("info", T(lang, "mailbox.new"));
    } else if (staff_view) {
      read = Escape(Tf(lang, "mailbox.read_at", {FormatBerlinTime(*message.read_at, lang)}));
    }
    html += "<li class=\"pw-message" + std::string(own ? " pw-message--own" : "") +
            "\"><h3 class=\"kern-heading-small pw-message__from\">" + Escape(from) +
            "</h3><p class=\"kern-body kern-body--small pw-message__meta\">" + Escape(T(lang, "mailbox.sent_at")) +
            " " + TimeTag(message.sent_at, lang) + (read.empty() ? "" : " · " + read) + "</p>";
    // Plain text as written: escaped, line breaks kept by the style, never markup.
    if (!message.body.empty()) html += "<div class=\"kern-body pw-message__body\">" + Escape(message.body) + "</div>";
    if (!message.attachments.empty()) {
      html += "<ul class=\"pw-attachments\" aria-label=\"" + Escape(T(lang, "mailbox.attachments")) + "\">";
      for (const portal::AttachmentInfo& file : message.attachments) {
        html += "<li><a class=\"kern-link\" href=\"" +
                Escape(std::string(thread_href) + "/attachments/" + UrlEncode(file.id)) + "\">" + Escape(file.name) +
                "</a> <span class=\"pw-muted\">(" + Escape(TypeLabel(lang, file.type)) + ", " +
                Escape(MailboxFileSize(file.size, lang)) + ")</span></li>";
      }
      html += "</ul>";
    }
    html += "</li>\n";
  }
  return html + "</ol>\n";
}

std::string MailboxStateBadge(Lang lang, portal::ThreadState state) {
  return state == portal::ThreadState::kOpen ? Badge("info", T(lang, "mailbox.state.open"))
                                             : Badge("success", T(lang, "mailbox.state.closed"));
}

std::string MailboxCaseKind(Lang lang, const std::optional<portal::CaseRef>& case_ref) {
  if (!case_ref) return std::string();
  return std::string(T(lang, "mailbox.case." + std::string(portal::CaseKindName(case_ref->kind))));
}

std::string MailboxCaseLabel(Lang lang, const std::optional<portal::CaseRef>& case_ref) {
  if (!case_ref) return std::string(T(lang, "mailbox.no_case"));
  return MailboxCaseKind(lang, case_ref) + " " +
         (case_ref->kind == portal::CaseKind::kCard ? cards::FormatCardNumber(case_ref->id) : case_ref->id);
}

std::string MailboxTableStart(const std::string& id, std::string_view caption,
                              const std::vector<std::string_view>& cols, Lang lang) {
  std::string out = "<div class=\"kern-table-responsive pw-table-wrap\" role=\"region\" aria-labelledby=\"" +
                    Escape(id) +
                    "\" tabindex=\"0\"><table class=\"kern-table kern-table--small kern-table--striped "
                    "pw-stack-table\"><caption class=\"kern-title\" id=\"" +
                    Escape(id) + "\">" + Escape(caption) + "</caption><thead><tr class=\"kern-table__row\">";
  for (std::string_view key : cols) {
    out += "<th scope=\"col\" class=\"kern-table__header\">" + Escape(T(lang, key)) + "</th>";
  }
  return out + "</tr></thead><tbody class=\"kern-table__body\">";
}

std::string MailboxCell(std::string_view label, std::string_view value_html, std::string_view extra_class) {
  std::string out = "<td class=\"kern-table__cell";
  if (!extra_class.empty()) out += " " + std::string(extra_class);
  // The value in one element: phones lay label and value out side by side.
  return out + "\" data-label=\"" + Escape(label) + "\"><span class=\"pw-stack-table__value\">" +
         std::string(value_html) + "</span></td>";
}

std::string MailboxFileSize(int64_t bytes, Lang lang) {
  if (bytes < 1024) return Tf(lang, "mailbox.bytes", {std::to_string(std::max<int64_t>(bytes, 0))});
  // One decimal, rounded, without a trailing ",0".
  auto scaled = [&](int64_t unit, std::string_view name) {
    const int64_t tenths = (bytes * 10 + unit / 2) / unit;
    std::string out = std::to_string(tenths / 10);
    if (tenths % 10 != 0) out += (lang == Lang::kDe ? ',' : '.') + std::to_string(tenths % 10);
    return out + " " + std::string(name);
  };
  constexpr int64_t kKilo = 1024;
  constexpr int64_t kMega = 1024 * 1024;
  // Below 1023,95 KB stays KB; "1024 KB" reads as "1 MB".
  return (bytes * 10 + kKilo / 2) / kKilo < 10240 ? scaled(kKilo, "KB") : scaled(kMega, "MB");
}

Response MailboxDownload(portal::Document document) {
  Response response;
  response.status = 200;
  response.content_type = document.type.empty() ? "application/octet-stream" : std::move(document.type);
  response.body = std::move(document.data);
  response.AddHeader("Content-Disposition", http::AttachmentDisposition(document.name));
  response.AddHeader("Cache-Control", "private, no-store");
  return response;
}

namespace {

using accounts::Action;

constexpr std::string_view kFilters[] = {"open", "unanswered", "mine", "closed", "all"};

std::string ThreadHref(std::string_view id) { return "/mailbox/" + UrlEncode(id); }

// The thread's state and, when the citizen waits, that it does: badges that
// wrap as a whole, never cut.
std::string StateBadges(Lang lang, const portal::ThreadSummary& thread) {
  std::string html = "<span class=\"pw-badges\">" + MailboxStateBadge(lang, thread.state);
  if (thread.unanswered) html += " " + Badge("warning", T(lang, "mailbox.unanswered"));
  return html + "</span>";
}

// The filter asked for, "open" when none or an unknown one.
std::string_view FilterName(const Request& request) {
  const std::string wanted = request.QueryParam("filter").value_or("");
  for (std::string_view name : kFilters) {
    if (name == wanted) return name;
  }
  return "open";
}

Response GetThreads(Env& env) {
  const Lang lang = env.lang;
  if (!Can(env, Action::kReadThreads)) return Forbidden(env);
  const std::string_view filter = FilterName(env.request);
  auto threads = env.app.mailbox.StaffThreads(ActorFor(env), *portal::ParseThreadFilter(filter));
  if (!threads.ok()) return ErrorFor(env, threads.status());

  std::string body = Heading(T(lang, "mailbox.title"));
  body += Paragraph(T(lang, "mailbox.intro"));
  body +=
      "<nav class=\"pw-tabs\" aria-label=\"" + Escape(T(lang, "mailbox.filters")) + "\"><ul class=\"pw-tabs__list\">";
  for (std::string_view name : kFilters) {
    body += "<li><a class=\"pw-tabs__link\" href=\"/mailbox?filter=" + std::string(name) + "\"";
    if (name == filter) body += " aria-current=\"page\"";
    body += ">" + Escape(T(lang, "mailbox.filter." + std::string(name))) + "</a></li>";
  }
  body += "</ul></nav>\n";
  if (threads->empty()) {
    body += TextBlock(T(lang, "mailbox.empty." + std::string(filter)));
    return HtmlPage(UserChrome(env, "mailbox"), 200, T(lang, "mailbox.title"), body);
  }
  body += MailboxTableStart("threads-caption",
                            Tf(lang, "mailbox.caption", {T(lang, "mailbox.filter." + std::string(filter))}),
                            {"mailbox.col_subject", "mailbox.col_department", "mailbox.col_case", "mailbox.col_state",
                             "mailbox.col_unread", "mailbox.col_assigned", "mailbox.col_updated"},
                            lang);
  for (const portal::ThreadSummary& thread : *threads) {
    const std::string kind = MailboxCaseKind(lang, thread.case_ref);
    body +=
        "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header\"><a class=\"kern-link\" href=\"" +
        Escape(ThreadHref(thread.id)) + "\">" + Escape(thread.subject) + "</a></th>" +
        MailboxCell(T(lang, "mailbox.col_department"), Escape(thread.department_name)) +
        MailboxCell(T(lang, "mailbox.col_case"), Escape(kind.empty() ? T(lang, "mailbox.no_case") : kind)) +
        MailboxCell(T(lang, "mailbox.col_state"), StateBadges(lang, thread)) +
        MailboxCell(T(lang, "mailbox.col_unread"),
                    thread.unread > 0 ? Badge("info", std::to_string(thread.unread)) : std::string("0")) +
        MailboxCell(T(lang, "mailbox.col_assigned"),
                    Escape(thread.assigned_name.empty() ? T(lang, "mailbox.nobody") : thread.assigned_name)) +
        MailboxCell(T(lang, "mailbox.col_updated"), TimeTag(thread.updated_at, lang), "pw-nowrap") + "</tr>";
  }
  body += "</tbody></table></div>\n";
  return HtmlPage(UserChrome(env, "mailbox"), 200, T(lang, "mailbox.title"), body);
}

// What a failed POST asks the thread page to show again.
struct Outcome {
  int status = 200;
  std::vector<FieldError> errors;
  std::string body;          // the answer as typed
  std::string files_notice;  // the files to choose again (FilesAgainNotice)
};

std::string PostButton(const Env& env, const std::string& action, std::string_view label, ButtonKind kind) {
  return "<form class=\"pw-inline-form\" method=\"post\" action=\"" + Escape(action) + "\">" +
         CsrfInput(env.session->csrf_token) + RenderButton(kind, label) + "</form>";
}

std::string CaseText(Env& env, const portal::CaseRef& case_ref) {
  const std::string kind = MailboxCaseKind(env.lang, case_ref);
  if (case_ref.kind == portal::CaseKind::kCard) {
    const std::string shown = Escape(kind + " " + cards::FormatCardNumber(case_ref.id));
    if (!Can(env, Action::kReadCards)) return shown;
    return "<a class=\"kern-link\" href=\"/cards/" + Escape(UrlEncode(case_ref.id)) + "\">" + shown + "</a>";
  }
  return Escape(kind + " " + case_ref.id);
}

Response RenderThread(Env& env, Outcome outcome) {
  const Lang lang = env.lang;
  if (!Can(env, Action::kReadThreads)) return Forbidden(env);
  const std::string id = env.request.path_params["id"];
  const accounts::Actor actor = ActorFor(env);
  auto thread = env.app.mailbox.StaffThread(actor, id);
  if (!thread.ok()) return ErrorFor(env, thread.status());
  // What came in is seen now. Should marking fail, the messages stay unread
  // and the next view marks them: no reason to withhold the page.
  static_cast<void>(env.app.mailbox.StaffMarkRead(actor, id));
  const portal::ThreadSummary& summary = thread->summary;
  const std::string href = ThreadHref(summary.id);
  const bool open = summary.state == portal::ThreadState::kOpen;
  const bool may_write =
      Can(env, Action::kWriteThreads, accounts::Resource::InDepartment(summary.municipality_id, summary.department_id));

  std::string body = Heading(summary.subject);
  if (outcome.errors.empty()) {
    const std::string done = env.request.QueryParam("done").value_or("");
    if (done == "sent" || done == "assigned" || done == "closed" || done == "reopened") {
      body += RenderAlert(AlertKind::kSuccess, T(lang, "mailbox.done." + done), "");
    }
  }
  body += RenderErrorSummary(lang, outcome.errors);

  body += "<dl class=\"kern-description-list\" id=\"thread-data\">";
  body += DescriptionItem(T(lang, "mailbox.col_department"), summary.department_name);
  if (!summary.case_ref) {
    // As the list names it: a question without a case.
    body += DescriptionItem(T(lang, "mailbox.col_case"), T(lang, "mailbox.no_case"));
  } else {
    body += DescriptionItemHtml(T(lang, "mailbox.col_case"), CaseText(env, *summary.case_ref));
    // An area's own processing state, where it gave it a text.
    const std::string state_key = "mailbox.case_state." + summary.case_state;
    if (!summary.case_state.empty() && HasText(state_key)) {
      body += DescriptionItem(T(lang, "mailbox.case_state"), T(lang, state_key));
    }
  }
  body += DescriptionItemHtml(T(lang, "mailbox.col_state"), StateBadges(lang, summary));
  body +=
      DescriptionItem(T(lang, "mailbox.col_assigned"),
                      summary.assigned_name.empty() ? std::string(T(lang, "mailbox.nobody")) : summary.assigned_name);
  body += DescriptionItemHtml(T(lang, "mailbox.started"), TimeTag(summary.created_at, lang));
  body += DescriptionItemHtml(T(lang, "mailbox.col_updated"), TimeTag(summary.updated_at, lang));
  body += "</dl>\n";

  body += SectionStart("messages", T(lang, "mailbox.messages"));
  body += MailboxMessages(lang, *thread, true, href);
  body += "</section>\n";

  if (may_write) {
    body += SectionStart("reply", T(lang, "mailbox.reply_title"));
    if (open) {
      body += "<form class=\"pw-form\" method=\"post\" action=\"" + Escape(href + "/reply") +
              "\" enctype=\"multipart/form-data\" novalidate>" + CsrfInput(env.session->csrf_token);
      TextareaField text;
      text.name = "body";
      text.label = T(lang, "mailbox.reply_body");
      text.hint = T(lang, "mailbox.reply_hint");
      text.value = outcome.body;
      text.error = MessageFor(outcome.errors, "body");
      text.rows = 8;
      text.maxlength = kMailboxBodyMax;
      body += RenderTextarea(text);
      body += MailboxAttachmentField(lang, env.app, MessageFor(outcome.errors, "attachment"), outcome.files_notice);
      body += "<div class=\"pw-actions\">" + RenderButton(ButtonKind::kPrimary, T(lang, "mailbox.reply_send")) +
              "</div></form>";
    } else {
      body += TextBlock(T(lang, "mailbox.closed_no_reply"));
    }
    body += "</section>\n";

    auto assignees = env.app.mailbox.Assignees(actor, id);
    if (!assignees.ok()) return ErrorFor(env, assignees.status());
    // "Assign to me" beside the choice, for someone who may take the thread
    // and has not: its own form (the button names it), no choice to make.
    const int64_t me = env.session->user.id;
    const bool may_take =
        summary.assigned_user_id != me &&
        std::any_of(assignees->begin(), assignees->end(), [me](const portal::Assignee& a) { return a.user_id == me; });
    body += SectionStart("assign", T(lang, "mailbox.assign_title"));
    body += "<form class=\"pw-form\" method=\"post\" action=\"" + Escape(href + "/assign") + "\" novalidate>" +
            CsrfInput(env.session->csrf_token);
    SelectField who;
    who.name = "user_id";
    who.label = T(lang, "mailbox.assign_to");
    who.error = MessageFor(outcome.errors, "user_id");
    who.groups.push_back({});
    who.groups[0].options.push_back({"", std::string(T(lang, "mailbox.nobody")), !summary.assigned_user_id});
    for (const portal::Assignee& assignee : *assignees) {
      who.groups[0].options.push_back(
          {std::to_string(assignee.user_id), assignee.display_name, summary.assigned_user_id == assignee.user_id});
    }
    body += RenderSelect(who);
    body += "<div class=\"pw-actions\">" + RenderButton(ButtonKind::kSecondary, T(lang, "mailbox.assign"));
    if (may_take) {
      body += RenderButton(ButtonKind::kSecondary, T(lang, "mailbox.assign_me"),
                           "id=\"assign-me\" form=\"assign-me-form\"");
    }
    body += "</div></form>";
    if (may_take) {
      body += "<form id=\"assign-me-form\" class=\"pw-inline-form\" method=\"post\" action=\"" +
              Escape(href + "/assign") + "\">" + CsrfInput(env.session->csrf_token) +
              "<input type=\"hidden\" name=\"user_id\" value=\"" + std::to_string(me) + "\"></form>";
    }
    body += "</section>\n";

    body += SectionStart("state", T(lang, open ? "mailbox.close_title" : "mailbox.reopen_title"));
    if (open) {
      body += TextBlock(Tf(lang, "mailbox.close_text", {std::to_string(env.app.config.mailbox_retention_days)}));
      body += "<div class=\"pw-actions\">" +
              PostButton(env, href + "/close", T(lang, "mailbox.close"), ButtonKind::kSecondary) + "</div>";
    } else {
      body += TextBlock(T(lang, "mailbox.reopen_text"));
      body += "<div class=\"pw-actions\">" +
              PostButton(env, href + "/reopen", T(lang, "mailbox.reopen"), ButtonKind::kSecondary) + "</div>";
    }
    body += "</section>\n";
  }
  body += "<p class=\"kern-body\"><a class=\"kern-link\" href=\"/mailbox\">" + Escape(T(lang, "mailbox.back")) +
          "</a></p>\n";
  return HtmlPage(UserChrome(env, "mailbox"), outcome.status, summary.subject, body);
}

Response GetThread(Env& env) { return RenderThread(env, {}); }

Response BadForm(Env& env) {
  const Lang lang = env.lang;
  std::string body = Heading(T(lang, "mailbox.bad_form_title")) + TextBlock(T(lang, "mailbox.bad_form_text")) +
                     "<p class=\"kern-body\"><a class=\"kern-link\" href=\"" +
                     Escape(ThreadHref(env.request.path_params["id"])) + "\">" +
                     Escape(T(lang, "mailbox.back_thread")) + "</a></p>";
  return HtmlPage(UserChrome(env, "mailbox"), 400, T(lang, "mailbox.bad_form_title"), body);
}

Response PostReply(Env& env) {
  const Lang lang = env.lang;
  if (!Can(env, Action::kWriteThreads)) return Forbidden(env);
  std::optional<MailboxForm> form = ReadMailboxForm(env.request);
  if (!form) return BadForm(env);
  if (!CsrfMatches(env.session->csrf_token, form->fields)) return CsrfErrorPage(UserChrome(env, ""));
  const std::string id = env.request.path_params["id"];
  Outcome outcome;
  outcome.status = 422;
  outcome.body = FormValue(form->fields, "body");
  const bool had_files = !form->attachments.empty();
  CheckMailboxMessage(lang, env.app, *form, false, outcome.errors);
  if (outcome.errors.empty()) {
    auto posted = env.app.mailbox.StaffPost(ActorFor(env), id, outcome.body, std::move(form->attachments));
    if (posted.ok()) return Response::Redirect(ThreadHref(id) + "?done=sent");
    std::optional<FieldError> error = MailboxPostError(lang, env.app, posted.status());
    if (!error) return ErrorFor(env, posted.status());
    if (posted.status().code() == ErrorCode::kFailedPrecondition) outcome.status = 409;
    outcome.errors.push_back(std::move(*error));
  }
  outcome.files_notice = FilesAgainNotice(lang, had_files, outcome.errors);
  return RenderThread(env, std::move(outcome));
}

Response PostAssign(Env& env) {
  const Lang lang = env.lang;
  if (!Can(env, Action::kWriteThreads)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return CsrfErrorPage(UserChrome(env, ""));
  const std::string id = env.request.path_params["id"];
  const std::string chosen = TrimSpaces(FormValue(form, "user_id"));
  // Empty: nobody (unassign).
  const std::optional<int64_t> user_id = chosen.empty() ? std::nullopt : ParseId(chosen);
  Status assigned = !chosen.empty() && !user_id ? InvalidArgument("user_id must be a number", "user_id")
                                                : env.app.mailbox.Assign(ActorFor(env), id, user_id);
  if (assigned.ok()) return Response::Redirect(ThreadHref(id) + "?done=assigned");
  // Someone who is not (or no longer) in the thread's department.
  if (assigned.code() == ErrorCode::kInvalidArgument || assigned.code() == ErrorCode::kFailedPrecondition) {
    Outcome outcome;
    outcome.status = 422;
    outcome.errors.push_back({"user_id", std::string(T(lang, "mailbox.err_assignee"))});
    return RenderThread(env, std::move(outcome));
  }
  return ErrorFor(env, assigned);
}

// Closing and reopening: a thread already in the state asked for is shown as it is.
Response PostState(Env& env, bool close) {
  if (!Can(env, Action::kWriteThreads)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return CsrfErrorPage(UserChrome(env, ""));
  const std::string id = env.request.path_params["id"];
  const accounts::Actor actor = ActorFor(env);
  Status changed = close ? env.app.mailbox.Close(actor, id) : env.app.mailbox.Reopen(actor, id);
  if (changed.code() == ErrorCode::kFailedPrecondition) return Response::Redirect(ThreadHref(id));
  if (!changed.ok()) return ErrorFor(env, changed);
  return Response::Redirect(ThreadHref(id) + (close ? "?done=closed" : "?done=reopened"));
}

Response GetAttachment(Env& env) {
  if (!Can(env, Action::kReadThreads)) return Forbidden(env);
  auto document =
      env.app.mailbox.StaffAttachment(ActorFor(env), env.request.path_params["id"], env.request.path_params["aid"]);
  if (!document.ok()) return ErrorFor(env, document.status());
  return MailboxDownload(std::move(*document));
}

}  // namespace

void RegisterMailboxPages(Router& router, AppContext& app) {
  router.Add("GET", "/mailbox", "web_mailbox", Protected(app, GetThreads));
  router.Add("GET", "/mailbox/{id}", "web_mailbox_thread", Protected(app, GetThread));
  router.Add("POST", "/mailbox/{id}/reply", "web_mailbox_reply", Protected(app, PostReply));
  router.Add("POST", "/mailbox/{id}/assign", "web_mailbox_assign", Protected(app, PostAssign));
  router.Add("POST", "/mailbox/{id}/close", "web_mailbox_close",
             Protected(app, [](Env& env) { return PostState(env, true); }));
  router.Add("POST", "/mailbox/{id}/reopen", "web_mailbox_reopen",
             Protected(app, [](Env& env) { return PostState(env, false); }));
  router.Add("GET", "/mailbox/{id}/attachments/{aid}", "web_mailbox_attachment", Protected(app, GetAttachment));
}

}  // namespace passwerk::web
