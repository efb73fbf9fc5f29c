// The partner check on every backend: its four answers and their boundaries,
// the one no_match for every kind of "not yours", the enumeration defence
// (token bucket, card lock, daily no_match budget) and signed verdicts.
#include "checks/check_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "accounts/accounts.h"
#include "audit/audit_log.h"
#include "cards/card_number.h"
#include "checks/partners.h"
#include "storage/testing/backends.h"

namespace passwerk::checks {
namespace {

namespace fs = std::filesystem;

// The answer every "not yours" case must give, field for field.
void ExpectNoMatch(const Result<CheckAnswer>& answer, const std::string& what) {
  ASSERT_TRUE(answer.ok()) << what << ": " << answer.status().ToString();
  EXPECT_FALSE(answer->valid) << what;
  EXPECT_EQ(answer->reason, "no_match") << what;
  EXPECT_EQ(answer->scheme, "") << what;
  EXPECT_EQ(answer->discount, "") << what;
  EXPECT_EQ(answer->valid_until, "") << what;
}

class CheckServiceTest : public ::testing::TestWithParam<storage::testing::Backend> {
 protected:
  void SetUp() override {
    std::string reason;
    test_db_ = storage::testing::TestDatabase::Create(
        GetParam(),
        {storage::Segment::kCore, storage::Segment::kAudit, storage::Segment::kCards, storage::Segment::kChecks},
        &reason);
    if (!test_db_) GTEST_SKIP() << reason;
    // A directory of its own under the system's temporary directory (mkdtemp fills in the six trailing letters).
    std::string pattern =
        (std::filesystem::temp_directory_path() / "passwerk-check-spool-").string() + std::string(6, 'X');
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    spool_dir_ = pattern;
    accounts_ = std::make_unique<accounts::AccountService>(test_db_->db(), clock_, box_, throttle_);
    cards_ = std::make_unique<cards::CardService>(test_db_->db(), clock_, box_, keys_);
    partners_ = std::make_unique<PartnerService>(test_db_->db(), clock_);
    cli_.id = "cli";
    auto m = accounts_->CreateMunicipality(cli_, "09562000", "Erlangen");
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    ASSERT_TRUE(accounts_->CreateDepartment(cli_, m->id, "Sozialamt").ok());
    cards::NewScheme input;
    input.slug = "erlangen-pass";
    input.municipality_id = m->id;
    input.name = "ErlangenPass";
    input.discount_classes = {"half_price", "free"};
    auto s = cards_->CreateScheme(cli_, input);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    scheme_ = *s;
    input.slug = "ehrenamt";
    input.name = "Ehrenamtskarte";
    auto other = cards_->CreateScheme(cli_, input);
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    other_scheme_ = *other;
    // The partner may check the ErlangenPass only.
    auto p = partners_->CreatePartner(cli_, m->id, "VHS", {scheme_.id}, {"https://vhs.example.de"});
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    partner_id_ = p->id;
    auto k = partners_->CreateKey(cli_, p->id, "server");
    ASSERT_TRUE(k.ok()) << k.status().ToString();
    key_secret_ = k->secret;
    key_id_ = k->key.id;
  }

  void TearDown() override {
    if (!spool_dir_.empty()) fs::remove_all(spool_dir_);
  }

  std::unique_ptr<CheckService> NewService(CheckOptions options = {}) {
    auto spool = CheckSpool::Open(spool_dir_);
    EXPECT_TRUE(spool.ok()) << spool.status().ToString();
    if (!spool.ok()) return nullptr;
    auto service = std::make_unique<CheckService>(test_db_->db(), clock_, keys_, options, std::move(*spool));
    cards_->OnCardsChanged([s = service.get()] { s->CardsChanged(); });
    return service;
  }

