// The terminal registry on every backend: registration and its validation,
// who may manage terminals (operators and the municipality's administrators,
// never API tokens), every change audited, and the challenge login with its
// sessions.
#include "terminals/terminals.h"

#include <gtest/gtest.h>

#include "accounts/accounts.h"
#include "accounts/testing/actors.h"
#include "audit/audit_log.h"
#include "core/crypto.h"
#include "storage/testing/backends.h"
#include "terminals/catalogue.h"
#include "terminals/terminal_key.h"

namespace passwerk::terminals {
namespace {

using accounts::Role;

class TerminalServiceTest : public ::testing::TestWithParam<storage::testing::Backend> {
 protected:
  void SetUp() override {
    std::string reason;
    test_db_ = storage::testing::TestDatabase::Create(GetParam(), {storage::Segment::kCore, storage::Segment::kAudit},
                                                      &reason);
    if (!test_db_) GTEST_SKIP() << reason;
    accounts_ = std::make_unique<accounts::AccountService>(test_db_->db(), clock_, box_, throttle_);
    catalogue_ = std::make_unique<CatalogueService>(test_db_->db(), clock_);
    terminals_ = std::make_unique<TerminalService>(test_db_->db(), clock_, options_);
    cli_.id = "cli";
    auto m = accounts_->CreateMunicipality(cli_, "01055021", "Kellenhusen");
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    municipality_ = m->id;
    auto other = accounts_->CreateMunicipality(cli_, "01051056", "Büsum");
    ASSERT_TRUE(other.ok());
    other_municipality_ = other->id;
    ASSERT_TRUE(catalogue_->CreateProvider(cli_, municipality_, "100200", "Meerwasser-Hallenbad").ok());
    ASSERT_TRUE(catalogue_->CreateProvider(cli_, other_municipality_, "200100", "Watt-Bus").ok());
    key_ = GenerateTerminalKey();
  }

  NewTerminal Input(const std::string& tid, const std::string& vu = "100200") {
    NewTerminal t;
    t.tid = tid;
    t.vu_number = vu;
    t.kind = "stationary";
    t.name = "Kasse 1";
    t.public_key = key_.public_key;
    t.operators = {"7", "12"};
    return t;
  }

  std::vector<audit::AuditEntry> Audited(const std::string& prefix) {
    audit::AuditFilter filter;
    filter.action_prefix = prefix;
    auto entries = audit::List(test_db_->db(), filter);
    EXPECT_TRUE(entries.ok()) << entries.status().ToString();
    return entries.ok() ? *entries : std::vector<audit::AuditEntry>{};
  }

  Result<TerminalLogin> LogIn(const std::string& tid, const std::string& private_key) {
    PW_ASSIGN_OR_RETURN(std::string challenge, terminals_->Challenge(tid));
    PW_ASSIGN_OR_RETURN(std::string signature, SignMessage(private_key, LoginMessage(tid, challenge)));
    return terminals_->Login(tid, challenge, crypto::Base64Encode(signature));
  }

  ManualClock clock_{1782900000};  // 2026-07-01
  crypto::SecretBox box_ = crypto::SecretBox::FromHexKeys({std::string(64, 'b')}).value();
  accounts::LoginThrottle throttle_{clock_};
  TerminalAuthOptions options_{.challenge_seconds = 60, .session_seconds = 3600, .max_challenges = 3};
  std::unique_ptr<storage::testing::TestDatabase> test_db_;
  std::unique_ptr<accounts::AccountService> accounts_;
  std::unique_ptr<CatalogueService> catalogue_;
  std::unique_ptr<TerminalService> terminals_;
  accounts::Actor cli_;
  int64_t municipality_ = 0;
  int64_t other_municipality_ = 0;
  TerminalKeyPair key_;
};

TEST(TerminalIdTest, OneToThirtyTwoOfASafeAlphabet) {
  EXPECT_TRUE(IsValidTid("T-POOL_01"));
  EXPECT_TRUE(IsValidTid(std::string(32, 'a')));
  for (const std::string& tid : {std::string(), std::string(33, 'a'), std::string("T 1"), std::string("T/1"),
                                 std::string("Tür"), std::string("T.1")}) {
    EXPECT_FALSE(IsValidTid(tid)) << tid;
  }
  EXPECT_EQ(TerminalKinds(), (std::vector<std::string>{"mobile", "stationary", "kiosk", "office_pc", "landlord_web"}));
}

TEST_P(TerminalServiceTest, RegistrationStoresTheTerminalAndAuditsIt) {
  auto t = terminals_->RegisterTerminal(cli_, Input("T-POOL-01"));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->tid, "T-POOL-01");
  EXPECT_EQ(t->vu_number, "100200");
  EXPECT_EQ(t->municipality_id, municipality_);
  EXPECT_EQ(t->municipality_number, "01055021");
  EXPECT_EQ(t->public_key, key_.public_key);
  EXPECT_TRUE(t->active);
  EXPECT_EQ(t->operators, (std::vector<std::string>{"12", "7"}));
  auto found = terminals_->Find("T-POOL-01");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->id, t->id);
  EXPECT_EQ(terminals_->Find("T-NONE").status().code(), ErrorCode::kNotFound);
  auto entries = Audited("terminal.register");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].event.actor, "cli");
  EXPECT_EQ(entries[0].event.object, "terminal:T-POOL-01");
  EXPECT_NE(entries[0].event.detail.find(crypto::Sha256Hex(key_.public_key).substr(0, 16)), std::string::npos);
  EXPECT_EQ(entries[0].event.detail.find(crypto::Base64Encode(key_.public_key)), std::string::npos)
      << "a fingerprint, not the key";
}

