// Login throttling per account and per client address: after a number of
// failures within a window, further attempts are refused until it passes.
// In memory: a restart forgets it (documented), which is fine for one server.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"

namespace passwerk::accounts {

struct ThrottleOptions {
  int max_failures_per_account = 5;
  int max_failures_per_address = 20;
  int64_t window_seconds = 15 * 60;
};

class LoginThrottle {
 public:
  LoginThrottle(const Clock& clock, ThrottleOptions options = {});
  // True if another attempt is allowed now.
  bool Allowed(const std::string& account, const std::string& address);
  void RecordFailure(const std::string& account, const std::string& address);
  void RecordSuccess(const std::string& account);
  // Seconds until the account or address may try again (0 if allowed).
  int64_t RetryAfter(const std::string& account, const std::string& address);

 private:
  struct Window {
    int64_t start = 0;
    int failures = 0;
  };
  bool Blocked(Window& window, int limit, int64_t now) const;
  const Clock& clock_;
  ThrottleOptions options_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> accounts_;
  std::unordered_map<std::string, Window> addresses_;
};

}  // namespace passwerk::accounts