  cards::Card Issue(const std::string& family, int64_t scheme_id = 0, std::optional<Date> valid_from = {}) {
    cards::NewCard card;
    card.scheme_id = scheme_id != 0 ? scheme_id : scheme_.id;
    card.holder = {family, "Erika", "1970-01-01", "", "", ""};
    card.valid_from = valid_from;
    auto issued = cards_->IssueCard(cli_, card);
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.ok() ? *issued : cards::Card{};
  }

  int64_t Count(const std::string& sql) {
    int64_t count = -1;
    EXPECT_TRUE(test_db_->db()
                    .Read([&](storage::Tx& tx) -> Status {
                      PW_ASSIGN_OR_RETURN(storage::Row row, tx.QueryOne(sql));
                      count = row.Int(0);
                      return Status::Ok();
                    })
                    .ok());
    return count;
  }

  ManualClock clock_{1795000000};  // 2026-11-18, 12:06 in Berlin
  crypto::SecretBox box_ = crypto::SecretBox::FromHexKeys({std::string(64, 'b')}).value();
  cards::CardKeys keys_{box_};
  accounts::LoginThrottle throttle_{clock_};
  std::unique_ptr<storage::testing::TestDatabase> test_db_;
  std::unique_ptr<accounts::AccountService> accounts_;
  std::unique_ptr<cards::CardService> cards_;
  std::unique_ptr<PartnerService> partners_;
  accounts::Actor cli_;
  cards::Scheme scheme_;
  cards::Scheme other_scheme_;
  int64_t partner_id_ = 0;
  std::string key_secret_;
  int64_t key_id_ = 0;
  std::string spool_dir_;
};

TEST_P(CheckServiceTest, ValidityBoundariesAreInclusiveDays) {
  auto checks = NewService();
  auto key = checks->Authenticate(key_secret_);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->key_id, key_id_);
  EXPECT_EQ(key->partner_id, partner_id_);
  EXPECT_EQ(key->kind, KeyKind::kServer);
  EXPECT_EQ(key->scheme_ids, (std::set<int64_t>{scheme_.id}));
  cards::Card card = Issue("Müller", 0, Date{2026, 12, 1});  // valid 2026-12-01 … 2026-12-31

  EXPECT_EQ(checks->Check(*key, card.card_number, "Mül", "2026-11-30")->reason, "expired") << "not yet valid";
  auto first = checks->Check(*key, card.card_number, "Mül", "2026-12-01");
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->valid);
  EXPECT_EQ(first->reason, "");
  EXPECT_EQ(first->scheme, "erlangen-pass");
  EXPECT_EQ(first->discount, "half_price") << "the scheme's first discount class is the default";
  EXPECT_EQ(first->valid_until, "2026-12-31");
  EXPECT_TRUE(checks->Check(*key, card.card_number, "Mül", "2026-12-31")->valid) << "the last day counts";
  auto after = checks->Check(*key, card.card_number, "Mül", "2027-01-01");
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->valid);
  EXPECT_EQ(after->reason, "expired");
  EXPECT_EQ(after->scheme, "") << "nothing but the reason for an invalid card";
  EXPECT_EQ(after->valid_until, "");
  // Without a date: today in Berlin (2026-11-18), before the card's first day.
  EXPECT_EQ(checks->Check(*key, card.card_number, "Mül", "")->reason, "expired");
  clock_.Set(1796079599);  // 2026-11-30 23:59:59 in Berlin
  EXPECT_EQ(checks->Check(*key, card.card_number, "Mül", "")->reason, "expired");
  clock_.Set(1796079600);  // 2026-12-01 00:00 in Berlin (23:00 UTC the day before)
  EXPECT_TRUE(checks->Check(*key, card.card_number, "Mül", "")->valid) << "the Berlin day, not the UTC day";
}

