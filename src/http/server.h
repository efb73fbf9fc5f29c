// The HTTP(S) server: Boost.Beast on Asio, one event loop per core. Beast is
// included only by server.cpp to keep compile times low.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "http/metrics.h"
#include "http/router.h"

namespace passwerk::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;             // 0: any free port (tests)
  int threads = 0;                  // 0: one per CPU this process may run on
  size_t header_limit = 16 * 1024;  // bytes
  size_t body_limit = 1024 * 1024;  // bytes
  // Requests for which is_upload(method, raw target) holds (messages with
  // attachments) and that carry a credential may be this large and take
  // upload_read_timeout_seconds.
  size_t upload_body_limit = 1024 * 1024;
  std::function<bool(std::string_view method, std::string_view target)> is_upload;
  int upload_read_timeout_seconds = 600;
  int max_concurrent_uploads = 8;  // bodies above body_limit in flight at once (per process)
  int read_timeout_seconds = 30;    // for one whole request once it started
  int idle_timeout_seconds = 60;    // keep-alive idle
  int shutdown_grace_seconds = 10;  // in-flight requests get this long on SIGTERM
  std::string tls_cert_file;        // both set: HTTPS only (and HSTS)
  std::string tls_key_file;
  bool access_log = true;           // one JSON log line per request
};

class Server {
 public:
  Server(ServerOptions options, const Router& router, Metrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the event loops; returns the bound port.
  Result<uint16_t> Start();
  // Stop accepting, let in-flight requests finish (bounded by the grace
  // period), then return from Wait().
  void Shutdown();
  // Blocks until the server has stopped.
  void Wait();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace passwerk::http
