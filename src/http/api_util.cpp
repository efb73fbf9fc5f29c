// Shared request parsing for the JSON API handlers.
#include "http/api_util.h"

#include <cstdint>

#include "core/numbers.h"

namespace passwerk::http {

Result<std::optional<int64_t>> IntQueryParam(const Request& request, const char* name, int64_t min, int64_t max,
                                             const char* message) {
  std::optional<std::string> text = request.QueryParam(name);
  if (!text || text->empty()) return std::optional<int64_t>();
  std::optional<int64_t> value = ParseIntegerIn(*text, min, max);
  if (!value) return InvalidArgument(message, name);
  return value;
}

Result<int64_t> PathId(const Request& request, const char* name, const char* field) {
  auto it = request.path_params.find(name);
  std::optional<int64_t> id = it == request.path_params.end() ? std::nullopt : ParseIntegerIn(it->second, 1, INT64_MAX);
  if (!id) return field ? NotFound(std::string("no such ") + field, field) : NotFound("no such resource");
  return *id;
}

Result<accounts::Actor> AuthenticateBearer(AppContext& app, const Request& request) {
  auto header = request.Header("authorization");
  if (!header || header->size() < 8 || header->substr(0, 7) != "Bearer ") {
    return Unauthenticated("a bearer token is required");
  }
  return app.accounts.AuthenticateToken(std::string(header->substr(7)), request.request_id);
}

Response Unauthorized(const Status& status) {
  Response response = Response::Error(status);
  if (status.code() == ErrorCode::kUnauthenticated) {
    response.AddHeader("WWW-Authenticate", "Bearer realm=\"passwerk\"");
  }
  return response;
}

void AddTokenRoute(Router& router, AppContext& app, std::string method, std::string pattern, std::string name,
                   accounts::Action action, TokenHandler handler) {
  router.Add(
      std::move(method), std::move(pattern), std::move(name),
      [&app, action, handler = std::move(handler)](Request& request) {
        auto actor = AuthenticateBearer(app, request);
        if (!actor.ok()) return Unauthorized(actor.status());
        Status allowed = accounts::Require(*actor, action);
        if (!allowed.ok()) return Response::Error(allowed);
        return handler(request, *actor);
      },
      std::string(accounts::ScopeFor(action)));
}

Status RequireJsonBody(const Request& request) {
  auto type = request.Header("content-type");
  if (!type || type->substr(0, 16) != "application/json") {
    return InvalidArgument("the body must be application/json");
  }
  return Status::Ok();
}

Result<nlohmann::json> ParseJsonObject(const Request& request) {
  PW_RETURN_IF_ERROR(RequireJsonBody(request));
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded()) return InvalidArgument("the body is not valid JSON");
  if (!body.is_object()) return InvalidArgument("the body must be a JSON object");
  return body;
}

Status ReadString(const nlohmann::json& body, const char* field, bool required, std::string& out) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) {
    return required ? InvalidArgument(std::string(field) + " must be a string", field) : Status::Ok();
  }
  if (!it->is_string()) return InvalidArgument(std::string(field) + " must be a string", field);
  out = it->get<std::string>();
  return Status::Ok();
}

Status ReadInt(const nlohmann::json& body, const char* field, bool required, int64_t& out) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) {
    return required ? InvalidArgument(std::string(field) + " must be an integer", field) : Status::Ok();
  }
  // An unsigned number beyond int64 would wrap to a negative one.
  if (!it->is_number_integer() || (it->is_number_unsigned() && it->get<uint64_t>() > INT64_MAX)) {
    return InvalidArgument(std::string(field) + " must be an integer", field);
  }
  out = it->get<int64_t>();
  return Status::Ok();
}

Status ReadOptionalInt(const nlohmann::json& body, const char* field, bool /*required*/, std::optional<int64_t>& out) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return Status::Ok();
  int64_t value = 0;
  PW_RETURN_IF_ERROR(ReadInt(body, field, true, value));
  out = value;
  return Status::Ok();
}

std::string AttachmentDisposition(std::string_view file_name) {
  std::string fallback;
  std::string encoded;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : file_name) {
    const auto byte = static_cast<unsigned char>(c);
    // One '_' per non-ASCII character: skip UTF-8 continuation bytes.
    if (byte >= 0x80) {
      if (byte >= 0xC0 || fallback.empty() || fallback.back() != '_') fallback += '_';
    } else if (byte < 0x20 || byte == 0x7F || c == '"' || c == '\\' || c == '%') {
      fallback += '_';
    } else {
      fallback += c;
    }
    // RFC 8187 attr-char stays as it is; everything else is %XX.
    const bool attr_char = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                           std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos;
    if (attr_char) {
      encoded += c;
    } else {
      encoded += '%';
      encoded += kHex[byte >> 4];
      encoded += kHex[byte & 0x0F];
    }
  }
  if (fallback.empty()) fallback = "download";
  std::string value = "attachment; filename=\"" + fallback + "\"";
  if (!encoded.empty()) value += "; filename*=UTF-8''" + encoded;
  return value;
}

}  // namespace passwerk::http