TEST_P(CheckServiceTest, BlockedIsAnsweredOnlyToTheRightName) {
  auto checks = NewService();
  auto key = checks->Authenticate(key_secret_);
  ASSERT_TRUE(key.ok());
  cards::Card card = Issue("Schmidt");
  ASSERT_TRUE(cards_->Block(cli_, card.card_number, "lost").ok());
  auto blocked = checks->Check(*key, card.card_number, "sch", "");
  ASSERT_TRUE(blocked.ok());
  EXPECT_FALSE(blocked->valid);
  EXPECT_EQ(blocked->reason, "blocked");
  EXPECT_EQ(blocked->scheme, "");
  ExpectNoMatch(checks->Check(*key, card.card_number, "Mey", ""), "a blocked card with a wrong name");
}

TEST_P(CheckServiceTest, EveryKindOfNotYoursGivesTheSameNoMatch) {
  auto checks = NewService();
  auto key = checks->Authenticate(key_secret_);
  ASSERT_TRUE(key.ok());
  cards::Card card = Issue("Müller");
  cards::Card other = Issue("Müller", other_scheme_.id);
  int code = std::stoi(card.card_number.substr(0, 3));
  auto serial = static_cast<uint32_t>(std::stoul(card.card_number.substr(3, 8)));
  std::string unknown = cards::MakeCardNumber(code, (serial + 1) % 100'000'000u);
  std::string luhn_failure = card.card_number;
  luhn_failure.back() = luhn_failure.back() == '9' ? '0' : static_cast<char>(luhn_failure.back() + 1);
  ASSERT_FALSE(cards::NormalizeCardNumber(luhn_failure).has_value());

  ExpectNoMatch(checks->Check(*key, card.card_number, "Mey", ""), "wrong name");
  ExpectNoMatch(checks->Check(*key, card.card_number, "", ""), "no name");
  ExpectNoMatch(checks->Check(*key, card.card_number, "---", ""), "a name without letters");
  ExpectNoMatch(checks->Check(*key, unknown, "Mül", ""), "unknown number");
  ExpectNoMatch(checks->Check(*key, luhn_failure, "Mül", ""), "Luhn failure");
  ExpectNoMatch(checks->Check(*key, "not a number", "Mül", ""), "garbage");
  ExpectNoMatch(checks->Check(*key, other.card_number, "Mül", ""), "a scheme the partner may not check");
  // The same card, typed the way people type it, is found.
  std::string grouped = cards::FormatCardNumber(card.card_number);
  EXPECT_TRUE(checks->Check(*key, grouped, "MÜL", "")->valid);

  // Records: the card only by pseudonym, a scheme only for a match.
  ASSERT_TRUE(checks->Flush().ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM checks.checks"), 8);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM checks.checks WHERE result = 'no_match' AND scheme_id IS NULL"), 7);
  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM checks.checks WHERE result = 'valid' AND scheme_id = " + std::to_string(scheme_.id)),
      1);
  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM checks.checks WHERE card_pseudonym = '" + keys_.Pseudonym(card.card_number) + "'"), 4)
      << "wrong name, no name, no letters, and the grouped number share the card's pseudonym";
  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM checks.checks WHERE card_pseudonym LIKE '%" + card.card_number.substr(3, 8) + "%'"),
      0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM checks.checks WHERE partner_id = " + std::to_string(partner_id_) +
                  " AND key_id = " + std::to_string(key_id_)),
            8);
}