TEST_P(TerminalServiceTest, RegistrationValidatesEveryField) {
  auto refused = [&](NewTerminal input, ErrorCode code, const std::string& field) {
    auto t = terminals_->RegisterTerminal(cli_, input);
    ASSERT_FALSE(t.ok()) << field;
    EXPECT_EQ(t.status().code(), code) << field;
    EXPECT_EQ(t.status().field(), field);
  };
  refused(Input("T 1"), ErrorCode::kInvalidArgument, "tid");
  NewTerminal kind = Input("T-1");
  kind.kind = "toaster";
  refused(kind, ErrorCode::kInvalidArgument, "kind");
  NewTerminal name = Input("T-1");
  name.name = std::string(201, 'n');
  refused(name, ErrorCode::kInvalidArgument, "name");
  NewTerminal key = Input("T-1");
  key.public_key = std::string(31, 'k');
  refused(key, ErrorCode::kInvalidArgument, "public_key");
  for (const char* op : {"", "123456789", "7a"}) {
    NewTerminal ops = Input("T-1");
    ops.operators = {op};
    refused(ops, ErrorCode::kInvalidArgument, "operators");
  }
  refused(Input("T-1", "999"), ErrorCode::kNotFound, "vu_number");
  ASSERT_TRUE(terminals_->RegisterTerminal(cli_, Input("T-1")).ok());
  refused(Input("T-1"), ErrorCode::kAlreadyExists, "tid");
  EXPECT_EQ(Audited("terminal.").size(), 1u) << "only the one registration";
}

