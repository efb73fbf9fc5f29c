// The transport against tiny local socket servers: answers, a server that
// never answers, a closed port, and a kept-alive connection the server closed.
#include "terminal_client/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace passwerk::terminal_client {
namespace {

// A listening socket on 127.0.0.1 and a free port.
struct Listener {
  int fd = -1;
  int port = 0;
  Listener() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd, 8);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  ~Listener() {
    if (fd >= 0) close(fd);
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

// Reads one request (headers and a Content-Length body).
std::string ReadRequest(int fd) {
  std::string data;
  char buf[4096];
  while (true) {
    size_t end = data.find("\r\n\r\n");
    if (end != std::string::npos) {
      size_t length = 0;
      size_t at = data.find("Content-Length: ");
      if (at != std::string::npos && at < end) length = std::stoul(data.substr(at + 16));
      if (data.size() >= end + 4 + length) return data;
    }
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return data;
    data.append(buf, static_cast<size_t>(n));
  }
}

void Answer(int fd, const std::string& body) {
  std::string response =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  (void)!write(fd, response.data(), response.size());
}

TEST(ServerUrlTest, Parses) {
  auto url = ParseServerUrl("https://passwerk.example.de/base/");
  ASSERT_TRUE(url.ok());
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->host, "passwerk.example.de");
  EXPECT_EQ(url->port, "443");
  EXPECT_EQ(url->base_path, "/base");
  url = ParseServerUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(url.ok());
  EXPECT_FALSE(url->tls);
  EXPECT_EQ(url->port, "8080");
  EXPECT_EQ(url->base_path, "");
  url = ParseServerUrl("http://[::1]:9000/");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, "9000");
  for (const char* bad : {"ftp://x", "http://", "http://x:0", "http://x:99999", "http://x:8a", "http://u@x",
                          "http://x/?q=1", "http://[::1"}) {
    EXPECT_FALSE(ParseServerUrl(bad).ok()) << bad;
  }
}

TEST(HttpClientTest, SendsAndReceives) {
  Listener listener;
  std::string seen;
  std::thread server([&] {
    int fd = accept(listener.fd, nullptr, nullptr);
    seen = ReadRequest(fd);
    Answer(fd, R"({"ok":true})");
    close(fd);
  });
  auto client = MakeHttpClient(listener.Url() + "/prefix", {});
  ASSERT_TRUE(client.ok());
  auto response = (*client)->Send("POST", "/api/terminal/v1/challenge", R"({"tid":"T-1"})", "secret");
  server.join();
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"ok":true})");
  EXPECT_NE(seen.find("POST /prefix/api/terminal/v1/challenge HTTP/1.1"), std::string::npos);
  EXPECT_NE(seen.find("Authorization: Bearer secret"), std::string::npos);
  EXPECT_NE(seen.find(R"({"tid":"T-1"})"), std::string::npos);
}

TEST(HttpClientTest, RequestSendsExactlyTheGivenHeaders) {
  Listener listener;
  std::string seen;
  std::thread server([&] {
    int fd = accept(listener.fd, nullptr, nullptr);
    seen = ReadRequest(fd);
    Answer(fd, R"({"id_token":"t"})");
    close(fd);
  });
  auto client = MakeHttpClient(listener.Url(), {});
  ASSERT_TRUE(client.ok());
  auto response = (*client)->Request("POST", "/token?tenant=a", {{"Content-Type", "application/x-www-form-urlencoded"}},
                                     "grant_type=authorization_code");
  server.join();
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->body, R"({"id_token":"t"})");
  EXPECT_NE(seen.find("POST /token?tenant=a HTTP/1.1"), std::string::npos);
  EXPECT_NE(seen.find("Content-Type: application/x-www-form-urlencoded"), std::string::npos);
  EXPECT_EQ(seen.find("Accept:"), std::string::npos);
  EXPECT_NE(seen.find("grant_type=authorization_code"), std::string::npos);

  auto injected = (*client)->Request("GET", "/", {{"X-Note", "a\r\nInjected: 1"}}, "");
  EXPECT_EQ(injected.status().code(), ErrorCode::kInvalidArgument);
}

TEST(HttpClientTest, ASilentServerCostsTheTimeoutNotMore) {
  Listener listener;  // accepts connections (backlog) but never answers
  HttpClientOptions options;
  options.io_timeout = std::chrono::milliseconds(300);
  auto client = MakeHttpClient(listener.Url(), options);
  ASSERT_TRUE(client.ok());
  auto start = std::chrono::steady_clock::now();
  auto response = (*client)->Send("GET", "/api/terminal/v1/sync-data", "", "");
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), ErrorCode::kUnavailable);
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST(HttpClientTest, AClosedPortIsUnavailableAtOnce) {
  std::string url;
  {
    Listener listener;
    url = listener.Url();
  }
  auto client = MakeHttpClient(url, {});
  ASSERT_TRUE(client.ok());
  auto response = (*client)->Send("GET", "/", "", "");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), ErrorCode::kUnavailable);
}

TEST(HttpClientTest, AKeptAliveConnectionTheServerClosedIsReplacedOnce) {
  Listener listener;
  std::atomic<int> connections = 0;
  std::thread server([&] {
    // First connection: one answer, then the server closes it (idle timeout).
    int first = accept(listener.fd, nullptr, nullptr);
    ++connections;
    ReadRequest(first);
    Answer(first, "1");
    close(first);
    int second = accept(listener.fd, nullptr, nullptr);
    ++connections;
    ReadRequest(second);
    Answer(second, "2");
    close(second);
  });
  auto client = MakeHttpClient(listener.Url(), {});
  ASSERT_TRUE(client.ok());
  auto one = (*client)->Send("GET", "/a", "", "");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->body, "1");
  auto two = (*client)->Send("GET", "/b", "", "");
  server.join();
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  EXPECT_EQ(two->body, "2");
  EXPECT_EQ(connections, 2);
}

TEST(HttpClientTest, HttpsNeedsACaItTrusts) {
  HttpClientOptions options;
  options.ca_file = "/nonexistent/ca.pem";
  auto client = MakeHttpClient("https://127.0.0.1:1", options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace passwerk::terminal_client
