// Validity periods, and the card service with the partner check on every
// backend (card numbers, the name rule and verdicts have their own tests).
#include "cards/cards.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "cards/card_number.h"
#include "checks/check_service.h"
#include "checks/partners.h"
#include "storage/testing/backends.h"

namespace passwerk::cards {
namespace {

TEST(ValidityTest, PeriodsFollowTheSchemeRule) {
  Scheme scheme;
  scheme.rule = ValidityRule::kCalendarYear;
  EXPECT_EQ(ValidityPeriod(scheme, {2026, 3, 15}).second, (Date{2026, 12, 31}));
  scheme.rule = ValidityRule::kDays;
  scheme.amount = 30;
  EXPECT_EQ(ValidityPeriod(scheme, {2026, 12, 15}).second, (Date{2027, 1, 13}));
  scheme.rule = ValidityRule::kMonths;
  scheme.amount = 1;
  EXPECT_EQ(ValidityPeriod(scheme, {2026, 1, 31}).second, (Date{2026, 2, 27}));
  scheme.rule = ValidityRule::kYears;
  scheme.amount = 2;
  EXPECT_EQ(ValidityPeriod(scheme, {2024, 2, 29}).second, (Date{2026, 2, 27}));
  EXPECT_EQ(BerlinDate(1798757999), (Date{2026, 12, 31}));  // 2026-12-31 22:59:59 UTC = 23:59:59 CET
  EXPECT_EQ(BerlinDate(1798758000), (Date{2027, 1, 1}));
  EXPECT_EQ(BerlinDate(1782856800), (Date{2026, 7, 1}));  // 2026-06-30 22:00 UTC = 00:00 CEST
}

class CardServiceTest : public ::testing::TestWithParam<storage::testing::Backend> {
 protected:
  void SetUp() override {
    std::string reason;
    test_db_ = storage::testing::TestDatabase::Create(
        GetParam(),
        {storage::Segment::kCore, storage::Segment::kAudit, storage::Segment::kCards, storage::Segment::kChecks},
        &reason);
    if (!test_db_) GTEST_SKIP() << reason;
    accounts_ = std::make_unique<accounts::AccountService>(test_db_->db(), clock_, box_, throttle_);
    cards_ = std::make_unique<CardService>(test_db_->db(), clock_, box_, keys_);
    partners_ = std::make_unique<checks::PartnerService>(test_db_->db(), clock_);
    cli_.id = "cli";
    auto m = accounts_->CreateMunicipality(cli_, "09562000", "Erlangen");
    ASSERT_TRUE(m.ok());
    NewScheme input;
    input.slug = "erlangen-pass";
    input.municipality_id = m->id;
    input.name = "ErlangenPass";
    auto s = cards_->CreateScheme(cli_, input);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    scheme_ = *s;
    auto p = partners_->CreatePartner(cli_, m->id, "VHS", {scheme_.id}, {});
    ASSERT_TRUE(p.ok());
    auto k = partners_->CreateKey(cli_, p->id, "server");
    ASSERT_TRUE(k.ok());
    key_secret_ = k->secret;
  }

  Card Issue(const std::string& family) {
    NewCard card;
    card.scheme_id = scheme_.id;
    card.holder = {family, "Erika", "1970-01-01", "", "", ""};
    auto issued = cards_->IssueCard(cli_, card);
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.ok() ? *issued : Card{};
  }