TEST_P(CheckServiceTest, MalformedInputIsInvalidArgumentNamingTheField) {
  auto checks = NewService();
  auto key = checks->Authenticate(key_secret_);
  ASSERT_TRUE(key.ok());
  cards::Card card = Issue("Müller");
  for (const char* date : {"2026-13-01", "18.11.2026", "2026-11-18x"}) {
    auto bad = checks->Check(*key, card.card_number, "Mül", date);
    ASSERT_FALSE(bad.ok()) << date;
    EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument) << date;
    EXPECT_EQ(bad.status().field(), "date") << date;
  }
  auto long_number = checks->Check(*key, std::string(65, '1'), "Mül", "");
  ASSERT_FALSE(long_number.ok());
  EXPECT_EQ(long_number.status().field(), "card_number");
  ExpectNoMatch(checks->Check(*key, std::string(64, '1'), "Mül", ""), "64 characters are still checked");
  auto long_name = checks->Check(*key, card.card_number, std::string(65, 'a'), "");
  ASSERT_FALSE(long_name.ok());
  EXPECT_EQ(long_name.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(long_name.status().field(), "name");
  ASSERT_TRUE(checks->Flush().ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM checks.checks"), 1) << "refused input is not a check";
}

TEST_P(CheckServiceTest, UnknownRevokedAndOversizedKeysAreUnauthenticated) {
  CheckOptions options;
  options.key_cache_seconds = 2;
  auto checks = NewService(options);
  ASSERT_TRUE(checks->Authenticate(key_secret_).ok());
  for (const std::string& secret :
       {std::string(), std::string("pwps_unknown"), key_secret_ + "x", std::string(129, 'a')}) {
    auto refused = checks->Authenticate(secret);
    ASSERT_FALSE(refused.ok()) << secret;
    EXPECT_EQ(refused.status().code(), ErrorCode::kUnauthenticated) << secret;
  }
  ASSERT_TRUE(partners_->RevokeKey(cli_, key_id_).ok());
  EXPECT_TRUE(checks->Authenticate(key_secret_).ok()) << "cached for key_cache_seconds";
  clock_.Advance(2);
  EXPECT_EQ(checks->Authenticate(key_secret_).status().code(), ErrorCode::kUnauthenticated);
}

TEST_P(CheckServiceTest, TokenBucketPerKey) {
  CheckOptions options;
  options.rate_per_second = 0.5;
  options.burst = 3;
  auto checks = NewService(options);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(checks->TakeToken(1), 0) << "burst " << i;
  EXPECT_EQ(checks->TakeToken(1), 2) << "one token per two seconds";
  EXPECT_EQ(checks->TakeToken(2), 0) << "another key has its own bucket";
  clock_.Advance(1);
  EXPECT_EQ(checks->TakeToken(1), 1) << "half a token after one second";
  clock_.Advance(1);
  EXPECT_EQ(checks->TakeToken(1), 0);
  EXPECT_EQ(checks->TakeToken(1), 2);
  clock_.Advance(3600);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(checks->TakeToken(1), 0) << "refilled to the burst, not beyond: " << i;
  EXPECT_GT(checks->TakeToken(1), 0);
}

TEST_P(CheckServiceTest, RepeatedNoMatchLocksTheCardWhateverItsFormatting) {
  CheckOptions options;
  options.card_no_match_limit = 3;
  options.card_window_seconds = 600;
  options.card_lock_seconds = 3600;
  auto checks = NewService(options);
  auto key = checks->Authenticate(key_secret_);
  ASSERT_TRUE(key.ok());
  cards::Card card = Issue("Schmidt");
  // Two within the window, then the window passes: the count starts again.
  ExpectNoMatch(checks->Check(*key, card.card_number, "abc", ""), "1st");
  ExpectNoMatch(checks->Check(*key, card.card_number, "abc", ""), "2nd");
  clock_.Advance(600);
  ExpectNoMatch(checks->Check(*key, card.card_number, "abc", ""), "1st of the next window");
  ExpectNoMatch(checks->Check(*key, cards::FormatCardNumber(card.card_number), "abc", ""), "2nd, grouped");
  EXPECT_TRUE(checks->Check(*key, card.card_number, "Sch", "")->valid) << "below the limit";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM checks.card_locks"), 0);
  ExpectNoMatch(checks->Check(*key, card.card_number, "xyz", ""), "3rd: locks");
  ExpectNoMatch(checks->Check(*key, card.card_number, "Sch", ""), "locked: the right name too");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM checks.card_locks"), 1);
  auto alerts = checks->OpenAlerts();
  ASSERT_TRUE(alerts.ok());
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ((*alerts)[0].kind, "card_locked");
  EXPECT_EQ((*alerts)[0].subject, "card:" + std::to_string(card.id));
  EXPECT_EQ((*alerts)[0].detail.find(card.card_number), std::string::npos);
  EXPECT_NE((*alerts)[0].detail.find(FormatUtc(clock_.NowUnix() + 3600)), std::string::npos);

  // Further failures do not extend the lock, and the lock survives a restart.
  clock_.Advance(1800);
  ExpectNoMatch(checks->Check(*key, card.card_number, "abc", ""), "while locked");
  checks.reset();
  auto restarted = NewService(options);
  ASSERT_TRUE(restarted->Authenticate(key_secret_).ok());  // loads the schemes the check looks up
  ExpectNoMatch(restarted->Check(*key, card.card_number, "Sch", ""), "still locked after a restart");
  clock_.Advance(1800);
  EXPECT_TRUE(restarted->Check(*key, card.card_number, "Sch", "")->valid) << "the lock ran out";
}

TEST_P(CheckServiceTest, GuessedNumbersLockWithoutAnAlert) {
  CheckOptions options;
  options.card_no_match_limit = 2;
  auto checks = NewService(options);
  auto key = checks->Authenticate(key_secret_);
  ASSERT_TRUE(key.ok());
  std::string guessed = cards::MakeCardNumber(999, 4711);
  ExpectNoMatch(checks->Check(*key, guessed, "Sch", ""), "1st");
  ExpectNoMatch(checks->Check(*key, guessed, "Sch", ""), "2nd");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM checks.card_locks"), 1);
  auto alerts = checks->OpenAlerts();
  ASSERT_TRUE(alerts.ok());
  EXPECT_TRUE(alerts->empty()) << "staff hear only about cards that exist";
}

TEST_P(CheckServiceTest, DailyNoMatchBudgetSuspendsTheKeyUntilReinstated) {
  CheckOptions options;
  options.key_daily_no_match_budget = 3;
  options.card_no_match_limit = 100;
  options.key_cache_seconds = 0;
  auto checks = NewService(options);
  auto key = checks->Authenticate(key_secret_);
  ASSERT_TRUE(key.ok());
  for (uint32_t i = 0; i < 3; ++i) {
    ExpectNoMatch(checks->Check(*key, cards::MakeCardNumber(999, i), "x", ""), "within the budget");
  }
  ASSERT_TRUE(checks->Authenticate(key_secret_).ok()) << "the budget itself is allowed";
  ExpectNoMatch(checks->Check(*key, cards::MakeCardNumber(999, 3), "x", ""), "over the budget");
  auto refused = checks->Authenticate(key_secret_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM core.partner_keys WHERE suspended_at IS NOT NULL"), 1);
  auto alerts = checks->OpenAlerts();
  ASSERT_TRUE(alerts.ok());
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ((*alerts)[0].kind, "key_suspended");
  EXPECT_EQ((*alerts)[0].subject, "partner_key:" + std::to_string(key_id_));
  audit::AuditFilter filter;
  filter.action_prefix = "partner_key.suspend";
  auto entries = audit::List(test_db_->db(), filter);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].event.actor, "system");
  EXPECT_EQ((*entries)[0].event.object, "partner_key:" + std::to_string(key_id_));

  ASSERT_TRUE(partners_->ReinstateKey(cli_, key_id_).ok());
  ASSERT_TRUE(checks->Authenticate(key_secret_).ok()) << "reinstated by staff";
  ExpectNoMatch(checks->Check(*key, cards::MakeCardNumber(999, 4), "x", ""), "a fresh budget");
  EXPECT_TRUE(checks->Authenticate(key_secret_).ok());
}

