// Starts a real Server on 127.0.0.1 port 0 and talks to it over real sockets
// with a tiny blocking client (plain POSIX sockets, OpenSSL for the TLS case).
#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

namespace passwerk::http {
namespace {

using nlohmann::json;

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// A blocking HTTP/1.1 client connection, just enough for these tests.
class Client {
 public:
  explicit Client(uint16_t port, SSL_CTX* tls = nullptr) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (connected_ && tls != nullptr) {
      ssl_ = SSL_new(tls);
      SSL_set_fd(ssl_, fd_);
      connected_ = SSL_connect(ssl_) == 1;
    }
  }
  ~Client() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      long n = ssl_ != nullptr ? SSL_write(ssl_, data.data(), static_cast<int>(data.size()))
                               : send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response; std::nullopt when the connection closed first.
  std::optional<ClientResponse> Read(bool head = false) {
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    ClientResponse response;
    std::istringstream lines(buffer_.substr(0, header_end));
    std::string line;
    std::getline(lines, line);
    if (line.rfind("HTTP/1.1 ", 0) != 0) return std::nullopt;
    response.status = std::stoi(line.substr(9, 3));
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (response.headers.count(name) != 0) ++duplicate_headers_;
      response.headers[name] = value;
    }
    buffer_.erase(0, header_end + 4);
    size_t length = response.headers.count("content-length") != 0
                        ? std::stoul(response.headers["content-length"])
                        : 0;
    if (head || response.status == 204 || response.status == 304) length = 0;
    while (buffer_.size() < length) {
      if (!Fill()) return std::nullopt;
    }
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return response;
  }

  // True when the server closed the connection (EOF) with nothing more sent.
  bool ClosedByPeer() { return buffer_.empty() && !Fill(); }

  int duplicate_headers() const { return duplicate_headers_; }

 private:
  bool Fill() {
    char chunk[4096];
    long n = ssl_ != nullptr ? SSL_read(ssl_, chunk, sizeof chunk) : recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  bool connected_ = false;
  std::string buffer_;
  int duplicate_headers_ = 0;
};

std::string Get(std::string_view target, std::string_view extra_headers = "") {
  return std::string("GET ") + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) +
         "\r\n";
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("GET", "/hello", "hello", [](Request&) { return Response::Json(200, json{{"hello", "world"}}); });
    router_.Add("POST", "/echo", "echo", [](Request& request) {
      return Response::Json(200, json{{"body", request.body}});
    });
    router_.Add("GET", "/users/{id}", "user", [](Request& request) {
      return Response::Json(200, json{{"id", request.path_params["id"]},
                                      {"path", request.path},
                                      {"query", request.query},
                                      {"q", request.QueryParam("q").value_or("")},
                                      {"remote", request.remote_address},
                                      {"tls", request.tls},
                                      {"user_agent", std::string(request.Header("user-agent").value_or(""))}});
    });
    router_.Add("GET", "/big", "big", [](Request&) { return Response::Html(200, std::string(8 << 20, 'b')); });
    router_.Add("GET", "/throw", "throw", [](Request&) -> Response { throw std::runtime_error("boom"); });
    router_.Add("GET", "/custom", "custom", [](Request&) {
      Response response = Response::Html(200, "<p>hi</p>");
      response.AddHeader("Content-Security-Policy", "default-src 'none'");
      response.AddHeader("Cache-Control", "public, max-age=60");
      response.AddHeader("X-Evil", "a\r\nSet-Cookie: injected=1");
      return response;
    });
    router_.Add("GET", "/slow", "slow", [this](Request&) {
      slow_started_ = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      return Response::Json(200, json{{"slow", true}});
    });
  }

  void TearDown() override {
    if (server_) {
      server_->Shutdown();
      server_->Wait();
    }
  }

  uint16_t StartServer(ServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    if (options.threads == 0) options.threads = 2;
    options.access_log = access_log_;
    server_ = std::make_unique<Server>(options, router_, metrics_);
    auto port = server_->Start();
    EXPECT_TRUE(port.ok()) << port.status().ToString();
    port_ = port.ok() ? *port : 0;
    return port_;
  }

  std::optional<ClientResponse> Exchange(const std::string& raw) {
    Client client(port_);
    EXPECT_TRUE(client.connected());
    client.Send(raw);
    return client.Read();
  }

  Router router_;
  Metrics metrics_;
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
  bool access_log_ = false;
  std::atomic<bool> slow_started_{false};
};

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  StartServer();
  Client client(port_);
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(client.Send(Get("/hello")));
    auto response = client.Read();
    ASSERT_TRUE(response) << "request " << i;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->Header("content-type"), "application/json");
    EXPECT_EQ(response->Header("connection"), "");
    EXPECT_EQ(json::parse(response->body), (json{{"hello", "world"}}));
  }
}

