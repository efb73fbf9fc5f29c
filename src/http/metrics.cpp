// Prometheus counters and histograms by (route, status). The hot path is a
// thread-local cache lookup plus three relaxed atomic increments; the mutex is
// only taken the first time a thread sees a (route, status) pair.
#include "http/metrics.h"

#include <cmath>
#include <functional>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

namespace passwerk::http {
namespace {

struct CacheKey {
  uint64_t instance;
  int status;
  std::string route;
};
struct CacheKeyView {
  uint64_t instance;
  int status;
  std::string_view route;
};

struct CacheHash {
  using is_transparent = void;
  size_t operator()(const CacheKeyView& k) const {
    size_t h = std::hash<std::string_view>{}(k.route);
    h ^= (k.instance * 0x9e3779b97f4a7c15ULL) + static_cast<size_t>(k.status) + (h << 6) + (h >> 2);
    return h;
  }
  size_t operator()(const CacheKey& k) const { return (*this)(CacheKeyView{k.instance, k.status, k.route}); }
};

struct CacheEqual {
  using is_transparent = void;
  static CacheKeyView View(const CacheKey& k) { return {k.instance, k.status, k.route}; }
  static CacheKeyView View(const CacheKeyView& k) { return k; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    CacheKeyView x = View(a);
    CacheKeyView y = View(b);
    return x.instance == y.instance && x.status == y.status && x.route == y.route;
  }
};

// Entries of destroyed Metrics objects never match again; the bound keeps
// them from piling up in long test runs.
constexpr size_t kMaxCachedSeries = 4096;

std::string EscapeLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

uint64_t Metrics::NextInstanceId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

Metrics::Series& Metrics::SeriesFor(const std::string& route, int status) {
  std::lock_guard lock(mutex_);
  auto& slot = series_[{route, status}];
  if (!slot) slot = std::make_unique<Series>();
  return *slot;
}

void Metrics::Observe(const std::string& route, int status, double seconds) {
  thread_local std::unordered_map<CacheKey, Series*, CacheHash, CacheEqual> cache;
  Series* series = nullptr;
  auto it = cache.find(CacheKeyView{instance_id_, status, route});
  if (it != cache.end()) {
    series = it->second;
  } else {
    if (cache.size() >= kMaxCachedSeries) cache.clear();
    series = &SeriesFor(route, status);
    cache.emplace(CacheKey{instance_id_, status, route}, series);
  }

  if (!(seconds >= 0)) seconds = 0;  // also catches NaN
  size_t bucket = 0;
  while (bucket < kBucketsSeconds.size() && seconds > kBucketsSeconds[bucket]) ++bucket;
  if (bucket < kBucketsSeconds.size()) series->buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  series->sum_micros.fetch_add(static_cast<uint64_t>(std::llround(seconds * 1e6)), std::memory_order_relaxed);
  series->count.fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::RenderPrometheus() const {
  std::lock_guard lock(mutex_);
  fmt::memory_buffer out;
  auto it = std::back_inserter(out);
  fmt::format_to(it,
                 "# HELP passwerk_http_requests_total HTTP requests answered, by route and status.\n"
                 "# TYPE passwerk_http_requests_total counter\n");
  for (const auto& [key, series] : series_) {
    fmt::format_to(it, "passwerk_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n",
                   EscapeLabel(key.first), key.second, series->count.load(std::memory_order_relaxed));
  }
  fmt::format_to(it,
                 "# HELP passwerk_http_request_duration_seconds Time from a complete request to its "
                 "response, by route and status.\n"
                 "# TYPE passwerk_http_request_duration_seconds histogram\n");
  for (const auto& [key, series] : series_) {
    std::string labels = fmt::format("route=\"{}\",status=\"{}\"", EscapeLabel(key.first), key.second);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBucketsSeconds.size(); ++i) {
      cumulative += series->buckets[i].load(std::memory_order_relaxed);
      fmt::format_to(it, "passwerk_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels,
                     kBucketsSeconds[i], cumulative);
    }
    // Increments are relaxed, so a concurrent snapshot may see a bucket before
    // the count; +Inf must never be below a finite bucket.
    uint64_t count = std::max(series->count.load(std::memory_order_relaxed), cumulative);
    fmt::format_to(it, "passwerk_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", labels, count);
    fmt::format_to(it, "passwerk_http_request_duration_seconds_sum{{{}}} {}\n", labels,
                   static_cast<double>(series->sum_micros.load(std::memory_order_relaxed)) / 1e6);
    fmt::format_to(it, "passwerk_http_request_duration_seconds_count{{{}}} {}\n", labels, count);
  }
  return fmt::to_string(out);
}

}  // namespace passwerk::http
