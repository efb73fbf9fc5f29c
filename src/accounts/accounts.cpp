// Staff accounts, sessions and API tokens. Slow work (Argon2id) happens
// outside transactions; every change and every login is audited in the same
// transaction as the change.
#include "accounts/accounts.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "accounts/totp.h"
#include "audit/audit_log.h"

namespace passwerk::accounts {
namespace {

using storage::Params;
using storage::Row;
using storage::Rows;
using storage::Tx;
using storage::Value;

constexpr std::string_view kUserColumns =
    "id, username, display_name, role, municipality_id, department_id, totp_enrolled, disabled, created_at";
constexpr std::string_view kTotpContext = "core.users.totp_secret";
constexpr std::string_view kPendingTotpContext = "core.sessions.pending_totp_secret";

User UserFromRow(const Row& row) {
  User user;
  user.id = row.Int(0);
  user.username = row.Text(1);
  user.display_name = row.Text(2);
  user.role = ParseRole(row.Text(3)).value_or(Role::kClerk);
  user.municipality_id = row.OptInt(4);
  user.department_id = row.OptInt(5);
  user.totp_enrolled = row.Int(6) != 0;
  user.disabled = row.Int(7) != 0;
  user.created_at = row.Int(8);
  return user;
}

// Fills `user.department_ids` from core.department_members (one indexed
// query). users.department_id is no longer read: memberships live there.
Status LoadDepartments(Tx& tx, User& user) {
  PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT department_id FROM core.department_members WHERE user_id = $1 "
                                          "ORDER BY department_id",
                                          {user.id}));
  user.department_ids.clear();
  for (const Row& row : rows) user.department_ids.push_back(row.Int(0));
  user.department_id = user.department_ids.empty() ? std::nullopt : std::optional<int64_t>(user.department_ids[0]);
  return Status::Ok();
}

// Checks that every id names a department of `municipality_id`; sorted and unique.
Result<std::vector<int64_t>> CheckDepartments(Tx& tx, int64_t municipality_id, std::vector<int64_t> ids,
                                              const char* field) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (int64_t id : ids) {
    PW_ASSIGN_OR_RETURN(Rows d, tx.Query("SELECT 1 FROM core.departments WHERE id = $1 AND municipality_id = $2",
                                         {id, municipality_id}));
    if (d.empty()) return InvalidArgument("no such department in this municipality", field);
  }
  return ids;
}

Status InsertMemberships(Tx& tx, int64_t user_id, const std::vector<int64_t>& ids) {
  for (int64_t id : ids) {
    auto r = tx.Exec("INSERT INTO core.department_members (user_id, department_id) VALUES ($1, $2)", {user_id, id});
    if (!r.ok()) return r.status();
  }
  return Status::Ok();
}

Value OptValue(const std::optional<int64_t>& v) {
  if (v) return *v;
  return std::monostate{};
}

Status Audit(Tx& tx, const Clock& clock, const std::string& actor, const std::string& action, const std::string& object,
             const nlohmann::json& detail, const std::string& request_id) {
  auto seq = audit::Append(tx, clock, {actor, action, object, detail.dump(), request_id});
  return seq.ok() ? Status::Ok() : seq.status();
}

Status ValidateUsername(const std::string& username) {
  if (username.size() < 3 || username.size() > 64) {
    return InvalidArgument("the username must have 3 to 64 characters", "username");
  }
  for (char c : username) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return InvalidArgument("the username may contain only a-z, 0-9, '.', '_' and '-'", "username");
  }
  return Status::Ok();
}

// A fixed Argon2id hash so that logins for unknown users cost the same time.
const std::string& DummyPasswordHash() {
  static const std::string kHash = [] {
    auto hash = crypto::HashPassword(crypto::RandomToken(16));
    return hash.ok() ? hash.value() : std::string();
  }();
  return kHash;
}

Result<Session> LoadSession(Tx& tx, const std::string& token) {
  std::string hash = crypto::Sha256Hex(token);
  PW_ASSIGN_OR_RETURN(Rows rows,
                      tx.Query("SELECT s.stage, s.csrf_token, s.expires_at, s.last_seen_at, " + std::string("u.") +
                                   "id, u.username, u.display_name, u.role, u.municipality_id, u.department_id, "
                                   "u.totp_enrolled, u.disabled, u.created_at "
                                   "FROM core.sessions s JOIN core.users u ON u.id = s.user_id WHERE s.token_hash = $1",
                               {hash}));
  if (rows.empty()) return Unauthenticated("not logged in");
  const Row& row = rows[0];
  Session session;
  session.token = token;
  session.stage = row.Text(0);
  session.csrf_token = row.Text(1);
  session.expires_at = row.Int(2);
  std::vector<Value> user_values;
  for (size_t i = 4; i < row.size(); ++i) user_values.push_back(row.at(i));
  session.user = UserFromRow(Row(std::move(user_values)));
  PW_RETURN_IF_ERROR(LoadDepartments(tx, session.user));
  return session;
}

}  // namespace

