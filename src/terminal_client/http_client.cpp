// Beast and Asio are included only here. Every operation is started
// asynchronously and then run to completion, because only asynchronous
// operations honour the stream's expiry: a blocking read on a socket to a
// silent server would wait forever.
#include "terminal_client/http_client.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <optional>

#include "core/numbers.h"

namespace passwerk::terminal_client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

bool AllDigits(std::string_view s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos; }

class BeastHttpClient final : public HttpClient {
 public:
  BeastHttpClient(ServerUrl url, HttpClientOptions options)
      : url_(std::move(url)), options_(std::move(options)), ssl_ctx_(ssl::context::tls_client) {}
  ~BeastHttpClient() override { Close(); }

  Status Init() {
    if (!url_.tls) return Status::Ok();
    error_code ec;
    ssl_ctx_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                             ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                         ec);
    if (options_.ca_file.empty()) {
      ssl_ctx_.set_default_verify_paths(ec);
    } else {
      ssl_ctx_.load_verify_file(options_.ca_file, ec);
    }
    if (ec) return InvalidArgument("cannot load the CA certificates: " + ec.message(), "--ca-file");
    ssl_ctx_.set_verify_mode(ssl::verify_peer, ec);
    if (ec) return Internal("cannot enable peer verification: " + ec.message());
    return Status::Ok();
  }

  Result<HttpResponse> Send(std::string_view method, std::string_view path, const std::string& body,
                            std::string_view bearer) override {
    http::request<http::string_body> request = Start(method, path);
    request.set(http::field::accept, "application/json");
    if (!bearer.empty()) request.set(http::field::authorization, "Bearer " + std::string(bearer));
    if (!body.empty() || method == "POST") {
      request.set(http::field::content_type, "application/json");
      request.body() = body;
    }
    return Perform(request);
  }

  Result<HttpResponse> Request(std::string_view method, std::string_view path_and_query,
                               const std::vector<std::pair<std::string, std::string>>& headers,
                               const std::string& body) override {
    http::request<http::string_body> request = Start(method, path_and_query);
    for (const auto& [name, value] : headers) {
      // A line break would let a value smuggle in headers of its own.
      if (name.empty() || (name + value).find_first_of("\r\n") != std::string::npos) {
        return InvalidArgument("bad HTTP header " + name);
      }
      request.set(name, value);
    }
    if (!body.empty() || method == "POST") request.body() = body;
    return Perform(request);
  }

 private:
  http::request<http::string_body> Start(std::string_view method, std::string_view path) const {
    http::request<http::string_body> request;
    request.method_string(method);
    request.target(url_.base_path + std::string(path));
    request.version(11);
    bool default_port = url_.port == (url_.tls ? "443" : "80");
    request.set(http::field::host, url_.host + (default_port ? "" : ":" + url_.port));
    request.set(http::field::user_agent, std::string("passwerk-terminal/") + PASSWERK_VERSION);
    return request;
  }

  Result<HttpResponse> Perform(http::request<http::string_body>& request) {
    request.keep_alive(true);
    request.prepare_payload();

    bool reused = connected_;
    if (!connected_) PW_RETURN_IF_ERROR(Connect());
    bool got_some = false;
    auto response = Exchange(request, &got_some);
    // A kept-alive connection the server closed while idle fails before any
    // answer arrives; that request never reached the server, so one retry on a
    // fresh connection is safe (and every terminal request is idempotent by
    // booking number anyway).
    if (!response.ok() && reused && !got_some) {
      Close();
      PW_RETURN_IF_ERROR(Connect());
      response = Exchange(request, &got_some);
    }
    if (!response.ok()) Close();
    return response;
  }

  beast::tcp_stream& Lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

  // Runs what was started until it completes; the stream's expiry bounds it.
  void Run() {
    ioc_.restart();
    ioc_.run();
  }

  std::string Where() const { return url_.host + ":" + url_.port; }

  Status Connect() {
    Close();
    // Name resolution runs on Asio's helper thread and knows no expiry: bound
    // it with run_for. The handler only touches shared state, so it may
    // outlive this call.
    struct Resolution {
      bool done = false;
      error_code ec;
      tcp::resolver::results_type endpoints;
    };
    auto resolution = std::make_shared<Resolution>();
    tcp::resolver resolver(ioc_);
    resolver.async_resolve(url_.host, url_.port, [resolution](error_code ec, tcp::resolver::results_type endpoints) {
      resolution->done = true;
      resolution->ec = ec;
      resolution->endpoints = std::move(endpoints);
    });
    ioc_.restart();
    ioc_.run_for(options_.connect_timeout);
    if (!resolution->done) {
      resolver.cancel();
      return Unavailable("the server cannot be reached", "name resolution of " + url_.host + " timed out");
    }
    if (resolution->ec) {
      return Unavailable("the server cannot be reached",
                         "cannot resolve " + url_.host + ": " + resolution->ec.message());
    }

    if (url_.tls) {
      tls_.emplace(ioc_, ssl_ctx_);
    } else {
      plain_.emplace(ioc_);
    }
    error_code ec;
    Lowest().expires_after(options_.connect_timeout);
    Lowest().async_connect(resolution->endpoints, [&ec](error_code e, const tcp::endpoint&) { ec = e; });
    Run();
    if (ec) {
      Close();
      return Unavailable("the server cannot be reached", "connect to " + Where() + ": " + ec.message());
    }
    if (url_.tls) {
      if (SSL_set_tlsext_host_name(tls_->native_handle(), url_.host.c_str()) != 1) {
        Close();
        return Internal("cannot set the TLS server name");
      }
      tls_->set_verify_callback(ssl::host_name_verification(url_.host));
      Lowest().expires_after(options_.io_timeout);
      tls_->async_handshake(ssl::stream_base::client, [&ec](error_code e) { ec = e; });
      Run();
      if (ec) {
        Close();
        return Unavailable("the server cannot be reached securely", "TLS with " + Where() + ": " + ec.message());
      }
    }
    connected_ = true;
    return Status::Ok();
  }

  Result<HttpResponse> Exchange(http::request<http::string_body>& request, bool* got_some) {
    error_code ec;
    http::response_parser<http::string_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(options_.body_limit);
    beast::flat_buffer buffer;
    auto exchange = [&](auto& stream) {
      Lowest().expires_after(options_.io_timeout);
      http::async_write(stream, request, [&ec](error_code e, size_t) { ec = e; });
      Run();
      if (ec) return;
      Lowest().expires_after(options_.io_timeout);
      http::async_read(stream, buffer, parser, [&ec](error_code e, size_t) { ec = e; });
      Run();
    };
    if (tls_) {
      exchange(*tls_);
    } else {
      exchange(*plain_);
    }
    *got_some = parser.got_some();
    if (ec) return Unavailable("the server did not answer", Where() + ": " + ec.message());
    auto response = parser.release();
    if (!response.keep_alive()) Close();
    return HttpResponse{static_cast<int>(response.result_int()), std::move(response.body())};
  }

  void Close() {
    if (plain_ || tls_) {
      error_code ignored;
      Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      Lowest().socket().close(ignored);
    }
    tls_.reset();
    plain_.reset();
    connected_ = false;
  }

  ServerUrl url_;
  HttpClientOptions options_;
  asio::io_context ioc_;
  ssl::context ssl_ctx_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  bool connected_ = false;
};

}  // namespace