  ManualClock clock_{1795000000};  // 2026-11-18
  crypto::SecretBox box_ = crypto::SecretBox::FromHexKeys({std::string(64, 'b')}).value();
  CardKeys keys_{box_};
  accounts::LoginThrottle throttle_{clock_};
  std::unique_ptr<storage::testing::TestDatabase> test_db_;
  std::unique_ptr<accounts::AccountService> accounts_;
  std::unique_ptr<CardService> cards_;
  std::unique_ptr<checks::PartnerService> partners_;
  accounts::Actor cli_;
  Scheme scheme_;
  std::string key_secret_;
};

TEST_P(CardServiceTest, HolderDataIsEncryptedAtRest) {
  Card card = Issue("Müllerschön");
  ASSERT_TRUE(test_db_->db()
                  .Read([&](storage::Tx& tx) -> Status {
                    PW_ASSIGN_OR_RETURN(storage::Row row, tx.QueryOne("SELECT holder_enc, name_hash_a FROM cards.cards "
                                                                      "WHERE id = $1",
                                                                      {card.id}));
                    EXPECT_EQ(row.Text(0).find("Müllerschön"), std::string::npos);
                    EXPECT_EQ(row.Text(0).find("Erika"), std::string::npos);
                    EXPECT_EQ(row.Text(1).size(), 64u);
                    return Status::Ok();
                  })
                  .ok());
  auto details = cards_->GetCard(cli_, card.card_number);
  ASSERT_TRUE(details.ok());
  EXPECT_EQ(details->holder.family_name, "Müllerschön");
}

TEST_P(CardServiceTest, CheckAnswersFollowTheContract) {
  checks::CheckService checks(test_db_->db(), clock_, keys_);
  cards_->OnCardsChanged([&] { checks.CardsChanged(); });
  auto key = checks.Authenticate(key_secret_);
  ASSERT_TRUE(key.ok());
  Card card = Issue("Müller");
  auto valid = checks.Check(*key, card.card_number, "mül", "");
  ASSERT_TRUE(valid.ok());
  EXPECT_TRUE(valid->valid);
  EXPECT_EQ(valid->scheme, "erlangen-pass");
  EXPECT_EQ(valid->valid_until, "2026-12-31");
  EXPECT_EQ(checks.Check(*key, card.card_number, "Mül", "2027-01-01")->reason, "expired");
  EXPECT_EQ(checks.Check(*key, card.card_number, "Mey", "")->reason, "no_match");
  ASSERT_TRUE(cards_->Block(cli_, card.card_number, "lost").ok());
  EXPECT_EQ(checks.Check(*key, card.card_number, "Mue", "")->reason, "blocked");
  EXPECT_FALSE(checks.Authenticate("pwps_unknown_key_xxxxxxxxxxxxxxxx").ok());
  ASSERT_TRUE(checks.Flush().ok());
  ASSERT_TRUE(test_db_->db()
                  .Read([&](storage::Tx& tx) -> Status {
                    PW_ASSIGN_OR_RETURN(storage::Row row, tx.QueryOne("SELECT COUNT(*) FROM checks.checks"));
                    EXPECT_EQ(row.Int(0), 4);
                    return Status::Ok();
                  })
                  .ok());
}

TEST_P(CardServiceTest, CheckSeesWritesOfOtherProcessesAfterTheRefreshInterval) {
  // No observer: like `passwerk cards import` running next to the server.
  checks::CheckOptions options;
  options.card_refresh_ms = 3'600'000;
  checks::CheckService slow(test_db_->db(), clock_, keys_, options);
  options.card_refresh_ms = 0;
  checks::CheckService eager(test_db_->db(), clock_, keys_, options);
  auto key = slow.Authenticate(key_secret_);
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(eager.Authenticate(key_secret_).ok());
  Card first = Issue("Müller");
  EXPECT_TRUE(slow.Check(*key, first.card_number, "Mül", "")->valid);
  EXPECT_TRUE(eager.Check(*key, first.card_number, "Mül", "")->valid);
  Card second = Issue("Schmidt");
  ASSERT_TRUE(cards_->Block(cli_, first.card_number, "lost").ok());
  EXPECT_EQ(slow.Check(*key, second.card_number, "Sch", "")->reason, "no_match") << "not refreshed yet";
  EXPECT_TRUE(slow.Check(*key, first.card_number, "Mül", "")->valid) << "not refreshed yet";
  EXPECT_TRUE(eager.Check(*key, second.card_number, "Sch", "")->valid);
  EXPECT_EQ(eager.Check(*key, first.card_number, "Mül", "")->reason, "blocked");
  slow.CardsChanged();
  EXPECT_EQ(slow.Check(*key, first.card_number, "Mül", "")->reason, "blocked");
}

TEST_P(CardServiceTest, CardIndexMergesNewCardsAndAppliesUpdates) {
  checks::CardIndex index(/*merge_threshold=*/2);
  std::vector<Card> cards;
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 2; ++i) cards.push_back(Issue("Karte" + std::to_string(round) + std::to_string(i)));
    ASSERT_TRUE(index.Refresh(test_db_->db()).ok());
    ASSERT_EQ(index.size(), cards.size());
  }
  ASSERT_TRUE(cards_->Block(cli_, cards[0].card_number, "lost").ok());    // merged long ago
  ASSERT_TRUE(cards_->Block(cli_, cards[7].card_number, "stolen").ok());  // still among the recent ones
  int64_t before = index.revision();
  ASSERT_TRUE(index.Refresh(test_db_->db()).ok());
  EXPECT_EQ(index.revision(), before + 2);
  for (size_t i = 0; i < cards.size(); ++i) {
    auto facts = index.Find(cards[i].card_number);
    ASSERT_TRUE(facts.has_value()) << i;
    EXPECT_EQ(facts->card_id, cards[i].id);
    EXPECT_EQ(facts->active, i != 0 && i != 7) << i;
    ASSERT_NE(facts->discount, nullptr);
    EXPECT_EQ(facts->hash_a, checks::NameDigestOf(keys_.NameHash(cards[i].card_number, "kar")));
  }
  EXPECT_FALSE(index.Find(MakeCardNumber(999, 1)).has_value());
  EXPECT_FALSE(index.Find("not a number").has_value());
  // The index keeps its cards in a scrambled order: the numbers next to an
  // issued one are still not found.
  std::set<std::string> issued;
  for (const Card& card : cards) issued.insert(card.card_number);
  for (const Card& card : cards) {
    int code = std::stoi(card.card_number.substr(0, 3));
    auto serial = static_cast<uint32_t>(std::stoul(card.card_number.substr(3, 8)));
    for (uint32_t neighbour : {serial - 1, serial + 1}) {
      std::string number = MakeCardNumber(code, neighbour % 100'000'000u);
      if (!issued.contains(number)) {
        EXPECT_FALSE(index.Find(number).has_value()) << number;
      }
    }
  }
  checks::CardIndex empty;
  EXPECT_FALSE(empty.Find(cards[0].card_number).has_value());
}

