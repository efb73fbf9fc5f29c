// Shared parsing for JSON API handlers: bearer-token actors, JSON bodies and
// typed fields, each failing with a uniform error naming the field.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "accounts/accounts.h"
#include "http/context.h"
#include "http/message.h"
#include "http/router.h"

namespace passwerk::http {

// Bearer token → Actor (kUnauthenticated otherwise).
Result<accounts::Actor> AuthenticateBearer(AppContext& app, const Request& request);
// 401 with WWW-Authenticate.
Response Unauthorized(const Status& status);

using TokenHandler = std::function<Response(Request&, const accounts::Actor&)>;
// An API route for bearer tokens. Before the handler runs, the token must be
// valid (401) and may take `action` at all: it holds the action's scope and
// its user's role reaches the action somewhere (403, accounts/policy.h). The
// domain function then decides the rest: which municipality, department or
// record. The router lists the scope (`passwerk routes`).
void AddTokenRoute(Router& router, AppContext& app, std::string method, std::string pattern, std::string name,
                   accounts::Action action, TokenHandler handler);
// A 400 unless the body is declared application/json.
Status RequireJsonBody(const Request& request);
// application/json object body, or a 400.
Result<nlohmann::json> ParseJsonObject(const Request& request);
Status ReadString(const nlohmann::json& body, const char* field, bool required, std::string& out);
Status ReadInt(const nlohmann::json& body, const char* field, bool required, int64_t& out);
// An integer query parameter: nullopt when absent or empty; the number when
// all of it is one within [min, max]; otherwise InvalidArgument with `message`,
// naming the parameter ("12abc" and "1e3" are errors, not 12 and 1).
Result<std::optional<int64_t>> IntQueryParam(const Request& request, const char* name, int64_t min, int64_t max,
                                             const char* message);
// A numeric id in the path ({id}): NotFound unless all of it is a positive
// number; with `field`, the error names it ("no such statement", "statement").
Result<int64_t> PathId(const Request& request, const char* name, const char* field = nullptr);
// Absent or null leaves `out` empty (`required` is ignored: such fields are optional by nature).
Status ReadOptionalInt(const nlohmann::json& body, const char* field, bool required, std::optional<int64_t>& out);

// The Content-Disposition of a file handed out for download (mailbox
// attachments, pages and API alike): `attachment`, an ASCII fallback name
// for old clients (anything else, quotes, backslashes, percent signs and
// control characters become '_') and the exact UTF-8 name as RFC 8187
// filename*. Never carries a line break, whatever `file_name` holds.
std::string AttachmentDisposition(std::string_view file_name);

}  // namespace passwerk::http

// Handler shorthands: each returns the error response on failure.
#define PW_API_BODY(name)                                                  \
  auto name##_result = ::passwerk::http::ParseJsonObject(request);         \
  if (!name##_result.ok()) return Response::Error(name##_result.status()); \
  const nlohmann::json& name = *name##_result
#define PW_API_FIELD_(reader, body, field, required, out)                     \
  do {                                                                        \
    ::passwerk::Status pw_field_status_ = reader(body, field, required, out); \
    if (!pw_field_status_.ok()) return Response::Error(pw_field_status_);     \
  } while (0)
#define PW_API_STRING(body, field, out) PW_API_FIELD_(::passwerk::http::ReadString, body, field, true, out)
#define PW_API_OPT_STRING(body, field, out) PW_API_FIELD_(::passwerk::http::ReadString, body, field, false, out)
#define PW_API_INT(body, field, out) PW_API_FIELD_(::passwerk::http::ReadInt, body, field, true, out)
#define PW_API_OPT_INT(body, field, out) PW_API_FIELD_(::passwerk::http::ReadInt, body, field, false, out)
