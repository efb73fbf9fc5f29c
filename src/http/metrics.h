// Request counters and latency histograms by route and status, rendered in the
// Prometheus text format for /metrics. Lock-free on the hot path per series.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace passwerk::http {

class Metrics {
 public:
  static constexpr std::array<double, 12> kBucketsSeconds = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0};

  void Observe(const std::string& route, int status, double seconds);
  std::string RenderPrometheus() const;

 private:
  struct Series {
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_micros{0};
    std::array<std::atomic<uint64_t>, kBucketsSeconds.size()> buckets{};
  };
  Series& SeriesFor(const std::string& route, int status);
  static uint64_t NextInstanceId();

  // Observe caches Series pointers per thread; the id (never reused) keeps a
  // cache entry of a destroyed Metrics from matching a new one at the same address.
  const uint64_t instance_id_ = NextInstanceId();

  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::unique_ptr<Series>> series_;
};

}  // namespace passwerk::http