Status AuditAs(Tx& tx, const Clock& clock, const Actor& actor, const std::string& action, const std::string& object,
               const nlohmann::json& detail) {
  return Audit(tx, clock, actor.id, action, object, detail, actor.request_id);
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kOperator:
      return "operator";
    case Role::kMunicipalityAdmin:
      return "municipality_admin";
    case Role::kClerk:
      return "clerk";
    case Role::kAuditor:
      return "auditor";
    case Role::kLandlord:
      return "landlord";
  }
  return "clerk";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role role : {Role::kOperator, Role::kMunicipalityAdmin, Role::kClerk, Role::kAuditor, Role::kLandlord}) {
    if (RoleName(role) == name) return role;
  }
  return std::nullopt;
}

bool HasDepartments(Role role) { return role == Role::kMunicipalityAdmin || role == Role::kClerk; }

AccountService::AccountService(storage::Database& db, const Clock& clock, const crypto::SecretBox& secrets,
                               LoginThrottle& throttle, AccountOptions options)
    : db_(db), clock_(clock), secrets_(secrets), throttle_(throttle), options_(std::move(options)) {}

namespace {
// Who manages every user's tokens besides their own: those who manage users
// in every municipality (operators, the command line).
bool ManagesAllTokens(const Actor& actor) {
  return Can(actor, Action::kManageUsers) && !OnlyMunicipality(actor, Action::kManageUsers);
}

}  // namespace

Result<std::vector<audit::AuditEntry>> AccountService::ListAudit(const Actor& actor, const audit::AuditFilter& filter) {
  PW_RETURN_IF_ERROR(Require(actor, Action::kReadAudit));
  return audit::List(db_, filter);
}

Result<Municipality> AccountService::CreateMunicipality(const Actor& actor, const std::string& number,
                                                        const std::string& name) {
  PW_RETURN_IF_ERROR(Require(actor, Action::kManageMunicipalities));
  if (number.size() != 8 || !std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return InvalidArgument("the municipality number (Amtlicher Gemeindeschlüssel) has 8 digits", "municipality_number");
  }
  if (name.empty() || name.size() > 200) return InvalidArgument("the name must have 1 to 200 characters", "name");
  Municipality municipality{0, number, name};
  Status status = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("INSERT INTO core.municipalities (municipality_number, name, "
                                             "created_at) VALUES ($1, $2, $3) RETURNING id",
                                             {number, name, clock_.NowUnix()}));
    municipality.id = row.Int(0);
    return Audit(tx, clock_, actor.id, "municipality.create", "municipality:" + std::to_string(municipality.id),
                 {{"municipality_number", number}}, actor.request_id);
  });
  if (status.code() == ErrorCode::kAlreadyExists) {
    return AlreadyExists("a municipality with this number exists").WithField("municipality_number");
  }
  if (!status.ok()) return status;
  return municipality;
}

Result<Department> AccountService::CreateDepartment(const Actor& actor, int64_t municipality_id,
                                                    const std::string& name) {
  PW_RETURN_IF_ERROR(Require(actor, Action::kManageDepartments, Resource::InMunicipality(municipality_id)));
  if (name.empty() || name.size() > 200) return InvalidArgument("the name must have 1 to 200 characters", "name");
  Department department{0, municipality_id, name};
  Status status = db_.Write([&](Tx& tx) -> Status {
    auto exists = tx.Query("SELECT 1 FROM core.municipalities WHERE id = $1", {municipality_id});
    if (!exists.ok()) return exists.status();
    if (exists->empty()) return NotFound("no such municipality").WithField("municipality_id");
    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("INSERT INTO core.departments (municipality_id, name, created_at) "
                                             "VALUES ($1, $2, $3) RETURNING id",
                                             {municipality_id, name, clock_.NowUnix()}));
    department.id = row.Int(0);
    return Audit(tx, clock_, actor.id, "department.create", "department:" + std::to_string(department.id),
                 {{"municipality_id", municipality_id}, {"department", department.id}, {"name", name}},
                 actor.request_id);
  });
  if (status.code() == ErrorCode::kAlreadyExists) {
    return AlreadyExists("this municipality already has a department of that name").WithField("name");
  }
  if (!status.ok()) return status;
  return department;
}

Result<std::vector<Municipality>> AccountService::ListMunicipalities() {
  std::vector<Municipality> out;
  Status status = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows rows,
                        tx.Query("SELECT id, municipality_number, name FROM core.municipalities ORDER BY name"));
    for (const Row& row : rows) out.push_back({row.Int(0), row.Text(1), row.Text(2)});
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return out;
}

