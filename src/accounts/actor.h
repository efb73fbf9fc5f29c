// Who acts: staff roles, the user behind a session or token, and the actor
// that domain functions receive. Plain data, no storage.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace passwerk::accounts {

// kLandlord: registers guests for their own accommodations (guest cards), nothing else.
enum class Role { kOperator, kMunicipalityAdmin, kClerk, kAuditor, kLandlord };
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

struct User {
  int64_t id = 0;
  std::string username;
  std::string display_name;
  Role role = Role::kClerk;
  std::optional<int64_t> municipality_id;
  std::optional<int64_t> department_id;
  // The departments of their municipality the user belongs to (clerks see
  // these departments' work; administrators see the whole municipality).
  std::vector<int64_t> department_ids;
  bool totp_enrolled = false;
  bool disabled = false;
  int64_t created_at = 0;
};

// Who is acting: a logged-in user, an API token or the command line.
struct Actor {
  std::string id;            // "user:7", "token:3", "cli"
  std::optional<User> user;  // absent for the command line ("cli"), which may do anything
  std::string request_id;
  std::vector<std::string> scopes;  // API tokens only: what the token may do; empty for sessions
  bool via_token = false;
};

}  // namespace passwerk::accounts
