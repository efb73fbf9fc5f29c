// Staff accounts on every backend: roles and scoping, login with password and
// TOTP (enrolment, replay, throttling), sessions, tokens — and fault injection
// proving every write path is whole or absent.
#include "accounts/accounts.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "accounts/totp.h"
#include "audit/audit_log.h"
#include "storage/testing/backends.h"
#include "storage/testing/faulty_database.h"

namespace passwerk::accounts {
namespace {

using storage::testing::Backend;
using storage::testing::TestDatabase;

constexpr char kSecret[] = "JBSWY3DPEHPK3PXPJBSWY3DP";

crypto::SecretBox TestBox() { return crypto::SecretBox::FromHexKeys({std::string(64, 'a')}).value(); }

std::string CodeAt(const std::string& base32, int64_t unix_seconds) {
  return TotpCode(crypto::Base32Decode(base32).value(), unix_seconds / kTotpStepSeconds);
}

class AccountsTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string reason;
    test_db_ = TestDatabase::Create(GetParam(), {storage::Segment::kCore, storage::Segment::kAudit}, &reason);
    if (!test_db_) GTEST_SKIP() << reason;
    faulty_ = std::make_unique<storage::testing::FaultyDatabase>(test_db_->db());
    service_ = std::make_unique<AccountService>(*faulty_, clock_, box_, throttle_);
    cli_.id = "cli";
    auto m = service_->CreateMunicipality(cli_, "01055021", "Kellenhusen");
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    municipality_ = *m;
    auto other = service_->CreateMunicipality(cli_, "03452001", "Anderswo");
    ASSERT_TRUE(other.ok());
    other_municipality_ = *other;
  }

  NewUser Clerk(const std::string& name, std::optional<int64_t> municipality = std::nullopt) {
    NewUser user;
    user.username = name;
    user.display_name = "Clerk " + name;
    user.role = Role::kClerk;
    user.municipality_id = municipality.value_or(municipality_.id);
    user.password = "correct horse battery";
    return user;
  }

  Actor AsUser(const User& user) {
    Actor actor;
    actor.id = "user:" + std::to_string(user.id);
    actor.user = user;
    return actor;
  }

  // Counts of every table a write path may touch.
  std::vector<int64_t> Snapshot() {
    std::vector<int64_t> counts;
    EXPECT_TRUE(test_db_->db()
                    .Read([&](storage::Tx& tx) -> Status {
                      for (const char* table : {"core.users", "core.sessions", "core.api_tokens", "audit.entries",
                                                "core.municipalities", "core.department_members"}) {
                        PW_ASSIGN_OR_RETURN(storage::Row row,
                                            tx.QueryOne(std::string("SELECT COUNT(*) FROM ") + table));
                        counts.push_back(row.Int(0));
                      }
                      PW_ASSIGN_OR_RETURN(storage::Row disabled,
                                          tx.QueryOne("SELECT COALESCE(SUM(disabled), 0) FROM core.users"));
                      counts.push_back(disabled.Int(0));
                      return Status::Ok();
                    })
                    .ok());
    return counts;
  }

  void ExpectChainIntact() {
    auto report = audit::Verify(test_db_->db());
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok) << report->problem;
  }

  // Runs `operation` failing the 1st, 2nd, … storage call until it succeeds;
  // every failed run must leave the tables as they were.
  template <typename Operation>
  void FaultSim(Operation operation) {
    for (int64_t n = 1; n < 200; ++n) {
      std::vector<int64_t> before = Snapshot();
      faulty_->FailAt(n);
      bool ok = operation();
      faulty_->FailAt(0);
      if (ok) {
        EXPECT_GT(n, 1) << "the operation made no storage call";
        ExpectChainIntact();
        return;
      }
      EXPECT_EQ(Snapshot(), before) << "half-written state after a fault at call " << n;
      ExpectChainIntact();
    }
    ADD_FAILURE() << "the operation never succeeded";
  }

  ManualClock clock_{1795000000};
  crypto::SecretBox box_ = TestBox();
  LoginThrottle throttle_{clock_};
  std::unique_ptr<TestDatabase> test_db_;
  std::unique_ptr<storage::testing::FaultyDatabase> faulty_;
  std::unique_ptr<AccountService> service_;
  Actor cli_;
  Municipality municipality_;
  Municipality other_municipality_;
};