namespace {
Result<Municipality> OneMunicipality(storage::Database& db, const std::string& where, const Value& value,
                                     const std::string& missing) {
  std::optional<Municipality> found;
  Status status = db.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(
        Rows rows, tx.Query("SELECT id, municipality_number, name FROM core.municipalities WHERE " + where, {value}));
    if (!rows.empty()) found = Municipality{rows[0].Int(0), rows[0].Text(1), rows[0].Text(2)};
    return Status::Ok();
  });
  if (!status.ok()) return status;
  if (!found) return NotFound(missing, "municipality");
  return *found;
}
}  // namespace

Result<Municipality> AccountService::GetMunicipality(int64_t id) {
  return OneMunicipality(db_, "id = $1", id, "no such municipality");
}

Result<Municipality> AccountService::FindMunicipality(const std::string& number) {
  return OneMunicipality(db_, "municipality_number = $1", number, "no municipality with number " + number);
}

Result<Municipality> AccountService::MunicipalityFor(const Actor& actor, const std::string& number) {
  if (!number.empty()) return FindMunicipality(number);
  if (!actor.user || !actor.user->municipality_id) return NotFound("name a municipality", "municipality");
  return GetMunicipality(*actor.user->municipality_id);
}

Result<std::vector<Department>> AccountService::ListDepartments(std::optional<int64_t> municipality_id) {
  std::vector<Department> out;
  Status status = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(
        Rows rows, municipality_id
                       ? tx.Query("SELECT id, municipality_id, name FROM core.departments WHERE municipality_id = $1 "
                                  "ORDER BY name",
                                  {*municipality_id})
                       : tx.Query("SELECT id, municipality_id, name FROM core.departments ORDER BY name"));
    for (const Row& row : rows) out.push_back({row.Int(0), row.Int(1), row.Text(2)});
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return out;
}

Result<User> AccountService::CreateUser(const Actor& actor, const NewUser& input,
                                        storage::Idempotent<User>* idempotent) {
  PW_RETURN_IF_ERROR(Require(actor, Action::kManageUsers));
  PW_RETURN_IF_ERROR(ValidateUsername(input.username));
  if (input.display_name.empty() || input.display_name.size() > 200) {
    return InvalidArgument("the name must have 1 to 200 characters", "display_name");
  }
  const bool scoped_role = RoleHasMunicipality(input.role);
  if (scoped_role && !input.municipality_id) {
    return InvalidArgument("this role needs a municipality", "municipality_id");
  }
  std::vector<int64_t> department_ids = input.department_ids;
  if (input.department_id) department_ids.push_back(*input.department_id);
  if (!scoped_role && (input.municipality_id || !department_ids.empty())) {
    return InvalidArgument("operators and auditors are not scoped to a municipality", "municipality_id");
  }
  if (!department_ids.empty() && !HasDepartments(input.role)) {
    return InvalidArgument("only administrators and clerks belong to departments", "departments");
  }
  const std::vector<Role> assignable = AssignableRoles(actor);
  if (std::find(assignable.begin(), assignable.end(), input.role) == assignable.end() ||
      (input.municipality_id && !Can(actor, Action::kManageUsers, Resource::InMunicipality(*input.municipality_id)))) {
    return PermissionDenied("you may create clerks, administrators and landlords of your own municipality only");
  }
  if (input.password.size() < 12 || input.password.size() > 256) {
    return InvalidArgument("the password must have 12 to 256 characters", "password");
  }
  std::optional<std::string> secret;
  if (!input.totp_secret_base32.empty()) {
    auto raw = crypto::Base32Decode(input.totp_secret_base32);
    if (!raw.ok() || raw->size() < 10) return InvalidArgument("the TOTP secret is not valid base32", "totp_secret");
    secret = std::move(raw).value();
  }
  // Slow on purpose; outside the transaction.
  PW_ASSIGN_OR_RETURN(std::string password_hash, crypto::HashPassword(input.password));
  User user;
  const storage::AnswerStore answers{storage::Segment::kCore, &secrets_};
  Status status = storage::WriteIdempotently(db_, idempotent, answers, user, [&](Tx& tx) -> Status {
    if (input.municipality_id) {
      PW_ASSIGN_OR_RETURN(Rows m,
                          tx.Query("SELECT 1 FROM core.municipalities WHERE id = $1", {*input.municipality_id}));
      if (m.empty()) return InvalidArgument("no such municipality", "municipality_id");
    }
    std::vector<int64_t> departments;
    if (!department_ids.empty()) {
      PW_ASSIGN_OR_RETURN(departments, CheckDepartments(tx, *input.municipality_id, department_ids, "departments"));
    }
    Value secret_value = std::monostate{};
    if (secret) secret_value = storage::Blob{secrets_.Encrypt(*secret, kTotpContext)};
    PW_ASSIGN_OR_RETURN(
        Row row, tx.QueryOne("INSERT INTO core.users (username, display_name, role, municipality_id, department_id, "
                             "password_hash, totp_secret_enc, totp_enrolled, created_at) "
                             "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING " +
                                 std::string(kUserColumns),
                             {input.username, input.display_name, std::string(RoleName(input.role)),
                              OptValue(input.municipality_id), std::monostate{}, password_hash, secret_value,
                              int64_t{secret ? 1 : 0}, clock_.NowUnix()}));
    user = UserFromRow(row);
    PW_RETURN_IF_ERROR(InsertMemberships(tx, user.id, departments));
    PW_RETURN_IF_ERROR(LoadDepartments(tx, user));
    nlohmann::json detail = {{"username", user.username}, {"role", RoleName(user.role)}};
    if (!departments.empty()) detail["departments"] = departments;
    return Audit(tx, clock_, actor.id, "user.create", "user:" + std::to_string(user.id), detail, actor.request_id);
  });
  if (status.code() == ErrorCode::kAlreadyExists) {
    return AlreadyExists("this username is taken").WithField("username");
  }
  if (!status.ok()) return status;
  return user;
}