TEST_P(TerminalServiceTest, OperatorsAndTheMunicipalitysAdminsManageNeverTokens) {
  const auto op = accounts::testing::InMemoryStaff(1, Role::kOperator, std::nullopt);
  const auto admin = accounts::testing::InMemoryStaff(2, Role::kMunicipalityAdmin, municipality_);
  const auto other_admin = accounts::testing::InMemoryStaff(3, Role::kMunicipalityAdmin, other_municipality_);
  const auto clerk = accounts::testing::InMemoryStaff(4, Role::kClerk, municipality_);
  const auto admin_token =
      accounts::testing::InMemoryStaff(2, Role::kMunicipalityAdmin, municipality_, /*via_token=*/true);
  const auto operator_token = accounts::testing::InMemoryStaff(1, Role::kOperator, std::nullopt, /*via_token=*/true);

  for (const auto* denied : {&other_admin, &clerk, &admin_token, &operator_token}) {
    EXPECT_EQ(terminals_->RegisterTerminal(*denied, Input("T-X")).status().code(), ErrorCode::kPermissionDenied)
        << denied->id;
  }
  ASSERT_TRUE(terminals_->RegisterTerminal(admin, Input("T-A")).ok());
  ASSERT_TRUE(terminals_->RegisterTerminal(op, Input("T-B")).ok());
  const std::string new_key = GenerateTerminalKey().public_key;
  for (const auto* denied : {&other_admin, &clerk, &admin_token, &operator_token}) {
    EXPECT_EQ(terminals_->SetActive(*denied, "T-A", false).code(), ErrorCode::kPermissionDenied) << denied->id;
    EXPECT_EQ(terminals_->ReplaceKey(*denied, "T-A", new_key).code(), ErrorCode::kPermissionDenied) << denied->id;
  }
  EXPECT_TRUE(terminals_->Find("T-A")->active);
  EXPECT_EQ(terminals_->Find("T-A")->public_key, key_.public_key);
  EXPECT_TRUE(Audited("terminal.disable").empty());
  EXPECT_TRUE(Audited("terminal.rekey").empty());

  ASSERT_TRUE(terminals_->SetActive(admin, "T-A", false).ok());
  EXPECT_FALSE(terminals_->Find("T-A")->active);
  ASSERT_TRUE(terminals_->SetActive(op, "T-A", true).ok());
  EXPECT_TRUE(terminals_->Find("T-A")->active);
  ASSERT_TRUE(terminals_->ReplaceKey(admin, "T-A", new_key).ok());
  EXPECT_EQ(terminals_->Find("T-A")->public_key, new_key);

  auto disabled = Audited("terminal.disable");
  ASSERT_EQ(disabled.size(), 1u);
  EXPECT_EQ(disabled[0].event.actor, "user:2");
  EXPECT_EQ(disabled[0].event.object, "terminal:T-A");
  EXPECT_EQ(Audited("terminal.enable").size(), 1u);
  auto rekeyed = Audited("terminal.rekey");
  ASSERT_EQ(rekeyed.size(), 1u);
  EXPECT_NE(rekeyed[0].event.detail.find(crypto::Sha256Hex(new_key).substr(0, 16)), std::string::npos);

  EXPECT_EQ(terminals_->SetActive(op, "T-NONE", false).code(), ErrorCode::kNotFound);
  EXPECT_EQ(terminals_->ReplaceKey(op, "T-NONE", new_key).code(), ErrorCode::kNotFound);
  Status short_key = terminals_->ReplaceKey(op, "T-A", "short");
  EXPECT_EQ(short_key.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(short_key.field(), "public_key");
}

TEST_P(TerminalServiceTest, StaffListOnlyTheirMunicipalitysTerminals) {
  ASSERT_TRUE(terminals_->RegisterTerminal(cli_, Input("T-B")).ok());
  ASSERT_TRUE(terminals_->RegisterTerminal(cli_, Input("T-A")).ok());
  ASSERT_TRUE(terminals_->RegisterTerminal(cli_, Input("T-BUS", "200100")).ok());
  auto tids = [&](const accounts::Actor& actor) {
    std::vector<std::string> out;
    auto list = terminals_->ListTerminals(actor);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    if (list.ok()) {
      for (const Terminal& t : *list) out.push_back(t.tid);
    }
    return out;
  };
  EXPECT_EQ(tids(cli_), (std::vector<std::string>{"T-A", "T-B", "T-BUS"}));
  EXPECT_EQ(tids(accounts::testing::InMemoryStaff(1, Role::kOperator, std::nullopt)),
            (std::vector<std::string>{"T-A", "T-B", "T-BUS"}));
  EXPECT_EQ(tids(accounts::testing::InMemoryStaff(4, Role::kClerk, municipality_)),
            (std::vector<std::string>{"T-A", "T-B"}));
  EXPECT_EQ(tids(accounts::testing::InMemoryStaff(3, Role::kMunicipalityAdmin, other_municipality_)),
            (std::vector<std::string>{"T-BUS"}));
  EXPECT_TRUE(tids(accounts::testing::InMemoryStaff(5, Role::kAuditor, std::nullopt)).empty());
}

TEST_P(TerminalServiceTest, LoginBySignedChallengeGivesASession) {
  ASSERT_TRUE(terminals_->RegisterTerminal(cli_, Input("T-POOL-01")).ok());
  auto login = LogIn("T-POOL-01", key_.private_key);
  ASSERT_TRUE(login.ok()) << login.status().ToString();
  EXPECT_EQ(login->terminal.tid, "T-POOL-01");
  EXPECT_EQ(login->terminal.vu_number, "100200");
  EXPECT_EQ(login->terminal.municipality_number, "01055021");
  EXPECT_EQ(login->terminal.operators, (std::vector<std::string>{"12", "7"}));
  EXPECT_EQ(login->terminal.expires_at, clock_.NowUnix() + 3600);
  auto session = terminals_->Authenticate(login->session);
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(session->tid, "T-POOL-01");
  EXPECT_EQ(terminals_->Authenticate(login->session + "x").status().code(), ErrorCode::kUnauthenticated);
  clock_.Advance(3599);
  EXPECT_TRUE(terminals_->Authenticate(login->session).ok());
  clock_.Advance(1);
  EXPECT_EQ(terminals_->Authenticate(login->session).status().code(), ErrorCode::kUnauthenticated) << "expired";
}

TEST_P(TerminalServiceTest, AChallengeIsSpentByAnyAttemptAndExpires) {
  ASSERT_TRUE(terminals_->RegisterTerminal(cli_, Input("T-POOL-01")).ok());
  ASSERT_TRUE(terminals_->RegisterTerminal(cli_, Input("T-POOL-02")).ok());
  auto sign = [&](const std::string& tid, const std::string& challenge) {
    return crypto::Base64Encode(SignMessage(key_.private_key, LoginMessage(tid, challenge)).value());
  };
  // A wrong signature spends the challenge: the right one cannot follow.
  std::string challenge = terminals_->Challenge("T-POOL-01").value();
  auto wrong = GenerateTerminalKey();
  std::string forged =
      crypto::Base64Encode(SignMessage(wrong.private_key, LoginMessage("T-POOL-01", challenge)).value());
  EXPECT_EQ(terminals_->Login("T-POOL-01", challenge, forged).status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(terminals_->Login("T-POOL-01", challenge, sign("T-POOL-01", challenge)).status().code(),
            ErrorCode::kUnauthenticated);
  // A challenge is bound to its TID.
  challenge = terminals_->Challenge("T-POOL-01").value();
  EXPECT_EQ(terminals_->Login("T-POOL-02", challenge, sign("T-POOL-02", challenge)).status().code(),
            ErrorCode::kUnauthenticated);
  // Used once only.
  challenge = terminals_->Challenge("T-POOL-01").value();
  ASSERT_TRUE(terminals_->Login("T-POOL-01", challenge, sign("T-POOL-01", challenge)).ok());
  EXPECT_EQ(terminals_->Login("T-POOL-01", challenge, sign("T-POOL-01", challenge)).status().code(),
            ErrorCode::kUnauthenticated);
  // Expired after challenge_seconds.
  challenge = terminals_->Challenge("T-POOL-01").value();
  clock_.Advance(60);
  EXPECT_EQ(terminals_->Login("T-POOL-01", challenge, sign("T-POOL-01", challenge)).status().code(),
            ErrorCode::kUnauthenticated);
  // Garbage signature.
  challenge = terminals_->Challenge("T-POOL-01").value();
  EXPECT_EQ(terminals_->Login("T-POOL-01", challenge, "!!not base64!!").status().code(), ErrorCode::kUnauthenticated);
}

TEST_P(TerminalServiceTest, UnknownTidsGetAChallengeButNoLogin) {
  auto challenge = terminals_->Challenge("T-UNKNOWN");
  ASSERT_TRUE(challenge.ok()) << "no hint whether the TID exists";
  std::string signature =
      crypto::Base64Encode(SignMessage(key_.private_key, LoginMessage("T-UNKNOWN", *challenge)).value());
  EXPECT_EQ(terminals_->Login("T-UNKNOWN", *challenge, signature).status().code(), ErrorCode::kUnauthenticated);
  auto bad = terminals_->Challenge("T 1");
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.status().field(), "tid");
}

TEST_P(TerminalServiceTest, OutstandingChallengesAreBounded) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(terminals_->Challenge("T-" + std::to_string(i)).ok());
  EXPECT_EQ(terminals_->Challenge("T-4").status().code(), ErrorCode::kUnavailable);
  clock_.Advance(60);
  EXPECT_TRUE(terminals_->Challenge("T-4").ok()) << "expired ones make room";
}

