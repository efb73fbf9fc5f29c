// Connections are pooled per origin rather than shared: one HttpClient
// serves one request at a time, and sign-ins run in parallel.
#include "portal/http_fetch.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace passwerk::portal {
namespace {

// Enough for the sign-ins in flight at once; more are closed after use.
constexpr size_t kMaxIdlePerOrigin = 4;

class ClientPool {
 public:
  explicit ClientPool(terminal_client::HttpClientOptions options) : options_(std::move(options)) {}

  Result<std::unique_ptr<terminal_client::HttpClient>> Take(const std::string& origin) {
    {
      std::lock_guard lock(mutex_);
      auto& idle = idle_[origin];
      if (!idle.empty()) {
        auto client = std::move(idle.back());
        idle.pop_back();
        return client;
      }
    }
    return terminal_client::MakeHttpClient(origin, options_);
  }

  void Give(const std::string& origin, std::unique_ptr<terminal_client::HttpClient> client) {
    std::lock_guard lock(mutex_);
    auto& idle = idle_[origin];
    if (idle.size() < kMaxIdlePerOrigin) idle.push_back(std::move(client));
  }

 private:
  const terminal_client::HttpClientOptions options_;
  std::mutex mutex_;
  std::map<std::string, std::vector<std::unique_ptr<terminal_client::HttpClient>>> idle_;
};

}  // namespace

Result<std::pair<std::string, std::string>> SplitAbsoluteUrl(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return InvalidArgument("not an absolute URL");
  if (url.find('#') != std::string_view::npos) return InvalidArgument("a URL to fetch must not carry a fragment");
  size_t path_start = url.find_first_of("/?", scheme_end + 3);
  std::string origin(url.substr(0, path_start));
  std::string path = path_start == std::string_view::npos ? "/" : std::string(url.substr(path_start));
  if (path.starts_with('?')) path.insert(0, "/");
  // Checks scheme, host and port, and refuses user info.
  auto parsed = terminal_client::ParseServerUrl(origin);
  if (!parsed.ok()) return InvalidArgument("not an http(s) URL with a valid host and port");
  return std::make_pair(std::move(origin), std::move(path));
}

Fetch MakeHttpFetch(terminal_client::HttpClientOptions options) {
  options.body_limit = std::min(options.body_limit, kMaxProviderBodyBytes);
  auto pool = std::make_shared<ClientPool>(std::move(options));
  return [pool](const FetchRequest& request) -> Result<FetchResponse> {
    PW_ASSIGN_OR_RETURN(auto parts, SplitAbsoluteUrl(request.url));
    auto& [origin, path_and_query] = parts;
    PW_ASSIGN_OR_RETURN(auto client, pool->Take(origin));
    auto response = client->Request(request.method, path_and_query, request.headers, request.body);
    if (!response.ok()) return response.status();  // the client closed its connection; drop it
    pool->Give(origin, std::move(client));
    return FetchResponse{response->status, std::move(response->body)};
  };
}

}  // namespace passwerk::portal