Result<std::vector<User>> AccountService::ListUsers(const Actor& actor) {
  PW_RETURN_IF_ERROR(Require(actor, Action::kReadUsers));
  const std::optional<int64_t> only = OnlyMunicipality(actor, Action::kReadUsers);
  std::vector<User> users;
  Status status = db_.Read([&](Tx& tx) -> Status {
    Rows rows;
    if (only) {
      PW_ASSIGN_OR_RETURN(rows, tx.Query("SELECT " + std::string(kUserColumns) +
                                             " FROM core.users WHERE municipality_id = $1 ORDER BY username",
                                         {*only}));
    } else {
      PW_ASSIGN_OR_RETURN(rows, tx.Query("SELECT " + std::string(kUserColumns) + " FROM core.users ORDER BY username"));
    }
    for (const Row& row : rows) users.push_back(UserFromRow(row));
    // All memberships in one query rather than one per user.
    PW_ASSIGN_OR_RETURN(Rows members, tx.Query("SELECT user_id, department_id FROM core.department_members "
                                               "ORDER BY user_id, department_id"));
    std::map<int64_t, std::vector<int64_t>> by_user;
    for (const Row& row : members) by_user[row.Int(0)].push_back(row.Int(1));
    for (User& user : users) {
      user.department_ids = by_user[user.id];
      user.department_id =
          user.department_ids.empty() ? std::nullopt : std::optional<int64_t>(user.department_ids.front());
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return users;
}

Result<User> AccountService::GetUser(int64_t id) {
  User user;
  Status status = db_.Read([&](Tx& tx) -> Status {
    auto row = tx.QueryOne("SELECT " + std::string(kUserColumns) + " FROM core.users WHERE id = $1", {id});
    if (!row.ok()) return row.status().code() == ErrorCode::kNotFound ? NotFound("no such user") : row.status();
    user = UserFromRow(*row);
    return LoadDepartments(tx, user);
  });
  if (!status.ok()) return status;
  return user;
}

Result<User> AccountService::FindUser(const std::string& username) {
  User user;
  Status status = db_.Read([&](Tx& tx) -> Status {
    auto row = tx.QueryOne("SELECT " + std::string(kUserColumns) + " FROM core.users WHERE username = $1", {username});
    if (!row.ok()) return row.status().code() == ErrorCode::kNotFound ? NotFound("no such user") : row.status();
    user = UserFromRow(*row);
    return LoadDepartments(tx, user);
  });
  if (!status.ok()) return status;
  return user;
}

Status AccountService::SetMemberships(const Actor& actor, int64_t user_id, const std::vector<int64_t>& department_ids) {
  return db_.Write([&](Tx& tx) -> Status {
    auto row = tx.QueryOne("SELECT " + std::string(kUserColumns) + " FROM core.users WHERE id = $1", {user_id});
    if (!row.ok()) return row.status().code() == ErrorCode::kNotFound ? NotFound("no such user") : row.status();
    User user = UserFromRow(*row);
    PW_RETURN_IF_ERROR(Require(actor, Action::kManageDepartments,
                               user.municipality_id ? Resource::InMunicipality(*user.municipality_id) : Resource{}));
    if (!HasDepartments(user.role) || !user.municipality_id) {
      return InvalidArgument("only administrators and clerks belong to departments", "departments");
    }
    PW_ASSIGN_OR_RETURN(std::vector<int64_t> ids,
                        CheckDepartments(tx, *user.municipality_id, department_ids, "departments"));
    auto cleared = tx.Exec("DELETE FROM core.department_members WHERE user_id = $1", {user_id});
    if (!cleared.ok()) return cleared.status();
    PW_RETURN_IF_ERROR(InsertMemberships(tx, user_id, ids));
    return Audit(tx, clock_, actor.id, "user.departments", "user:" + std::to_string(user_id), {{"departments", ids}},
                 actor.request_id);
  });
}

namespace {
Status SetDisabled(storage::Database& db, const Clock& clock, const Actor& actor, int64_t user_id, bool disabled) {
  PW_RETURN_IF_ERROR(Require(actor, Action::kManageUsers));
  if (actor.user && actor.user->id == user_id && disabled) {
    return FailedPrecondition("you cannot disable your own account");
  }
  return db.Write([&](Tx& tx) -> Status {
    auto row = tx.QueryOne("SELECT " + std::string(kUserColumns) + " FROM core.users WHERE id = $1", {user_id});
    if (!row.ok()) return row.status().code() == ErrorCode::kNotFound ? NotFound("no such user") : row.status();
    User target = UserFromRow(*row);
    if (target.municipality_id ? !Can(actor, Action::kManageUsers, Resource::InMunicipality(*target.municipality_id))
                               : OnlyMunicipality(actor, Action::kManageUsers).has_value()) {
      return NotFound("no such user");
    }
    auto changed = tx.Exec("UPDATE core.users SET disabled = $1 WHERE id = $2", {int64_t{disabled ? 1 : 0}, user_id});
    if (!changed.ok()) return changed.status();
    if (disabled) {
      auto ended = tx.Exec("DELETE FROM core.sessions WHERE user_id = $1", {user_id});
      if (!ended.ok()) return ended.status();
    }
    return Audit(tx, clock, actor.id, disabled ? "user.disable" : "user.enable", "user:" + std::to_string(user_id),
                 {{"username", target.username}}, actor.request_id);
  });
}
}  // namespace

Status AccountService::DisableUser(const Actor& actor, int64_t user_id) {
  return SetDisabled(db_, clock_, actor, user_id, true);
}

Status AccountService::EnableUser(const Actor& actor, int64_t user_id) {
  return SetDisabled(db_, clock_, actor, user_id, false);
}

Result<LoginResult> AccountService::Login(const std::string& username, const std::string& password,
                                          const std::string& remote_address, const std::string& request_id) {
  if (int64_t wait = throttle_.RetryAfter(username, remote_address); wait > 0) {
    return ResourceExhausted("too many failed logins; try again in " + std::to_string((wait + 59) / 60) + " minutes");
  }
  std::string password_hash;
  std::optional<User> user;
  Status read = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT " + std::string(kUserColumns) +
                                                ", password_hash FROM core.users WHERE username = $1",
                                            {username}));
    if (!rows.empty()) {
      user = UserFromRow(rows[0]);
      password_hash = rows[0].Text(9);
      PW_RETURN_IF_ERROR(LoadDepartments(tx, *user));
    }
    return Status::Ok();
  });
  if (!read.ok()) return read;
  bool password_ok = user ? crypto::VerifyPassword(password, password_hash)
                          : (crypto::VerifyPassword(password, DummyPasswordHash()), false);
  if (!password_ok || user->disabled) {
    throttle_.RecordFailure(username, remote_address);
    Status audited = db_.Write([&](Tx& tx) -> Status {
      return Audit(tx, clock_, "anonymous", "session.login_failed",
                   user ? "user:" + std::to_string(user->id) : std::string("user:unknown"),
                   {{"reason", !user ? "unknown user" : (user->disabled ? "disabled" : "wrong password")},
                    {"address", remote_address}},
                   request_id);
    });
    if (!audited.ok()) return audited;
    return Unauthenticated("wrong username or password");
  }
  LoginResult result;
  result.next = user->totp_enrolled ? LoginStep::kNeedTotp : LoginStep::kNeedEnrolment;
  Session& session = result.session;
  session.token = crypto::RandomToken(32);
  session.csrf_token = crypto::RandomToken(16);
  session.stage = user->totp_enrolled ? "totp" : "enrol";
  session.user = *user;
  int64_t now = clock_.NowUnix();
  session.expires_at = now + options_.totp_pending_seconds;
  Status status = db_.Write([&](Tx& tx) -> Status {
    // Drop this user's expired sessions while we are here.
    auto purge = tx.Exec("DELETE FROM core.sessions WHERE user_id = $1 AND expires_at < $2", {user->id, now});
    if (!purge.ok()) return purge.status();
    auto inserted = tx.Exec(
        "INSERT INTO core.sessions (token_hash, user_id, stage, csrf_token, created_at, last_seen_at, expires_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        {crypto::Sha256Hex(session.token), user->id, session.stage, session.csrf_token, now, now, session.expires_at});
    return inserted.ok() ? Status::Ok() : inserted.status();
  });
  if (!status.ok()) return status;
  return result;
}

