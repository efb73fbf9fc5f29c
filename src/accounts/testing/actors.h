// Staff actors for tests: one that lives only in memory (for decisions that
// read nothing but the actor), and one backed by a stored user.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "accounts/accounts.h"

namespace passwerk::accounts::testing {

// "user:<id>" (or "token:<id>" when `via_token`) with `role`, never stored.
inline Actor InMemoryStaff(int64_t id, Role role, std::optional<int64_t> municipality_id, bool via_token = false) {
  Actor actor;
  actor.id = (via_token ? "token:" : "user:") + std::to_string(id);
  User user;
  user.id = id;
  user.username = "staff" + std::to_string(id);
  user.role = role;
  user.municipality_id = municipality_id;
  actor.user = user;
  actor.via_token = via_token;
  return actor;
}

// A stored user named `username` in `role` (and these departments), created
// by `by`, as its session's actor.
inline Actor CreateStaff(AccountService& accounts, const Actor& by, const std::string& username, Role role,
                         std::optional<int64_t> municipality_id, std::vector<int64_t> department_ids = {}) {
  NewUser user;
  user.username = username;
  user.display_name = username;
  user.role = role;
  user.municipality_id = municipality_id;
  user.department_ids = std::move(department_ids);
  user.password = "a-long-enough-password";
  auto created = accounts.CreateUser(by, user);
  Actor actor;
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  if (!created.ok()) return actor;
  actor.id = "user:" + std::to_string(created->id);
  actor.user = *created;
  return actor;
}

}  // namespace passwerk::accounts::testing
