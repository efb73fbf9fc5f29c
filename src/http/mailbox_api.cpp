// The mailbox's JSON API (docs/mailbox.md): the citizen's threads under
// /api/portal/v1 (session cookie, X-CSRF-Token on every POST) and the staff's
// under /api/v1/threads (bearer token, threads:read / threads:write). Thin:
// each handler reads the request, calls one Mailbox or MailOutbox function,
// and writes its answer.
#include <nlohmann/json.hpp>

#include "accounts/citizen_policy.h"
#include "core/clock.h"
#include "http/api_util.h"
#include "http/context.h"
#include "http/idempotency.h"
#include "http/portal_routes.h"
#include "http/router.h"

namespace passwerk::http {
namespace {

using json = nlohmann::json;

json ThreadJson(const portal::ThreadSummary& thread, bool staff) {
  json out = {{"id", thread.id},
              {"subject", thread.subject},
              {"department", {{"id", thread.department_id}, {"name", thread.department_name}}},
              {"case", nullptr},
              {"state", portal::ThreadStateName(thread.state)},
              {"unread", thread.unread},
              {"updated_at", FormatUtc(thread.updated_at)}};
  if (thread.case_ref) {
    out["case"] = {{"kind", portal::CaseKindName(thread.case_ref->kind)},
                   {"id", thread.case_ref->id},
                   {"state", thread.case_state.empty() ? json(nullptr) : json(thread.case_state)}};
  }
  if (staff) {
    out["assigned_to"] = thread.assigned_user_id
                             ? json{{"id", *thread.assigned_user_id}, {"name", thread.assigned_name}}
                             : json(nullptr);
    out["unanswered"] = thread.unanswered;
  }
  return out;
}

json MessageJson(const portal::Message& message, bool staff) {
  json attachments = json::array();
  for (const portal::AttachmentInfo& a : message.attachments) {
    attachments.push_back({{"id", a.id}, {"name", a.name}, {"type", a.type}, {"size", a.size}});
  }
  json out = {{"id", message.id},
              {"from", portal::SenderName(message.from)},
              {"body", message.body},
              {"attachments", attachments},
              {"sent_at", FormatUtc(message.sent_at)},
              {"read_at", message.read_at ? json(FormatUtc(*message.read_at)) : json(nullptr)}};
  if (staff) out["author"] = message.staff_name.empty() ? json(nullptr) : json(message.staff_name);
  return out;
}

json FullThreadJson(const portal::Thread& thread, bool staff) {
  json out = ThreadJson(thread.summary, staff);
  json messages = json::array();
  for (const portal::Message& m : thread.messages) messages.push_back(MessageJson(m, staff));
  out["messages"] = messages;
  return out;
}

// A message's text and files from a multipart/form-data body: the field
// `body` and every part named `attachment` (an empty file input sends a part
// without name and data: skipped).
struct MessageForm {
  std::string body;
  std::vector<portal::NewAttachment> attachments;
};
Result<MessageForm> ReadMessageForm(const Request& request) {
  auto parts = request.MultipartParts();
  if (!parts) return InvalidArgument("send the message as multipart/form-data with a field body", "body");
  MessageForm form;
  bool has_body = false;
  for (FormPart& part : *parts) {
    if (part.name == "body" && part.file_name.empty() && !has_body) {
      form.body = std::move(part.data);
      has_body = true;
    } else if (part.name == "attachment") {
      if (part.file_name.empty() && part.data.empty()) continue;
      form.attachments.push_back({std::move(part.file_name), std::move(part.data)});
    }
  }
  return form;
}

// --- the citizen ---

json EmailJson(const std::optional<portal::EmailContact>& contact) {
  if (!contact) return json(nullptr);
  return {{"address", contact->address}, {"confirmed", contact->confirmed}, {"notify", contact->notify}};
}

Response EmailAnswer(AppContext& app, const portal::CitizenSession& session, int status) {
  auto contact = app.mail.Contact(session);
  if (!contact.ok()) return Response::Error(contact.status());
  return Response::Json(status, {{"email", EmailJson(*contact)}});
}

void RegisterCitizenRoutes(Router& router, AppContext& app) {
  constexpr accounts::CitizenService kMailbox = accounts::CitizenService::kMailbox;
  AddCitizenRoute(router, app, "GET", "/api/portal/v1/departments", "portal.departments", kMailbox,
                  [&app](Request&, const portal::CitizenSession&) {
                    auto addressees = app.mailbox.Addressees();
                    if (!addressees.ok()) return Response::Error(addressees.status());
                    json out = json::array();
                    for (const auto& a : *addressees) {
                      out.push_back({{"id", a.department_id}, {"name", a.department_name},
                                     {"municipality", a.municipality_name}});
                    }
                    return Response::Json(200, {{"departments", out}});
                  });
  AddCitizenRoute(router, app, "GET", "/api/portal/v1/threads", "portal.threads.list", kMailbox,
                  [&app](Request&, const portal::CitizenSession& session) {
                    auto threads = app.mailbox.CitizenThreads(session);
                    if (!threads.ok()) return Response::Error(threads.status());
                    json out = json::array();
                    for (const auto& t : *threads) out.push_back(ThreadJson(t, false));
                    return Response::Json(200, {{"threads", out}});
                  });
  AddCitizenRoute(router, app, "POST", "/api/portal/v1/threads", "portal.threads.create", kMailbox,
                  [&app](Request& request, const portal::CitizenSession& session) {
                    PW_API_BODY(body);
                    int64_t department_id = 0;
                    std::string subject;
                    std::string text;
                    PW_API_INT(body, "department_id", department_id);
                    PW_API_STRING(body, "subject", subject);
                    PW_API_STRING(body, "body", text);
                    return Idempotently<portal::ThreadSummary>(
                        app, request, IdempotencyActor(session),
                        [&](auto* idempotent) {
                          return app.mailbox.StartQuestion(session, department_id, subject, text, {}, idempotent,
                                                           request.request_id);
                        },
                        [](const portal::ThreadSummary& thread) { return Response::Json(201, ThreadJson(thread, false)); });
                  });
  AddCitizenRoute(router, app, "GET", "/api/portal/v1/threads/{id}", "portal.threads.get", kMailbox,
                  [&app](Request& request, const portal::CitizenSession& session) {
                    auto thread = app.mailbox.CitizenThread(session, request.path_params.at("id"));
                    if (!thread.ok()) return Response::Error(thread.status());
                    return Response::Json(200, FullThreadJson(*thread, false));
                  });
  AddCitizenRoute(router, app, "POST", "/api/portal/v1/threads/{id}/messages", "portal.threads.message", kMailbox,
                  [&app](Request& request, const portal::CitizenSession& session) {
                    auto form = ReadMessageForm(request);
                    if (!form.ok()) return Response::Error(form.status());
                    return Idempotently<portal::Message>(
                        app, request, IdempotencyActor(session),
                        [&](auto* idempotent) {
                          return app.mailbox.CitizenPost(session, request.path_params.at("id"), form->body,
                                                         std::move(form->attachments), idempotent, request.request_id);
                        },
                        [](const portal::Message& message) { return Response::Json(201, MessageJson(message, false)); });
                  });
  AddCitizenRoute(router, app, "GET", "/api/portal/v1/threads/{id}/attachments/{attachment_id}",
                  "portal.threads.attachment", kMailbox,
                  [&app](Request& request, const portal::CitizenSession& session) {
                    auto document = app.mailbox.CitizenAttachment(session, request.path_params.at("id"),
                                                                  request.path_params.at("attachment_id"));
                    if (!document.ok()) return Response::Error(document.status());
                    return DocumentResponse(*document);
                  });
  AddCitizenRoute(router, app, "POST", "/api/portal/v1/threads/{id}/read", "portal.threads.read", kMailbox,
                  [&app](Request& request, const portal::CitizenSession& session) {
                    Status marked = app.mailbox.CitizenMarkRead(session, request.path_params.at("id"));
                    if (!marked.ok()) return Response::Error(marked);
                    Response response;
                    response.status = 204;
                    return response;
                  });
  AddCitizenRoute(router, app, "GET", "/api/portal/v1/email", "portal.email.get", kMailbox,
                  [&app](Request&, const portal::CitizenSession& session) { return EmailAnswer(app, session, 200); });
  AddCitizenRoute(router, app, "POST", "/api/portal/v1/email", "portal.email.set", kMailbox,
                  [&app](Request& request, const portal::CitizenSession& session) {
                    PW_API_BODY(body);
                    std::string address;
                    std::string lang = "de";
                    PW_API_STRING(body, "address", address);
                    PW_API_OPT_STRING(body, "lang", lang);
                    Status set = app.mail.SetAddress(session, address, lang, request.request_id);
                    if (!set.ok()) return Response::Error(set);
                    return EmailAnswer(app, session, 202);
                  });
  AddCitizenRoute(router, app, "POST", "/api/portal/v1/email/notifications", "portal.email.notifications", kMailbox,
                  [&app](Request& request, const portal::CitizenSession& session) {
                    PW_API_BODY(body);
                    auto enabled = body.find("enabled");
                    if (enabled == body.end() || !enabled->is_boolean()) {
                      return Response::Error(InvalidArgument("enabled must be true or false", "enabled"));
                    }
                    Status set = app.mail.SetNotify(session, enabled->get<bool>(), request.request_id);
                    if (!set.ok()) return Response::Error(set);
                    return EmailAnswer(app, session, 200);
                  });
  AddCitizenRoute(router, app, "DELETE", "/api/portal/v1/email", "portal.email.remove", kMailbox,
                  [&app](Request& request, const portal::CitizenSession& session) {
                    Status removed = app.mail.RemoveAddress(session, request.request_id);
                    if (!removed.ok()) return Response::Error(removed);
                    Response response;
                    response.status = 204;
                    return response;
                  });
  // Opened from the mail, perhaps on another device: the token is the credential.
  router.Add("POST", "/api/portal/v1/email/confirm", "portal.email.confirm", [&app](Request& request) {
    PW_API_BODY(body);
    std::string token;
    PW_API_STRING(body, "token", token);
    auto confirmed = app.mail.Confirm(token, request.request_id);
    if (!confirmed.ok()) return Response::Error(confirmed.status());
    return Response::Json(200, {{"email", EmailJson(*confirmed)}});
  });
}

// --- staff ---

void RegisterStaffRoutes(Router& router, AppContext& app) {
  using accounts::Action;
  AddTokenRoute(router, app, "GET", "/api/v1/threads", "api.threads.list", Action::kReadThreads,
                [&app](Request& request, const accounts::Actor& actor) {
                  std::string filter_name = request.QueryParam("filter").value_or("open");
                  auto filter = portal::ParseThreadFilter(filter_name);
                  if (!filter) {
                    return Response::Error(
                        InvalidArgument("filter must be open, unanswered, mine, closed or all", "filter"));
                  }
                  auto department = IntQueryParam(request, "department_id", 1, INT64_MAX,
                                                  "department_id must be a department's number");
                  if (!department.ok()) return Response::Error(department.status());
                  auto threads = app.mailbox.StaffThreads(actor, *filter, *department);
                  if (!threads.ok()) return Response::Error(threads.status());
                  json out = json::array();
                  for (const auto& t : *threads) out.push_back(ThreadJson(t, true));
                  return Response::Json(200, {{"threads", out}});
                });
  AddTokenRoute(router, app, "GET", "/api/v1/threads/{id}", "api.threads.get", Action::kReadThreads,
                [&app](Request& request, const accounts::Actor& actor) {
                  auto thread = app.mailbox.StaffThread(actor, request.path_params.at("id"));
                  if (!thread.ok()) return Response::Error(thread.status());
                  return Response::Json(200, FullThreadJson(*thread, true));
                });
  AddTokenRoute(router, app, "POST", "/api/v1/threads/{id}/messages", "api.threads.message", Action::kWriteThreads,
                [&app](Request& request, const accounts::Actor& actor) {
                  auto form = ReadMessageForm(request);
                  if (!form.ok()) return Response::Error(form.status());
                  return Idempotently<portal::Message>(
                      app, request, actor,
                      [&](auto* idempotent) {
                        return app.mailbox.StaffPost(actor, request.path_params.at("id"), form->body,
                                                     std::move(form->attachments), idempotent);
                      },
                      [](const portal::Message& message) { return Response::Json(201, MessageJson(message, true)); });
                });
  AddTokenRoute(router, app, "GET", "/api/v1/threads/{id}/attachments/{attachment_id}", "api.threads.attachment",
                Action::kReadThreads, [&app](Request& request, const accounts::Actor& actor) {
                  auto document = app.mailbox.StaffAttachment(actor, request.path_params.at("id"),
                                                              request.path_params.at("attachment_id"));
                  if (!document.ok()) return Response::Error(document.status());
                  return DocumentResponse(*document);
                });
  AddTokenRoute(router, app, "POST", "/api/v1/threads/{id}/read", "api.threads.read", Action::kReadThreads,
                [&app](Request& request, const accounts::Actor& actor) {
                  Status marked = app.mailbox.StaffMarkRead(actor, request.path_params.at("id"));
                  return marked.ok() ? NoContent() : Response::Error(marked);
                });
  AddTokenRoute(router, app, "GET", "/api/v1/threads/{id}/assignees", "api.threads.assignees", Action::kReadThreads,
                [&app](Request& request, const accounts::Actor& actor) {
                  auto assignees = app.mailbox.Assignees(actor, request.path_params.at("id"));
                  if (!assignees.ok()) return Response::Error(assignees.status());
                  json out = json::array();
                  for (const auto& a : *assignees) out.push_back({{"id", a.user_id}, {"name", a.display_name}});
                  return Response::Json(200, {{"assignees", out}});
                });
  // Assign, close and reopen answer with the thread as it is now, without its messages.
  auto summary_after = [&app](const accounts::Actor& actor, const std::string& id, const Status& changed) {
    if (!changed.ok()) return Response::Error(changed);
    auto thread = app.mailbox.StaffSummary(actor, id);
    if (!thread.ok()) return Response::Error(thread.status());
    return Response::Json(200, ThreadJson(*thread, true));
  };
  AddTokenRoute(router, app, "POST", "/api/v1/threads/{id}/assign", "api.threads.assign", Action::kWriteThreads,
                [&app, summary_after](Request& request, const accounts::Actor& actor) {
                  PW_API_BODY(body);
                  std::optional<int64_t> user_id;
                  PW_API_FIELD_(ReadOptionalInt, body, "user_id", false, user_id);
                  const std::string& id = request.path_params.at("id");
                  return summary_after(actor, id, app.mailbox.Assign(actor, id, user_id));
                });
  AddTokenRoute(router, app, "POST", "/api/v1/threads/{id}/close", "api.threads.close", Action::kWriteThreads,
                [&app, summary_after](Request& request, const accounts::Actor& actor) {
                  const std::string& id = request.path_params.at("id");
                  return summary_after(actor, id, app.mailbox.Close(actor, id));
                });
  AddTokenRoute(router, app, "POST", "/api/v1/threads/{id}/reopen", "api.threads.reopen", Action::kWriteThreads,
                [&app, summary_after](Request& request, const accounts::Actor& actor) {
                  const std::string& id = request.path_params.at("id");
                  return summary_after(actor, id, app.mailbox.Reopen(actor, id));
                });
}

}  // namespace

void RegisterMailboxApiRoutes(Router& router, AppContext& app) {
  RegisterCitizenRoutes(router, app);
  RegisterStaffRoutes(router, app);
}

}  // namespace passwerk::http