Result<Enrolment> AccountService::BeginEnrolment(const std::string& session_token) {
  Enrolment enrolment;
  Status status = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Session session, LoadSession(tx, session_token));
    if (session.stage != "enrol" || session.expires_at < clock_.NowUnix()) {
      return FailedPrecondition("no enrolment is pending for this session");
    }
    std::string hash = crypto::Sha256Hex(session_token);
    PW_ASSIGN_OR_RETURN(Row row,
                        tx.QueryOne("SELECT pending_totp_secret_enc FROM core.sessions WHERE token_hash = $1", {hash}));
    std::string secret;
    if (!row.IsNull(0)) {
      PW_ASSIGN_OR_RETURN(secret, secrets_.Decrypt(row.Text(0), kPendingTotpContext));
    } else {
      secret = crypto::RandomBytes(20);
      auto stored = tx.Exec("UPDATE core.sessions SET pending_totp_secret_enc = $1 WHERE token_hash = $2",
                            {storage::Blob{secrets_.Encrypt(secret, kPendingTotpContext)}, hash});
      if (!stored.ok()) return stored.status();
    }
    enrolment.secret_base32 = crypto::Base32Encode(secret);
    enrolment.otpauth_uri = OtpauthUri(options_.totp_issuer, session.user.username, enrolment.secret_base32);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return enrolment;
}