TEST_P(TerminalServiceTest, DisablingOrRekeyingEndsSessionsAndBlocksLogins) {
  const auto op = accounts::testing::InMemoryStaff(1, Role::kOperator, std::nullopt);
  ASSERT_TRUE(terminals_->RegisterTerminal(cli_, Input("T-A")).ok());
  ASSERT_TRUE(terminals_->RegisterTerminal(cli_, Input("T-B")).ok());
  auto a = LogIn("T-A", key_.private_key);
  auto b = LogIn("T-B", key_.private_key);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(terminals_->SetActive(op, "T-A", false).ok());
  EXPECT_EQ(terminals_->Authenticate(a->session).status().code(), ErrorCode::kUnauthenticated);
  EXPECT_TRUE(terminals_->Authenticate(b->session).ok()) << "other terminals keep theirs";
  EXPECT_EQ(LogIn("T-A", key_.private_key).status().code(), ErrorCode::kPermissionDenied) << "disabled";
  ASSERT_TRUE(terminals_->SetActive(op, "T-A", true).ok());
  EXPECT_EQ(terminals_->Authenticate(a->session).status().code(), ErrorCode::kUnauthenticated)
      << "enabling again does not revive the old session";
  ASSERT_TRUE(LogIn("T-A", key_.private_key).ok());

  TerminalKeyPair replacement = GenerateTerminalKey();
  ASSERT_TRUE(terminals_->ReplaceKey(op, "T-B", replacement.public_key).ok());
  EXPECT_EQ(terminals_->Authenticate(b->session).status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(LogIn("T-B", key_.private_key).status().code(), ErrorCode::kUnauthenticated) << "the old key is void";
  EXPECT_TRUE(LogIn("T-B", replacement.private_key).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, TerminalServiceTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::terminals