TEST_P(AccountsTest, CreateUserValidatesEveryField) {
  NewUser user = Clerk("ab");
  EXPECT_EQ(service_->CreateUser(cli_, user).status().field(), "username");
  user = Clerk("Upper");
  EXPECT_EQ(service_->CreateUser(cli_, user).status().field(), "username");
  user = Clerk("valid");
  user.password = "short";
  EXPECT_EQ(service_->CreateUser(cli_, user).status().field(), "password");
  user = Clerk("valid");
  user.municipality_id.reset();
  EXPECT_EQ(service_->CreateUser(cli_, user).status().field(), "municipality_id");
  user = Clerk("valid");
  user.municipality_id = 999;
  EXPECT_EQ(service_->CreateUser(cli_, user).status().field(), "municipality_id");
  user = Clerk("valid");
  user.display_name = "";
  EXPECT_EQ(service_->CreateUser(cli_, user).status().field(), "display_name");
  ASSERT_TRUE(service_->CreateUser(cli_, Clerk("valid")).ok());
  auto duplicate = service_->CreateUser(cli_, Clerk("valid"));
  EXPECT_EQ(duplicate.status().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(duplicate.status().field(), "username");
}

TEST_P(AccountsTest, MunicipalityAdminIsScopedToOwnMunicipality) {
  NewUser admin_input = Clerk("boss");
  admin_input.role = Role::kMunicipalityAdmin;
  auto admin = service_->CreateUser(cli_, admin_input);
  ASSERT_TRUE(admin.ok());
  Actor actor = AsUser(*admin);
  EXPECT_TRUE(service_->CreateUser(actor, Clerk("own")).ok());
  EXPECT_EQ(service_->CreateUser(actor, Clerk("foreign", other_municipality_.id)).status().code(),
            ErrorCode::kPermissionDenied);
  NewUser op = Clerk("operator2");
  op.role = Role::kOperator;
  op.municipality_id.reset();
  EXPECT_EQ(service_->CreateUser(actor, op).status().code(), ErrorCode::kPermissionDenied);
  auto foreign = service_->CreateUser(cli_, Clerk("foreign", other_municipality_.id));
  ASSERT_TRUE(foreign.ok());
  auto listed = service_->ListUsers(actor);
  ASSERT_TRUE(listed.ok());
  for (const User& u : *listed) EXPECT_EQ(u.municipality_id, municipality_.id);
  EXPECT_EQ(service_->DisableUser(actor, foreign->id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(service_->DisableUser(actor, admin->id).code(), ErrorCode::kFailedPrecondition);
  auto clerk = service_->FindUser("own");
  ASSERT_TRUE(clerk.ok());
  EXPECT_EQ(service_->CreateUser(AsUser(*clerk), Clerk("x1x")).status().code(), ErrorCode::kPermissionDenied);
}

TEST_P(AccountsTest, LoginWithEnrolmentThenTotp) {
  ASSERT_TRUE(service_->CreateUser(cli_, Clerk("erika")).ok());
  auto login = service_->Login("erika", "correct horse battery", "192.0.2.1", "r1");
  ASSERT_TRUE(login.ok()) << login.status().ToString();
  EXPECT_EQ(login->next, LoginStep::kNeedEnrolment);
  // A pre-TOTP session is not a login.
  auto pending = service_->GetSession(login->session.token);
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->stage, "enrol");
  auto enrolment = service_->BeginEnrolment(login->session.token);
  ASSERT_TRUE(enrolment.ok());
  EXPECT_NE(enrolment->otpauth_uri.find("otpauth://totp/"), std::string::npos);
  auto again = service_->BeginEnrolment(login->session.token);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->secret_base32, enrolment->secret_base32) << "reloading the page keeps the secret";
  EXPECT_EQ(service_->VerifyTotp(login->session.token, "000000", "192.0.2.1", "r2").status().code(),
            ErrorCode::kUnauthenticated);
  auto full =
      service_->VerifyTotp(login->session.token, CodeAt(enrolment->secret_base32, clock_.NowUnix()), "192.0.2.1", "r3");
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(full->stage, "full");
  EXPECT_NE(full->token, login->session.token);
  EXPECT_FALSE(service_->GetSession(login->session.token).ok()) << "the pre-login token is dead";
  EXPECT_TRUE(service_->GetSession(full->token).ok());

  // Second login: TOTP step, and the same code cannot be replayed.
  clock_.Advance(5);
  auto second = service_->Login("erika", "correct horse battery", "192.0.2.1", "r4");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->next, LoginStep::kNeedTotp);
  EXPECT_FALSE(
      service_->VerifyTotp(second->session.token, CodeAt(enrolment->secret_base32, clock_.NowUnix()), "192.0.2.1", "r5")
          .ok())
      << "a used code must not be accepted again";
  clock_.Advance(30);
  EXPECT_TRUE(
      service_->VerifyTotp(second->session.token, CodeAt(enrolment->secret_base32, clock_.NowUnix()), "192.0.2.1", "r6")
          .ok());
}