Result<Session> AccountService::VerifyTotp(const std::string& session_token, const std::string& code,
                                           const std::string& remote_address, const std::string& request_id) {
  Session fresh;
  bool wrong_code = false;
  std::string username;
  Status status = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Session session, LoadSession(tx, session_token));
    int64_t now = clock_.NowUnix();
    if ((session.stage != "totp" && session.stage != "enrol") || session.expires_at < now || session.user.disabled) {
      return Unauthenticated("the login has expired; please start again");
    }
    username = session.user.username;
    if (int64_t wait = throttle_.RetryAfter(username, remote_address); wait > 0) {
      return ResourceExhausted("too many failed logins; try again in " + std::to_string((wait + 59) / 60) + " minutes");
    }
    std::string hash = crypto::Sha256Hex(session_token);
    std::string secret;
    int64_t last_step = 0;
    if (session.stage == "enrol") {
      PW_ASSIGN_OR_RETURN(
          Row row, tx.QueryOne("SELECT pending_totp_secret_enc FROM core.sessions WHERE token_hash = $1", {hash}));
      if (row.IsNull(0)) return FailedPrecondition("scan the QR code first");
      PW_ASSIGN_OR_RETURN(secret, secrets_.Decrypt(row.Text(0), kPendingTotpContext));
    } else {
      PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT totp_secret_enc, totp_last_step FROM core.users WHERE id = $1",
                                               {session.user.id}));
      PW_ASSIGN_OR_RETURN(secret, secrets_.Decrypt(row.Text(0), kTotpContext));
      last_step = row.Int(1);
    }
    std::optional<int64_t> step = accounts::VerifyTotp(secret, code, now, last_step);
    if (!step) {
      wrong_code = true;
      return Status::Ok();  // audited below, outside this transaction's rollback
    }
    if (session.stage == "enrol") {
      auto enrolled = tx.Exec(
          "UPDATE core.users SET totp_secret_enc = $1, totp_enrolled = 1, totp_last_step = $2 "
          "WHERE id = $3",
          {storage::Blob{secrets_.Encrypt(secret, kTotpContext)}, *step, session.user.id});
      if (!enrolled.ok()) return enrolled.status();
      PW_RETURN_IF_ERROR(Audit(tx, clock_, "user:" + std::to_string(session.user.id), "user.totp_enrol",
                               "user:" + std::to_string(session.user.id), nlohmann::json::object(), request_id));
      session.user.totp_enrolled = true;
    } else {
      auto used = tx.Exec("UPDATE core.users SET totp_last_step = $1 WHERE id = $2", {*step, session.user.id});
      if (!used.ok()) return used.status();
    }
    // A new token for the authenticated session: the pre-login token dies here.
    auto dropped = tx.Exec("DELETE FROM core.sessions WHERE token_hash = $1", {hash});
    if (!dropped.ok()) return dropped.status();
    fresh.token = crypto::RandomToken(32);
    fresh.csrf_token = crypto::RandomToken(16);
    fresh.stage = "full";
    fresh.user = session.user;
    fresh.expires_at = now + options_.session_max_seconds;
    auto inserted = tx.Exec(
        "INSERT INTO core.sessions (token_hash, user_id, stage, csrf_token, created_at, last_seen_at, expires_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        {crypto::Sha256Hex(fresh.token), session.user.id, fresh.stage, fresh.csrf_token, now, now, fresh.expires_at});
    if (!inserted.ok()) return inserted.status();
    return Audit(tx, clock_, "user:" + std::to_string(session.user.id), "session.login",
                 "user:" + std::to_string(session.user.id), {{"address", remote_address}}, request_id);
  });
  if (!status.ok()) return status;
  if (wrong_code) {
    throttle_.RecordFailure(username, remote_address);
    Status audited = db_.Write([&](Tx& tx) -> Status {
      return Audit(tx, clock_, "anonymous", "session.totp_failed", "user:" + username, {{"address", remote_address}},
                   request_id);
    });
    if (!audited.ok()) return audited;
    return Unauthenticated("the code is wrong or was already used");
  }
  throttle_.RecordSuccess(username);
  return fresh;
}

