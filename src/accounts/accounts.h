// Staff accounts: users with roles scoped to a municipality and department,
// Argon2id passwords, mandatory TOTP, cookie sessions with CSRF tokens, login
// throttling, and API tokens for machine clients. Every change is audited.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "accounts/actor.h"
#include "accounts/policy.h"
#include "accounts/throttle.h"
#include "audit/audit_log.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/status.h"
#include "storage/database.h"
#include "storage/idempotency.h"

namespace passwerk::accounts {

struct NewUser {
  std::string username;      // 3–64 of [a-z0-9._-]
  std::string display_name;  // 1–200 characters
  Role role = Role::kClerk;
  std::optional<int64_t> municipality_id;  // required except for operator and auditor
  // Departments of that municipality the user belongs to (administrators and
  // clerks only). `department_id`, if given, counts as one of them.
  std::vector<int64_t> department_ids;
  std::optional<int64_t> department_id;
  std::string password;  // at least 12 characters
  // Pre-set TOTP secret (base32) for demo data and migration; empty: the user
  // enrols at first login.
  std::string totp_secret_base32;
};

struct Municipality {
  int64_t id = 0;
  std::string municipality_number;
  std::string name;
};

struct Department {
  int64_t id = 0;
  int64_t municipality_id = 0;
  std::string name;
};

// Whether users of this role belong to departments: administrators and
// clerks do; landlords, operators and auditors have none.
bool HasDepartments(Role role);

// Appends to the audit trail within `tx` what `actor` did: the one way domain
// code records a change, in the transaction that makes it.
Status AuditAs(storage::Tx& tx, const Clock& clock, const Actor& actor, const std::string& action,
               const std::string& object, const nlohmann::json& detail);

struct Session {
  std::string token;  // only known right after creation (cookie value)
  std::string csrf_token;
  std::string stage;  // "totp" (password ok, second factor pending), "enrol", "full"
  User user;
  int64_t expires_at = 0;
};

enum class LoginStep { kNeedTotp, kNeedEnrolment };

struct LoginResult {
  Session session;
  LoginStep next = LoginStep::kNeedTotp;
};

struct Enrolment {
  std::string secret_base32;
  std::string otpauth_uri;  // for the QR code
};

struct ApiToken {
  int64_t id = 0;
  std::string prefix;  // first characters, to recognise it in lists
  std::string name;
  int64_t user_id = 0;
  std::vector<std::string> scopes;
  int64_t created_at = 0;
  int64_t expires_at = 0;
  std::optional<int64_t> revoked_at;
};

struct CreatedToken {
  ApiToken token;
  std::string secret;  // shown once: "pwk_<prefix>_<random>"
};

struct AccountOptions {
  int64_t session_idle_seconds = 30 * 60;
  int64_t session_max_seconds = 12 * 3600;
  int64_t totp_pending_seconds = 5 * 60;
  std::string totp_issuer = "Passwerk";
};

class AccountService {
 public:
  AccountService(storage::Database& db, const Clock& clock, const crypto::SecretBox& secrets, LoginThrottle& throttle,
                 AccountOptions options = {});

  // --- municipalities (operator) and departments (operator, administrators) ---
  Result<Municipality> CreateMunicipality(const Actor& actor, const std::string& number, const std::string& name);
  Result<Department> CreateDepartment(const Actor& actor, int64_t municipality_id, const std::string& name);
  Result<std::vector<Municipality>> ListMunicipalities();
  // One municipality by id or by number (NotFound naming the field
  // "municipality" otherwise).
  Result<Municipality> GetMunicipality(int64_t id);
  Result<Municipality> FindMunicipality(const std::string& number);
  // The municipality a request means: the one numbered `number`, or with an
  // empty number the actor's own (NotFound when it has none).
  Result<Municipality> MunicipalityFor(const Actor& actor, const std::string& number);
  Result<std::vector<Department>> ListDepartments(std::optional<int64_t> municipality_id);

  // --- users ---
  // With `idempotent` (an Idempotency-Key), the answer is kept in core,
  // sealed: it names a person (storage/idempotency.h).
  Result<User> CreateUser(const Actor& actor, const NewUser& user, storage::Idempotent<User>* idempotent = nullptr);
  Result<std::vector<User>> ListUsers(const Actor& actor);
  Result<User> GetUser(int64_t id);
  Result<User> FindUser(const std::string& username);
  // Replaces the user's department memberships (administrators and clerks
  // only; every department of the user's municipality). Operators and the
  // municipality's administrators; audited as user.departments.
  Status SetMemberships(const Actor& actor, int64_t user_id, const std::vector<int64_t>& department_ids);
  Status DisableUser(const Actor& actor, int64_t user_id);
  Status EnableUser(const Actor& actor, int64_t user_id);

  // --- login: password, then TOTP (enrol first if needed) ---
  Result<LoginResult> Login(const std::string& username, const std::string& password, const std::string& remote_address,
                            const std::string& request_id);
  Result<Enrolment> BeginEnrolment(const std::string& session_token);
  // Completes TOTP (or the enrolment confirmation) and upgrades the session to "full".
  Result<Session> VerifyTotp(const std::string& session_token, const std::string& code,
                             const std::string& remote_address, const std::string& request_id);
  // Looks up a session (any stage); touches its idle timer.
  Result<Session> GetSession(const std::string& session_token);
  Status Logout(const std::string& session_token, const std::string& request_id);

  // --- API tokens ---
  Result<CreatedToken> CreateToken(const Actor& actor, int64_t user_id, const std::string& name,
                                   const std::vector<std::string>& scopes, int64_t valid_seconds);
  Status RevokeToken(const Actor& actor, int64_t token_id);
  Result<std::vector<ApiToken>> ListTokens(const Actor& actor);
  // Resolves a bearer token to its user, if valid, unexpired and unrevoked.
  Result<Actor> AuthenticateToken(const std::string& secret, const std::string& request_id);

  // The audit trail, newest first, for auditors and operators (a token needs
  // audit:read as well).
  Result<std::vector<audit::AuditEntry>> ListAudit(const Actor& actor, const audit::AuditFilter& filter);

 private:
  storage::Database& db_;
  const Clock& clock_;
  const crypto::SecretBox& secrets_;
  LoginThrottle& throttle_;
  AccountOptions options_;
};

}  // namespace passwerk::accounts
