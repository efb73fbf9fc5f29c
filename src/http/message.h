// Plain request and response values that handlers see: no Beast types leak
// beyond src/http/server.cpp, so handlers compile fast and test without sockets.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"

namespace passwerk::http {

// One part of a multipart/form-data body (RFC 7578): a form field, or a file
// with its name as the browser sent it.
struct FormPart {
  std::string name;
  std::string file_name;  // empty for a plain field
  std::string content_type;
  std::string data;
};

struct Request {
  std::string method;       // "GET", "POST", ...
  std::string path;         // decoded path without query, e.g. "/api/v1/users"
  std::string query;        // raw query string without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::string remote_address;  // peer IP, no port
  std::string request_id;
  bool tls = false;
  std::map<std::string, std::string> path_params;  // filled by the router

  std::optional<std::string_view> Header(std::string_view lower_name) const;
  std::optional<std::string> QueryParam(std::string_view name) const;
  std::optional<std::string> Cookie(std::string_view name) const;
  // Parsed application/x-www-form-urlencoded body.
  std::map<std::string, std::string> FormParams() const;
  // Parsed multipart/form-data body (a form with a file input); nullopt when
  // the body is not one or is malformed.
  std::optional<std::vector<FormPart>> MultipartParts() const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  void AddHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }

  static Response Json(int status, const nlohmann::json& body);
  static Response Html(int status, std::string body);
  static Response Redirect(std::string location);
  // Uniform error: {"error":{"code":"…","message":"…"[,"field":"…"]}}; the
  // Status detail is never sent (it is logged by the server).
  static Response Error(const Status& status);
};

// ErrorCode → HTTP status (the one table).
int HttpStatusFor(ErrorCode code);

// Percent-decoding for paths, query strings and form bodies ('+' → ' ' when form).
std::string UrlDecode(std::string_view in, bool form);
std::string UrlEncode(std::string_view in);

}  // namespace passwerk::http
