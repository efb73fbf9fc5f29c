// Injected time: domain code asks a Clock, so validity, retention and sessions
// are testable without waiting.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace passwerk {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  int64_t NowUnix() const {
    return std::chrono::duration_cast<std::chrono::seconds>(Now().time_since_epoch()).count();
  }
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

// A clock that only moves when told to; for tests and `--as-of` evaluations.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t unix_seconds = 0) : now_(unix_seconds) {}
  TimePoint Now() const override {
    return TimePoint(std::chrono::seconds(now_.load()));
  }
  void Set(int64_t unix_seconds) { now_ = unix_seconds; }
  void Advance(int64_t seconds) { now_ += seconds; }

 private:
  std::atomic<int64_t> now_;
};

// ISO 8601 UTC timestamp with seconds, e.g. 2026-11-22T10:00:00Z.
std::string FormatUtc(int64_t unix_seconds);

}  // namespace passwerk
