// Annual cards (001 §2.2, §3.3.2, §3.3.3.4) on every backend: the annual rate
// by the tariff, what each segment keeps, renewal and replacement on the
// receipt, the yearly new cycle with only the unused credits, whole-or-nothing
// issuing, and the parser's field names.
#include "guestcards/annual_cards.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "cards/card_number.h"
#include "guestcards/retention.h"
#include "guestcards/testing/guest_card_fixture.h"
#include "storage/testing/backends.h"
#include "storage/testing/faulty_database.h"
#include "terminals/catalogue.h"
#include "web/assets.h"

namespace passwerk::guestcards {
namespace {

using storage::Segment;
using storage::Tx;
using testing::StockNumber;

class AnnualCardTest : public testing::GuestCardFixture {
 protected:
  void SetUp() override {
    GuestCardFixture::SetUp();
    if (IsSkipped()) return;
    // Hohenkirchen 2024: €32 a year, €16 for 6 to 15 and GdB over 50, under 6 exempt.
    auto tariff = ParseTariffText(web::FindAsset("/static/tariffs/hohenkirchen-2024.json")->data);
    ASSERT_TRUE(tariff.ok());
    ASSERT_TRUE(service_->SetTariff(cli_, municipality_, *tariff).ok());
    annual_ = std::make_unique<AnnualCardService>(test_db_->db(), clock_, box_);
    clerk_ = Staff("amt.clerk", accounts::Role::kClerk);
  }

  static nlohmann::json Body(const std::string& birth_date = "1960-02-03") {
    return {
        {"municipality", "01055021"},
        {"basis", "second_home"},
        {"holder",
         {{"family_name", "Jahresgast"},
          {"given_name", "Gerda"},
          {"birth_date", birth_date},
          {"nationality", "DE"},
          {"gender", "f"},
          {"address", {{"street", "Lindenallee 9"}, {"postal_code", "80331"}, {"city", "München"}, {"country", "DE"}}},
          {"reductions", nlohmann::json::array()}}}};
  }

  Result<AnnualCardResult> Issue(const nlohmann::json& body) {
    PW_ASSIGN_OR_RETURN(AnnualCardInput input, ParseAnnualCard(body, BerlinDate(clock_.NowUnix())));
    return annual_->Issue(clerk_, input);
  }

  std::string CycleOf(const std::string& card_number) {
    auto cycles = Column("SELECT cycle_id FROM card_link.links WHERE card_number = '" + card_number + "'");
    return cycles.empty() ? "" : cycles.front();
  }

