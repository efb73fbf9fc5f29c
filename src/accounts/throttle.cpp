// Fixed-window failure counters per account and per address.
#include "accounts/throttle.h"

#include <algorithm>

namespace passwerk::accounts {

LoginThrottle::LoginThrottle(const Clock& clock, ThrottleOptions options) : clock_(clock), options_(options) {}

bool LoginThrottle::Blocked(Window& window, int limit, int64_t now) const {
  if (now - window.start >= options_.window_seconds) {
    window = Window{now, 0};
    return false;
  }
  return window.failures >= limit;
}

bool LoginThrottle::Allowed(const std::string& account, const std::string& address) {
  return RetryAfter(account, address) == 0;
}

int64_t LoginThrottle::RetryAfter(const std::string& account, const std::string& address) {
  std::lock_guard lock(mutex_);
  int64_t now = clock_.NowUnix();
  int64_t wait = 0;
  auto account_it = accounts_.find(account);
  if (account_it != accounts_.end() && Blocked(account_it->second, options_.max_failures_per_account, now)) {
    wait = std::max(wait, account_it->second.start + options_.window_seconds - now);
  }
  auto address_it = addresses_.find(address);
  if (address_it != addresses_.end() && Blocked(address_it->second, options_.max_failures_per_address, now)) {
    wait = std::max(wait, address_it->second.start + options_.window_seconds - now);
  }
  return wait;
}

void LoginThrottle::RecordFailure(const std::string& account, const std::string& address) {
  std::lock_guard lock(mutex_);
  int64_t now = clock_.NowUnix();
  // Bound memory against floods of made-up names: drop expired windows when large.
  for (auto* map : {&accounts_, &addresses_}) {
    if (map->size() > 100000) {
      std::erase_if(*map, [&](const auto& item) { return now - item.second.start >= options_.window_seconds; });
    }
  }
  for (auto [map, key] : {std::pair{&accounts_, &account}, std::pair{&addresses_, &address}}) {
    Window& window = (*map)[*key];
    if (window.failures == 0 || now - window.start >= options_.window_seconds) window = Window{now, 0};
    ++window.failures;
  }
}

void LoginThrottle::RecordSuccess(const std::string& account) {
  std::lock_guard lock(mutex_);
  accounts_.erase(account);
}

}  // namespace passwerk::accounts
