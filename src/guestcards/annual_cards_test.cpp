// Annual cards (001 §2.2, §3.3.2, §3.3.3.4) on every backend: the annual rate
// by the tariff, what each segment keeps, renewal and replacement on the
// receipt, the yearly new cycle with only the unused credits, whole-or-nothing
// issuing, and the parser's field names.
#include "guestcards/annual_cards.h"

#include <gtest/gtest.h>

#include <functional>
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

// ---- What the service does beyond the happy path ---------------------------------

TEST_P(AnnualCardTest, AgeIsTakenOnTheFirstDayOfValidity) {
  struct Case {
    std::string birth_date;
    int year;
    int64_t amount;
    std::vector<std::string> reductions;
    std::string age_band;
  };
  // Today is 2026-11-18; a card for 2027 is valid from 2027-01-01.
  const std::vector<Case> cases = {
      {"2020-11-18", 2026, 1600, {"age_6_to_15"}, "0-17"},  // six today
      {"2020-11-19", 2026, 0, {"under_6"}, "0-17"},         // six tomorrow
      {"2010-11-19", 2026, 1600, {"age_6_to_15"}, "0-17"},  // fifteen until tomorrow
      {"2010-11-18", 2026, 3200, {}, "0-17"},               // sixteen today
      {"2021-01-01", 2027, 1600, {"age_6_to_15"}, "0-17"},  // six on 1 January
      {"2021-01-02", 2027, 0, {"under_6"}, "0-17"},
      {"2008-11-18", 2026, 3200, {}, "18-22"},
  };
  for (const Case& c : cases) {
    nlohmann::json body = Body(c.birth_date);
    body["year"] = c.year;
    auto card = Issue(body);
    ASSERT_TRUE(card.ok()) << c.birth_date << ": " << card.status().ToString();
    EXPECT_EQ(card->amount_cents, c.amount) << c.birth_date;
    EXPECT_EQ(card->reductions, c.reductions) << c.birth_date;
    EXPECT_EQ(Column("SELECT age_band FROM spa_tax.annual_taxes WHERE receipt_number = '" + card->receipt_number + "'"),
              std::vector<std::string>{c.age_band})
        << c.birth_date;
  }
  // An exempt child claiming a reduction too: exempt, and only the exemption is named.
  nlohmann::json both = Body("2022-01-01");
  both["holder"]["reductions"] = {"severe_disability_over_50"};
  auto exempt = Issue(both);
  ASSERT_TRUE(exempt.ok());
  EXPECT_EQ(exempt->amount_cents, 0);
  EXPECT_EQ(exempt->reductions, std::vector<std::string>{"under_6"});
  // A child with a severe disability: the reduced rate once, both reasons named.
  both = Body("2016-05-05");
  both["holder"]["reductions"] = {"severe_disability_over_50"};
  auto reduced = Issue(both);
  ASSERT_TRUE(reduced.ok());
  EXPECT_EQ(reduced->amount_cents, 1600);
  EXPECT_EQ(reduced->reductions, (std::vector<std::string>{"age_6_to_15", "severe_disability_over_50"}));
}