Result<ServerUrl> ParseServerUrl(std::string_view url) {
  ServerUrl out;
  if (url.starts_with("https://")) {
    out.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return InvalidArgument("the server URL must start with http:// or https://", "--server");
  }
  size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : url.substr(slash);
  if (authority.find('@') != std::string_view::npos || path.find_first_of("?#") != std::string_view::npos) {
    return InvalidArgument("the server URL must not carry user, query or fragment", "--server");
  }
  std::string_view port;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgument("unbalanced [ in the server URL", "--server");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return InvalidArgument("bad port in the server URL", "--server");
      port = rest.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return InvalidArgument("the server URL has no host", "--server");
  if (port.empty()) {
    out.port = out.tls ? "443" : "80";
  } else {
    if (!AllDigits(port) || !ParseIntegerIn(port, 1, 65535)) {
      return InvalidArgument("bad port in the server URL", "--server");
    }
    out.port = std::string(port);
  }
  while (path.ends_with('/')) path.remove_suffix(1);
  out.base_path = std::string(path);
  return out;
}

Result<std::unique_ptr<HttpClient>> MakeHttpClient(std::string_view base_url, HttpClientOptions options) {
  PW_ASSIGN_OR_RETURN(ServerUrl url, ParseServerUrl(base_url));
  auto client = std::make_unique<BeastHttpClient>(std::move(url), std::move(options));
  PW_RETURN_IF_ERROR(client->Init());
  return std::unique_ptr<HttpClient>(std::move(client));
}

}  // namespace passwerk::terminal_client
