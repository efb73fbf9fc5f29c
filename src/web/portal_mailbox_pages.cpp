// The citizen's mailbox in the portal (Postfach): their threads, a new
// question to a department, one thread with the answer form, attachments as
// downloads; and the e-mail address that is told when something new waits
// (set, confirm by link, notices on or off, remove). Thin handlers over
// portal::Mailbox and portal::MailOutbox, as the JSON API is; what the staff
// pages show alike lives in mailbox_pages.cpp (areas.h).
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "portal/mail_outbox.h"
#include "portal/mailbox.h"
#include "web/areas.h"
#include "web/html.h"
#include "web/i18n.h"
#include "web/page_env.h"
#include "web/portal_env.h"

namespace passwerk::web {
namespace {

using accounts::CitizenService;
using http::Response;

constexpr std::string_view kMailboxPath = "/portal/mailbox";

std::string ThreadHref(std::string_view id) { return std::string(kMailboxPath) + "/" + UrlEncode(id); }

std::string H1(std::string_view text) { return "<h1 class=\"kern-heading-large\">" + Escape(text) + "</h1>\n"; }

std::string TimeTag(int64_t at, Lang lang) {
  return "<time datetime=\"" + Escape(FormatUtc(at)) + "\">" + Escape(FormatBerlinTime(at, lang)) + "</time>";
}

bool CsrfOk(const PortalEnv& env, const std::map<std::string, std::string>& fields) {
  return CsrfMatches(env.session->csrf_token, fields);
}

// A refusal that is not about the input: not found (another account's
// thread looks like none), or the service is down.
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

Response BadForm(PortalEnv& env) {
  return PortalError(env, 400, T(env.lang, "mailbox.bad_form_title"), T(env.lang, "mailbox.bad_form_text"));
}

// Notices go out only to a confirmed address: until then "on" would promise
// what does not happen.
std::string NotifyLabel(Lang lang, const portal::EmailContact& contact) {
  if (!contact.notify) return std::string(T(lang, "portal.email.notify_off"));
  return std::string(T(lang, contact.confirmed ? "portal.email.notify_on" : "portal.email.notify_pending"));
}

std::string ConfirmedLabel(Lang lang, const portal::EmailContact& contact) {
  return contact.confirmed ? Badge("success", T(lang, "portal.email.confirmed"))
                           : Badge("warning", T(lang, "portal.email.unconfirmed"));
}

// --- the threads ---

Response GetThreads(PortalEnv& env) {
  const Lang lang = env.lang;
  auto threads = env.app.mailbox.CitizenThreads(*env.session);
  if (!threads.ok()) return Failure(env, threads.status());
  auto contact = env.app.mail.Contact(*env.session);
  if (!contact.ok()) return Failure(env, contact.status());

  std::string body = H1(T(lang, "portal.mailbox.title"));
  body += "<p class=\"kern-body\">" + Escape(T(lang, "portal.mailbox.intro")) + "</p>\n";
  body += "<p class=\"pw-actions\">" +
          LinkButton(std::string(kMailboxPath) + "/new", T(lang, "portal.mailbox.write"), true) + "</p>\n";
  if (threads->empty()) {
    body += "<p class=\"kern-body\" id=\"threads-empty\">" + Escape(T(lang, "portal.mailbox.empty")) + "</p>\n";
  } else {
    body += MailboxTableStart("threads-caption", T(lang, "portal.mailbox.caption"),
                              {"mailbox.col_subject", "mailbox.col_department", "mailbox.col_case", "mailbox.col_state",
                               "mailbox.col_unread", "mailbox.col_updated"},
                              lang);
    for (const portal::ThreadSummary& thread : *threads) {
      const std::string kind = MailboxCaseKind(lang, thread.case_ref);
      body +=
          "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header\"><a class=\"kern-link\" "
          "href=\"" +
          Escape(ThreadHref(thread.id)) + "\">" + Escape(thread.subject) + "</a></th>" +
          MailboxCell(T(lang, "mailbox.col_department"), Escape(thread.department_name)) +
          MailboxCell(T(lang, "mailbox.col_case"), Escape(kind.empty() ? T(lang, "mailbox.no_case") : kind)) +
          MailboxCell(T(lang, "mailbox.col_state"), MailboxStateBadge(lang, thread.state)) +
          MailboxCell(T(lang, "mailbox.col_unread"),
                      thread.unread > 0
                          ? Badge("info", Tf(lang, "portal.mailbox.unread", {std::to_string(thread.unread)}))
                          : std::string("0")) +
          MailboxCell(T(lang, "mailbox.col_updated"), TimeTag(thread.updated_at, lang), "pw-nowrap") + "</tr>";
    }
    body += "</tbody></table></div>\n";
  }

  // E-mail notices: where they go and whether they are on.
  body += SectionStart("email", T(lang, "portal.email.title"));
  body += "<p class=\"kern-body\">" + Escape(T(lang, "portal.email.only_notice")) + "</p>\n";
  if (*contact) {
    const portal::EmailContact& c = **contact;
    body += "<dl class=\"kern-description-list\" id=\"email-state\">";
    body += DescriptionItem(T(lang, "portal.email.address"), c.address);
    body += DescriptionItemHtml(T(lang, "portal.email.state"), ConfirmedLabel(lang, c));
    body += DescriptionItem(T(lang, "portal.email.notify"), NotifyLabel(lang, c));
    body += "</dl>\n";
  } else {
    body += "<p class=\"kern-body\">" + Escape(T(lang, "portal.email.none")) + "</p>\n";
  }
  body += "<p class=\"kern-body\"><a class=\"kern-link\" id=\"email-settings\" href=\"/portal/email\">" +
          Escape(T(lang, "portal.email.settings_link")) + "</a></p>\n</section>\n";
  return PortalHtml(env, kMailboxPath, 200, T(lang, "portal.mailbox.title"), body);
}

// --- a new question ---

struct NewOutcome {
  int status = 200;
  std::vector<FieldError> errors;
  std::string department_id;
  std::string subject;
  std::string body;
  std::string files_notice;  // the files to choose again (FilesAgainNotice)
};

Response RenderNew(PortalEnv& env, const NewOutcome& outcome) {
  const Lang lang = env.lang;
  auto addressees = env.app.mailbox.Addressees();
  if (!addressees.ok()) return Failure(env, addressees.status());
  std::string body = H1(T(lang, "portal.mailbox.new_title"));
  body += RenderErrorSummary(lang, outcome.errors);
  if (addressees->empty()) {
    body += RenderAlert(AlertKind::kInfo, T(lang, "portal.mailbox.no_addressees"), "", false);
    body += "<p class=\"kern-body\"><a class=\"kern-link\" href=\"/portal/mailbox\">" +
            Escape(T(lang, "portal.mailbox.back")) + "</a></p>\n";
    return PortalHtml(env, kMailboxPath, outcome.status, T(lang, "portal.mailbox.new_title"), body);
  }
  body += "<p class=\"kern-body\">" + Escape(T(lang, "portal.mailbox.new_intro")) + "</p>\n";
  body +=
      "<form class=\"pw-form\" method=\"post\" action=\"/portal/mailbox/new\" enctype=\"multipart/form-data\" "
      "novalidate>" +
      CsrfInput(env.session->csrf_token);
  SelectField to;
  to.name = "department_id";
  to.label = T(lang, "portal.mailbox.to");
  to.hint = T(lang, "portal.mailbox.to_hint");
  to.error = MessageFor(outcome.errors, "department_id");
  to.required = true;
  to.groups.push_back({});
  to.groups[0].options.push_back({"", std::string(T(lang, "portal.mailbox.choose")), outcome.department_id.empty()});
  for (const portal::Addressee& a : *addressees) {
    const std::string value = std::to_string(a.department_id);
    to.groups[0].options.push_back({value,
                                    Tf(lang, "portal.mailbox.addressee", {a.department_name, a.municipality_name}),
                                    value == outcome.department_id});
  }
  body += RenderSelect(to);
  InputField subject;
  subject.name = "subject";
  subject.label = T(lang, "portal.mailbox.subject");
  subject.value = outcome.subject;
  subject.error = MessageFor(outcome.errors, "subject");
  subject.maxlength = kMailboxSubjectMax;
  subject.required = true;
  body += RenderInput(subject);
  TextareaField text;
  text.name = "body";
  text.label = T(lang, "portal.mailbox.body");
  text.hint = T(lang, "portal.mailbox.body_hint");
  text.value = outcome.body;
  text.error = MessageFor(outcome.errors, "body");
  text.rows = 10;
  text.maxlength = kMailboxBodyMax;
  text.required = true;
  body += RenderTextarea(text);
  body += MailboxAttachmentField(lang, env.app, MessageFor(outcome.errors, "attachment"), outcome.files_notice);
  body += "<div class=\"pw-actions\">" +
          RenderButton(ButtonKind::kPrimary, T(lang, "portal.mailbox.send"), "id=\"send-message\"") +
          LinkButton(kMailboxPath, T(lang, "common.cancel"), false) + "</div></form>\n";
  return PortalHtml(env, kMailboxPath, outcome.status, T(lang, "portal.mailbox.new_title"), body);
}

Response GetNew(PortalEnv& env) {
  NewOutcome outcome;
  // A link may name the department ("write again" from a closed thread).
  outcome.department_id = env.request.QueryParam("department_id").value_or("");
  return RenderNew(env, outcome);
}

Response PostNew(PortalEnv& env) {
  const Lang lang = env.lang;
  std::optional<MailboxForm> form = ReadMailboxForm(env.request);
  if (!form) return BadForm(env);
  if (!CsrfOk(env, form->fields)) return CsrfErrorPage(PortalChrome(env, ""));
  NewOutcome outcome;
  outcome.status = 422;
  outcome.department_id = TrimSpaces(FormValue(form->fields, "department_id"));
  outcome.subject = TrimSpaces(FormValue(form->fields, "subject"));
  form->fields["subject"] = outcome.subject;  // also when left out: the check then finds it empty
  outcome.body = FormValue(form->fields, "body");
  // Every problem at once, in the order of the fields.
  const std::optional<int64_t> department = ParseId(outcome.department_id);
  if (!department) outcome.errors.push_back({"department_id", std::string(T(lang, "mailbox.err_department"))});
  const bool had_files = !form->attachments.empty();
  CheckMailboxMessage(lang, env.app, *form, true, outcome.errors);
  if (outcome.errors.empty()) {
    auto started = env.app.mailbox.StartQuestion(*env.session, *department, outcome.subject, outcome.body,
                                                 std::move(form->attachments));
    if (started.ok()) return Response::Redirect(ThreadHref(started->id) + "?done=sent");
    // The only thing a new question can miss is the department chosen.
    std::optional<FieldError> error = started.status().code() == ErrorCode::kNotFound
                                          ? FieldError{"department_id", std::string(T(lang, "mailbox.err_department"))}
                                          : MailboxPostError(lang, env.app, started.status());
    if (!error) return Failure(env, started.status());
    outcome.errors.push_back(std::move(*error));
  }
  outcome.files_notice = FilesAgainNotice(lang, had_files, outcome.errors);
  return RenderNew(env, outcome);
}

// --- one thread ---

struct ThreadOutcome {
  int status = 200;
  std::vector<FieldError> errors;
  std::string body;          // the answer as typed
  std::string files_notice;  // the files to choose again (FilesAgainNotice)
};

Response RenderThread(PortalEnv& env, const ThreadOutcome& outcome) {
  const Lang lang = env.lang;
  const std::string id = env.request.path_params["id"];
  auto thread = env.app.mailbox.CitizenThread(*env.session, id);
  if (!thread.ok()) return Failure(env, thread.status());
  // Seen now; should marking fail, the next view marks them.
  static_cast<void>(env.app.mailbox.CitizenMarkRead(*env.session, id));
  const portal::ThreadSummary& summary = thread->summary;
  const std::string href = ThreadHref(summary.id);

  std::string body = H1(summary.subject);
  if (outcome.errors.empty() && env.request.QueryParam("done").value_or("") == "sent") {
    body += RenderAlert(AlertKind::kSuccess, T(lang, "portal.mailbox.sent"), "");
  }
  body += RenderErrorSummary(lang, outcome.errors);
  body += "<dl class=\"kern-description-list\" id=\"thread-data\">";
  body += DescriptionItem(T(lang, "mailbox.col_department"), summary.department_name);
  body += DescriptionItem(T(lang, "mailbox.col_case"), MailboxCaseLabel(lang, summary.case_ref));
  // The case's processing state, as its area names it (an application's status).
  if (const std::string state_key = "mailbox.case_state." + summary.case_state;
      !summary.case_state.empty() && HasText(state_key)) {
    body += DescriptionItem(T(lang, "mailbox.case_state"), T(lang, state_key));
  }
  body += DescriptionItemHtml(T(lang, "mailbox.col_state"), MailboxStateBadge(lang, summary.state));
  body += DescriptionItemHtml(T(lang, "mailbox.col_updated"), TimeTag(summary.updated_at, lang));
  body += "</dl>\n";

  body += SectionStart("messages", T(lang, "mailbox.messages"));
  body += MailboxMessages(lang, *thread, false, href);
  body += "</section>\n";

  body += SectionStart("reply", T(lang, "portal.mailbox.reply_title"));
  if (summary.state == portal::ThreadState::kOpen) {
    body += "<form class=\"pw-form\" method=\"post\" action=\"" + Escape(href + "/reply") +
            "\" enctype=\"multipart/form-data\" novalidate>" + CsrfInput(env.session->csrf_token);
    TextareaField text;
    text.name = "body";
    text.label = T(lang, "portal.mailbox.reply_body");
    text.value = outcome.body;
    text.error = MessageFor(outcome.errors, "body");
    text.rows = 8;
    text.maxlength = kMailboxBodyMax;
    body += RenderTextarea(text);
    body += MailboxAttachmentField(lang, env.app, MessageFor(outcome.errors, "attachment"), outcome.files_notice);
    body += "<div class=\"pw-actions\">" +
            RenderButton(ButtonKind::kPrimary, T(lang, "portal.mailbox.send"), "id=\"send-reply\"") + "</div></form>";
  } else {
    body += "<p class=\"kern-body\" id=\"thread-closed\">" + Escape(T(lang, "portal.mailbox.closed")) + "</p>";
    body += "<p class=\"pw-actions\">" +
            LinkButton(std::string(kMailboxPath) + "/new?department_id=" + std::to_string(summary.department_id),
                       T(lang, "portal.mailbox.write"), false) +
            "</p>";
  }
  body += "</section>\n";
  body += "<p class=\"kern-body\"><a class=\"kern-link\" href=\"/portal/mailbox\">" +
          Escape(T(lang, "portal.mailbox.back")) + "</a></p>\n";
  return PortalHtml(env, kMailboxPath, outcome.status, summary.subject, body);
}

Response GetThread(PortalEnv& env) { return RenderThread(env, {}); }

Response PostReply(PortalEnv& env) {
  const Lang lang = env.lang;
  std::optional<MailboxForm> form = ReadMailboxForm(env.request);
  if (!form) return BadForm(env);
  if (!CsrfOk(env, form->fields)) return CsrfErrorPage(PortalChrome(env, ""));
  const std::string id = env.request.path_params["id"];
  ThreadOutcome outcome;
  outcome.status = 422;
  outcome.body = FormValue(form->fields, "body");
  const bool had_files = !form->attachments.empty();
  CheckMailboxMessage(lang, env.app, *form, false, outcome.errors);
  if (outcome.errors.empty()) {
    auto posted = env.app.mailbox.CitizenPost(*env.session, id, outcome.body, std::move(form->attachments));
    if (posted.ok()) return Response::Redirect(ThreadHref(id) + "?done=sent");
    std::optional<FieldError> error = MailboxPostError(lang, env.app, posted.status());
    if (!error) return Failure(env, posted.status());
    if (posted.status().code() == ErrorCode::kFailedPrecondition) outcome.status = 409;
    outcome.errors.push_back(std::move(*error));
  }
  outcome.files_notice = FilesAgainNotice(lang, had_files, outcome.errors);
  return RenderThread(env, outcome);
}

Response GetAttachment(PortalEnv& env) {
  auto document =
      env.app.mailbox.CitizenAttachment(*env.session, env.request.path_params["id"], env.request.path_params["aid"]);
  if (!document.ok()) return Failure(env, document.status());
  return MailboxDownload(std::move(*document));
}

// --- the e-mail address for notices ---

struct EmailOutcome {
  int status = 200;
  std::vector<FieldError> errors;
  std::string notice_html;
  std::string email;  // as typed
};

Response RenderEmail(PortalEnv& env, EmailOutcome outcome) {
  const Lang lang = env.lang;
  auto contact = env.app.mail.Contact(*env.session);
  if (!contact.ok()) return Failure(env, contact.status());
  std::string body = H1(T(lang, "portal.email.title"));
  if (outcome.notice_html.empty() && outcome.errors.empty()) {
    const std::string done = env.request.QueryParam("done").value_or("");
    if (done == "sent" || done == "notify" || done == "removed") {
      outcome.notice_html = RenderAlert(AlertKind::kSuccess, T(lang, "portal.email.done." + done), "");
    }
  }
  body += outcome.notice_html;
  body += RenderErrorSummary(lang, outcome.errors);
  body += "<p class=\"kern-body\">" + Escape(T(lang, "portal.email.intro")) + "</p>\n";
  body += "<p class=\"kern-body\">" + Escape(T(lang, "portal.email.only_notice")) + "</p>\n";

  const std::string& csrf = env.session->csrf_token;
  if (*contact) {
    const portal::EmailContact& c = **contact;
    body += SectionStart("email-current", T(lang, "portal.email.current"));
    // Whether notices are on is the checkbox below: not said twice.
    body += "<dl class=\"kern-description-list\" id=\"email-state\">";
    body += DescriptionItem(T(lang, "portal.email.address"), c.address);
    body += DescriptionItemHtml(T(lang, "portal.email.state"), ConfirmedLabel(lang, c));
    body += "</dl>\n";
    if (!c.confirmed) {
      body +=
          "<p class=\"kern-body\" id=\"email-pending\">" + Escape(T(lang, "portal.email.confirm_pending")) + "</p>\n";
    }
    body += "<form class=\"pw-form\" method=\"post\" action=\"/portal/email/notifications\">" + CsrfInput(csrf);
    CheckboxGroup notify;
    notify.name = "notify_group";
    notify.legend = T(lang, "portal.email.notify");
    notify.options.push_back({"notify", std::string(T(lang, "portal.email.notify_label")), c.notify});
    body += RenderCheckboxes(notify);
    body += "<div class=\"pw-actions\">" + RenderButton(ButtonKind::kSecondary, T(lang, "portal.email.notify_save")) +
            "</div></form>\n";
    body += "<form class=\"pw-form pw-form--next\" method=\"post\" action=\"/portal/email/remove\">" + CsrfInput(csrf) +
            "<div class=\"pw-actions\">" +
            RenderButton(ButtonKind::kSecondary, T(lang, "portal.email.remove"), "id=\"email-remove\"") +
            "</div></form>\n";
    body += "</section>\n";
  }

  body += SectionStart("email-set", T(lang, *contact ? "portal.email.change" : "portal.email.set"));
  body += "<form class=\"pw-form\" method=\"post\" action=\"/portal/email\" novalidate>" + CsrfInput(csrf);
  InputField email;
  email.name = "email";
  email.type = "email";
  email.label = T(lang, "portal.email.address");
  email.hint = T(lang, "portal.email.address_hint");
  email.value = outcome.email;
  email.error = MessageFor(outcome.errors, "email");
  email.autocomplete = "email";
  email.maxlength = 254;
  email.spellcheck_off = true;
  email.required = true;
  body += RenderInput(email);
  body += "<div class=\"pw-actions\">" + RenderButton(ButtonKind::kPrimary, T(lang, "portal.email.send_link")) +
          "</div></form>\n</section>\n";
  body += "<p class=\"kern-body\"><a class=\"kern-link\" href=\"/portal/mailbox\">" +
          Escape(T(lang, "portal.mailbox.back")) + "</a></p>\n";
  return PortalHtml(env, kMailboxPath, outcome.status, T(lang, "portal.email.title"), body);
}

Response GetEmail(PortalEnv& env) { return RenderEmail(env, {}); }

Response PostEmail(PortalEnv& env) {
  const Lang lang = env.lang;
  auto form = env.request.FormParams();
  if (!CsrfOk(env, form)) return CsrfErrorPage(PortalChrome(env, ""));
  EmailOutcome outcome;
  outcome.email = TrimSpaces(FormValue(form, "email"));
  Status set = env.app.mail.SetAddress(*env.session, outcome.email, LangCode(lang), env.request.request_id);
  if (set.ok()) return Response::Redirect("/portal/email?done=sent");
  if (set.code() == ErrorCode::kInvalidArgument) {
    outcome.status = 422;
    outcome.errors.push_back({"email", std::string(T(lang, "portal.email.err_address"))});
    return RenderEmail(env, std::move(outcome));
  }
  if (set.code() == ErrorCode::kResourceExhausted) {
    outcome.status = 429;
    outcome.notice_html =
        RenderAlert(AlertKind::kDanger, T(lang, "portal.email.err_too_many"),
                    "<p class=\"kern-body\">" + Escape(T(lang, "portal.email.err_too_many_text")) + "</p>");
    return RenderEmail(env, std::move(outcome));
  }
  return Failure(env, set);
}

Response PostNotify(PortalEnv& env) {
  auto form = env.request.FormParams();
  if (!CsrfOk(env, form)) return CsrfErrorPage(PortalChrome(env, ""));
  // A checkbox sends its value only when ticked.
  Status set = env.app.mail.SetNotify(*env.session, !FormValue(form, "notify").empty(), env.request.request_id);
  // No address (removed in another window): the page shows there is none.
  if (set.code() == ErrorCode::kNotFound) return Response::Redirect("/portal/email");
  if (!set.ok()) return Failure(env, set);
  return Response::Redirect("/portal/email?done=notify");
}

Response PostRemove(PortalEnv& env) {
  auto form = env.request.FormParams();
  if (!CsrfOk(env, form)) return CsrfErrorPage(PortalChrome(env, ""));
  Status removed = env.app.mail.RemoveAddress(*env.session, env.request.request_id);
  // Nothing left to remove is what was asked for.
  if (!removed.ok() && removed.code() != ErrorCode::kNotFound) return Failure(env, removed);
  return Response::Redirect("/portal/email?done=removed");
}

// --- confirming the address (opened from the mail, signed in or not) ---

// `text_html`: trusted markup of the page's paragraph(s).
Response ConfirmPage(PortalEnv& env, int status, std::string_view title_key, std::string text_html,
                     std::string form_html) {
  const Lang lang = env.lang;
  std::string body = H1(T(lang, title_key));
  body += text_html + form_html;
  body += "<p class=\"kern-body\"><a class=\"kern-link\" href=\"" +
          std::string(env.session ? "/portal/email" : "/portal") + "\">" +
          Escape(T(lang, env.session ? "portal.email.to_settings" : "portal.to_start")) + "</a></p>\n";
  return PortalHtml(env, "", status, T(lang, title_key), body);
}

std::string TextParagraph(Lang lang, std::string_view key) {
  return "<p class=\"kern-body\">" + Escape(T(lang, key)) + "</p>\n";
}

// The link cannot be used (any more). What to do next depends on whether
// someone is signed in: then the settings page is one link away; else they
// sign in first (the link there leads through the sign-in).
Response LinkBad(PortalEnv& env) {
  const Lang lang = env.lang;
  std::string body = H1(T(lang, "portal.email.link_bad_title"));
  body += TextParagraph(lang, "portal.email.link_bad_text");
  body += TextParagraph(lang, env.session ? "portal.email.link_bad_next" : "portal.email.link_bad_next_signin");
  body += "<p class=\"kern-body\"><a class=\"kern-link\" id=\"email-new-link\" href=\"/portal/email\">" +
          Escape(T(lang, env.session ? "portal.email.to_settings" : "portal.email.to_settings_signin")) + "</a></p>\n";
  return PortalHtml(env, "", 400, T(lang, "portal.email.link_bad_title"), body);
}

// Only shows a button: mail scanners fetch links, and a GET that confirmed
// would confirm for them. The address the link is for is shown; a link that
// no longer works says so at once, not after the button.
Response GetConfirm(PortalEnv& env) {
  const Lang lang = env.lang;
  if (env.request.QueryParam("confirmed")) {
    return ConfirmPage(env, 200, "portal.email.confirmed_title", TextParagraph(lang, "portal.email.confirmed_text"),
                       "");
  }
  const std::string token = env.request.QueryParam("token").value_or("");
  if (token.empty()) return LinkBad(env);
  auto pending = env.app.mail.PendingConfirmation(token);
  if (!pending.ok()) {
    if (pending.status().code() == ErrorCode::kNotFound || pending.status().code() == ErrorCode::kInvalidArgument) {
      return LinkBad(env);
    }
    return Failure(env, pending.status());
  }
  // The address in bold inside the sentence: the sentence escaped around a
  // marker, then the escaped address in its place.
  constexpr std::string_view kMarker = "\x1f";
  std::string text = Escape(Tf(lang, "portal.email.confirm_text", {kMarker}));
  if (size_t at = text.find(kMarker); at != std::string::npos) {
    text.replace(at, kMarker.size(), "<strong id=\"confirm-address\">" + Escape(pending->address) + "</strong>");
  }
  std::string form =
      "<form class=\"pw-form\" method=\"post\" action=\"/portal/email/confirm\">"
      "<input type=\"hidden\" name=\"token\" value=\"" +
      Escape(token) + "\"><div class=\"pw-actions\">" +
      RenderButton(ButtonKind::kPrimary, T(lang, "portal.email.confirm_button"), "id=\"confirm-email\"") +
      "</div></form>\n";
  return ConfirmPage(env, 200, "portal.email.confirm_title", "<p class=\"kern-body\">" + text + "</p>\n",
                     std::move(form));
}

// No CSRF token here: there may be no session (another device), and the
// token from the mail is itself the secret only the address's owner holds.
// A forged POST could only confirm an address for the account that asked
// for it, with a token the forger already has.
Response PostConfirm(PortalEnv& env) {
  auto form = env.request.FormParams();
  const std::string token = FormValue(form, "token");
  Status confirmed = token.empty() ? InvalidArgument("token is missing", "token")
                                   : env.app.mail.Confirm(token, env.request.request_id).status();
  if (confirmed.ok()) return Response::Redirect("/portal/email/confirm?confirmed=1");
  switch (confirmed.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kPermissionDenied:
      return LinkBad(env);
    default:
      return Failure(env, confirmed);
  }
}

}  // namespace

void RegisterPortalMailboxPages(Router& router, AppContext& app) {
  auto page = [&app](PortalHandler handler) {
    return PortalServicePage(app, CitizenService::kMailbox, std::move(handler));
  };
  router.Add("GET", "/portal/mailbox", "portal.mailbox", page(GetThreads));
  router.Add("GET", "/portal/mailbox/new", "portal.mailbox.new_page", page(GetNew));
  router.Add("POST", "/portal/mailbox/new", "portal.mailbox.new", page(PostNew));
  router.Add("GET", "/portal/mailbox/{id}", "portal.mailbox.thread", page(GetThread));
  router.Add("POST", "/portal/mailbox/{id}/reply", "portal.mailbox.reply", page(PostReply));
  router.Add("GET", "/portal/mailbox/{id}/attachments/{aid}", "portal.mailbox.attachment", page(GetAttachment));
  router.Add("GET", "/portal/email", "portal.email", page(GetEmail));
  router.Add("POST", "/portal/email", "portal.email.set", page(PostEmail));
  router.Add("POST", "/portal/email/notifications", "portal.email.notifications", page(PostNotify));
  router.Add("POST", "/portal/email/remove", "portal.email.remove", page(PostRemove));
  router.Add("GET", "/portal/email/confirm", "portal.email.confirm_page", PortalPage(app, GetConfirm));
  router.Add("POST", "/portal/email/confirm", "portal.email.confirm", PortalPage(app, PostConfirm));
}

}  // namespace passwerk::web