Result<Session> AccountService::GetSession(const std::string& session_token) {
  if (session_token.empty() || session_token.size() > 128) return Unauthenticated("not logged in");
  Session session;
  int64_t last_seen = 0;
  Status status = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(session, LoadSession(tx, session_token));
    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT last_seen_at FROM core.sessions WHERE token_hash = $1",
                                             {crypto::Sha256Hex(session_token)}));
    last_seen = row.Int(0);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  int64_t now = clock_.NowUnix();
  bool idle = session.stage == "full" && now - last_seen > options_.session_idle_seconds;
  if (session.expires_at < now || idle || session.user.disabled) return Unauthenticated("the session has expired");
  // Touch at most once a minute: no write per request.
  if (now - last_seen >= 60) {
    Status touched = db_.Write([&](Tx& tx) -> Status {
      auto r = tx.Exec("UPDATE core.sessions SET last_seen_at = $1 WHERE token_hash = $2",
                       {now, crypto::Sha256Hex(session_token)});
      return r.ok() ? Status::Ok() : r.status();
    });
    if (!touched.ok()) return touched;
  }
  return session;
}

Status AccountService::Logout(const std::string& session_token, const std::string& request_id) {
  return db_.Write([&](Tx& tx) -> Status {
    auto session = LoadSession(tx, session_token);
    if (!session.ok()) return Status::Ok();  // already gone: logging out is idempotent
    auto deleted = tx.Exec("DELETE FROM core.sessions WHERE token_hash = $1", {crypto::Sha256Hex(session_token)});
    if (!deleted.ok()) return deleted.status();
    std::string id = "user:" + std::to_string(session->user.id);
    return Audit(tx, clock_, id, "session.logout", id, nlohmann::json::object(), request_id);
  });
}

Result<CreatedToken> AccountService::CreateToken(const Actor& actor, int64_t user_id, const std::string& name,
                                                 const std::vector<std::string>& scopes, int64_t valid_seconds) {
  if (actor.via_token) return PermissionDenied("tokens cannot create tokens");
  if (actor.user && !ManagesAllTokens(actor) && actor.user->id != user_id) {
    return PermissionDenied("you may create tokens for yourself only");
  }
  if (name.empty() || name.size() > 100) return InvalidArgument("the name must have 1 to 100 characters", "name");
  if (scopes.empty()) return InvalidArgument("name at least one scope", "scopes");
  for (const std::string& scope : scopes) {
    if (std::find(KnownScopes().begin(), KnownScopes().end(), scope) == KnownScopes().end()) {
      return InvalidArgument("unknown scope '" + scope + "'", "scopes");
    }
  }
  if (valid_seconds < 60 || valid_seconds > 2 * 365 * 86400) {
    return InvalidArgument("a token is valid for 1 minute to 2 years", "valid_seconds");
  }
  CreatedToken created;
  std::string prefix = crypto::RandomToken(5).substr(0, 8);
  created.secret = "pwk_" + prefix + "_" + crypto::RandomToken(32);
  std::string joined;
  for (const std::string& scope : scopes) joined += (joined.empty() ? "" : " ") + scope;
  int64_t now = clock_.NowUnix();
  created.token = ApiToken{0, prefix, name, user_id, scopes, now, now + valid_seconds, std::nullopt};
  Status status = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows users, tx.Query("SELECT role FROM core.users WHERE id = $1", {user_id}));
    if (users.empty()) return NotFound("no such user").WithField("user_id");
    // A token reaches no more than its user's session: it cannot hold a scope
    // that no action of the user's role needs.
    Role role = ParseRole(users[0].Text(0)).value_or(Role::kClerk);
    std::vector<std::string> allowed = ScopesForRole(role);
    for (const std::string& scope : scopes) {
      if (std::find(allowed.begin(), allowed.end(), scope) == allowed.end()) {
        std::string usable;
        for (const std::string& a : allowed) usable += (usable.empty() ? "" : ", ") + a;
        return InvalidArgument(
            "the role " + std::string(RoleName(role)) + " cannot use the scope " + scope +
                (usable.empty() ? std::string(" (it can use none)") : " (it can use " + usable + ")"),
            "scopes");
      }
    }
    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("INSERT INTO core.api_tokens (token_hash, prefix, name, user_id, scopes, "
                                             "created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                                             {crypto::Sha256Hex(created.secret), prefix, name, user_id, joined, now,
                                              created.token.expires_at}));
    created.token.id = row.Int(0);
    return Audit(tx, clock_, actor.id, "token.create", "token:" + std::to_string(created.token.id),
                 {{"user_id", user_id}, {"scopes", scopes}, {"expires_at", created.token.expires_at}},
                 actor.request_id);
  });
  if (!status.ok()) return status;
  return created;
}