TEST_F(ServerTest, LastRequestWithConnectionCloseAfterKeepAlive) {
  StartServer();
  Client client(port_);
  ASSERT_TRUE(client.Send(Get("/users/a-rather-long-identifier-to-make-this-response-longer")));
  auto first = client.Read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  ASSERT_TRUE(client.Send(Get("/hello", "Connection: close\r\n")));
  auto last = client.Read();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->status, 200);
  EXPECT_EQ(last->Header("connection"), "close");
  EXPECT_EQ(last->body, R"({"hello":"world"})");
  EXPECT_TRUE(client.ClosedByPeer());
}

TEST_F(ServerTest, ResponsesLargerThanTheSocketBufferArriveWhole) {
  StartServer();
  Client client(port_);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(client.Send(Get("/big")));
    auto big = client.Read();
    ASSERT_TRUE(big);
    EXPECT_EQ(big->body.size(), size_t{8} << 20);
    EXPECT_EQ(big->body.find_first_not_of('b'), std::string::npos);
    ASSERT_TRUE(client.Send(Get("/hello")));
    auto small = client.Read();
    ASSERT_TRUE(small);
    EXPECT_EQ(small->body, R"({"hello":"world"})");
  }
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  Client client(port_);
  std::string raw;
  for (int i = 0; i < 40; ++i) raw += Get("/users/" + std::to_string(i));
  ASSERT_TRUE(client.Send(raw));
  for (int i = 0; i < 40; ++i) {
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(json::parse(response->body)["id"], std::to_string(i));
  }
}

TEST_F(ServerTest, ConvertsTheRequest) {
  StartServer();
  auto response = Exchange(Get("/users/J%C3%BCrgen%20K?q=a%2Bb+c&x=1", "User-Agent: UnitTest\r\n"));
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200);
  json body = json::parse(response->body);
  EXPECT_EQ(body["id"], "Jürgen K");
  EXPECT_EQ(body["path"], "/users/Jürgen K");
  EXPECT_EQ(body["query"], "q=a%2Bb+c&x=1");
  EXPECT_EQ(body["q"], "a+b c");
  EXPECT_EQ(body["remote"], "127.0.0.1");
  EXPECT_EQ(body["tls"], false);
  EXPECT_EQ(body["user_agent"], "UnitTest");
}

TEST_F(ServerTest, PostBodyWithContentLengthAndChunked) {
  StartServer();
  auto response = Exchange("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
  ASSERT_TRUE(response);
  EXPECT_EQ(json::parse(response->body)["body"], "hello");

  response = Exchange("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(json::parse(response->body)["body"], "abcde");

  // Content-Length and Transfer-Encoding together could smuggle a request.
  response = Exchange("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "0\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
}

TEST_F(ServerTest, ExpectContinueGetsAnInterimResponse) {
  StartServer();
  Client client(port_);
  ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = client.Read();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.Send("abc"));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(json::parse(response->body)["body"], "abc");
}

TEST_F(ServerTest, OversizeBodyGets413Json) {
  ServerOptions options;
  options.body_limit = 1024;
  StartServer(options);
  Client client(port_);
  ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'x')));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(json::parse(response->body)["error"]["code"], "resource_exhausted");
  EXPECT_EQ(response->Header("connection"), "close");
  EXPECT_TRUE(client.ClosedByPeer());

  // A chunked body is counted as it arrives.
  response = Exchange("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
                      std::string(0x800, 'y') + "\r\n0\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
}