TEST_P(AccountsTest, WrongPasswordsAreThrottledPerAccount) {
  ASSERT_TRUE(service_->CreateUser(cli_, Clerk("hans")).ok());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(service_->Login("hans", "wrong password!", "192.0.2.9", "r").status().code(),
              ErrorCode::kUnauthenticated);
  }
  auto throttled = service_->Login("hans", "correct horse battery", "192.0.2.9", "r");
  EXPECT_EQ(throttled.status().code(), ErrorCode::kResourceExhausted);
  clock_.Advance(15 * 60);
  EXPECT_TRUE(service_->Login("hans", "correct horse battery", "192.0.2.9", "r").ok());
  // Unknown users answer exactly like wrong passwords.
  auto unknown = service_->Login("nobody", "whatever pass", "192.0.2.10", "r");
  EXPECT_EQ(unknown.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(unknown.status().message(), "wrong username or password");
}

TEST_P(AccountsTest, DisabledUserCannotLoginAndLosesSessions) {
  NewUser input = Clerk("gabi");
  input.totp_secret_base32 = kSecret;
  auto user = service_->CreateUser(cli_, input);
  ASSERT_TRUE(user.ok());
  auto login = service_->Login("gabi", "correct horse battery", "192.0.2.1", "r");
  ASSERT_TRUE(login.ok());
  auto full = service_->VerifyTotp(login->session.token, CodeAt(kSecret, clock_.NowUnix()), "192.0.2.1", "r");
  ASSERT_TRUE(full.ok());
  ASSERT_TRUE(service_->DisableUser(cli_, user->id).ok());
  EXPECT_FALSE(service_->GetSession(full->token).ok());
  EXPECT_EQ(service_->Login("gabi", "correct horse battery", "192.0.2.1", "r").status().code(),
            ErrorCode::kUnauthenticated);
}

TEST_P(AccountsTest, SessionsExpireWhenIdleAndAtMaximum) {
  NewUser input = Clerk("ida");
  input.totp_secret_base32 = kSecret;
  ASSERT_TRUE(service_->CreateUser(cli_, input).ok());
  auto login = service_->Login("ida", "correct horse battery", "192.0.2.1", "r");
  ASSERT_TRUE(login.ok());
  auto full = service_->VerifyTotp(login->session.token, CodeAt(kSecret, clock_.NowUnix()), "192.0.2.1", "r");
  ASSERT_TRUE(full.ok());
  clock_.Advance(29 * 60);
  EXPECT_TRUE(service_->GetSession(full->token).ok());
  clock_.Advance(29 * 60);
  EXPECT_TRUE(service_->GetSession(full->token).ok()) << "activity keeps it alive";
  clock_.Advance(31 * 60);
  EXPECT_FALSE(service_->GetSession(full->token).ok()) << "idle too long";
}

TEST_P(AccountsTest, TokensAreScopedExpiringAndRevocable) {
  auto user = service_->CreateUser(cli_, Clerk("bot"));
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(service_->CreateToken(cli_, user->id, "x", {"everything"}, 3600).status().field(), "scopes");
  auto token = service_->CreateToken(cli_, user->id, "reader", {"cards:read"}, 3600);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->secret.rfind("pwk_", 0), 0u);
  auto actor = service_->AuthenticateToken(token->secret, "r");
  ASSERT_TRUE(actor.ok());
  EXPECT_EQ(actor->id, "token:" + std::to_string(token->token.id));
  EXPECT_EQ(service_->CreateUser(*actor, Clerk("viatoken")).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_FALSE(service_->AuthenticateToken(token->secret + "x", "r").ok());
  clock_.Advance(3601);
  EXPECT_FALSE(service_->AuthenticateToken(token->secret, "r").ok()) << "expired";
  auto second = service_->CreateToken(cli_, user->id, "second", {"cards:read"}, 3600);
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(service_->RevokeToken(cli_, second->token.id).ok());
  EXPECT_FALSE(service_->AuthenticateToken(second->secret, "r").ok()) << "revoked";
  auto listed = service_->ListTokens(cli_);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u);
}