Status AccountService::RevokeToken(const Actor& actor, int64_t token_id) {
  if (actor.via_token) return PermissionDenied("tokens cannot revoke tokens");
  return db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows rows,
                        tx.Query("SELECT user_id, revoked_at FROM core.api_tokens WHERE id = $1", {token_id}));
    if (rows.empty()) return NotFound("no such token");
    if (actor.user && !ManagesAllTokens(actor) && actor.user->id != rows[0].Int(0)) return NotFound("no such token");
    if (!rows[0].IsNull(1)) return Status::Ok();  // already revoked
    auto revoked = tx.Exec("UPDATE core.api_tokens SET revoked_at = $1 WHERE id = $2", {clock_.NowUnix(), token_id});
    if (!revoked.ok()) return revoked.status();
    return Audit(tx, clock_, actor.id, "token.revoke", "token:" + std::to_string(token_id), nlohmann::json::object(),
                 actor.request_id);
  });
}

Result<std::vector<ApiToken>> AccountService::ListTokens(const Actor& actor) {
  std::vector<ApiToken> tokens;
  Status status = db_.Read([&](Tx& tx) -> Status {
    std::string sql =
        "SELECT id, prefix, name, user_id, scopes, created_at, expires_at, revoked_at FROM core.api_tokens";
    Params params;
    if (actor.user && !ManagesAllTokens(actor)) {
      sql += " WHERE user_id = $1";
      params.push_back(actor.user->id);
    }
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query(sql + " ORDER BY id", params));
    for (const Row& row : rows) {
      ApiToken token{row.Int(0), row.Text(1), row.Text(2), row.Int(3), {}, row.Int(5), row.Int(6), row.OptInt(7)};
      std::string scopes = row.Text(4);
      for (size_t start = 0; start < scopes.size();) {
        size_t end = scopes.find(' ', start);
        if (end == std::string::npos) end = scopes.size();
        token.scopes.push_back(scopes.substr(start, end - start));
        start = end + 1;
      }
      tokens.push_back(std::move(token));
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return tokens;
}

Result<Actor> AccountService::AuthenticateToken(const std::string& secret, const std::string& request_id) {
  if (secret.rfind("pwk_", 0) != 0 || secret.size() > 128) return Unauthenticated("invalid token");
  Actor actor;
  Status status = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows rows,
                        tx.Query("SELECT t.id, t.scopes, t.expires_at, t.revoked_at, u." +
                                     std::string("id, u.username, u.display_name, u.role, u.municipality_id, "
                                                 "u.department_id, u.totp_enrolled, u.disabled, u.created_at "
                                                 "FROM core.api_tokens t JOIN core.users u ON u.id = t.user_id "
                                                 "WHERE t.token_hash = $1"),
                                 {crypto::Sha256Hex(secret)}));
    if (rows.empty()) return Unauthenticated("invalid token");
    const Row& row = rows[0];
    if (!row.IsNull(3) || row.Int(2) <= clock_.NowUnix()) return Unauthenticated("invalid token");
    std::vector<Value> user_values;
    for (size_t i = 4; i < row.size(); ++i) user_values.push_back(row.at(i));
    User user = UserFromRow(Row(std::move(user_values)));
    if (user.disabled) return Unauthenticated("invalid token");
    PW_RETURN_IF_ERROR(LoadDepartments(tx, user));
    actor.id = "token:" + std::to_string(row.Int(0));
    actor.user = user;
    actor.request_id = request_id;
    actor.via_token = true;
    std::string scopes = row.Text(1);
    for (size_t start = 0; start < scopes.size();) {
      size_t end = scopes.find(' ', start);
      if (end == std::string::npos) end = scopes.size();
      actor.scopes.push_back(scopes.substr(start, end - start));
      start = end + 1;
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return actor;
}

}  // namespace passwerk::accounts
