// A small synchronous HTTP/1.1 client for the terminal client: http:// and
// https:// (peer and host name verified against the system CAs or a given CA
// file), keep-alive, and hard timeouts so an unreachable server costs seconds,
// not minutes. Beast and Asio are included only by http_client.cpp.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace passwerk::terminal_client {

struct ServerUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string base_path;  // without a trailing slash; "" for the root
};
// http://host[:port][/path] or https://…; IPv6 hosts in brackets.
Result<ServerUrl> ParseServerUrl(std::string_view url);

struct HttpResponse {
  int status = 0;
  std::string body;
};

struct HttpClientOptions {
  std::string ca_file;  // empty: the system's CA store
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds io_timeout{10000};  // for each write and each read of a request
  size_t body_limit = 64 * 1024 * 1024;         // sync-data may list many blocked cards
};

// The transport the terminal client talks through; tests put a fake behind it.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // kUnavailable when no answer arrived (connect error, timeout, TLS failure,
  // connection lost): the caller cannot know whether the server acted on it.
  // Any HTTP answer, also 4xx and 5xx, is a response.
  virtual Result<HttpResponse> Send(std::string_view method, std::string_view path, const std::string& body,
                                    std::string_view bearer) = 0;
  // The same for other services (an identity provider): exactly the given
  // headers besides Host and User-Agent, so no Accept or Content-Type unless
  // given. `path_and_query` is appended to the URL's base path, as with Send.
  // Not pure, so that fakes serving only Send need not implement it.
  virtual Result<HttpResponse> Request(std::string_view /*method*/, std::string_view /*path_and_query*/,
                                       const std::vector<std::pair<std::string, std::string>>& /*headers*/,
                                       const std::string& /*body*/) {
    return Internal("this HTTP client does not implement Request");
  }
};

// `path` given to Send is appended to the URL's base path.
Result<std::unique_ptr<HttpClient>> MakeHttpClient(std::string_view base_url, HttpClientOptions options);

}  // namespace passwerk::terminal_client