TEST_P(CardServiceTest, LockoutAfterRepeatedNoMatchAndExpiryOfTheLock) {
  checks::CheckOptions options;
  options.card_lock_seconds = 3600;
  checks::CheckService checks(test_db_->db(), clock_, keys_, options);
  auto key = checks.Authenticate(key_secret_);
  ASSERT_TRUE(key.ok());
  Card card = Issue("Schmidt");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(checks.Check(*key, card.card_number, "abc", "")->reason, "no_match");
  EXPECT_EQ(checks.Check(*key, card.card_number, "Sch", "")->reason, "no_match") << "locked";
  auto alerts = checks.OpenAlerts();
  ASSERT_TRUE(alerts.ok());
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ((*alerts)[0].kind, "card_locked");
  clock_.Advance(3601);
  EXPECT_TRUE(checks.Check(*key, card.card_number, "Sch", "")->valid) << "the lock expires";
}

TEST_P(CardServiceTest, ReplacementBlocksTheOldNumber) {
  Card card = Issue("Weiß");
  auto replacement = cards_->Replace(cli_, card.card_number, "damaged");
  ASSERT_TRUE(replacement.ok());
  EXPECT_NE(replacement->card_number, card.card_number);
  checks::CheckService checks(test_db_->db(), clock_, keys_);
  auto key = checks.Authenticate(key_secret_);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(checks.Check(*key, card.card_number, "Wei", "")->reason, "blocked");
  EXPECT_TRUE(checks.Check(*key, replacement->card_number, "wei", "")->valid);
}

INSTANTIATE_TEST_SUITE_P(Backends, CardServiceTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::cards
