// The /metrics text: counters and cumulative histograms by route and status in
// the Prometheus exposition format, with label values escaped.
#include "http/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace passwerk::http {
namespace {

bool HasLine(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string got; std::getline(in, got);) {
    if (got == line) return true;
  }
  return false;
}

TEST(MetricsTest, EmptyMetricsHaveTheHeadersOnly) {
  Metrics metrics;
  EXPECT_EQ(metrics.RenderPrometheus(),
            "# HELP passwerk_http_requests_total HTTP requests answered, by route and status.\n"
            "# TYPE passwerk_http_requests_total counter\n"
            "# HELP passwerk_http_request_duration_seconds Time from a complete request to its response, by "
            "route and status.\n"
            "# TYPE passwerk_http_request_duration_seconds histogram\n");
}

TEST(MetricsTest, CountsAndCumulativeBucketsPerRouteAndStatus) {
  Metrics metrics;
  metrics.Observe("checks.create", 200, 0.0001);  // exactly on the first bound: counted there
  metrics.Observe("checks.create", 200, 0.0003);
  metrics.Observe("checks.create", 200, 2.0);  // beyond the last bound: +Inf only
  metrics.Observe("checks.create", 429, 0.01);
  std::string text = metrics.RenderPrometheus();
  const std::string ok = R"(route="checks.create",status="200")";
  EXPECT_TRUE(HasLine(text, "passwerk_http_requests_total{" + ok + "} 3")) << text;
  EXPECT_TRUE(HasLine(text, R"(passwerk_http_requests_total{route="checks.create",status="429"} 1)")) << text;
  EXPECT_TRUE(HasLine(text, "passwerk_http_request_duration_seconds_bucket{" + ok + ",le=\"0.0001\"} 1")) << text;
  EXPECT_TRUE(HasLine(text, "passwerk_http_request_duration_seconds_bucket{" + ok + ",le=\"0.00025\"} 1")) << text;
  EXPECT_TRUE(HasLine(text, "passwerk_http_request_duration_seconds_bucket{" + ok + ",le=\"0.0005\"} 2")) << text;
  EXPECT_TRUE(HasLine(text, "passwerk_http_request_duration_seconds_bucket{" + ok + ",le=\"1\"} 2")) << text;
  EXPECT_TRUE(HasLine(text, "passwerk_http_request_duration_seconds_bucket{" + ok + ",le=\"+Inf\"} 3")) << text;
  EXPECT_TRUE(HasLine(text, "passwerk_http_request_duration_seconds_count{" + ok + "} 3")) << text;
  EXPECT_TRUE(HasLine(text, "passwerk_http_request_duration_seconds_sum{" + ok + "} 2.0004")) << text;
  // Every bound is printed, for every series, in ascending order.
  size_t buckets = 0;
  for (size_t at = text.find("_bucket{"); at != std::string::npos; at = text.find("_bucket{", at + 1)) ++buckets;
  EXPECT_EQ(buckets, 2 * (Metrics::kBucketsSeconds.size() + 1));
  EXPECT_LT(text.find("le=\"0.0001\""), text.find("le=\"0.01\""));
  EXPECT_LT(text.find(ok + ",le=\"+Inf\""), text.find("status=\"429\",le=\"0.0001\""));
}

TEST(MetricsTest, NegativeAndNanDurationsCountAsZero) {
  Metrics metrics;
  metrics.Observe("r", 200, -1.0);
  metrics.Observe("r", 200, std::nan(""));
  std::string text = metrics.RenderPrometheus();
  EXPECT_TRUE(HasLine(text, R"(passwerk_http_request_duration_seconds_bucket{route="r",status="200",le="0.0001"} 2)"))
      << text;
  EXPECT_TRUE(HasLine(text, R"(passwerk_http_request_duration_seconds_sum{route="r",status="200"} 0)")) << text;
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  Metrics metrics;
  metrics.Observe("a\"b\\c\nd", 404, 0.001);
  std::string text = metrics.RenderPrometheus();
  EXPECT_TRUE(HasLine(text, R"(passwerk_http_requests_total{route="a\"b\\c\nd",status="404"} 1)")) << text;
  EXPECT_EQ(text.find("\nd\""), std::string::npos) << "no raw newline inside a label";
}

TEST(MetricsTest, SeparateInstancesDoNotShareSeries) {
  // Observe caches series per thread: a second Metrics must not count into the first.
  auto first = std::make_unique<Metrics>();
  first->Observe("r", 200, 0.001);
  Metrics second;
  second.Observe("r", 200, 0.001);
  second.Observe("r", 200, 0.001);
  EXPECT_TRUE(HasLine(first->RenderPrometheus(), R"(passwerk_http_requests_total{route="r",status="200"} 1)"));
  EXPECT_TRUE(HasLine(second.RenderPrometheus(), R"(passwerk_http_requests_total{route="r",status="200"} 2)"));
  first.reset();
  Metrics third;  // may reuse the first one's address
  third.Observe("r", 200, 0.001);
  EXPECT_TRUE(HasLine(third.RenderPrometheus(), R"(passwerk_http_requests_total{route="r",status="200"} 1)"));
}

TEST(MetricsTest, ObservationsFromManyThreadsAreAllCounted) {
  Metrics metrics;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&metrics, t] {
      for (int i = 0; i < 1000; ++i) metrics.Observe(t % 2 == 0 ? "even" : "odd", 200, 0.002);
    });
  }
  for (auto& thread : threads) thread.join();
  std::string text = metrics.RenderPrometheus();
  EXPECT_TRUE(HasLine(text, R"(passwerk_http_requests_total{route="even",status="200"} 2000)")) << text;
  EXPECT_TRUE(
      HasLine(text, R"(passwerk_http_request_duration_seconds_bucket{route="odd",status="200",le="0.0025"} 2000)"))
      << text;
}

}  // namespace
}  // namespace passwerk::http