  std::unique_ptr<AnnualCardService> annual_;
  accounts::Actor clerk_;
};

TEST_P(AnnualCardTest, IssuesAPersonalCardForTheAnnualRateAndKeepsOnlyWhatAReplacementNeeds) {
  auto card = Issue(Body());
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  // 2026-11-18 today: valid from today to the end of the year, the full annual rate.
  EXPECT_EQ(card->valid_from, "2026-11-18");
  EXPECT_EQ(card->valid_to, "2026-12-31");
  EXPECT_EQ(card->amount_cents, 3200);
  EXPECT_TRUE(card->reductions.empty());
  EXPECT_EQ(card->card_type, "3.0");
  EXPECT_TRUE(cards::LuhnValid(card->card_number));
  EXPECT_EQ(card->card_number.substr(0, 3), SchemeCode());
  EXPECT_EQ(card->receipt_number.size(), 14u);

  EXPECT_EQ(Column("SELECT status || ' ' || card_type || ' ' || departure_on FROM logistics.cards"),
            std::vector<std::string>{"in_service 3.0 2026-12-31"});
  EXPECT_EQ(Column("SELECT basis || ' ' || CAST(amount_cents AS TEXT) || ' ' || origin || ' ' || age_band FROM "
                   "spa_tax.annual_taxes"),
            std::vector<std::string>{"second_home 3200 DE-BY 63-67"});
  // card_usage: type, tax and validity, nothing about the person (3.3.2).
  const std::string cycle = CycleOf(card->card_number);
  ASSERT_EQ(cycle.size(), 32u);
  EXPECT_EQ(Column("SELECT card_type || '|' || gender || '|' || age_band || '|' || postal_code || '|' || origin || "
                   "'|' || registration_ref || '|' || CAST(spa_tax_cents AS TEXT) || '|' || arrival || '|' || "
                   "departure FROM card_usage.cycles WHERE cycle_id = '" +
                   cycle + "'"),
            std::vector<std::string>{"3.0||||||3200|2026-11-18|2026-12-31"});
  if (GetParam() != storage::testing::Backend::kSqliteMemory) {
    for (Segment segment : {Segment::kCardUsage, Segment::kCardLink, Segment::kLogistics, Segment::kSpaTax}) {
      const std::string bytes = SegmentBytes(segment);
      EXPECT_EQ(bytes.find("Jahresgast"), std::string::npos) << storage::SegmentName(segment);
      EXPECT_EQ(bytes.find("80331"), std::string::npos) << storage::SegmentName(segment);
    }
    EXPECT_EQ(SegmentBytes(Segment::kSpaTax).find(card->card_number), std::string::npos);
    EXPECT_EQ(SegmentBytes(Segment::kSpaTax).find(cycle), std::string::npos);
    EXPECT_EQ(SegmentBytes(Segment::kCardUsage).find(card->card_number), std::string::npos);
  }
  EXPECT_EQ(Column("SELECT action FROM audit.entries WHERE action LIKE 'card_link.%' OR action LIKE 'annual_card.%' "
                   "ORDER BY seq"),
            (std::vector<std::string>{"card_link.enrol_guest_data", "annual_card.issue"}));

  // The holder proves the card with the receipt, and the status shows the year's validity.
  auto status = service_->CardStatusForGuest(card->card_number, card->receipt_number, "req");
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(status->card_type, "3.0");
  EXPECT_EQ(status->departure, "2026-12-31");
  EXPECT_EQ(status->spa_tax_cents, 3200);
  EXPECT_EQ(service_->CardStatusForGuest(card->card_number, "AAAA-BBBB-CCCC", "req").status().code(),
            ErrorCode::kNotFound);
}

TEST_P(AnnualCardTest, RatesFollowTheTariffAndEveryBadFieldIsNamed) {
  auto child = Issue(Body("2016-05-05"));
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  EXPECT_EQ(child->amount_cents, 1600);
  EXPECT_EQ(child->reductions, std::vector<std::string>{"age_6_to_15"});
  auto toddler = Issue(Body("2023-01-01"));
  ASSERT_TRUE(toddler.ok());
  EXPECT_EQ(toddler->amount_cents, 0);
  EXPECT_EQ(toddler->reductions, std::vector<std::string>{"under_6"});
  nlohmann::json disabled = Body();
  disabled["holder"]["reductions"] = {"severe_disability_over_50"};
  disabled["year"] = 2027;
  auto next_year = Issue(disabled);
  ASSERT_TRUE(next_year.ok());
  EXPECT_EQ(next_year->amount_cents, 1600);
  EXPECT_EQ(next_year->valid_from, "2027-01-01");
  EXPECT_EQ(next_year->valid_to, "2027-12-31");
  const int64_t cards_before = Count("logistics.cards");

  auto field_of = [&](nlohmann::json body) { return Issue(body).status().field(); };
  nlohmann::json bad = Body();
  bad["holder"]["reductions"] = {"companion_b"};
  EXPECT_EQ(field_of(bad), "holder.reductions[0]");
  bad = Body();
  bad["year"] = 2025;
  EXPECT_EQ(field_of(bad), "year");
  bad = Body();
  bad["basis"] = "holiday";
  EXPECT_EQ(field_of(bad), "basis");
  bad = Body();
  bad["holder"].erase("birth_date");
  EXPECT_EQ(field_of(bad), "holder.birth_date");
  bad = Body();
  bad["holder"]["card"] = true;
  EXPECT_EQ(field_of(bad), "holder");
  bad = Body();
  bad["card_number"] = "123456789012";
  EXPECT_EQ(field_of(bad), "card_number");
  bad = Body();
  bad["colour"] = "blue";
  EXPECT_EQ(field_of(bad), "colour");
  bad = Body();
  bad["municipality"] = "99999999";
  EXPECT_EQ(Issue(bad).status().code(), ErrorCode::kNotFound);
  // Landlords and auditors issue no annual cards.
  auto input = ParseAnnualCard(Body(), BerlinDate(clock_.NowUnix()));
  ASSERT_TRUE(input.ok());
  EXPECT_EQ(annual_->Issue(landlord_a_.actor, *input).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(Count("logistics.cards"), cards_before);
  EXPECT_EQ(Count("spa_tax.annual_taxes"), 3);
}

TEST_P(AnnualCardTest, ATariffWithoutAnAnnualRateIssuesNone) {
  auto kellenhusen = ParseTariffText(web::FindAsset("/static/tariffs/kellenhusen-2022.json")->data);
  ASSERT_TRUE(kellenhusen.ok());
  kellenhusen->valid_from = Date{2026, 6, 1};
  ASSERT_TRUE(service_->SetTariff(cli_, municipality_, *kellenhusen).ok());
  EXPECT_EQ(Issue(Body()).status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Count("logistics.cards"), 0);
  EXPECT_EQ(Count("card_link.links"), 0);
}

TEST_P(AnnualCardTest, AnAnnualCardOfTheStockIsTakenByItsNumber) {
  const std::string annual_number = StockNumber(SchemeCode(), 41);
  const std::string guest_number = StockNumber(SchemeCode(), 42);
  std::string text =
      "Batch;Produktionsdatum;Kartentyp;Kartennummer;Umlaufzähler;Gemeindenummer;Gemeindeteilnummer;Ausgabestelle;"
      "Buchungssequenz;Gültig ab\n"
      "J-1;01.03.2026;3.0;" +
      annual_number + ";1;01055021;00;;17;01.01.2026\nJ-1;01.03.2026;1.0;" + guest_number + ";1;01055021;00;;;\n";
  std::vector<ProductionProblem> problems;
  ASSERT_TRUE(Import(text, problems).ok()) << (problems.empty() ? "" : problems[0].message);
  nlohmann::json body = Body();
  body["card_number"] = guest_number;
  EXPECT_EQ(Issue(body).status().field(), "card_number");
  body["card_number"] = annual_number;
  auto card = Issue(body);
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  EXPECT_EQ(card->card_number, annual_number);
  EXPECT_EQ(Column("SELECT status FROM logistics.cards WHERE card_number = '" + annual_number + "'"),
            std::vector<std::string>{"in_service"});
  // Taken once.
  EXPECT_EQ(Issue(body).status().code(), ErrorCode::kFailedPrecondition);
}

TEST_P(AnnualCardTest, RenewalAndReplacementKeepTheCycle) {
  auto card = Issue(Body());
  ASSERT_TRUE(card.ok());
  const std::string cycle = CycleOf(card->card_number);
  EXPECT_EQ(annual_->Renew(clerk_, card->card_number, {"AAAA-BBBB-CCCC", 2027, {}}).status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(annual_->Renew(clerk_, card->card_number, {card->receipt_number, 2028, {}}).status().field(), "year");
  EXPECT_EQ(annual_->Renew(clerk_, card->card_number, {card->receipt_number, 2027, {"nope"}}).status().field(),
            "reductions[0]");
  auto renewed = annual_->Renew(clerk_, card->card_number, {card->receipt_number, 2027, {"severe_disability_over_50"}});
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  EXPECT_EQ(renewed->valid_from, "2027-01-01");
  EXPECT_EQ(renewed->valid_to, "2027-12-31");
  EXPECT_EQ(renewed->amount_cents, 1600);
  EXPECT_NE(renewed->receipt_number, card->receipt_number);
  EXPECT_EQ(CycleOf(card->card_number), cycle);
  EXPECT_EQ(Column("SELECT departure || ' ' || CAST(spa_tax_cents AS TEXT) FROM card_usage.cycles"),
            std::vector<std::string>{"2027-12-31 1600"});
  EXPECT_EQ(Column("SELECT departure_on FROM logistics.cards"), std::vector<std::string>{"2027-12-31"});

  // A lost card: the receipt proves it, a new number takes the same cycle (3.3.3.4).
  auto replacement = service_->ReplaceGuestCard(clerk_, card->card_number, renewed->receipt_number, "verloren");
  ASSERT_TRUE(replacement.ok()) << replacement.status().ToString();
  EXPECT_EQ(CycleOf(replacement->card_number), cycle);
  EXPECT_EQ(CycleOf(card->card_number), "");
  auto status = service_->CardStatusForGuest(replacement->card_number, renewed->receipt_number, "req");
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(status->card_type, "3.0");
  EXPECT_EQ(status->departure, "2027-12-31");
  EXPECT_EQ(service_->CardStatusForGuest(card->card_number, renewed->receipt_number, "req").status().code(),
            ErrorCode::kNotFound);
}

TEST_P(AnnualCardTest, OnceAYearANewCycleTakesOnlyTheUnusedCredits) {
  terminals::CatalogueService catalogue(test_db_->db(), clock_);
  ASSERT_TRUE(catalogue.CreateProvider(cli_, municipality_, "100200", "Hallenbad").ok());
  ASSERT_TRUE(catalogue.CreateService(cli_, municipality_, {"201", "100200", "Bad", 2}).ok());
  std::vector<int64_t> packages;
  for (const terminals::NewPackage& p : std::vector<terminals::NewPackage>{
           {"9101", "flat_rate", "Saison", 5000, "2026-01-01", "2027-12-31", 366, 0, 0, 0, {"201"}, {}},
           {"9102", "single", "Einmal Bad", 800, "2026-01-01", "2027-12-31", 366, 0, 0, 0, {"201"}, {}},
           {"9103", "points", "Punkte", 2000, "2026-01-01", "2027-12-31", 366, 0, 0, 10, {"201"}, {}},
       }) {
    auto created = catalogue.CreatePackage(cli_, municipality_, p);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    packages.push_back(created->rule.id);
  }
  auto card = Issue(Body());
  ASSERT_TRUE(card.ok());
  ASSERT_TRUE(annual_->Renew(clerk_, card->card_number, {card->receipt_number, 2027, {}}).ok());
  const std::string old_cycle = CycleOf(card->card_number);
  // On the card: a season pass valid into 2028 (unused credit), a single ticket
  // used up, points spent, and a season pass that ran out before the rotation day.
  ASSERT_TRUE(test_db_->db()
                  .Write([&](Tx& tx) -> Status {
                    const char* sql =
                        "INSERT INTO card_usage.holdings (cycle_id, package_id, state, valid_from, valid_to, "
                        "points_left, used_days, uses) VALUES ($1, $2, 'active', '2026-12-01', $3, $4, $5, $6)";
                    for (const storage::Params& p : std::vector<storage::Params>{
                             {old_cycle, packages[0], "2028-01-31", std::monostate{}, "2027-05-01", int64_t{3}},
                             {old_cycle, packages[1], "2027-12-31", std::monostate{}, "2027-05-02", int64_t{1}},
                             {old_cycle, packages[2], "2027-12-31", int64_t{0}, "2027-05-03", int64_t{5}},
                             {old_cycle, packages[0], "2027-10-31", std::monostate{}, "", int64_t{0}},
                         }) {
                      PW_RETURN_IF_ERROR(tx.Exec(sql, p).status());
                    }
                    return Status::Ok();
                  })
                  .ok());

  // Before the rotation day nothing happens.
  auto before = RunRetention(test_db_->db(), clock_, cli_, Date{2027, 10, 31}, false);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(before->annual_cycles_rotated, 0);
  EXPECT_EQ(CycleOf(card->card_number), old_cycle);

  auto dry = RunRetention(test_db_->db(), clock_, cli_, Date{2027, 11, 1}, true);
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(dry->annual_cycles_rotated, 1);
  EXPECT_EQ(CycleOf(card->card_number), old_cycle);

  auto run = RunRetention(test_db_->db(), clock_, cli_, Date{2027, 11, 1}, false);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->annual_cycles_rotated, 1);
  EXPECT_EQ(run->annual_credits_moved, 1);
  const std::string new_cycle = CycleOf(card->card_number);
  ASSERT_EQ(new_cycle.size(), 32u);
  EXPECT_NE(new_cycle, old_cycle);
  // The old cycle is gone from card_usage and card_link; history has it under another id.
  EXPECT_EQ(Count("card_usage.cycles"), 1);
  EXPECT_EQ(Column("SELECT cycle_id FROM card_link.links WHERE cycle_id = '" + old_cycle + "'").size(), 0u);
  EXPECT_EQ(Column("SELECT card_type FROM history.cycles"), std::vector<std::string>{"3.0"});
  EXPECT_EQ(Column("SELECT departure || ' ' || cycle_from FROM card_usage.cycles"),
            std::vector<std::string>{"2027-12-31 2027-11-01"});
  // Only the unused season pass went along.
  EXPECT_EQ(Column("SELECT CAST(package_id AS TEXT) || ' ' || cycle_id FROM card_usage.holdings"),
            std::vector<std::string>{std::to_string(packages[0]) + " " + new_cycle});
  EXPECT_EQ(Column("SELECT action FROM audit.entries WHERE action = 'card_link.rotate_annual_cycle'").size(), 1u);
  if (GetParam() != storage::testing::Backend::kSqliteMemory) {
    EXPECT_EQ(SegmentBytes(Segment::kHistory).find(old_cycle), std::string::npos);
  }

  // Idempotent: the next run that day, and until next year's rotation day, rotates nothing.
  auto again = RunRetention(test_db_->db(), clock_, cli_, Date{2027, 11, 20}, false);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->annual_cycles_rotated, 0);
  EXPECT_EQ(CycleOf(card->card_number), new_cycle);
  auto status = service_->CardStatusForStaff(clerk_, card->card_number);
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(status->departure, "2027-12-31");
  ASSERT_EQ(status->packages.size(), 1u);
  EXPECT_EQ(status->packages[0].package_number, "9101");

  // Not renewed: 14 days after its year the card is unlinked like any other.
  auto later = RunRetention(test_db_->db(), clock_, cli_, Date{2028, 1, 14}, false);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->cycles_historised, 1);
  EXPECT_EQ(CycleOf(card->card_number), "");
  EXPECT_EQ(Column("SELECT status FROM logistics.cards"), std::vector<std::string>{"departed"});
}

TEST_P(AnnualCardTest, TheHoldersFormIsDeletedAYearAfterTheCardRanOut) {
  auto card = Issue(Body());  // valid to 2026-12-31
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  const std::string form_state =
      "SELECT CASE WHEN form_enc IS NULL THEN 'deleted' ELSE 'kept' END || ' ' || "
      "CASE WHEN form_deleted_at IS NULL THEN 'no date' ELSE 'dated' END FROM spa_tax.annual_taxes";
  auto day_before = RunRetention(test_db_->db(), clock_, cli_, Date{2027, 12, 30}, false);
  ASSERT_TRUE(day_before.ok()) << day_before.status().ToString();
  EXPECT_EQ(day_before->forms_deleted, 0);
  EXPECT_EQ(Column(form_state), std::vector<std::string>{"kept no date"});

  auto dry = RunRetention(test_db_->db(), clock_, cli_, Date{2027, 12, 31}, true);
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(dry->forms_deleted, 1);
  EXPECT_EQ(Column(form_state), std::vector<std::string>{"kept no date"}) << "a dry run deletes nothing";

  auto due = RunRetention(test_db_->db(), clock_, cli_, Date{2027, 12, 31}, false);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(due->forms_deleted, 1);
  EXPECT_EQ(Column(form_state), std::vector<std::string>{"deleted dated"});
  // The tax record itself stays for the municipality's books.
  EXPECT_EQ(Column("SELECT CAST(amount_cents AS TEXT) FROM spa_tax.annual_taxes"), std::vector<std::string>{"3200"});
  auto again = RunRetention(test_db_->db(), clock_, cli_, Date{2027, 12, 31}, false);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->forms_deleted, 0);
}

TEST(AnnualRotationDayTest, TheLatestDayOnOrBeforeTheRunsDate) {
  EXPECT_EQ(LatestRotationDay(Date{2027, 11, 1}, "11-01"), (Date{2027, 11, 1}));
  EXPECT_EQ(LatestRotationDay(Date{2027, 10, 31}, "11-01"), (Date{2026, 11, 1}));
  EXPECT_EQ(LatestRotationDay(Date{2028, 3, 1}, "02-29"), (Date{2028, 2, 29}));
  EXPECT_FALSE(LatestRotationDay(Date{2027, 3, 1}, "13-01"));
  EXPECT_FALSE(LatestRotationDay(Date{2027, 3, 1}, "1101"));
}

INSTANTIATE_TEST_SUITE_P(Backends, AnnualCardTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::guestcards
