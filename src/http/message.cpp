// Request accessors, uniform response constructors, the ErrorCode → HTTP status
// table and percent-coding. No I/O here: handlers and tests use these directly.
#include "http/message.h"

#include <nlohmann/json.hpp>

#include "core/log.h"

namespace passwerk::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Calls fn(decoded_name, decoded_value) for each `name=value` pair of an
// application/x-www-form-urlencoded string; stops when fn returns false.
template <typename Fn>
void ForEachFormPair(std::string_view data, Fn&& fn) {
  while (!data.empty()) {
    size_t amp = data.find('&');
    std::string_view pair = data.substr(0, amp);
    data = amp == std::string_view::npos ? std::string_view() : data.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (!fn(UrlDecode(name, true), value)) return;
  }
}

// The Status detail goes to the log only, never to the client.
void LogDetail(const Status& status) {
  nlohmann::json fields = {
      {"code", ErrorCodeName(status.code())}, {"message", status.message()}, {"detail", status.detail()}};
  if (status.code() == ErrorCode::kInternal) {
    log::Error("request failed", fields);
  } else {
    log::Warn("request failed", fields);
  }
}

}  // namespace

std::optional<std::string_view> Request::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return std::string_view(value);
  }
  return std::nullopt;
}

std::optional<std::string> Request::QueryParam(std::string_view name) const {
  std::optional<std::string> found;
  ForEachFormPair(query, [&](const std::string& key, std::string_view raw_value) {
    if (key != name) return true;
    found = UrlDecode(raw_value, true);
    return false;
  });
  return found;
}

std::optional<std::string> Request::Cookie(std::string_view name) const {
  // RFC 6265: `Cookie: a=1; b=2`; values are opaque (no percent-decoding),
  // optionally in double quotes. A browser sends one header, but accept several.
  for (const auto& [header_name, header_value] : headers) {
    if (header_name != "cookie") continue;
    std::string_view rest = header_value;
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view pair = Trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      size_t eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      if (Trim(pair.substr(0, eq)) != name) continue;
      std::string_view value = Trim(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return std::string(value);
    }
  }
  return std::nullopt;
}

std::map<std::string, std::string> Request::FormParams() const {
  std::map<std::string, std::string> params;
  // A JSON or multipart body is not a form: parsing it as one would only
  // produce garbage keys. Without a Content-Type, assume a form.
  if (auto type = Header("content-type")) {
    std::string_view media = Trim(type->substr(0, type->find(';')));
    if (!EqualsIgnoreCase(media, "application/x-www-form-urlencoded")) return params;
  }
  ForEachFormPair(body, [&](std::string key, std::string_view raw_value) {
    params.try_emplace(std::move(key), UrlDecode(raw_value, true));  // first one wins
    return true;
  });
  return params;
}