TEST_P(AccountsTest, ATokenCannotHoldAScopeItsRoleMayNotUse) {
  auto clerk = service_->CreateUser(cli_, Clerk("scoped.clerk"));
  ASSERT_TRUE(clerk.ok());
  // A clerk's session lists no users and reads no audit trail: neither may its token.
  for (const char* scope : {"users:read", "audit:read", "settlement:read", "schemes:write"}) {
    auto refused = service_->CreateToken(cli_, clerk->id, "t", {"cards:write", scope}, 3600);
    EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidArgument) << scope;
    EXPECT_EQ(refused.status().field(), "scopes");
    EXPECT_NE(refused.status().message().find("the role clerk cannot use the scope " + std::string(scope)),
              std::string::npos)
        << refused.status().message();
  }
  EXPECT_TRUE(service_->CreateToken(cli_, clerk->id, "t", {"cards:write", "registrations:read"}, 3600).ok());
  auto listed = service_->ListTokens(cli_);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u) << "a refused token leaves nothing behind";
}

TEST_P(AccountsTest, MunicipalitiesAreFoundByIdNumberOrTheActorsOwn) {
  EXPECT_EQ(service_->GetMunicipality(municipality_.id)->name, "Kellenhusen");
  EXPECT_EQ(service_->FindMunicipality("03452001")->name, "Anderswo");
  EXPECT_EQ(service_->FindMunicipality("99999999").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(service_->FindMunicipality("99999999").status().field(), "municipality");
  EXPECT_EQ(service_->GetMunicipality(987654).status().code(), ErrorCode::kNotFound);
  auto clerk = service_->CreateUser(cli_, Clerk("own.place"));
  ASSERT_TRUE(clerk.ok());
  Actor actor{"user:" + std::to_string(clerk->id), *clerk, "r", {}, false};
  EXPECT_EQ(service_->MunicipalityFor(actor, "")->id, municipality_.id);
  EXPECT_EQ(service_->MunicipalityFor(actor, "03452001")->name, "Anderswo") << "a number names another";
  EXPECT_EQ(service_->MunicipalityFor(cli_, "").status().code(), ErrorCode::kNotFound) << "the CLI has none of its own";
}

TEST_P(AccountsTest, EveryChangeIsAudited) {
  auto user = service_->CreateUser(cli_, Clerk("audited"));
  ASSERT_TRUE(user.ok());
  ASSERT_TRUE(service_->DisableUser(cli_, user->id).ok());
  auto entries = audit::List(test_db_->db(), {});
  ASSERT_TRUE(entries.ok());
  std::vector<std::string> actions;
  for (const auto& e : *entries) actions.push_back(e.event.action);
  EXPECT_EQ(actions,
            (std::vector<std::string>{"user.disable", "user.create", "municipality.create", "municipality.create"}));
  for (const auto& e : *entries) EXPECT_EQ(e.event.detail.find("correct horse"), std::string::npos);
}

TEST_P(AccountsTest, MembershipsAreLoadedWhereverAUserIs) {
  auto social = service_->CreateDepartment(cli_, municipality_.id, "Sozialamt");
  auto volunteer = service_->CreateDepartment(cli_, municipality_.id, "Ehrenamtsbüro");
  ASSERT_TRUE(social.ok() && volunteer.ok());
  NewUser input = Clerk("both");
  input.department_ids = {volunteer->id};
  input.department_id = social->id;  // the older single field counts as one more
  auto created = service_->CreateUser(cli_, input);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  const std::vector<int64_t> both = {social->id, volunteer->id};
  EXPECT_EQ(created->department_ids, both);
  EXPECT_EQ(service_->GetUser(created->id)->department_ids, both);
  EXPECT_EQ(service_->FindUser("both")->department_ids, both);
  auto users = service_->ListUsers(cli_);
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ((*users)[0].department_ids, both);
  auto token = service_->CreateToken(cli_, created->id, "t", {"cards:read"}, 3600);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(service_->AuthenticateToken(token->secret, "r")->user->department_ids, both);
  auto login = service_->Login("both", "correct horse battery", "127.0.0.1", "r");
  ASSERT_TRUE(login.ok()) << login.status().ToString();
  EXPECT_EQ(login->session.user.department_ids, both);
  EXPECT_EQ(service_->GetSession(login->session.token)->user.department_ids, both);
}

TEST_P(AccountsTest, DepartmentsBelongToTheUsersMunicipalityAndOnlyStaffHaveThem) {
  auto own = service_->CreateDepartment(cli_, municipality_.id, "Sozialamt");
  auto foreign = service_->CreateDepartment(cli_, other_municipality_.id, "Sozialamt");
  ASSERT_TRUE(own.ok() && foreign.ok());
  NewUser input = Clerk("wrong");
  input.department_ids = {foreign->id};
  EXPECT_EQ(service_->CreateUser(cli_, input).status().field(), "departments");
  input = Clerk("landlord");
  input.role = Role::kLandlord;
  input.department_ids = {own->id};
  EXPECT_EQ(service_->CreateUser(cli_, input).status().code(), ErrorCode::kInvalidArgument);
  input = Clerk("operator");
  input.role = Role::kOperator;
  input.municipality_id.reset();
  input.department_ids = {own->id};
  EXPECT_EQ(service_->CreateUser(cli_, input).status().code(), ErrorCode::kInvalidArgument);
}

TEST_P(AccountsTest, AdministratorsSetMembershipsWithinTheirMunicipality) {
  auto social = service_->CreateDepartment(cli_, municipality_.id, "Sozialamt");
  auto volunteer = service_->CreateDepartment(cli_, municipality_.id, "Ehrenamtsbüro");
  auto foreign = service_->CreateDepartment(cli_, other_municipality_.id, "Sozialamt");
  ASSERT_TRUE(social.ok() && volunteer.ok() && foreign.ok());
  NewUser admin_input = Clerk("admin");
  admin_input.role = Role::kMunicipalityAdmin;
  Actor admin = AsUser(service_->CreateUser(cli_, admin_input).value());
  Actor other_admin = AsUser(service_
                                 ->CreateUser(cli_,
                                              [&] {
                                                NewUser u = Clerk("otheradmin", other_municipality_.id);
                                                u.role = Role::kMunicipalityAdmin;
                                                return u;
                                              }())
                                 .value());
  Actor colleague = AsUser(service_->CreateUser(cli_, Clerk("colleague")).value());
  User clerk = service_->CreateUser(cli_, Clerk("clerk")).value();
  EXPECT_TRUE(clerk.department_ids.empty());

  ASSERT_TRUE(service_->SetMemberships(admin, clerk.id, {volunteer->id, social->id}).ok());
  EXPECT_EQ(service_->GetUser(clerk.id)->department_ids, (std::vector<int64_t>{social->id, volunteer->id}));
  audit::AuditFilter filter;
  filter.action_prefix = "user.departments";
  auto entries = audit::List(test_db_->db(), filter);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  auto detail = nlohmann::json::parse((*entries)[0].event.detail);
  EXPECT_EQ(detail["departments"], nlohmann::json::array({social->id, volunteer->id}));

  EXPECT_EQ(service_->SetMemberships(admin, clerk.id, {foreign->id}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(service_->SetMemberships(colleague, clerk.id, {social->id}).code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(service_->SetMemberships(other_admin, clerk.id, {}).code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(service_->GetUser(clerk.id)->department_ids.size(), 2u) << "refusals change nothing";
  EXPECT_EQ(service_->CreateDepartment(colleague, municipality_.id, "Bauamt").status().code(),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(service_->CreateDepartment(other_admin, municipality_.id, "Bauamt").status().code(),
            ErrorCode::kPermissionDenied);
  EXPECT_TRUE(service_->CreateDepartment(admin, municipality_.id, "Bauamt").ok());
  ASSERT_TRUE(service_->SetMemberships(cli_, clerk.id, {}).ok());
  EXPECT_TRUE(service_->GetUser(clerk.id)->department_ids.empty());
}

TEST_P(AccountsTest, FaultInjectionSetMemberships) {
  auto social = service_->CreateDepartment(cli_, municipality_.id, "Sozialamt");
  ASSERT_TRUE(social.ok());
  User clerk = service_->CreateUser(cli_, Clerk("clerk")).value();
  FaultSim([&] { return service_->SetMemberships(cli_, clerk.id, {social->id}).ok(); });
  EXPECT_EQ(service_->GetUser(clerk.id)->department_ids, std::vector<int64_t>{social->id});
}

TEST_P(AccountsTest, FaultInjectionCreateUser) {
  int attempt = 0;
  FaultSim([&] {
    NewUser input = Clerk("fault" + std::to_string(attempt++));
    input.totp_secret_base32 = kSecret;
    return service_->CreateUser(cli_, input).ok();
  });
}

TEST_P(AccountsTest, FaultInjectionDisableUser) {
  NewUser input = Clerk("victim");
  input.totp_secret_base32 = kSecret;
  auto user = service_->CreateUser(cli_, input);
  ASSERT_TRUE(user.ok());
  auto login = service_->Login("victim", "correct horse battery", "192.0.2.1", "r");
  ASSERT_TRUE(login.ok());
  FaultSim([&] { return service_->DisableUser(cli_, user->id).ok(); });
}

TEST_P(AccountsTest, FaultInjectionLogin) {
  NewUser input = Clerk("fragile");
  input.totp_secret_base32 = kSecret;
  ASSERT_TRUE(service_->CreateUser(cli_, input).ok());
  FaultSim([&] { return service_->Login("fragile", "correct horse battery", "192.0.2.1", "r").ok(); });
}

TEST_P(AccountsTest, FaultInjectionTotp) {
  NewUser input = Clerk("fragile2");
  input.totp_secret_base32 = kSecret;
  ASSERT_TRUE(service_->CreateUser(cli_, input).ok());
  auto login = service_->Login("fragile2", "correct horse battery", "192.0.2.1", "r");
  ASSERT_TRUE(login.ok());
  std::string code = CodeAt(kSecret, clock_.NowUnix());
  // A failed attempt rolls back completely, so the same code stays usable.
  FaultSim([&] { return service_->VerifyTotp(login->session.token, code, "192.0.2.1", "r").ok(); });
}

TEST_P(AccountsTest, FaultInjectionEnrolment) {
  ASSERT_TRUE(service_->CreateUser(cli_, Clerk("fragile3")).ok());
  auto login = service_->Login("fragile3", "correct horse battery", "192.0.2.1", "r");
  ASSERT_TRUE(login.ok());
  auto enrolment = service_->BeginEnrolment(login->session.token);
  ASSERT_TRUE(enrolment.ok());
  std::string code = CodeAt(enrolment->secret_base32, clock_.NowUnix());
  FaultSim([&] { return service_->VerifyTotp(login->session.token, code, "192.0.2.1", "r").ok(); });
  auto user = service_->FindUser("fragile3");
  ASSERT_TRUE(user.ok());
  EXPECT_TRUE(user->totp_enrolled);
}

TEST_P(AccountsTest, FaultInjectionCreateToken) {
  auto user = service_->CreateUser(cli_, Clerk("tokenuser"));
  ASSERT_TRUE(user.ok());
  FaultSim([&] { return service_->CreateToken(cli_, user->id, "t", {"cards:read"}, 3600).ok(); });
}

INSTANTIATE_TEST_SUITE_P(Backends, AccountsTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

TEST(AuditAsTest, AppendsInTheCallersTransactionOnly) {
  std::string reason;
  auto test_db = storage::testing::TestDatabase::Create(storage::testing::Backend::kSqliteMemory,
                                                        {storage::Segment::kCore, storage::Segment::kAudit}, &reason);
  ASSERT_TRUE(test_db) << reason;
  ManualClock clock(1795000000);
  Actor actor;
  actor.id = "user:1";
  User user;
  user.id = 1;
  user.role = Role::kClerk;
  user.municipality_id = 7;
  actor.user = user;
  actor.request_id = "req-1";
  // Rolled back with the change it belongs to.
  Status rolled_back = test_db->db().Write([&](storage::Tx& tx) -> Status {
    PW_RETURN_IF_ERROR(AuditAs(tx, clock, actor, "annual_card.issue", "annual:A", {{"basis", "mooring"}}));
    return FailedPrecondition("the change failed");
  });
  EXPECT_EQ(rolled_back.code(), ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(test_db->db()
                  .Write([&](storage::Tx& tx) {
                    return AuditAs(tx, clock, actor, "annual_card.issue", "annual:B", {{"basis", "mooring"}});
                  })
                  .ok());
  std::vector<std::string> entries;
  ASSERT_TRUE(test_db->db()
                  .Read([&](storage::Tx& tx) -> Status {
                    PW_ASSIGN_OR_RETURN(storage::Rows rows,
                                        tx.Query("SELECT actor || '|' || action || '|' || object || '|' || detail || "
                                                 "'|' || request_id || '|' || CAST(at AS TEXT) FROM audit.entries"));
                    for (const auto& row : rows) entries.push_back(row.Text(0));
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(entries,
            std::vector<std::string>{"user:1|annual_card.issue|annual:B|{\"basis\":\"mooring\"}|req-1|1795000000"});
  auto verified = audit::Verify(test_db->db());
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << verified->problem;
}

}  // namespace
}  // namespace passwerk::accounts