TEST_P(AnnualCardTest, OnlyTheMunicipalitysOfficeIssuesAndRenews) {
  auto input = ParseAnnualCard(Body(), BerlinDate(clock_.NowUnix()));
  ASSERT_TRUE(input.ok());
  const accounts::Actor auditor = Staff("amt.pruefer", accounts::Role::kAuditor);
  EXPECT_EQ(annual_->Issue(auditor, *input).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(annual_->Issue(landlord_a_.actor, *input).status().code(), ErrorCode::kPermissionDenied);
  accounts::Actor token = clerk_;
  token.via_token = true;
  token.scopes = {"users:read"};
  EXPECT_EQ(annual_->Issue(token, *input).status().code(), ErrorCode::kPermissionDenied);
  // The clerk of another municipality learns nothing about this one.
  auto other = accounts_->CreateMunicipality(cli_, "01055022", "Grömitz");
  ASSERT_TRUE(other.ok());
  accounts::NewUser user;
  user.username = "other.clerk";
  user.display_name = "other.clerk";
  user.role = accounts::Role::kClerk;
  user.municipality_id = other->id;
  user.password = "a-long-enough-password";
  auto created = accounts_->CreateUser(cli_, user);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  accounts::Actor foreign_clerk{"user:" + std::to_string(created->id), *created};
  auto refused = annual_->Issue(foreign_clerk, *input);
  EXPECT_EQ(refused.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(refused.status().field(), "municipality");
  for (const char* table : {"logistics.cards", "spa_tax.annual_taxes", "card_link.links", "card_usage.cycles"}) {
    EXPECT_EQ(Count(table), 0) << table;
  }
  EXPECT_EQ(Count("audit.entries WHERE action LIKE 'annual_card.%'"), 0);

  token.scopes = {"registrations:write"};
  auto card = annual_->Issue(token, *input);
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  const AnnualRenewal renewal{card->receipt_number, 2027, {}};
  EXPECT_EQ(annual_->Renew(landlord_a_.actor, card->card_number, renewal).status().code(),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(annual_->Renew(auditor, card->card_number, renewal).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(annual_->Renew(foreign_clerk, card->card_number, renewal).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(Count("spa_tax.annual_taxes"), 1);
}

TEST_P(AnnualCardTest, RenewalRefusesWhatIsNotACurrentAnnualCard) {
  auto card = Issue(Body());
  ASSERT_TRUE(card.ok());
  auto other = Issue(Body("1970-01-01"));
  ASSERT_TRUE(other.ok());
  RegistrationResult stay = RegisterDemo();
  ASSERT_FALSE(stay.cards.empty());
  const AnnualRenewal next{card->receipt_number, 2027, {}};
  EXPECT_EQ(annual_->Renew(clerk_, "not a card", next).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(annual_->Renew(clerk_, stay.cards[0].card_number, next).status().code(), ErrorCode::kNotFound)
      << "a guest card is no annual card";
  auto foreign_receipt = annual_->Renew(clerk_, card->card_number, {other->receipt_number, 2027, {}});
  EXPECT_EQ(foreign_receipt.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(foreign_receipt.status().field(), "receipt_number");
  EXPECT_EQ(annual_->Renew(clerk_, card->card_number, {card->receipt_number, 2026, {}}).status().field(), "year");
  // Grouped input is the same card.
  auto renewed = annual_->Renew(clerk_, cards::FormatCardNumber(card->card_number), next);
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  EXPECT_EQ(renewed->card_number, card->card_number);
  // 2028 follows the new validity, but only from 2027 on is it "this year or the next".
  auto too_early = annual_->Renew(clerk_, card->card_number, {renewed->receipt_number, 2028, {}});
  EXPECT_EQ(too_early.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(too_early.status().field(), "year");
  clock_.Set(1798758000);  // 2027-01-01 00:00 in Berlin
  auto next_year = annual_->Renew(clerk_, card->card_number, {renewed->receipt_number, 2028, {}});
  ASSERT_TRUE(next_year.ok()) << next_year.status().ToString();
  EXPECT_EQ(next_year->valid_from, "2028-01-01");
  EXPECT_EQ(next_year->valid_to, "2028-12-31");
  EXPECT_EQ(Column("SELECT departure_on FROM logistics.cards WHERE card_number = '" + card->card_number + "'"),
            std::vector<std::string>{"2028-12-31"});
  EXPECT_EQ(Column("SELECT action FROM audit.entries WHERE action = 'annual_card.renew'").size(), 2u);
}

TEST_P(AnnualCardTest, AReceiptRenewsTheCardOnlyOnce) {
  auto card = Issue(Body());
  ASSERT_TRUE(card.ok());
  auto renewed = annual_->Renew(clerk_, card->card_number, {card->receipt_number, 2027, {}});
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  // The first receipt is no longer of the card's current validity: renewing
  // on it again would charge the holder for 2027 a second time.
  auto again = annual_->Renew(clerk_, card->card_number, {card->receipt_number, 2027, {}});
  EXPECT_EQ(again.status().code(), ErrorCode::kNotFound) << again.status().ToString();
  EXPECT_EQ(again.status().field(), "receipt_number");
  EXPECT_EQ(Column("SELECT CAST(COUNT(*) AS TEXT) FROM spa_tax.annual_taxes WHERE valid_to = '2027-12-31'"),
            std::vector<std::string>{"1"});
  // The latest receipt still renews, on a replacement card too.
  auto replacement = service_->ReplaceGuestCard(clerk_, card->card_number, renewed->receipt_number, "verloren");
  ASSERT_TRUE(replacement.ok()) << replacement.status().ToString();
  clock_.Set(1798758000);  // 2027-01-01
  auto next = annual_->Renew(clerk_, replacement->card_number, {renewed->receipt_number, 2028, {}});
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->valid_to, "2028-12-31");
}

TEST_P(AnnualCardTest, ALateRenewalIsValidFromTheDayItIsPaid) {
  auto card = Issue(Body());
  ASSERT_TRUE(card.ok());
  clock_.Set(1798758000 + 31 * 86400);  // 2027-02-01 in Berlin; retention has not run
  auto renewed = annual_->Renew(clerk_, card->card_number, {card->receipt_number, 2027, {}});
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  EXPECT_EQ(renewed->valid_from, "2027-02-01");
  EXPECT_EQ(renewed->valid_to, "2027-12-31");
  // Once the card has departed (unlinked 14 days after its year), it is not renewed but issued anew.
  ASSERT_TRUE(RunRetention(test_db_->db(), clock_, cli_, Date{2028, 1, 14}, false).ok());
  clock_.Set(1798758000 + 365 * 86400 + 20 * 86400);  // 2028-01-21
  auto departed = annual_->Renew(clerk_, card->card_number, {renewed->receipt_number, 2028, {}});
  EXPECT_EQ(departed.status().code(), ErrorCode::kFailedPrecondition) << departed.status().ToString();
}

TEST_P(AnnualCardTest, TheAuditTrailNamesTheReceiptNeverThePersonOrTheCard) {
  auto card = Issue(Body());
  ASSERT_TRUE(card.ok());
  auto renewed = annual_->Renew(clerk_, card->card_number, {card->receipt_number, 2027, {}});
  ASSERT_TRUE(renewed.ok());
  const std::string cycle = CycleOf(card->card_number);
  ASSERT_FALSE(cycle.empty());
  EXPECT_EQ(Column("SELECT object FROM audit.entries WHERE action LIKE 'annual_card.%' ORDER BY seq"),
            (std::vector<std::string>{"annual:" + card->receipt_number, "annual:" + renewed->receipt_number}));
  EXPECT_EQ(Column("SELECT actor FROM audit.entries WHERE action = 'annual_card.issue'"),
            std::vector<std::string>{clerk_.id});
  auto issue_detail =
      nlohmann::json::parse(Column("SELECT detail FROM audit.entries WHERE action = 'annual_card.issue'").at(0));
  EXPECT_EQ(issue_detail, (nlohmann::json{{"basis", "second_home"}, {"valid_to", "2026-12-31"}}));
  auto renew_detail =
      nlohmann::json::parse(Column("SELECT detail FROM audit.entries WHERE action = 'annual_card.renew'").at(0));
  EXPECT_EQ(renew_detail["renews"], "annual:" + card->receipt_number);
  EXPECT_EQ(Column("SELECT action FROM audit.entries WHERE action LIKE 'card_link.%' ORDER BY seq"),
            (std::vector<std::string>{"card_link.enrol_guest_data", "card_link.update_card"}));
  for (const std::string& entry : Column("SELECT actor || '|' || action || '|' || object || '|' || detail || '|' || "
                                         "request_id FROM audit.entries")) {
    for (const std::string& secret :
         {card->card_number, cycle, std::string("Jahresgast"), std::string("1960-02-03"), std::string("80331")}) {
      EXPECT_EQ(entry.find(secret), std::string::npos) << entry << " holds " << secret;
    }
  }
  auto verified = audit::Verify(test_db_->db());
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << verified->problem;
}

TEST_P(AnnualCardTest, IssueAndRenewAreWholeOrNothingUnderStorageFaults) {
  storage::testing::FaultyDatabase faulty(test_db_->db());
  AnnualCardService service(faulty, clock_, box_);
  auto input = ParseAnnualCard(Body(), BerlinDate(clock_.NowUnix()));
  ASSERT_TRUE(input.ok());
  Result<AnnualCardResult> card = Status(ErrorCode::kInternal, "not yet");
  for (int64_t n = 1;; ++n) {
    faulty.FailAt(n);
    card = service.Issue(clerk_, *input);
    faulty.FailAt(0);
    const int64_t expected = card.ok() ? 1 : 0;
    for (const char* table :
         {"logistics.cards", "spa_tax.annual_taxes", "card_link.links", "card_usage.cycles",
          "audit.entries WHERE action = 'annual_card.issue'", "audit.entries WHERE action LIKE 'card_link.%'"}) {
      EXPECT_EQ(Count(table), expected) << table << ", fault at call " << n;
    }
    if (card.ok()) break;
    EXPECT_EQ(card.status().code(), ErrorCode::kUnavailable) << "fault at call " << n;
    ASSERT_LT(n, 100);
  }
  const std::string state =
      "SELECT l.departure_on || ' ' || (SELECT CAST(COUNT(*) AS TEXT) FROM spa_tax.annual_taxes) FROM "
      "logistics.cards l";
  for (int64_t n = 1;; ++n) {
    faulty.FailAt(n);
    auto renewed = service.Renew(clerk_, card->card_number, {card->receipt_number, 2027, {}});
    faulty.FailAt(0);
    if (renewed.ok()) break;
    EXPECT_EQ(Column(state), std::vector<std::string>{"2026-12-31 1"}) << "fault at call " << n;
    EXPECT_EQ(Column("SELECT departure FROM card_usage.cycles"), std::vector<std::string>{"2026-12-31"});
    EXPECT_EQ(Count("audit.entries WHERE action = 'annual_card.renew'"), 0);
    ASSERT_LT(n, 100);
  }
  EXPECT_EQ(Column(state), std::vector<std::string>{"2027-12-31 2"});
  auto verified = audit::Verify(test_db_->db());
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << verified->problem;
}

TEST_P(AnnualCardTest, TheReceiptListsTheCardAndFollowsAReplacement) {
  auto card = Issue(Body());
  auto other = Issue(Body("1970-01-01"));
  ASSERT_TRUE(card.ok() && other.ok());
  const std::string new_number = StockNumber(SchemeCode(), 77);
  auto lists = [&](const std::string& receipt, const std::string& number) {
    bool listed = false;
    EXPECT_TRUE(test_db_->db()
                    .Read([&](Tx& tx) -> Status {
                      PW_ASSIGN_OR_RETURN(listed, AnnualReceiptListsCard(tx, box_, receipt, number));
                      return Status::Ok();
                    })
                    .ok());
    return listed;
  };
  EXPECT_TRUE(lists(card->receipt_number, card->card_number));
  EXPECT_FALSE(lists(card->receipt_number, other->card_number));
  EXPECT_FALSE(lists(other->receipt_number, card->card_number));
  EXPECT_FALSE(lists("AAAA-BBBB-CCCC", card->card_number));

  auto replace = [&](const std::string& old_number) {
    return test_db_->db().Write(
        [&](Tx& tx) { return ReplaceOnAnnualReceipt(tx, box_, card->receipt_number, old_number, new_number); });
  };
  Status wrong = replace(other->card_number);
  EXPECT_EQ(wrong.code(), ErrorCode::kNotFound);
  EXPECT_EQ(wrong.field(), "registration_number");
  ASSERT_TRUE(replace(card->card_number).ok());
  EXPECT_TRUE(lists(card->receipt_number, new_number));
  EXPECT_FALSE(lists(card->receipt_number, card->card_number));
  EXPECT_EQ(replace(card->card_number).code(), ErrorCode::kNotFound) << "replaced already";
  EXPECT_TRUE(lists(other->receipt_number, other->card_number)) << "the other receipt is untouched";

  // A year after the card ran out the form is gone, and with it what the receipt listed.
  ASSERT_TRUE(RunRetention(test_db_->db(), clock_, cli_, Date{2027, 12, 31}, false).ok());
  EXPECT_FALSE(lists(other->receipt_number, other->card_number));
}

TEST_P(AnnualCardTest, RotationRunsInBatchesOverAnnualCyclesOnly) {
  for (const char* birth : {"1960-02-03", "1970-01-01", "1980-06-30"}) ASSERT_TRUE(Issue(Body(birth)).ok());
  RegisterDemo();  // two guest cards: their cycles are no annual ones
  ASSERT_EQ(Count("card_usage.cycles"), 5);
  const std::vector<std::string> guest_cycles =
      Column("SELECT cycle_id FROM card_usage.cycles WHERE cycle_from IS NULL ORDER BY cycle_id");
  ASSERT_EQ(guest_cycles.size(), 2u);

  auto bad = RotateAnnualCycles(test_db_->db(), clock_, cli_, Date{2027, 11, 1}, "11/01", false, 10);
  EXPECT_EQ(bad.status().field(), "annual_cycle_rotation_day");
  // 2027-10-31: the latest rotation day is 2026-11-01, before the cards' cycles began.
  auto early = RotateAnnualCycles(test_db_->db(), clock_, cli_, Date{2027, 10, 31}, "11-01", false, 10);
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->rotation_day, (Date{2026, 11, 1}));
  EXPECT_EQ(early->rotated, 0);
  auto dry = RotateAnnualCycles(test_db_->db(), clock_, cli_, Date{2027, 11, 5}, "11-01", true, 1);
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(dry->rotated, 3);
  EXPECT_EQ(Count("history.cycles"), 0) << "a dry run changes nothing";

  const int64_t audited = Count("audit.entries WHERE action = 'card_link.rotate_annual_cycle'");
  auto run = RotateAnnualCycles(test_db_->db(), clock_, cli_, Date{2027, 11, 5}, "11-01", false, 0);  // 0 → 1
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->rotation_day, (Date{2027, 11, 1}));
  EXPECT_EQ(run->rotated, 3);
  EXPECT_EQ(run->holdings_moved, 0);
  EXPECT_EQ(Count("audit.entries WHERE action = 'card_link.rotate_annual_cycle'") - audited, 3)
      << "one audited access per batch of one";
  EXPECT_EQ(Count("history.cycles"), 3);
  EXPECT_EQ(Column("SELECT DISTINCT cycle_from FROM card_usage.cycles WHERE cycle_from IS NOT NULL"),
            std::vector<std::string>{"2027-11-01"});
  EXPECT_EQ(Column("SELECT cycle_id FROM card_usage.cycles WHERE cycle_from IS NULL ORDER BY cycle_id"), guest_cycles);
  EXPECT_EQ(Count("card_link.links"), 5);
  auto again = RotateAnnualCycles(test_db_->db(), clock_, cli_, Date{2027, 11, 5}, "11-01", false, 0);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->rotated, 0);
}

TEST(AnnualCardJsonTest, TheAnswerCarriesTheReceiptAndTheTax) {
  AnnualCardResult result;
  result.receipt_number = "K7QX-M2PD-5RTA";
  result.card_number = "100000000018";
  result.card_type = "3.0";
  result.valid_from = "2026-11-18";
  result.valid_to = "2026-12-31";
  result.amount_cents = 1600;
  result.reductions = {"age_6_to_15"};
  EXPECT_EQ(AnnualCardJson(result), nlohmann::json::parse(R"({
    "receipt_number": "K7QX-M2PD-5RTA", "card_number": "100000000018", "card_type": "3.0",
    "valid_from": "2026-11-18", "valid_to": "2026-12-31",
    "spa_tax": {"amount_cents": 1600, "currency": "EUR", "reductions": ["age_6_to_15"]}})"));
}

// ---- Parsing, without storage -------------------------------------------------

nlohmann::json ParseBody() {
  return {
      {"municipality", "01055021"},
      {"basis", "mooring"},
      {"holder",
       {{"family_name", "Jahresgast"},
        {"given_name", "Gerda"},
        {"birth_date", "1960-02-03"},
        {"nationality", "DE"},
        {"gender", "f"},
        {"address", {{"street", "Lindenallee 9"}, {"postal_code", "80331"}, {"city", "München"}, {"country", "DE"}}}}}};
}

TEST(AnnualCardParseTest, TheYearDefaultsToThisOneAndTheCardNumberIsNormalised) {
  const Date today{2026, 11, 18};
  auto input = ParseAnnualCard(ParseBody(), today);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_EQ(input->municipality_number, "01055021");
  EXPECT_EQ(input->basis, "mooring");
  EXPECT_EQ(input->year, 2026);
  EXPECT_EQ(input->holder.family_name, "Jahresgast");
  EXPECT_EQ(input->holder.birth_date, (Date{1960, 2, 3}));
  EXPECT_EQ(input->holder.address.city, "München");
  EXPECT_TRUE(input->card_number.empty()) << "no number: one is drawn";
  for (const char* basis : kAnnualBases) {
    nlohmann::json body = ParseBody();
    body["basis"] = basis;
    EXPECT_TRUE(ParseAnnualCard(body, today).ok()) << basis;
  }
  nlohmann::json body = ParseBody();
  body["year"] = 2027;
  body["card_number"] = cards::FormatCardNumber(StockNumber("100", 41));
  input = ParseAnnualCard(body, today);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_EQ(input->year, 2027);
  EXPECT_EQ(input->card_number, StockNumber("100", 41));
  body["year"] = nullptr;
  body["card_number"] = nullptr;
  input = ParseAnnualCard(body, today);
  ASSERT_TRUE(input.ok());
  EXPECT_EQ(input->year, 2026);
  EXPECT_TRUE(input->card_number.empty());
  // The oldest plausible holder: 125 years.
  body["holder"]["birth_date"] = "1901-12-31";
  EXPECT_TRUE(ParseAnnualCard(body, today).ok());
  body["holder"]["birth_date"] = "2026-11-18";
  EXPECT_TRUE(ParseAnnualCard(body, today).ok()) << "born today";
}

TEST(AnnualCardParseTest, EveryBadFieldIsNamed) {
  const Date today{2026, 11, 18};
  std::string bad_check_digit = StockNumber("100", 41);
  bad_check_digit.back() = bad_check_digit.back() == '9' ? '0' : static_cast<char>(bad_check_digit.back() + 1);
  const std::vector<std::pair<std::function<void(nlohmann::json&)>, std::string>> cases = {
      {[](auto& j) { j.erase("municipality"); }, "municipality"},
      {[](auto& j) { j["municipality"] = "1055021"; }, "municipality"},
      {[](auto& j) { j["municipality"] = "0105502a"; }, "municipality"},
      {[](auto& j) { j["municipality"] = 1055021; }, "municipality"},
      {[](auto& j) { j.erase("basis"); }, "basis"},
      {[](auto& j) { j["basis"] = "Second_Home"; }, "basis"},
      {[](auto& j) { j["year"] = 2025; }, "year"},
      {[](auto& j) { j["year"] = 2028; }, "year"},
      {[](auto& j) { j["year"] = "2026"; }, "year"},
      {[](auto& j) { j["year"] = 2026.5; }, "year"},
      {[](auto& j) { j.erase("holder"); }, "holder"},
      {[](auto& j) { j["holder"] = "Gerda"; }, "holder"},
      {[](auto& j) { j["holder"]["card"] = false; }, "holder"},
      {[](auto& j) { j["holder"]["card_barcode"] = "0105"; }, "holder"},
      {[](auto& j) { j["holder"]["birth_date"] = "2026-11-19"; }, "holder.birth_date"},
      {[](auto& j) { j["holder"]["birth_date"] = "1900-12-31"; }, "holder.birth_date"},
      {[](auto& j) { j["holder"]["gender"] = "w"; }, "holder.gender"},
      {[](auto& j) { j["holder"]["address"]["postal_code"] = "8033"; }, "holder.address.postal_code"},
      {[](auto& j) { j["card_number"] = "1234"; }, "card_number"},
      {[](auto& j) { j["card_number"] = 100000000018; }, "card_number"},
      {[&](auto& j) { j["card_number"] = bad_check_digit; }, "card_number"},
      {[](auto& j) { j["spa_tax"] = 0; }, "spa_tax"},
  };
  for (const auto& [change, field] : cases) {
    nlohmann::json body = ParseBody();
    change(body);
    auto parsed = ParseAnnualCard(body, today);
    ASSERT_FALSE(parsed.ok()) << body.dump();
    EXPECT_EQ(parsed.status().code(), ErrorCode::kInvalidArgument) << body.dump();
    EXPECT_EQ(parsed.status().field(), field) << body.dump() << " → " << parsed.status().ToString();
  }
  EXPECT_EQ(ParseAnnualCard(nlohmann::json::array(), today).status().code(), ErrorCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Backends, AnnualCardTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::guestcards
