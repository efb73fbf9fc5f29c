// The HTTP Fetch against a tiny local socket server: URL splitting, the
// request as sent, and reuse of the kept-alive connection.
#include "portal/http_fetch.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace passwerk::portal {
namespace {

TEST(SplitAbsoluteUrlTest, SplitsOriginFromPathAndQuery) {
  using Parts = std::pair<std::string, std::string>;
  EXPECT_EQ(SplitAbsoluteUrl("https://id.example.org/realms/a/token?x=1").value(),
            Parts("https://id.example.org", "/realms/a/token?x=1"));
  EXPECT_EQ(SplitAbsoluteUrl("http://127.0.0.1:8080").value(), Parts("http://127.0.0.1:8080", "/"));
  EXPECT_EQ(SplitAbsoluteUrl("https://[::1]:9000?x").value(), Parts("https://[::1]:9000", "/?x"));
  for (const char* bad : {"id.example.org/token", "ftp://id.example.org/", "https://user@id.example.org/",
                          "https://id.example.org/a#frag", "https://:443/", "https://id.example.org:99999/"}) {
    EXPECT_EQ(SplitAbsoluteUrl(bad).status().code(), ErrorCode::kInvalidArgument) << bad;
  }
}

// One HTTP/1.1 request with a Content-Length body, or what arrived of it.
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

TEST(HttpFetchTest, SendsTheRequestAndReusesTheConnection) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 8), 0);
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string base = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  std::string first;
  std::string second;
  std::thread server([&] {
    // Both requests must arrive on the one connection.
    int fd = accept(listener, nullptr, nullptr);
    for (std::string* seen : {&first, &second}) {
      *seen = ReadRequest(fd);
      std::string body = seen == &first ? R"({"keys":[]})" : "refused";
      std::string status = seen == &first ? "200 OK" : "400 Bad Request";
      std::string response =
          "HTTP/1.1 " + status + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      (void)!write(fd, response.data(), response.size());
    }
    close(fd);
  });

  Fetch fetch = MakeHttpFetch({});
  auto keys = fetch({"GET", base + "/jwks?v=2", {{"Accept", "application/json"}}, ""});
  auto token = fetch({"POST", base + "/token", {{"Content-Type", "application/x-www-form-urlencoded"}}, "code=a%2Bb"});
  server.join();
  close(listener);

  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(keys->status, 200);
  EXPECT_EQ(keys->body, R"({"keys":[]})");
  EXPECT_NE(first.find("GET /jwks?v=2 HTTP/1.1"), std::string::npos) << first;
  EXPECT_NE(first.find("Accept: application/json"), std::string::npos);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->status, 400);
  EXPECT_EQ(token->body, "refused");
  EXPECT_NE(second.find("POST /token HTTP/1.1"), std::string::npos) << second;
  EXPECT_NE(second.find("Content-Type: application/x-www-form-urlencoded"), std::string::npos);
  EXPECT_NE(second.find("\r\n\r\ncode=a%2Bb"), std::string::npos);
}

TEST(HttpFetchTest, AnUnreachableProviderIsUnavailable) {
  int probe = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len);
  close(probe);  // the port is free and nobody listens
  Fetch fetch = MakeHttpFetch({});
  auto response = fetch({"GET", "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/", {}, ""});
  EXPECT_EQ(response.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(fetch({"GET", "mailto:x@example.org", {}, ""}).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace passwerk::portal