namespace {

// The value of `name` in header parameters (`form-data; name="csrf"`,
// `multipart/form-data; boundary=xyz`), unquoted.
std::optional<std::string> HeaderParam(std::string_view header, std::string_view name) {
  size_t semi = header.find(';');
  if (semi == std::string_view::npos) return std::nullopt;
  std::string_view rest = header.substr(semi + 1);
  while (!rest.empty()) {
    size_t eq = rest.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view param = Trim(rest.substr(0, eq));
    rest = Trim(rest.substr(eq + 1));
    std::string value;
    if (!rest.empty() && rest.front() == '"') {
      size_t i = 1;
      for (; i < rest.size() && rest[i] != '"'; ++i) {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        value.push_back(rest[i]);
      }
      rest = i < rest.size() ? rest.substr(i + 1) : std::string_view();
      size_t next = rest.find(';');
      rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    } else {
      size_t next = rest.find(';');
      value = std::string(Trim(rest.substr(0, next)));
      rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    }
    if (EqualsIgnoreCase(param, name)) return value;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::vector<FormPart>> Request::MultipartParts() const {
  auto type = Header("content-type");
  if (!type) return std::nullopt;
  std::string_view media = Trim(type->substr(0, type->find(';')));
  if (!EqualsIgnoreCase(media, "multipart/form-data")) return std::nullopt;
  auto boundary = HeaderParam(*type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 70) return std::nullopt;
  const std::string delimiter = "--" + *boundary;
  std::string_view rest = body;
  // The first delimiter may open the body or follow a preamble line.
  size_t start = rest.rfind(delimiter, 0) == 0 ? 0 : rest.find("\r\n" + delimiter);
  if (start == std::string_view::npos) return std::nullopt;
  rest = rest.substr(start == 0 ? delimiter.size() : start + 2 + delimiter.size());
  std::vector<FormPart> parts;
  const std::string next = "\r\n" + delimiter;
  for (;;) {
    if (rest.rfind("--", 0) == 0) return parts;  // the closing delimiter
    if (rest.rfind("\r\n", 0) != 0) return std::nullopt;
    rest.remove_prefix(2);
    size_t head_end = rest.find("\r\n\r\n");
    if (head_end == std::string_view::npos) return std::nullopt;
    std::string_view head = rest.substr(0, head_end);
    rest.remove_prefix(head_end + 4);
    size_t end = rest.find(next);
    if (end == std::string_view::npos) return std::nullopt;
    FormPart part;
    part.data = std::string(rest.substr(0, end));
    rest.remove_prefix(end + next.size());
    bool named = false;
    while (!head.empty()) {
      size_t eol = head.find("\r\n");
      std::string_view line = head.substr(0, eol);
      head = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) return std::nullopt;
      std::string_view header_name = Trim(line.substr(0, colon));
      std::string_view value = Trim(line.substr(colon + 1));
      if (EqualsIgnoreCase(header_name, "content-disposition")) {
        if (!EqualsIgnoreCase(Trim(value.substr(0, value.find(';'))), "form-data")) return std::nullopt;
        auto name = HeaderParam(value, "name");
        if (!name) return std::nullopt;
        part.name = std::move(*name);
        part.file_name = HeaderParam(value, "filename").value_or("");
        named = true;
      } else if (EqualsIgnoreCase(header_name, "content-type")) {
        part.content_type = std::string(value);
      }
    }
    if (!named) return std::nullopt;
    parts.push_back(std::move(part));
  }
}

Response Response::Json(int status, const nlohmann::json& body) {
  Response response;
  response.status = status;
  response.content_type = "application/json";
  // Invalid UTF-8 in a string must not turn into an exception mid-request.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

Response Response::Html(int status, std::string body) {
  Response response;
  response.status = status;
  response.content_type = "text/html; charset=utf-8";
  response.body = std::move(body);
  return response;
}

Response Response::Redirect(std::string location) {
  // 303 See Other: after a form POST the browser follows with a GET.
  Response response;
  response.status = 303;
  response.content_type = "text/plain; charset=utf-8";
  response.AddHeader("Location", std::move(location));
  return response;
}

Response Response::Error(const Status& status) {
  if (status.ok()) {
    // Answering an error with an OK status is a bug in the caller.
    return Error(Internal("Response::Error called with an OK status"));
  }
  if (!status.detail().empty() &&
      (status.code() == ErrorCode::kInternal || status.code() == ErrorCode::kUnavailable)) {
    LogDetail(status);
  }
  nlohmann::json error = {{"code", ErrorCodeName(status.code())}, {"message", status.message()}};
  if (!status.field().empty()) error["field"] = status.field();
  return Json(HttpStatusFor(status.code()), nlohmann::json{{"error", std::move(error)}});
}

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return 200;
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kAlreadyExists: return 409;
    case ErrorCode::kFailedPrecondition: return 409;
    case ErrorCode::kPermissionDenied: return 403;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kResourceExhausted: return 429;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

std::string UrlDecode(std::string_view in, bool form) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 && HexValue(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2])));
      i += 2;
    } else if (c == '+' && form) {
      out.push_back(' ');
    } else {
      out.push_back(c);  // a stray '%' stays as it is
    }
  }
  return out;
}

std::string UrlEncode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size() * 3);
  for (char c : in) {
    auto u = static_cast<unsigned char>(c);
    bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') ||
                      u == '-' || u == '.' || u == '_' || u == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0x0f]);
    }
  }
  return out;
}

}  // namespace passwerk::http