TEST_P(CheckServiceTest, AlertsAreAcknowledgedOnceWithAnAuditEntry) {
  CheckOptions options;
  options.card_no_match_limit = 1;
  auto checks = NewService(options);
  auto key = checks->Authenticate(key_secret_);
  ASSERT_TRUE(key.ok());
  cards::Card card = Issue("Schmidt");
  ExpectNoMatch(checks->Check(*key, card.card_number, "abc", ""), "locks at once");
  auto alerts = checks->OpenAlerts();
  ASSERT_TRUE(alerts.ok());
  ASSERT_EQ(alerts->size(), 1u);
  int64_t id = (*alerts)[0].id;
  EXPECT_EQ(checks->AcknowledgeAlert(id + 1000, "user:1", "req-1").code(), ErrorCode::kNotFound);
  ASSERT_TRUE(checks->AcknowledgeAlert(id, "user:1", "req-2").ok());
  EXPECT_EQ(checks->AcknowledgeAlert(id, "user:1", "req-3").code(), ErrorCode::kNotFound) << "already acknowledged";
  EXPECT_TRUE(checks->OpenAlerts()->empty());
  audit::AuditFilter filter;
  filter.action_prefix = "alert.acknowledge";
  auto entries = audit::List(test_db_->db(), filter);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].event.object, "alert:" + std::to_string(id));
  EXPECT_EQ((*entries)[0].event.request_id, "req-2");
}

