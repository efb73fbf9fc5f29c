// Validity periods, and the card service with the partner check on every
// backend (card numbers, the name rule and verdicts have their own tests).
#include "cards/cards.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "accounts/testing/actors.h"
#include "audit/audit_log.h"
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
    auto d = accounts_->CreateDepartment(cli_, m->id, "Sozialamt");
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    municipality_ = m->id;
    department_ = d->id;
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
  int64_t municipality_ = 0;
  int64_t department_ = 0;  // the social office, which owns scheme_
};

// The department named in the newest audit entry of `action`.
std::optional<int64_t> AuditedDepartment(storage::Database& db, const std::string& action) {
  audit::AuditFilter filter;
  filter.action_prefix = action;
  filter.limit = 1;
  auto entries = audit::List(db, filter);
  if (!entries.ok() || entries->empty()) return std::nullopt;
  auto detail = nlohmann::json::parse((*entries)[0].event.detail, nullptr, false);
  if (!detail.is_object() || !detail.contains("department") || !detail["department"].is_number_integer()) {
    return std::nullopt;
  }
  return detail["department"].get<int64_t>();
}

TEST_P(CardServiceTest, ClerksSeeAndManageTheCardsOfTheirOwnDepartmentsOnly) {
  auto volunteer_office = accounts_->CreateDepartment(cli_, municipality_, "Ehrenamtsbüro");
  ASSERT_TRUE(volunteer_office.ok()) << volunteer_office.status().ToString();
  NewScheme input;
  input.slug = "ehrenamtskarte";
  input.municipality_id = municipality_;
  input.department_id = volunteer_office->id;
  input.kind = SchemeKind::kVolunteerCard;
  input.name = "Ehrenamtskarte";
  auto volunteer_scheme = cards_->CreateScheme(cli_, input);
  ASSERT_TRUE(volunteer_scheme.ok()) << volunteer_scheme.status().ToString();
  EXPECT_EQ(volunteer_scheme->department_id, volunteer_office->id);
  EXPECT_EQ(AuditedDepartment(test_db_->db(), "scheme.create"), volunteer_office->id);

  using accounts::Role;
  using accounts::testing::CreateStaff;
  auto social_clerk = CreateStaff(*accounts_, cli_, "sozial", Role::kClerk, municipality_, {department_});
  auto volunteer_clerk = CreateStaff(*accounts_, cli_, "ehrenamt", Role::kClerk, municipality_, {volunteer_office->id});
  auto admin = CreateStaff(*accounts_, cli_, "admin", Role::kMunicipalityAdmin, municipality_);
  ASSERT_EQ(volunteer_clerk.user->department_ids, std::vector<int64_t>{volunteer_office->id});

  Card social_card = Issue("Müller");
  NewCard volunteer_input;
  volunteer_input.scheme_id = volunteer_scheme->id;
  volunteer_input.holder = {"Hansen", "Birte", "1970-05-20", "", "", ""};
  auto volunteer_card = cards_->IssueCard(volunteer_clerk, volunteer_input);
  ASSERT_TRUE(volunteer_card.ok()) << volunteer_card.status().ToString();
  EXPECT_EQ(AuditedDepartment(test_db_->db(), "card.issue"), volunteer_office->id);

  // The volunteer office sees nothing of the social office's cards, and the other way round.
  EXPECT_EQ(cards_->GetCard(volunteer_clerk, social_card.card_number).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(cards_->Block(volunteer_clerk, social_card.card_number, "lost").code(), ErrorCode::kNotFound);
  EXPECT_EQ(cards_->Renew(volunteer_clerk, social_card.card_number).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(cards_->Replace(volunteer_clerk, social_card.card_number, "x").status().code(), ErrorCode::kNotFound);
  NewCard social_input;
  social_input.scheme_id = scheme_.id;
  social_input.holder = {"Neumann", "Ida", "1990-01-01", "", "", ""};
  EXPECT_EQ(cards_->IssueCard(volunteer_clerk, social_input).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(cards_->IssueCards(volunteer_clerk, {social_input}).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(cards_->ExportCards(volunteer_clerk, scheme_.id).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(cards_->GetCard(social_clerk, volunteer_card->card_number).status().code(), ErrorCode::kNotFound);

  // Each sees and manages their own department's cards; the views and changes name the department.
  ASSERT_TRUE(cards_->GetCard(social_clerk, social_card.card_number).ok());
  EXPECT_EQ(AuditedDepartment(test_db_->db(), "card.view"), department_);
  ASSERT_TRUE(cards_->Block(social_clerk, social_card.card_number, "lost").ok());
  EXPECT_EQ(AuditedDepartment(test_db_->db(), "card.block"), department_);
  ASSERT_TRUE(cards_->Unblock(social_clerk, social_card.card_number, "found").ok());
  EXPECT_EQ(AuditedDepartment(test_db_->db(), "card.unblock"), department_);
  ASSERT_TRUE(cards_->Renew(volunteer_clerk, volunteer_card->card_number).ok());
  EXPECT_EQ(AuditedDepartment(test_db_->db(), "card.renew"), volunteer_office->id);
  ASSERT_TRUE(cards_->Replace(volunteer_clerk, volunteer_card->card_number, "damaged").ok());
  EXPECT_EQ(AuditedDepartment(test_db_->db(), "card.replace"), volunteer_office->id);

  // The schemes a clerk may issue cards for are their departments' only.
  auto issuable = cards_->ListSchemes(volunteer_clerk, accounts::Action::kManageCards);
  ASSERT_TRUE(issuable.ok());
  ASSERT_EQ(issuable->size(), 1u);
  EXPECT_EQ((*issuable)[0].slug, "ehrenamtskarte");

  // The administrator sees the whole municipality.
  EXPECT_TRUE(cards_->GetCard(admin, social_card.card_number).ok());
  EXPECT_TRUE(cards_->GetCard(admin, volunteer_card->card_number).ok());
  auto all = cards_->ListSchemes(admin, accounts::Action::kManageCards);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
}

TEST_P(CardServiceTest, ASchemeBelongsToADepartmentOfItsMunicipality) {
  NewScheme input;
  input.slug = "zweiter-pass";
  input.municipality_id = municipality_;
  input.name = "Zweiter Pass";
  // One department: it is the scheme's without being named.
  auto only = cards_->CreateScheme(cli_, input);
  ASSERT_TRUE(only.ok()) << only.status().ToString();
  EXPECT_EQ(only->department_id, department_);
  EXPECT_EQ(scheme_.department_id, department_);
  // Several: the caller must name one.
  ASSERT_TRUE(accounts_->CreateDepartment(cli_, municipality_, "Ehrenamtsbüro").ok());
  input.slug = "dritter-pass";
  auto ambiguous = cards_->CreateScheme(cli_, input);
  EXPECT_EQ(ambiguous.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ambiguous.status().field(), "department");
  // A department of another municipality is not one of this municipality's.
  auto other = accounts_->CreateMunicipality(cli_, "09564000", "Nürnberg");
  ASSERT_TRUE(other.ok());
  auto foreign = accounts_->CreateDepartment(cli_, other->id, "Sozialamt");
  ASSERT_TRUE(foreign.ok());
  input.department_id = foreign->id;
  auto wrong = cards_->CreateScheme(cli_, input);
  EXPECT_EQ(wrong.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(wrong.status().field(), "department");
  // A municipality without departments cannot have schemes yet.
  auto bare = accounts_->CreateMunicipality(cli_, "09565000", "Schwabach");
  ASSERT_TRUE(bare.ok());
  input.municipality_id = bare->id;
  input.department_id.reset();
  EXPECT_EQ(cards_->CreateScheme(cli_, input).status().code(), ErrorCode::kFailedPrecondition);
}

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