TEST_F(ServerTest, OversizeHeaderGets431Json) {
  ServerOptions options;
  options.header_limit = 1024;
  StartServer(options);
  auto response = Exchange(Get("/hello", "X-Big: " + std::string(4000, 'a') + "\r\n"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
  EXPECT_EQ(json::parse(response->body)["error"]["code"], "resource_exhausted");
}

TEST_F(ServerTest, GarbageGets400AndTheServerKeepsServing) {
  StartServer();
  auto response = Exchange("\x01\x02 this is not HTTP \xff\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(json::parse(response->body)["error"]["code"], "invalid_argument");
  EXPECT_EQ(response->Header("connection"), "close");

  response = Exchange("GET /hello HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);

  response = Exchange(Get("/hello"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST_F(ServerTest, ClientVanishingMidRequestCostsNothing) {
  StartServer();
  for (int i = 0; i < 20; ++i) {
    Client client(port_);
    client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly part");
  }
  auto response = Exchange(Get("/hello"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST_F(ServerTest, EveryResponseCarriesTheSecurityHeaders) {
  StartServer();
  for (const char* target : {"/hello", "/nope"}) {
    auto response = Exchange(Get(target));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->Header("x-content-type-options"), "nosniff");
    EXPECT_EQ(response->Header("referrer-policy"), "no-referrer");
    EXPECT_EQ(response->Header("x-frame-options"), "DENY");
    EXPECT_EQ(response->Header("cache-control"), "no-store");
    EXPECT_EQ(response->Header("server"), "passwerk");
    EXPECT_NE(response->Header("content-security-policy").find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_EQ(response->Header("strict-transport-security"), "");  // plain HTTP
    EXPECT_FALSE(response->Header("date").empty());
  }
}

TEST_F(ServerTest, HandlerHeadersWinForCspAndCacheControlButCannotSplitTheResponse) {
  StartServer();
  Client client(port_);
  client.Send(Get("/custom"));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->Header("content-security-policy"), "default-src 'none'");
  EXPECT_EQ(response->Header("cache-control"), "public, max-age=60");
  EXPECT_EQ(response->Header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(response->Header("x-evil"), "");
  EXPECT_EQ(response->Header("set-cookie"), "");
  EXPECT_EQ(client.duplicate_headers(), 0);
}

TEST_F(ServerTest, RequestIdIsEchoedOrGenerated) {
  StartServer();
  auto response = Exchange(Get("/hello", "X-Request-Id: abc-DEF_123\r\n"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->Header("x-request-id"), "abc-DEF_123");

  for (const std::string& bad : {std::string("has space"), std::string(65, 'a'), std::string("a\"b")}) {
    response = Exchange(Get("/hello", "X-Request-Id: " + bad + "\r\n"));
    ASSERT_TRUE(response);
    std::string id = response->Header("x-request-id");
    EXPECT_EQ(id.size(), 16u) << bad;
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  }
  auto first = Exchange(Get("/hello"));
  auto second = Exchange(Get("/hello"));
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->Header("x-request-id"), second->Header("x-request-id"));
}

TEST_F(ServerTest, UnknownPathGets404Json) {
  StartServer();
  auto response = Exchange(Get("/nope"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(json::parse(response->body), (json{{"error", {{"code", "not_found"}, {"message", "not found"}}}}));
}

TEST_F(ServerTest, WrongMethodGets405JsonWithAllow) {
  StartServer();
  auto response = Exchange("DELETE /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(json::parse(response->body),
            (json{{"error", {{"code", "invalid_argument"}, {"message", "method not allowed"}}}}));
  EXPECT_EQ(response->Header("allow"), "GET, HEAD");
}

TEST_F(ServerTest, HeadGetsHeadersWithoutBody) {
  StartServer();
  Client client(port_);
  client.Send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  auto response = client.Read(/*head=*/true);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("content-length"), "17");
  // The connection stays usable: no stray body bytes.
  client.Send(Get("/hello"));
  response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, R"({"hello":"world"})");
}

TEST_F(ServerTest, HandlerExceptionGets500Json) {
  StartServer();
  auto response = Exchange(Get("/throw"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body, R"({"error":{"code":"internal","message":"internal error"}})");
}

TEST_F(ServerTest, Http10ClosesUnlessKeepAliveWasAsked) {
  StartServer();
  Client client(port_);
  client.Send("GET /hello HTTP/1.0\r\n\r\n");
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->Header("connection"), "close");
  EXPECT_TRUE(client.ClosedByPeer());

  Client keep(port_);
  keep.Send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  response = keep.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->Header("connection"), "keep-alive");
}

TEST_F(ServerTest, ShutdownLetsTheInFlightRequestFinish) {
  StartServer();
  auto started = std::chrono::steady_clock::now();
  {
    Client idle(port_);  // an idle keep-alive connection must not hold up shutdown
    ASSERT_TRUE(idle.Send(Get("/hello")));
    ASSERT_TRUE(idle.Read());

    Client client(port_);
    ASSERT_TRUE(client.Send(Get("/slow")));
    while (!slow_started_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    started = std::chrono::steady_clock::now();
    server_->Shutdown();

    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->Header("connection"), "close");
    EXPECT_TRUE(client.ClosedByPeer());
    EXPECT_TRUE(idle.ClosedByPeer());
  }  // like a browser, close the connections after `Connection: close`
  server_->Wait();
  // Well below the 10 s grace period: nothing waited for it.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));

  Client refused(port_);
  EXPECT_FALSE(refused.connected());
  server_.reset();
}

TEST_F(ServerTest, ShutdownGracePeriodBoundsAStuckClient) {
  ServerOptions options;
  options.shutdown_grace_seconds = 0;
  StartServer(options);
  Client stuck(port_);  // sends half a request and waits
  ASSERT_TRUE(stuck.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
  ASSERT_TRUE(Exchange(Get("/hello")));  // the server has surely seen the half request by now
  server_->Shutdown();
  server_->Wait();
  server_.reset();
}

TEST_F(ServerTest, MetricsObserveEveryResponse) {
  StartServer();
  ASSERT_TRUE(Exchange(Get("/hello")));
  ASSERT_TRUE(Exchange(Get("/hello")));
  ASSERT_TRUE(Exchange(Get("/nope")));
  ASSERT_TRUE(Exchange("garbage\r\n\r\n"));
  std::string text = metrics_.RenderPrometheus();
  EXPECT_NE(text.find(R"(passwerk_http_requests_total{route="hello",status="200"} 2)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(passwerk_http_requests_total{route="not_found",status="404"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(passwerk_http_requests_total{route="invalid_request",status="400"} 1)"),
            std::string::npos);
}

TEST_F(ServerTest, AccessLogIsOneJsonLineWithoutQuery) {
  std::ostringstream captured;
  auto previous = spdlog::default_logger();
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto logger = std::make_shared<spdlog::logger>("capture", sink);
  // The same shape as core/log.cpp: the pattern supplies ts and level.
  logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})", spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);
  access_log_ = true;
  StartServer();
  auto response = Exchange(Get("/users/7?secret=1", "X-Request-Id: req-1\r\n"));
  server_->Shutdown();
  server_->Wait();
  server_.reset();
  spdlog::set_default_logger(previous);

  ASSERT_TRUE(response);
  std::string line = captured.str();
  ASSERT_FALSE(line.empty());
  json entry = json::parse(line.substr(0, line.find('\n')));
  EXPECT_EQ(entry["msg"], "request");
  EXPECT_EQ(entry["level"], "info");
  EXPECT_EQ(entry["request_id"], "req-1");
  EXPECT_EQ(entry["method"], "GET");
  EXPECT_EQ(entry["path"], "/users/7");
  EXPECT_EQ(entry["status"], 200);
  EXPECT_EQ(entry["remote"], "127.0.0.1");
  EXPECT_TRUE(entry["duration_ms"].is_number());
  EXPECT_TRUE(entry["ts"].is_string());
  EXPECT_EQ(line.find("secret"), std::string::npos);
}

TEST(MetricsTest, RendersCountersAndCumulativeHistograms) {
  Metrics metrics;
  metrics.Observe("card_check", 200, 0.0002);  // in le=0.00025
  metrics.Observe("card_check", 200, 0.003);   // in le=0.005
  metrics.Observe("card_check", 200, 5.0);     // only in +Inf
  metrics.Observe("card_check", 404, 0.00001);
  metrics.Observe("we\"ird\\", 500, 0.001);
  std::string text = metrics.RenderPrometheus();
  for (const char* expected : {
           "# TYPE passwerk_http_requests_total counter\n",
           "# TYPE passwerk_http_request_duration_seconds histogram\n",
           "passwerk_http_requests_total{route=\"card_check\",status=\"200\"} 3\n",
           "passwerk_http_requests_total{route=\"card_check\",status=\"404\"} 1\n",
           "passwerk_http_requests_total{route=\"we\\\"ird\\\\\",status=\"500\"} 1\n",
           "passwerk_http_request_duration_seconds_bucket{route=\"card_check\",status=\"200\",le=\"0.0001\"} 0\n",
           "passwerk_http_request_duration_seconds_bucket{route=\"card_check\",status=\"200\",le=\"0.00025\"} 1\n",
           "passwerk_http_request_duration_seconds_bucket{route=\"card_check\",status=\"200\",le=\"0.0025\"} 1\n",
           "passwerk_http_request_duration_seconds_bucket{route=\"card_check\",status=\"200\",le=\"0.005\"} 2\n",
           "passwerk_http_request_duration_seconds_bucket{route=\"card_check\",status=\"200\",le=\"1\"} 2\n",
           "passwerk_http_request_duration_seconds_bucket{route=\"card_check\",status=\"200\",le=\"+Inf\"} 3\n",
           "passwerk_http_request_duration_seconds_sum{route=\"card_check\",status=\"200\"} 5.0032\n",
           "passwerk_http_request_duration_seconds_count{route=\"card_check\",status=\"200\"} 3\n",
       }) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\nin:\n" << text;
  }
}

TEST(MetricsTest, ANewInstanceStartsEmptyAndThreadsAddUp) {
  for (int instance = 0; instance < 3; ++instance) {
    // Often allocated at the address of the previous one: per-thread caches
    // must not carry series over.
    auto metrics = std::make_unique<Metrics>();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 1000; ++i) metrics->Observe("r", 200, 0.001);
      });
    }
    for (auto& thread : threads) thread.join();
    metrics->Observe("r", 200, 0.001);  // this thread's cache outlives every instance
    EXPECT_NE(metrics->RenderPrometheus().find("passwerk_http_requests_total{route=\"r\",status=\"200\"} 4001\n"),
              std::string::npos);
  }
}

TEST(ServerStartTest, MissingTlsFilesAreAnInvalidArgument) {
  Router router;
  Metrics metrics;
  ServerOptions options;
  options.port = 0;
  options.tls_cert_file = "/nonexistent/cert.pem";
  options.tls_key_file = "/nonexistent/key.pem";
  Server server(options, router, metrics);
  auto port = server.Start();
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(port.status().field(), "tls_cert_file");
  EXPECT_NE(port.status().message().find("tls_cert_file"), std::string::npos);

  options.tls_key_file.clear();
  Server half(options, router, metrics);
  auto half_port = half.Start();
  ASSERT_FALSE(half_port.ok());
  EXPECT_EQ(half_port.status().code(), ErrorCode::kInvalidArgument);
}

TEST(ServerStartTest, PortInUseIsAnError) {
  Router router;
  Metrics metrics;
  ServerOptions options;
  options.port = 0;
  options.threads = 1;
  options.access_log = false;
  // SO_REUSEPORT lets only sockets of the same user share a port, so use a
  // plain listening socket without it to occupy one.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  options.port = ntohs(addr.sin_port);
  Server second(options, router, metrics);
  auto second_port = second.Start();
  EXPECT_FALSE(second_port.ok());
  EXPECT_EQ(second_port.status().code(), ErrorCode::kUnavailable);
  close(fd);
}

// Writes a fresh self-signed P-256 certificate and key into `dir`.
void WriteSelfSignedCertificate(const std::filesystem::path& dir) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1,
                             -1, 0);
  X509_set_issuer_name(cert, name);
  X509_set_pubkey(cert, key);
  ASSERT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  FILE* f = std::fopen((dir / "cert.pem").c_str(), "w");
  PEM_write_X509(f, cert);
  std::fclose(f);
  f = std::fopen((dir / "key.pem").c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
}

TEST_F(ServerTest, TlsServesHttpsWithHsts) {
  auto dir = std::filesystem::temp_directory_path() /
             ("passwerk_tls_test_" + std::to_string(getpid()) + "_" + std::to_string(std::rand()));
  std::filesystem::create_directories(dir);
  WriteSelfSignedCertificate(dir);
  ServerOptions options;
  options.tls_cert_file = (dir / "cert.pem").string();
  options.tls_key_file = (dir / "key.pem").string();
  StartServer(options);

  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  {
    Client client(port_, ctx);
    ASSERT_TRUE(client.connected());
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(client.Send(Get("/users/1")));
      auto response = client.Read();
      ASSERT_TRUE(response);
      EXPECT_EQ(response->status, 200);
      EXPECT_EQ(json::parse(response->body)["tls"], true);
      EXPECT_EQ(response->Header("strict-transport-security"), "max-age=31536000; includeSubDomains");
    }
  }
  {
    // TLS 1.1 and older are refused.
    SSL_CTX* old = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_max_proto_version(old, TLS1_1_VERSION);
    Client client(port_, old);
    EXPECT_FALSE(client.connected());
    SSL_CTX_free(old);
  }
  {
    // Plain HTTP to the HTTPS port gets nowhere, and the server stays up.
    Client client(port_);
    client.Send(Get("/hello"));
    EXPECT_FALSE(client.Read());
  }
  SSL_CTX_free(ctx);

  // A key that does not match the certificate is refused at start.
  EVP_PKEY* other = EVP_EC_gen("P-256");
  FILE* f = std::fopen((dir / "other.pem").c_str(), "w");
  PEM_write_PrivateKey(f, other, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  EVP_PKEY_free(other);
  options.tls_key_file = (dir / "other.pem").string();
  Server mismatched(options, router_, metrics_);
  auto port = mismatched.Start();
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(port.status().field(), "tls_key_file");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace passwerk::http
