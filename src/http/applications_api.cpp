// The online applications' JSON API (docs/applications.md): the applicant's
// forms, drafts, documents and submissions under /api/portal/v1 (session
// cookie, X-CSRF-Token on every write, the form's assurance level), the
// organisation's confirmation link (the token is the credential), and the
// clerks' queue, decisions, export and statistics under /api/v1 (bearer
// token, applications:read / applications:decide / statistics:read). Thin:
// each handler reads the request, calls one ApplicationService function, and
// writes its answer.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "accounts/citizen_policy.h"
#include "applications/applications.h"
#include "applications/forms.h"
#include "core/clock.h"
#include "core/dates.h"
#include "http/api_util.h"
#include "http/context.h"
#include "http/idempotency.h"
#include "http/portal_routes.h"
#include "http/router.h"

namespace passwerk::http {
namespace {

using json = nlohmann::json;
namespace apps = applications;

json TimeOrNull(const std::optional<int64_t>& at) { return at ? json(FormatUtc(*at)) : json(nullptr); }
json TextOrNull(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

json DocumentJson(const apps::DocumentInfo& document) {
  return {{"id", document.id},     {"field", document.field}, {"name", document.name},
          {"type", document.type}, {"size", document.size},   {"uploaded_at", FormatUtc(document.uploaded_at)}};
}

json ConfirmationJson(const std::optional<apps::ConfirmationInfo>& confirmation) {
  if (!confirmation) return json(nullptr);
  return {{"state", apps::ConfirmationStateName(confirmation->state)},
          {"sent_at", FormatUtc(confirmation->sent_at)},
          {"expires_at", FormatUtc(confirmation->expires_at)},
          {"resends", confirmation->resends},
          {"reason", TextOrNull(confirmation->reason)},
          {"answered_at", TimeOrNull(confirmation->answered_at)}};
}

// An application as its applicant sees it; `staff` adds the internal notes
// and who approved first.
json ApplicationJson(const apps::Application& application, bool staff) {
  json documents = json::array();
  for (const apps::DocumentInfo& d : application.documents) documents.push_back(DocumentJson(d));
  json events = json::array();
  for (const apps::Event& e : application.events) events.push_back({{"at", FormatUtc(e.at)}, {"kind", e.kind}});
  json out = {{"id", application.id},
              {"reference", TextOrNull(application.reference)},
              {"scheme", application.scheme},
              {"scheme_name", application.scheme_name},
              {"kind", cards::SchemeKindName(application.kind)},
              {"department", {{"id", application.department_id}, {"name", application.department_name}}},
              {"renewal", application.renewal},
              {"renews", TextOrNull(application.renews)},
              {"status", apps::StatusName(application.status)},
              {"form_version", application.form_version},
              {"answers", application.answers},
              {"documents", documents},
              {"events", events},
              {"created_at", FormatUtc(application.created_at)},
              {"updated_at", FormatUtc(application.updated_at)},
              {"submitted_at", TimeOrNull(application.submitted_at)},
              {"decided_at", TimeOrNull(application.decided_at)},
              {"reason", TextOrNull(application.reason)},
              {"thread_id", TextOrNull(application.thread_id)},
              {"cards", application.card_numbers},
              {"valid_until", application.valid_until ? json(FormatIsoDate(*application.valid_until)) : json(nullptr)},
              {"confirmation", ConfirmationJson(application.confirmation)}};
  if (staff) {
    json notes = json::array();
    for (const apps::Note& n : application.notes) {
      notes.push_back({{"author", n.author}, {"text", n.text}, {"at", FormatUtc(n.at)}});
    }
    out["notes"] = notes;
    out["first_approver"] = TextOrNull(application.first_approver);
  }
  return out;
}

// An application in the applicant's list: what it is and where it stands,
// without answers, documents or reasons (those are read one by one, at the
// level of the application's form).
json ApplicationSummaryJson(const apps::Application& application) {
  return {{"id", application.id},
          {"reference", TextOrNull(application.reference)},
          {"scheme", application.scheme},
          {"scheme_name", application.scheme_name},
          {"kind", cards::SchemeKindName(application.kind)},
          {"department", {{"id", application.department_id}, {"name", application.department_name}}},
          {"renewal", application.renewal},
          {"status", apps::StatusName(application.status)},
          {"created_at", FormatUtc(application.created_at)},
          {"updated_at", FormatUtc(application.updated_at)},
          {"submitted_at", TimeOrNull(application.submitted_at)},
          {"decided_at", TimeOrNull(application.decided_at)},
          {"valid_until", application.valid_until ? json(FormatIsoDate(*application.valid_until)) : json(nullptr)}};
}

json QueueItemJson(const apps::QueueItem& item) {
  return {{"id", item.id},
          {"reference", item.reference},
          {"scheme", item.scheme},
          {"scheme_name", item.scheme_name},
          {"department_id", item.department_id},
          {"status", apps::StatusName(item.status)},
          {"renewal", item.renewal},
          {"applicant", item.applicant},
          {"submitted_at", FormatUtc(item.submitted_at)},
          {"updated_at", FormatUtc(item.updated_at)}};
}

json FieldErrorsJson(const std::vector<apps::FieldError>& problems) {
  json out = json::array();
  for (const apps::FieldError& p : problems) {
    out.push_back({{"field", p.field}, {"code", p.code}, {"message", p.message}});
  }
  return out;
}

json OfferJson(const apps::FormOffer& offer) {
  return {{"scheme", offer.scheme},
          {"name", offer.scheme_name},
          {"kind", cards::SchemeKindName(offer.kind)},
          {"department", {{"id", offer.department_id}, {"name", offer.department_name}}},
          {"municipality", offer.municipality_name},
          {"assurance", offer.form ? json(accounts::AssuranceName(offer.form->assurance)) : json(nullptr)},
          {"version", offer.version}};
}

// An answer as the organisation reads it (German, like the labels).
std::string DisplayValue(const apps::Field& field, const json& value) {
  if (value.is_null()) return "";
  switch (field.type) {
    case apps::FieldType::kBoolean:
      return value.is_boolean() ? (value.get<bool>() ? "Ja" : "Nein") : value.dump();
    case apps::FieldType::kDate:
      if (value.is_string()) {
        auto date = ParseIsoDate(value.get<std::string>());
        if (date) return FormatGermanDate(*date);
      }
      break;
    case apps::FieldType::kChoice:
      if (value.is_string()) {
        for (const apps::Option& option : field.options) {
          if (option.value == value.get<std::string>()) return option.label.de;
        }
      }
      break;
    case apps::FieldType::kPersons:
      if (value.is_array()) {
        std::string out;
        for (const json& person : value) {
          if (!person.is_object()) continue;
          std::string name = person.value("given_name", "") + " " + person.value("family_name", "");
          auto birth = ParseIsoDate(person.value("birth_date", ""));
          if (birth) name += " (" + FormatGermanDate(*birth) + ")";
          out += (out.empty() ? "" : ", ") + name;
        }
        return out;
      }
      break;
    default:
      break;
  }
  return value.is_string() ? value.get<std::string>() : value.dump();
}

Response FileResponse(std::string type, std::string body, const std::string& file_name) {
  Response response;
  response.status = 200;
  response.content_type = std::move(type);
  response.body = std::move(body);
  response.AddHeader("Content-Disposition", AttachmentDisposition(file_name));
  response.AddHeader("Cache-Control", "private, no-store");
  return response;
}

// The 400 of a submission with problems: the usual error, with every
// problem under "fields".
Response ProblemsResponse(const Status& status, const std::vector<apps::FieldError>& problems) {
  Status invalid = InvalidArgument(status.message(), problems.front().field);
  Response response = Response::Error(invalid);
  json body = json::parse(response.body, nullptr, false);
  body["error"]["fields"] = FieldErrorsJson(problems);
  response.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return response;
}

// --- the applicant ---

// The form's level of assurance against the session's: 403 naming both.
Status CheckLevel(const portal::CitizenSession& session, const apps::FormDefinition& form) {
  if (session.assurance >= form.assurance) return Status::Ok();
  return PermissionDenied("this application needs a sign-in at assurance level " +
                          std::string(accounts::AssuranceName(form.assurance)) + "; this session's level is " +
                          std::string(accounts::AssuranceName(session.assurance)));
}

using ApplicationHandler = std::function<Response(Request&, const portal::CitizenSession&, const apps::Application&)>;

// A route on one of the account's applications ({id}): the application is
// read first, and the handler runs only if the session reaches the level of
// the application's form.
void AddApplicationRoute(Router& router, AppContext& app, std::string method, std::string pattern, std::string name,
                         ApplicationHandler handler) {
  AddCitizenSessionRoute(router, app, std::move(method), std::move(pattern), std::move(name),
                         [&app, handler = std::move(handler)](Request& request, const portal::CitizenSession& session) {
                           auto application =
                               app.applications.CitizenApplication(session, request.path_params.at("id"));
                           if (!application.ok()) return Response::Error(application.status());
                           auto form = app.applications.FormVersion(application->scheme_id, application->form_version);
                           if (!form.ok()) return Response::Error(form.status());
                           Status level = CheckLevel(session, **form);
                           if (!level.ok()) return Response::Error(level);
                           return handler(request, session, *application);
                         });
}

// A document from a multipart/form-data body: the text part `field` (the
// form's document field) and one file part `file`.
struct DocumentForm {
  std::string field;
  portal::NewAttachment file;
};
Result<DocumentForm> ReadDocumentForm(const Request& request) {
  auto parts = request.MultipartParts();
  if (!parts) return InvalidArgument("send the document as multipart/form-data with the fields field and file", "file");
  DocumentForm form;
  bool has_field = false;
  bool has_file = false;
  for (FormPart& part : *parts) {
    if (part.name == "field" && part.file_name.empty() && !has_field) {
      form.field = std::move(part.data);
      has_field = true;
    } else if (part.name == "file") {
      if (part.file_name.empty() && part.data.empty()) continue;  // an empty file input
      if (has_file) return InvalidArgument("send one file at a time", "file");
      form.file = {std::move(part.file_name), std::move(part.data)};
      has_file = true;
    }
  }
  if (!has_field || form.field.empty()) return InvalidArgument("field must name the form's document field", "field");
  if (!has_file) return InvalidArgument("file must be a file", "file");
  return form;
}

void RegisterApplicantRoutes(Router& router, AppContext& app) {
  AddCitizenSessionRoute(router, app, "GET", "/api/portal/v1/application-forms", "portal.application_forms.list",
                         [&app](Request&, const portal::CitizenSession&) {
                           auto offers = app.applications.Offers();
                           if (!offers.ok()) return Response::Error(offers.status());
                           json items = json::array();
                           for (const apps::FormOffer& offer : *offers) items.push_back(OfferJson(offer));
                           return Response::Json(200, {{"items", items}});
                         });
  AddCitizenSessionRoute(router, app, "GET", "/api/portal/v1/application-forms/{scheme}",
                         "portal.application_forms.get", [&app](Request& request, const portal::CitizenSession&) {
                           auto offer = app.applications.Offer(request.path_params.at("scheme"));
                           if (!offer.ok()) return Response::Error(offer.status());
                           json out = OfferJson(*offer);
                           out["form"] = offer->form ? apps::FormJson(*offer->form) : json(nullptr);
                           return Response::Json(200, out);
                         });
  AddCitizenSessionRoute(router, app, "GET", "/api/portal/v1/applications", "portal.applications.list",
                         [&app](Request&, const portal::CitizenSession& session) {
                           auto list = app.applications.CitizenApplications(session);
                           if (!list.ok()) return Response::Error(list.status());
                           json items = json::array();
                           for (const apps::Application& a : *list) items.push_back(ApplicationSummaryJson(a));
                           return Response::Json(200, {{"items", items}});
                         });
  AddCitizenSessionRoute(router, app, "POST", "/api/portal/v1/applications", "portal.applications.create",
                         [&app](Request& request, const portal::CitizenSession& session) {
                           PW_API_BODY(body);
                           std::string scheme;
                           std::string renews;
                           PW_API_STRING(body, "scheme", scheme);
                           PW_API_OPT_STRING(body, "renews", renews);
                           auto offer = app.applications.Offer(scheme);
                           if (!offer.ok()) return Response::Error(offer.status());
                           if (!offer->form) return Response::Error(Internal("form offer without a form: " + scheme));
                           Status level = CheckLevel(session, *offer->form);
                           if (!level.ok()) return Response::Error(level);
                           auto draft = app.applications.CreateDraft(session, scheme, renews);
                           if (!draft.ok()) return Response::Error(draft.status());
                           Response response = Response::Json(201, ApplicationJson(*draft, false));
                           response.AddHeader("Location", "/api/portal/v1/applications/" + draft->id);
                           return response;
                         });
  AddApplicationRoute(router, app, "GET", "/api/portal/v1/applications/{id}", "portal.applications.get",
                      [](Request&, const portal::CitizenSession&, const apps::Application& application) {
                        return Response::Json(200, ApplicationJson(application, false));
                      });
  AddApplicationRoute(
      router, app, "PUT", "/api/portal/v1/applications/{id}", "portal.applications.update",
      [&app](Request& request, const portal::CitizenSession& session, const apps::Application&) {
        PW_API_BODY(body);
        auto answers = body.find("answers");
        if (answers == body.end() || !answers->is_object()) {
          return Response::Error(InvalidArgument("answers must be an object, field → value", "answers"));
        }
        std::vector<apps::FieldError> problems;
        auto updated = app.applications.UpdateAnswers(session, request.path_params.at("id"), *answers, &problems);
        if (!updated.ok()) return Response::Error(updated.status());
        return Response::Json(
            200, {{"application", ApplicationJson(*updated, false)}, {"problems", FieldErrorsJson(problems)}});
      });
  AddApplicationRoute(router, app, "DELETE", "/api/portal/v1/applications/{id}", "portal.applications.delete",
                      [&app](Request& request, const portal::CitizenSession& session, const apps::Application&) {
                        Status deleted = app.applications.DeleteDraft(session, request.path_params.at("id"));
                        return deleted.ok() ? NoContent() : Response::Error(deleted);
                      });
  AddApplicationRoute(
      router, app, "POST", "/api/portal/v1/applications/{id}/documents", "portal.applications.document_add",
      [&app](Request& request, const portal::CitizenSession& session, const apps::Application&) {
        auto form = ReadDocumentForm(request);
        if (!form.ok()) return Response::Error(form.status());
        return Idempotently<apps::DocumentInfo>(
            app, request, IdempotencyActor(session),
            [&](auto* idempotent) {
              return app.applications.AddDocument(session, request.path_params.at("id"), form->field,
                                                  std::move(form->file), idempotent);
            },
            [](const apps::DocumentInfo& document) { return Response::Json(201, DocumentJson(document)); });
      });
  AddApplicationRoute(router, app, "GET", "/api/portal/v1/applications/{id}/documents/{document_id}",
                      "portal.applications.document",
                      [&app](Request& request, const portal::CitizenSession& session, const apps::Application&) {
                        auto document = app.applications.CitizenDocument(session, request.path_params.at("id"),
                                                                         request.path_params.at("document_id"));
                        if (!document.ok()) return Response::Error(document.status());
                        return DocumentResponse(*document);
                      });
  AddApplicationRoute(router, app, "DELETE", "/api/portal/v1/applications/{id}/documents/{document_id}",
                      "portal.applications.document_remove",
                      [&app](Request& request, const portal::CitizenSession& session, const apps::Application&) {
                        Status removed = app.applications.RemoveDocument(session, request.path_params.at("id"),
                                                                         request.path_params.at("document_id"));
                        return removed.ok() ? NoContent() : Response::Error(removed);
                      });
  AddApplicationRoute(router, app, "POST", "/api/portal/v1/applications/{id}/submit", "portal.applications.submit",
                      [&app](Request& request, const portal::CitizenSession& session, const apps::Application&) {
                        std::vector<apps::FieldError> problems;
                        return Idempotently<apps::Application>(
                            app, request, IdempotencyActor(session),
                            [&](auto* idempotent) {
                              return app.applications.Submit(session, request.path_params.at("id"), &problems,
                                                             idempotent);
                            },
                            [](const apps::Application& application) {
                              return Response::Json(200, ApplicationJson(application, false));
                            },
                            [&problems](const Status& status) {
                              return problems.empty() ? Response::Error(status) : ProblemsResponse(status, problems);
                            });
                      });
  AddApplicationRoute(router, app, "POST", "/api/portal/v1/applications/{id}/withdraw", "portal.applications.withdraw",
                      [&app](Request& request, const portal::CitizenSession& session, const apps::Application&) {
                        auto withdrawn = app.applications.Withdraw(session, request.path_params.at("id"));
                        if (!withdrawn.ok()) return Response::Error(withdrawn.status());
                        return Response::Json(200, ApplicationJson(*withdrawn, false));
                      });
  AddApplicationRoute(router, app, "POST", "/api/portal/v1/applications/{id}/confirmation/resend",
                      "portal.applications.confirmation_resend",
                      [&app](Request& request, const portal::CitizenSession& session, const apps::Application&) {
                        Status sent = app.applications.ResendConfirmation(session, request.path_params.at("id"));
                        return sent.ok() ? NoContent() : Response::Error(sent);
                      });
  AddApplicationRoute(
      router, app, "GET", "/api/portal/v1/applications/{id}/receipt.pdf", "portal.applications.receipt",
      [&app](Request& request, const portal::CitizenSession& session, const apps::Application& application) {
        const std::string lang = request.QueryParam("lang").value_or("") == "en" ? "en" : "de";
        auto pdf = app.applications.ReceiptPdf(session, request.path_params.at("id"), lang);
        if (!pdf.ok()) return Response::Error(pdf.status());
        const std::string name = application.reference.empty() ? application.id : application.reference;
        return FileResponse("application/pdf", std::move(*pdf),
                            (lang == "en" ? "Application-" : "Antrag-") + name + ".pdf");
      });
  AddCitizenSessionRoute(router, app, "GET", "/api/portal/v1/renewals", "portal.renewals",
                         [&app](Request&, const portal::CitizenSession& session) {
                           auto due = app.applications.RenewalsDue(session);
                           if (!due.ok()) return Response::Error(due.status());
                           json items = json::array();
                           for (const apps::RenewalOffer& r : *due) {
                             items.push_back({{"application_id", r.application_id},
                                              {"scheme", r.scheme},
                                              {"scheme_name", r.scheme_name},
                                              {"card_number", r.card_number},
                                              {"valid_until", FormatIsoDate(r.valid_until)},
                                              {"draft_id", TextOrNull(r.draft_id)}});
                           }
                           return Response::Json(200, {{"items", items}});
                         });
}

// --- the organisation: the link's token is the credential, no session ---
// The token travels in the query (GET) and the body (POST), never in the
// path: the access log records paths.

void RegisterOrganisationRoutes(Router& router, AppContext& app) {
  router.Add(
      "GET", "/api/portal/v1/organisation-confirmation", "portal.organisation_confirmation.get",
      [&app](Request& request) {
        auto found = app.applications.ConfirmationByToken(request.QueryParam("token").value_or(""));
        if (!found.ok()) return Response::Error(found.status());
        json shown = json::array();
        for (const auto& [field, value] : found->shown) {
          if (field == nullptr) continue;
          shown.push_back({{"field", field->id}, {"label", field->label.de}, {"value", DisplayValue(*field, value)}});
        }
        Response response = Response::Json(200, {{"organisation", found->organisation},
                                                 {"contact", found->contact},
                                                 {"scheme_name", found->scheme_name},
                                                 {"municipality", found->municipality_name},
                                                 {"state", apps::ConfirmationStateName(found->state)},
                                                 {"expires_at", FormatUtc(found->expires_at)},
                                                 {"shown", shown}});
        response.AddHeader("Cache-Control", "private, no-store");
        return response;
      });
  router.Add("POST", "/api/portal/v1/organisation-confirmation", "portal.organisation_confirmation.answer",
             [&app](Request& request) {
               PW_API_BODY(body);
               std::string token;
               std::string decision;
               std::string reason;
               PW_API_STRING(body, "token", token);
               PW_API_STRING(body, "decision", decision);
               PW_API_OPT_STRING(body, "reason", reason);
               if (decision != "confirm" && decision != "decline") {
                 return Response::Error(InvalidArgument("decision must be confirm or decline", "decision"));
               }
               const bool confirmed = decision == "confirm";
               if (!confirmed && reason.find_first_not_of(" \t\r\n") == std::string::npos) {
                 return Response::Error(InvalidArgument("a decline needs a reason", "reason"));
               }
               Status answered = app.applications.AnswerConfirmation(token, confirmed, reason, request.request_id);
               return answered.ok() ? NoContent() : Response::Error(answered);
             });
}

// --- staff ---

// The queue's filter from the query string; every bad parameter is a 400 naming it.
Result<apps::QueueFilter> ReadQueueFilter(const Request& request) {
  apps::QueueFilter filter;
  if (auto status = request.QueryParam("status"); status && !status->empty()) {
    filter.status = apps::ParseStatus(*status);
    if (!filter.status) {
      return InvalidArgument(
          "status must be one of submitted, awaiting_confirmation, in_review, needs_information, "
          "pending_second_approval, approved, rejected, withdrawn",
          "status");
    }
  }
  filter.scheme = request.QueryParam("scheme").value_or("");
  if (auto renewal = request.QueryParam("renewal"); renewal && !renewal->empty()) {
    if (*renewal != "true" && *renewal != "false") return InvalidArgument("renewal must be true or false", "renewal");
    filter.renewal = *renewal == "true";
  }
  for (const char* name : {"from", "until"}) {
    auto text = request.QueryParam(name);
    if (!text || text->empty()) continue;
    auto date = ParseIsoDate(*text);
    if (!date) return InvalidArgument(std::string(name) + " must be a date YYYY-MM-DD", name);
    (std::string_view(name) == "from" ? filter.from : filter.until) = *date;
  }
  auto department =
      IntQueryParam(request, "department_id", 1, INT64_MAX, "department_id must be a department's number");
  if (!department.ok()) return department.status();
  filter.department_id = *department;
  auto page = IntQueryParam(request, "page", 1, 1000000, "page must be a number from 1");
  if (!page.ok()) return page.status();
  if (*page) filter.page = static_cast<int>(**page);
  auto per_page = IntQueryParam(request, "per_page", 1, 100, "per_page must be 1 to 100");
  if (!per_page.ok()) return per_page.status();
  if (*per_page) filter.per_page = static_cast<int>(**per_page);
  return filter;
}

void RegisterStaffRoutes(Router& router, AppContext& app) {
  using accounts::Action;
  AddTokenRoute(router, app, "GET", "/api/v1/applications", "api.applications.list", Action::kReadApplications,
                [&app](Request& request, const accounts::Actor& actor) {
                  auto filter = ReadQueueFilter(request);
                  if (!filter.ok()) return Response::Error(filter.status());
                  auto page = app.applications.Queue(actor, *filter);
                  if (!page.ok()) return Response::Error(page.status());
                  json items = json::array();
                  for (const apps::QueueItem& item : page->items) items.push_back(QueueItemJson(item));
                  return Response::Json(
                      200,
                      {{"items", items}, {"total", page->total}, {"page", page->page}, {"per_page", page->per_page}});
                });
  // A literal segment beats {id} in the router, whatever the order.
  AddTokenRoute(
      router, app, "GET", "/api/v1/applications/export.csv", "api.applications.export", Action::kReadApplications,
      [&app](Request& request, const accounts::Actor& actor) {
        auto department =
            IntQueryParam(request, "department_id", 1, INT64_MAX, "department_id must be a department's number");
        if (!department.ok()) return Response::Error(department.status());
        std::optional<int64_t> department_id = *department;
        // A clerk of one department need not name it.
        if (!department_id && actor.user && actor.user->department_ids.size() == 1) {
          department_id = actor.user->department_ids.front();
        }
        if (!department_id) {
          return Response::Error(InvalidArgument("department_id must name one of your departments", "department_id"));
        }
        auto csv = app.applications.ExportCsv(actor, *department_id);
        if (!csv.ok()) return Response::Error(csv.status());
        return FileResponse("text/csv; charset=utf-8", std::move(*csv),
                            "antraege-" + std::to_string(*department_id) + "-" +
                                FormatIsoDate(BerlinDate(app.clock.NowUnix())) + ".csv");
      });
  AddTokenRoute(router, app, "GET", "/api/v1/applications/{id}", "api.applications.get", Action::kReadApplications,
                [&app](Request& request, const accounts::Actor& actor) {
                  auto application = app.applications.StaffApplication(actor, request.path_params.at("id"));
                  if (!application.ok()) return Response::Error(application.status());
                  return Response::Json(200, ApplicationJson(*application, true));
                });
  AddTokenRoute(router, app, "GET", "/api/v1/applications/{id}/documents/{document_id}", "api.applications.document",
                Action::kReadApplications, [&app](Request& request, const accounts::Actor& actor) {
                  auto document = app.applications.StaffDocument(actor, request.path_params.at("id"),
                                                                 request.path_params.at("document_id"));
                  if (!document.ok()) return Response::Error(document.status());
                  return DocumentResponse(*document);
                });
  AddTokenRoute(router, app, "POST", "/api/v1/applications/{id}/decision", "api.applications.decide",
                Action::kDecideApplications, [&app](Request& request, const accounts::Actor& actor) {
                  PW_API_BODY(body);
                  std::string decision_name;
                  std::string reason;
                  PW_API_STRING(body, "decision", decision_name);
                  PW_API_OPT_STRING(body, "reason", reason);
                  auto decision = apps::ParseDecision(decision_name);
                  if (!decision) {
                    return Response::Error(
                        InvalidArgument("decision must be approve, reject or request_information", "decision"));
                  }
                  return Idempotently<apps::Application>(
                      app, request, actor,
                      [&](auto* idempotent) {
                        return app.applications.Decide(actor, request.path_params.at("id"), *decision, reason,
                                                       idempotent);
                      },
                      [](const apps::Application& application) {
                        return Response::Json(200, ApplicationJson(application, true));
                      });
                });
  AddTokenRoute(router, app, "POST", "/api/v1/applications/{id}/notes", "api.applications.note",
                Action::kDecideApplications, [&app](Request& request, const accounts::Actor& actor) {
                  PW_API_BODY(body);
                  std::string text;
                  PW_API_STRING(body, "text", text);
                  Status added = app.applications.AddNote(actor, request.path_params.at("id"), text);
                  return added.ok() ? NoContent() : Response::Error(added);
                });
  AddTokenRoute(router, app, "GET", "/api/v1/statistics/applications", "api.statistics.applications",
                Action::kReadStatistics, [&app](Request&, const accounts::Actor& actor) {
                  auto cells = app.applications.Statistics(actor);
                  if (!cells.ok()) return Response::Error(cells.status());
                  json out = json::array();
                  for (const apps::StatisticsCell& c : *cells) {
                    out.push_back({{"scheme", c.scheme},
                                   {"month", c.month},
                                   {"status", apps::StatusName(c.status)},
                                   {"count", c.count ? json(*c.count) : json(nullptr)}});
                  }
                  return Response::Json(200, {{"minimum_cell", apps::kMinimumCell}, {"cells", out}});
                });
}

}  // namespace

void RegisterApplicationApiRoutes(Router& router, AppContext& app) {
  RegisterApplicantRoutes(router, app);
  RegisterOrganisationRoutes(router, app);
  RegisterStaffRoutes(router, app);
}

}  // namespace passwerk::http