TEST_P(CheckServiceTest, SignedVerdictIsVerifiableTiedToTheCardAndExpiresInFifteenMinutes) {
  auto checks = NewService();
  auto key = checks->Authenticate(key_secret_);
  ASSERT_TRUE(key.ok());
  cards::Card card = Issue("Müller");
  VerdictSigner signer(box_);
  std::string typed = cards::FormatCardNumber(card.card_number);
  auto answer = checks->Check(*key, typed, "Mül", "");
  ASSERT_TRUE(answer.ok());
  ASSERT_TRUE(answer->valid);
  auto payload = signer.VerifyPayload(checks->SignVerdict(signer, *key, typed, *answer));
  ASSERT_TRUE(payload.ok()) << payload.status().ToString();
  auto json = nlohmann::json::parse(*payload);
  EXPECT_EQ(json["valid"], true);
  EXPECT_EQ(json["scheme"], "erlangen-pass");
  EXPECT_EQ(json["discount"], "half_price");
  EXPECT_EQ(json["valid_until"], "2026-12-31");
  EXPECT_EQ(json["partner"], partner_id_);
  EXPECT_EQ(json["sub"], Base64Url(crypto::Sha256(card.card_number))) << "the hash of the 12 digits, not of the input";
  EXPECT_EQ(json["iat"], clock_.NowUnix());
  EXPECT_EQ(json["exp"].get<int64_t>() - json["iat"].get<int64_t>(), 15 * 60);
  EXPECT_EQ(json.dump().find("Müller"), std::string::npos);
  EXPECT_EQ(json.dump().find(card.card_number), std::string::npos);

  std::string luhn_failure = card.card_number;
  luhn_failure.back() = luhn_failure.back() == '9' ? '0' : static_cast<char>(luhn_failure.back() + 1);
  auto no_match = checks->Check(*key, luhn_failure, "Mül", "");
  ASSERT_TRUE(no_match.ok());
  auto refused = signer.VerifyPayload(checks->SignVerdict(signer, *key, luhn_failure, *no_match));
  ASSERT_TRUE(refused.ok());
  auto refused_json = nlohmann::json::parse(*refused);
  EXPECT_EQ(refused_json["valid"], false);
  EXPECT_EQ(refused_json["reason"], "no_match");
  EXPECT_FALSE(refused_json.contains("scheme"));
  EXPECT_EQ(refused_json["sub"], Base64Url(crypto::Sha256(luhn_failure))) << "what was typed, for a bad number";

  VerdictSigner other(crypto::SecretBox::FromHexKeys({std::string(64, 'd')}).value());
  EXPECT_FALSE(other.VerifyPayload(checks->SignVerdict(signer, *key, typed, *answer)).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, CheckServiceTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::checks
