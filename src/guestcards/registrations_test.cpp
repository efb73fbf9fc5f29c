// Registrations on every backend: the tax, the cards, each segment's share,
// whole-or-nothing batches, landlords kept apart, cancellation, and — by
// searching the stored bytes — that no segment holds what it must not.
// Long because the cases share one fixture of tariff, accommodations and
// landlords on every backend; each TEST_P reads on its own.
#include "guestcards/registrations.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "audit/audit_log.h"
#include "cards/card_number.h"
#include "cards/cards.h"
#include "guestcards/annual_cards.h"
#include "guestcards/logistics.h"
#include "guestcards/registration_csv_batch.h"
#include "guestcards/retention.h"
#include "guestcards/statistics.h"
#include "storage/testing/backends.h"
#include "storage/testing/faulty_database.h"
#include "terminals/catalogue.h"
#include "web/assets.h"

namespace passwerk::guestcards {
namespace {

using storage::Rows;
using storage::Segment;
using storage::Tx;

const std::vector<Segment> kSegments = {Segment::kCore,      Segment::kAudit,    Segment::kSpaTax,
                                        Segment::kMarketing, Segment::kCardLink, Segment::kCardUsage,
                                        Segment::kLogistics, Segment::kHistory,  Segment::kSettlement};

class RegistrationTest : public ::testing::TestWithParam<storage::testing::Backend> {
 protected:
  void SetUp() override {
    std::string reason;
    test_db_ = storage::testing::TestDatabase::Create(GetParam(), kSegments, &reason);
    if (!test_db_) GTEST_SKIP() << reason;
    accounts_ = std::make_unique<accounts::AccountService>(test_db_->db(), clock_, box_, throttle_);
    service_ = std::make_unique<RegistrationService>(test_db_->db(), clock_, box_);
    cli_.id = "cli";
    auto m = accounts_->CreateMunicipality(cli_, "01055021", "Kellenhusen (Ostsee)");
    ASSERT_TRUE(m.ok());
    municipality_ = m->id;
    cards::CardKeys keys(box_);
    cards::CardService cards(test_db_->db(), clock_, box_, keys);
    cards::NewScheme scheme;
    scheme.slug = "gastkarte";
    scheme.municipality_id = municipality_;
    scheme.kind = cards::SchemeKind::kGuestCard;
    scheme.name = "Gästekarte";
    scheme.partner_checks = false;
    ASSERT_TRUE(cards.CreateScheme(cli_, scheme).ok());
    auto tariff = ParseTariffText(web::FindAsset("/static/tariffs/kellenhusen-2022.json")->data);
    ASSERT_TRUE(tariff.ok());
    ASSERT_TRUE(service_->SetTariff(cli_, municipality_, *tariff).ok());
    landlord_a_ = Landlord("vermieter.a", "4711");
    landlord_b_ = Landlord("vermieter.b", "815");
  }

  struct LandlordSetup {
    accounts::Actor actor;
    std::string accommodation;
  };

  LandlordSetup Landlord(const std::string& username, const std::string& number) {
    accounts::NewUser user;
    user.username = username;
    user.display_name = username;
    user.role = accounts::Role::kLandlord;
    user.municipality_id = municipality_;
    user.password = "a-long-enough-password";
    auto created = accounts_->CreateUser(cli_, user);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    NewAccommodation acc;
    acc.municipality_id = municipality_;
    acc.landlord_user_id = created->id;
    acc.landlord_number = number;
    acc.name = "Haus " + username;
    acc.street = "Strandstraße 1";
    acc.postal_code = "23746";
    acc.city = "Kellenhusen";
    auto accommodation = service_->CreateAccommodation(cli_, acc);
    EXPECT_TRUE(accommodation.ok()) << accommodation.status().ToString();
    LandlordSetup setup;
    setup.actor.id = "user:" + std::to_string(created->id);
    setup.actor.user = *created;
    setup.accommodation = accommodation->public_id;
    return setup;
  }

  nlohmann::json Body(const std::string& accommodation) {
    return {{"accommodation_id", accommodation},
            {"arrival", "2026-03-29"},
            {"departure", "2026-04-03"},
            {"guests",
             {{{"family_name", "Zauberlehrling"},
               {"given_name", "Erika"},
               {"birth_date", "1980-05-01"},
               {"nationality", "DE"},
               {"gender", "f"},
               {"address",
                {{"street", "Hauptstraße 5"}, {"postal_code", "91052"}, {"city", "Erlangen"}, {"country", "DE"}}},
               {"reductions", nlohmann::json::array()},
               {"card", true}},
              {{"family_name", "Zauberlehrling"},
               {"given_name", "Max"},
               {"birth_date", "2015-06-01"},
               {"nationality", "DE"},
               {"gender", "m"},
               {"address",
                {{"street", "Hauptstraße 5"}, {"postal_code", "91052"}, {"city", "Erlangen"}, {"country", "DE"}}},
               {"card", true}}}},
            {"group", nullptr},
            {"marketing_consent", true}};
  }

  RegistrationResult RegisterDemo() {
    auto input = ParseRegistration(Body(landlord_a_.accommodation));
    EXPECT_TRUE(input.ok()) << input.status().ToString();
    auto result = service_->Register(landlord_a_.actor, *input);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? *result : RegistrationResult{};
  }

  int64_t Count(const std::string& table) {
    int64_t n = -1;
    EXPECT_TRUE(test_db_->db()
                    .Read([&](Tx& tx) -> Status {
                      PW_ASSIGN_OR_RETURN(storage::Row row, tx.QueryOne("SELECT COUNT(*) FROM " + table));
                      n = row.Int(0);
                      return Status::Ok();
                    })
                    .ok());
    return n;
  }

  std::vector<std::string> Column(const std::string& sql) {
    std::vector<std::string> out;
    EXPECT_TRUE(test_db_->db()
                    .Read([&](Tx& tx) -> Status {
                      PW_ASSIGN_OR_RETURN(Rows rows, tx.Query(sql));
                      for (const auto& row : rows) out.push_back(row.Text(0));
                      return Status::Ok();
                    })
                    .ok());
    return out;
  }

  // Everything a segment stores, as bytes: its SQLite file, or on
  // PostgreSQL the text of every row of every table in its schema.
  std::string SegmentBytes(Segment segment) {
    std::string name(storage::SegmentName(segment));
    if (GetParam() == storage::testing::Backend::kPostgres) {
      std::string out;
      for (const std::string& table :
           Column("SELECT table_name FROM information_schema.tables WHERE table_schema = '" + name + "'")) {
        for (const std::string& row : Column("SELECT CAST(t AS TEXT) FROM " + name + "." + table + " t")) out += row;
      }
      return out;
    }
    std::ifstream in(std::filesystem::path(test_db_->options().data_dir) / (name + ".db"), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
  }

  ManualClock clock_{1795000000};
  crypto::SecretBox box_ = crypto::SecretBox::FromHexKeys({std::string(64, 'd')}).value();
  accounts::LoginThrottle throttle_{clock_};
  std::unique_ptr<storage::testing::TestDatabase> test_db_;
  std::unique_ptr<accounts::AccountService> accounts_;
  std::unique_ptr<RegistrationService> service_;
  accounts::Actor cli_;
  int64_t municipality_ = 0;
  LandlordSetup landlord_a_, landlord_b_;
};

TEST_P(RegistrationTest, ComputesTheTaxIssuesCardsAndSplitsTheData) {
  RegistrationResult r = RegisterDemo();
  EXPECT_EQ(r.total_cents, 1200);
  ASSERT_EQ(r.guests.size(), 2u);
  EXPECT_EQ(r.guests[0].nights, 5);
  EXPECT_EQ(r.guests[0].amount_cents, 1200);
  EXPECT_EQ(r.guests[1].amount_cents, 0);
  EXPECT_EQ(r.guests[1].reductions, std::vector<std::string>{"under_18"});
  ASSERT_EQ(r.cards.size(), 2u);
  EXPECT_EQ(r.cards[0].card_number.size(), 12u);
  EXPECT_EQ(r.cards[0].barcode.size(), 32u);
  EXPECT_EQ(r.cards[0].barcode.substr(0, 8), "01055021");
  EXPECT_EQ(r.cards[0].barcode.substr(8, 6), "004711");
  EXPECT_EQ(r.cards[0].barcode.substr(18, 12), r.cards[0].card_number);
  EXPECT_EQ(r.cards[0].barcode.substr(30), "01");
  EXPECT_EQ(r.consent_id.size(), 32u);
  EXPECT_EQ(Count("spa_tax.registrations"), 1);
  EXPECT_EQ(Count("spa_tax.registration_guests"), 2);
  EXPECT_EQ(Count("card_link.links"), 2);
  EXPECT_EQ(Count("card_usage.cycles"), 2);
  EXPECT_EQ(Count("logistics.cards"), 2);
  EXPECT_EQ(Count("marketing.contacts"), 1);
  EXPECT_EQ(Column("SELECT origin FROM spa_tax.registrations"), std::vector<std::string>{"DE-BY"});
  EXPECT_EQ(Column("SELECT age_band FROM card_usage.cycles ORDER BY age_band"),
            (std::vector<std::string>{"0-17", "43-47"}));
  EXPECT_EQ(Column("SELECT card_type FROM logistics.cards ORDER BY card_type"),
            (std::vector<std::string>{"1.0", "2.0"}));
  // Both cycles belong to one (anonymous) registration reference, not the number.
  auto refs = Column("SELECT DISTINCT registration_ref FROM card_usage.cycles");
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_NE(refs[0], r.registration_number);
  // Every access to card_link is in the audit trail.
  EXPECT_EQ(Column("SELECT action FROM audit.entries WHERE action LIKE 'card_link.%'"),
            std::vector<std::string>{"card_link.enrol_guest_data"});
  // The landlord sees the form as entered.
  auto details = service_->GetRegistration(landlord_a_.actor, r.registration_number);
  ASSERT_TRUE(details.ok()) << details.status().ToString();
  EXPECT_EQ(details->form["guests"][0]["family_name"], "Zauberlehrling");
  EXPECT_EQ(details->form["guests"][1]["card_number"], r.cards[1].card_number);
}

TEST_P(RegistrationTest, NoSegmentHoldsWhatItMustNot) {
  if (GetParam() == storage::testing::Backend::kSqliteMemory) GTEST_SKIP() << "no files to search";
  RegistrationResult r = RegisterDemo();
  std::vector<std::string> cycles = Column("SELECT cycle_id FROM card_link.links");
  ASSERT_EQ(cycles.size(), 2u);
  ASSERT_TRUE(test_db_->Reopen().ok());  // SQLite: checkpoint the WAL into the files
  auto contains = [](const std::string& bytes, const std::string& needle) {
    return bytes.find(needle) != std::string::npos;
  };
  for (Segment segment :
       {Segment::kSettlement, Segment::kHistory, Segment::kCardUsage, Segment::kSpaTax, Segment::kMarketing}) {
    std::string bytes = SegmentBytes(segment);
    for (const IssuedCard& card : r.cards) {
      EXPECT_FALSE(contains(bytes, card.card_number)) << storage::SegmentName(segment) << " holds a card number";
    }
  }
  std::string spa_tax = SegmentBytes(Segment::kSpaTax);
  ASSERT_TRUE(contains(spa_tax, r.registration_number)) << "the search must find what is there";
  for (const std::string& cycle : cycles) {
    EXPECT_FALSE(contains(spa_tax, cycle)) << "spa_tax holds a card-cycle id";
    EXPECT_FALSE(contains(SegmentBytes(Segment::kLogistics), cycle)) << "logistics holds a card-cycle id";
  }
  std::string usage = SegmentBytes(Segment::kCardUsage);
  ASSERT_TRUE(contains(usage, cycles[0])) << "the search must find what is there";
  EXPECT_FALSE(contains(usage, r.registration_number)) << "card_usage holds the registration number";
  for (Segment segment :
       {Segment::kSpaTax, Segment::kMarketing, Segment::kCardUsage, Segment::kCardLink, Segment::kLogistics}) {
    EXPECT_FALSE(contains(SegmentBytes(segment), "Zauberlehrling"))
        << storage::SegmentName(segment) << " holds a name in clear text";
  }
  std::string link = SegmentBytes(Segment::kCardLink);
  EXPECT_TRUE(contains(link, r.cards[0].card_number));
  EXPECT_FALSE(contains(link, r.registration_number));
}

TEST_P(RegistrationTest, ABatchIsStoredWholeOrNotAtAll) {
  auto good = ParseRegistration(Body(landlord_a_.accommodation));
  nlohmann::json bad_body = Body(landlord_a_.accommodation);
  bad_body["guests"][0]["reductions"] = {"student"};
  auto bad = ParseRegistration(bad_body);
  ASSERT_TRUE(good.ok() && bad.ok());
  auto result = service_->RegisterAll(landlord_a_.actor, {*good, *bad});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(result.status().field(), "registrations[1].guests[0].reductions[0]");
  for (const char* table : {"spa_tax.registrations", "spa_tax.registration_guests", "card_link.links",
                            "card_usage.cycles", "logistics.cards", "marketing.contacts"}) {
    EXPECT_EQ(Count(table), 0) << table;
  }
  auto both = service_->RegisterAll(landlord_a_.actor, {*good, *good});
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  EXPECT_EQ(Count("spa_tax.registrations"), 2);
  EXPECT_EQ(Count("logistics.cards"), 4);
}

TEST_P(RegistrationTest, LandlordsSeeAndCancelTheirOwnOnly) {
  RegistrationResult r = RegisterDemo();
  auto foreign = ParseRegistration(Body(landlord_a_.accommodation));
  auto refused = service_->Register(landlord_b_.actor, *foreign);
  EXPECT_EQ(refused.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(refused.status().field(), "accommodation_id");
  EXPECT_TRUE(service_->ListRegistrations(landlord_b_.actor)->empty());
  EXPECT_EQ(service_->ListRegistrations(landlord_a_.actor)->size(), 1u);
  EXPECT_EQ(service_->GetRegistration(landlord_b_.actor, r.registration_number).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(service_->CancelRegistration(landlord_b_.actor, r.registration_number).code(), ErrorCode::kNotFound);
  // A token without the scope may not register.
  accounts::Actor token = landlord_a_.actor;
  token.via_token = true;
  token.scopes = {"users:read"};
  EXPECT_EQ(service_->Register(token, *foreign).status().code(), ErrorCode::kPermissionDenied);

  ASSERT_TRUE(service_->CancelRegistration(landlord_a_.actor, r.registration_number).ok());
  EXPECT_EQ(service_->CancelRegistration(landlord_a_.actor, r.registration_number).code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Column("SELECT state FROM spa_tax.registrations"), std::vector<std::string>{"cancelled"});
  EXPECT_EQ(Column("SELECT DISTINCT status FROM logistics.cards"), std::vector<std::string>{"blocked"});
  EXPECT_EQ(Count("card_link.links"), 0);
  EXPECT_EQ(Count("card_usage.cycles"), 0);
  EXPECT_EQ(Column("SELECT action FROM audit.entries WHERE action LIKE 'card_link.%' ORDER BY seq"),
            (std::vector<std::string>{"card_link.enrol_guest_data", "card_link.update_card", "card_link.unlink"}));
}

TEST_P(RegistrationTest, GroupsRegisterTheLeaderAndCountTheMembers) {
  nlohmann::json body = Body(landlord_a_.accommodation);
  body["guests"].erase(1);
  body["group"] = {{"size", 25}, {"country", "nl"}};
  auto input = ParseRegistration(body);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  auto r = service_->Register(landlord_a_.actor, *input);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->group_members, 24);
  EXPECT_EQ(r->group_members_cents, 24 * 1200);
  EXPECT_EQ(r->total_cents, 25 * 1200);
  EXPECT_EQ(Column("SELECT origin FROM spa_tax.registrations"), std::vector<std::string>{"NL"});
  body["group"]["size"] = 8;
  auto small = service_->Register(landlord_a_.actor, *ParseRegistration(body));
  EXPECT_EQ(small.status().field(), "group.size");
  body["guests"].push_back(body["guests"][0]);
  EXPECT_EQ(ParseRegistration(body).status().field(), "guests");
}

TEST_P(RegistrationTest, ConsentWithdrawalDeletesTheContact) {
  RegistrationResult r = RegisterDemo();
  ASSERT_EQ(Count("marketing.contacts"), 1);
  ASSERT_TRUE(service_->WithdrawConsent(r.consent_id, "req").ok());
  EXPECT_EQ(Count("marketing.contacts"), 0);
  EXPECT_EQ(service_->WithdrawConsent(r.consent_id, "req").code(), ErrorCode::kNotFound);
}

TEST_P(RegistrationTest, RetentionUnlinksAfterFourteenDaysAndDeletesFormsAfterAYear) {
  RegistrationResult r = RegisterDemo();  // departure 2026-04-03
  auto run = [&](const char* as_of, bool dry_run) {
    auto report = RunRetention(test_db_->db(), clock_, cli_, *ParseIsoDate(as_of), dry_run);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : RetentionReport{};
  };
  EXPECT_EQ(run("2026-04-16", false).cycles_historised, 0) << "13 days after departure: still linked";
  RetentionReport dry = run("2026-04-17", true);
  EXPECT_EQ(dry.cycles_historised, 2);
  EXPECT_EQ(dry.cards_departed, 2);
  EXPECT_EQ(Count("card_link.links"), 2) << "a dry run changes nothing";
  RetentionReport real = run("2026-04-17", false);
  EXPECT_EQ(real.cycles_historised, 2);
  EXPECT_EQ(real.cards_departed, 2);
  EXPECT_EQ(real.forms_deleted, 0);
  EXPECT_EQ(Count("card_link.links"), 0);
  EXPECT_EQ(Count("card_usage.cycles"), 0);
  EXPECT_EQ(Count("history.cycles"), 2);
  EXPECT_EQ(Column("SELECT DISTINCT status FROM logistics.cards"), std::vector<std::string>{"departed"});
  EXPECT_EQ(run("2026-04-17", false).cycles_historised, 0) << "idempotent";
  if (GetParam() != storage::testing::Backend::kSqliteMemory) {
    ASSERT_TRUE(test_db_->Reopen().ok());
    service_ = std::make_unique<RegistrationService>(test_db_->db(), clock_, box_);  // the old handle is gone
    std::string history = SegmentBytes(Segment::kHistory);
    ASSERT_NE(history.find("0-17"), std::string::npos) << "the search must find what is there";
    for (const IssuedCard& card : r.cards) EXPECT_EQ(history.find(card.card_number), std::string::npos);
    EXPECT_EQ(history.find(r.registration_number), std::string::npos);
  }
  EXPECT_EQ(Count("history.cycles"), 2);
  // The registration form goes one year after departure; the spa tax stays.
  EXPECT_EQ(run("2027-04-02", false).forms_deleted, 0);
  EXPECT_EQ(run("2027-04-03", false).forms_deleted, 1);
  auto details = service_->GetRegistration(landlord_a_.actor, r.registration_number);
  ASSERT_TRUE(details.ok());
  EXPECT_TRUE(details->form.is_null());
  EXPECT_EQ(details->summary.total_cents, 1200);
  EXPECT_EQ(Column("SELECT action FROM audit.entries WHERE action LIKE 'retention.%' ORDER BY seq"),
            (std::vector<std::string>{"retention.run", "retention.dry_run", "retention.run", "retention.run",
                                      "retention.run", "retention.run"}));
  EXPECT_EQ(Column("SELECT action FROM audit.entries WHERE action = 'card_link.unlink'").size(), 1u);
  // The audit entries (all written in 2026 here) stay through 2027 and go on 1 January 2028
  // (3.3.3.5); what remains still verifies.
  EXPECT_EQ(run("2027-12-31", false).audit_entries_deleted, 0);
  EXPECT_EQ(run("2028-01-01", true).audit_entries_deleted, Count("audit.entries"));
  const int64_t entries = Count("audit.entries");
  EXPECT_GE(run("2028-01-01", false).audit_entries_deleted, entries);
  EXPECT_EQ(Column("SELECT DISTINCT action FROM audit.entries ORDER BY action"),
            (std::vector<std::string>{"audit.prune", "retention.run"}));
  auto verified = audit::Verify(test_db_->db());
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << verified->problem;
  EXPECT_GE(verified->pruned_through, entries);
}

TEST_P(RegistrationTest, RetentionInterruptedAnywhereCompletesOnTheNextRun) {
  RegisterDemo();
  RegisterDemo();  // four cycles
  storage::testing::FaultyDatabase faulty(test_db_->db());
  RetentionOptions options;
  options.batch_size = 1;
  Date as_of = *ParseIsoDate("2026-05-01");
  for (int64_t n = 1;; ++n) {
    faulty.FailAt(n);
    auto report = RunRetention(faulty, clock_, cli_, as_of, false, options);
    faulty.FailAt(0);
    // Whatever failed, every cycle is either still in use and linked, or in history and unlinked.
    EXPECT_EQ(Count("card_usage.cycles"), Count("card_link.links")) << "fault at call " << n;
    EXPECT_EQ(Count("card_usage.cycles") + Count("history.cycles"), 4) << "fault at call " << n;
    if (report.ok()) break;
    ASSERT_LT(n, 500);
  }
  EXPECT_EQ(Count("history.cycles"), 4);
  EXPECT_EQ(Count("card_link.links"), 0);
}

TEST_P(RegistrationTest, StatisticsSuppressSmallCells) {
  // March: three registrations of two guests (6 guests); July: one (2 guests).
  for (int i = 0; i < 3; ++i) RegisterDemo();
  nlohmann::json july = Body(landlord_a_.accommodation);
  july["arrival"] = "2026-07-01";
  july["departure"] = "2026-07-08";
  ASSERT_TRUE(service_->Register(landlord_a_.actor, *ParseRegistration(july)).ok());
  nlohmann::json group = Body(landlord_a_.accommodation);
  group["guests"].erase(1);
  group["arrival"] = "2026-08-01";
  group["departure"] = "2026-08-03";
  group["group"] = {{"size", 12}, {"country", "NL"}};
  ASSERT_TRUE(service_->Register(landlord_a_.actor, *ParseRegistration(group)).ok());

  auto by_month = ComputeSpaTaxStatistics(test_db_->db(), cli_, municipality_, 2026, StatisticsBy::kMonth);
  ASSERT_TRUE(by_month.ok()) << by_month.status().ToString();
  ASSERT_EQ(by_month->cells.size(), 3u);
  EXPECT_EQ(by_month->cells[0].key, "2026-03");
  EXPECT_TRUE(by_month->cells[0].suppressed) << "secondary: July alone would be the total minus the others";
  EXPECT_EQ(by_month->cells[0].guests, 0);
  EXPECT_EQ(by_month->cells[1].key, "2026-07");
  EXPECT_TRUE(by_month->cells[1].suppressed);
  EXPECT_EQ(by_month->cells[1].guests, 0) << "suppressed cells carry no figures";
  EXPECT_EQ(by_month->cells[2].key, "2026-08");
  EXPECT_EQ(by_month->cells[2].guests, 12);
  EXPECT_EQ(by_month->cells[2].overnight_stays, 24);
  EXPECT_EQ(by_month->cells[2].spa_tax_cents, 12 * 2 * 300);
  EXPECT_EQ(by_month->total.guests, 6 + 2 + 12);

  auto by_age = ComputeSpaTaxStatistics(test_db_->db(), cli_, municipality_, 2026, StatisticsBy::kAgeBand);
  ASSERT_TRUE(by_age.ok());
  std::map<std::string, int64_t> ages;
  for (const auto& c : by_age->cells) ages[c.key] = c.suppressed ? -1 : c.guests;
  EXPECT_EQ(ages["0-17"], -1) << "4 children: suppressed";
  EXPECT_EQ(ages["43-47"], -1) << "5 adults: shown, but suppressed to protect the children's cell";
  EXPECT_EQ(ages["unknown"], 11) << "group members";
  auto by_accommodation =
      ComputeSpaTaxStatistics(test_db_->db(), cli_, municipality_, 2026, StatisticsBy::kAccommodation);
  ASSERT_TRUE(by_accommodation.ok());
  service_->LabelAccommodations(cli_, *by_accommodation, /*by_name=*/false);
  ASSERT_EQ(by_accommodation->cells.size(), 1u);
  EXPECT_EQ(by_accommodation->cells[0].key, landlord_a_.accommodation);
  EXPECT_EQ(by_accommodation->cells[0].guests, 20);
  service_->LabelAccommodations(cli_, *by_accommodation, /*by_name=*/true);
  EXPECT_EQ(by_accommodation->cells[0].key, landlord_a_.accommodation) << "already labelled: left alone";
  std::string csv = StatisticsCsv(*by_month);
  EXPECT_NE(csv.find("2026-08;12;24;72,00\r\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("2026-07;x;;\r\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("total;20;"), std::string::npos) << csv;
  EXPECT_EQ(ComputeSpaTaxStatistics(test_db_->db(), landlord_a_.actor, municipality_, 2026, StatisticsBy::kMonth)
                .status()
                .code(),
            ErrorCode::kPermissionDenied);
}

TEST_P(RegistrationTest, CardStatusForTheGuestWhoProvesTheCardAndForOfficeStaff) {
  RegistrationResult r = RegisterDemo();
  RegistrationResult other = RegisterDemo();
  auto status = service_->CardStatusForGuest(r.cards[0].card_number, r.registration_number, "req");
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(status->card_type, "1.0");
  EXPECT_EQ(status->status, "in_service");
  EXPECT_EQ(status->arrival, "2026-03-29");
  EXPECT_EQ(status->departure, "2026-04-03");
  EXPECT_EQ(status->spa_tax_cents, 1200);
  EXPECT_EQ(status->place, "Kellenhusen (Ostsee)");
  // Grouped input is fine; another registration's number, or a card of another registration, is not.
  std::string grouped = cards::FormatCardNumber(r.cards[1].card_number);
  EXPECT_EQ(service_->CardStatusForGuest(grouped, r.registration_number, "req")->spa_tax_cents, 0);
  EXPECT_EQ(service_->CardStatusForGuest(r.cards[0].card_number, other.registration_number, "req").status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(service_->CardStatusForGuest(other.cards[0].card_number, r.registration_number, "req").status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(service_->CardStatusForGuest("not a card", r.registration_number, "req").status().code(),
            ErrorCode::kNotFound);
  EXPECT_TRUE(service_->CardStatusForStaff(cli_, r.cards[0].card_number).ok());
  EXPECT_EQ(service_->CardStatusForStaff(landlord_a_.actor, r.cards[0].card_number).status().code(),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(Column("SELECT actor FROM audit.entries WHERE action = 'card_status.view' ORDER BY seq"),
            (std::vector<std::string>{"guest", "guest", "cli"}));
  // After unlinking, the stay dates stay (logistics), the tax is no longer reachable.
  ASSERT_TRUE(RunRetention(test_db_->db(), clock_, cli_, *ParseIsoDate("2026-05-01"), false).ok());
  auto later = service_->CardStatusForGuest(r.cards[0].card_number, r.registration_number, "req");
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->status, "departed");
  EXPECT_FALSE(later->spa_tax_cents.has_value());
  EXPECT_EQ(later->departure, "2026-04-03");
}

TEST_P(RegistrationTest, AReplacementCardKeepsTheCycleAndChangesOnlyTheNumber) {
  RegistrationResult r = RegisterDemo();
  std::string old_number = r.cards[0].card_number;
  auto cycle_before = Column("SELECT cycle_id FROM card_link.links WHERE card_number = '" + old_number + "'");
  ASSERT_EQ(cycle_before.size(), 1u);
  EXPECT_EQ(service_->ReplaceGuestCard(landlord_a_.actor, old_number, r.registration_number, "lost").status().code(),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(service_->ReplaceGuestCard(cli_, old_number, "AAAA-AAAA-AAAA", "lost").status().code(),
            ErrorCode::kNotFound);
  auto issued = service_->ReplaceGuestCard(cli_, old_number, r.registration_number, "lost");
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  EXPECT_NE(issued->card_number, old_number);
  EXPECT_EQ(issued->barcode.substr(18, 12), issued->card_number);
  EXPECT_EQ(Column("SELECT cycle_id FROM card_link.links WHERE card_number = '" + issued->card_number + "'"),
            cycle_before);
  EXPECT_TRUE(Column("SELECT cycle_id FROM card_link.links WHERE card_number = '" + old_number + "'").empty());
  EXPECT_EQ(Column("SELECT status FROM logistics.cards WHERE card_number = '" + old_number + "'"),
            std::vector<std::string>{"replaced"});
  auto status = service_->CardStatusForGuest(issued->card_number, r.registration_number, "req");
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(status->spa_tax_cents, 1200) << "the cycle keeps its data";
  EXPECT_EQ(service_->CardStatusForGuest(old_number, r.registration_number, "req").status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(service_->ReplaceGuestCard(cli_, old_number, r.registration_number, "again").status().code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Column("SELECT action FROM audit.entries WHERE action = 'card_link.issue_replacement'").size(), 1u);
}

TEST(RegistrationParseTest, EveryFieldIsValidatedByName) {
  nlohmann::json good = {
      {"accommodation_id", "acc-1"},
      {"arrival", "2026-03-29"},
      {"departure", "2026-04-03"},
      {"guests",
       {{{"family_name", "A"},
         {"given_name", "B"},
         {"birth_date", "1980-05-01"},
         {"nationality", "DE"},
         {"gender", "f"},
         {"address", {{"street", "S"}, {"postal_code", "91052"}, {"city", "C"}, {"country", "DE"}}}}}}};
  ASSERT_TRUE(ParseRegistration(good).ok());
  std::vector<std::pair<std::function<void(nlohmann::json&)>, std::string>> cases = {
      {[](auto& j) { j.erase("accommodation_id"); }, "accommodation_id"},
      {[](auto& j) { j["arrival"] = "29.03.2026"; }, "arrival"},
      {[](auto& j) { j["departure"] = "2026-03-28"; }, "departure"},
      {[](auto& j) { j["departure"] = "2027-04-03"; }, "departure"},
      {[](auto& j) { j["guests"] = nlohmann::json::array(); }, "guests"},
      {[](auto& j) { j["guests"][0].erase("birth_date"); }, "guests[0].birth_date"},
      {[](auto& j) { j["guests"][0]["birth_date"] = "2026-04-01"; }, "guests[0].birth_date"},
      {[](auto& j) { j["guests"][0]["family_name"] = " "; }, "guests[0].family_name"},
      {[](auto& j) { j["guests"][0]["family_name"] = std::string(101, 'a'); }, "guests[0].family_name"},
      {[](auto& j) { j["guests"][0]["given_name"] = "a\nb"; }, "guests[0].given_name"},
      {[](auto& j) { j["guests"][0]["nationality"] = "Deutsch"; }, "guests[0].nationality"},
      {[](auto& j) { j["guests"][0]["gender"] = "w"; }, "guests[0].gender"},
      {[](auto& j) { j["guests"][0]["address"]["postal_code"] = "9105"; }, "guests[0].address.postal_code"},
      {[](auto& j) { j["guests"][0]["address"]["country"] = 49; }, "guests[0].address.country"},
      {[](auto& j) { j["guests"][0]["address"]["planet"] = "Erde"; }, "guests[0].address.planet"},
      {[](auto& j) { j["guests"][0]["reductions"] = "severe_disability_80"; }, "guests[0].reductions"},
      {[](auto& j) { j["guests"][0]["card"] = "yes"; }, "guests[0].card"},
      {[](auto& j) {
         j["group"] = {{"size", 1}, {"country", "NL"}};
       },
       "group.size"},
      {[](auto& j) { j["marketing_consent"] = 1; }, "marketing_consent"},
      {[](auto& j) { j["spa_tax"] = 0; }, "spa_tax"},
  };
  for (const auto& [change, field] : cases) {
    nlohmann::json doc = good;
    change(doc);
    auto parsed = ParseRegistration(doc);
    ASSERT_FALSE(parsed.ok()) << doc.dump();
    EXPECT_EQ(parsed.status().field(), field) << doc.dump() << " → " << parsed.status().ToString();
  }
  nlohmann::json invalid_utf8 = good;
  invalid_utf8["guests"][0]["city"] = std::string("K\xc3", 2);
  EXPECT_EQ(ParseRegistration(invalid_utf8).status().field(), "guests[0].city");
}

// ---- Card logistics: production files, stock cards, re-initialisation (001 §3.4, §4.4) ----

// Card numbers of the municipality's guest-card scheme, with valid check digits.
std::string StockNumber(const std::string& scheme_code, int serial) {
  std::string body = scheme_code + std::string(8 - std::to_string(serial).size(), '0') + std::to_string(serial);
  return body + std::to_string(cards::LuhnDigit(body));
}

TEST(ProductionFileTest, EveryBadCellIsNamedAndNothingIsReturned) {
  std::string good = StockNumber("100", 1);
  std::string text =
      "\xEF\xBB\xBF"
      "Batch;Produktionsdatum;Kartentyp;Kartennummer;Umlaufzähler;Gemeindenummer;Gemeindeteilnummer;"
      "Ausgabestelle;Buchungssequenz;Gültig ab\r\n"
      "B1;01.03.2026;1.0;" +
      good +
      ";1;01055021;00;4711;;\r\n"
      "B1;31.02.2026;4.0;123456789012;0;1055021;x;;;\r\n"
      "B1;01.03.2026;3.0;" +
      good + ";;01055021;00;;;\r\n";
  std::vector<ProductionProblem> problems;
  auto cards = ParseProductionFile(text, problems);
  EXPECT_TRUE(cards.empty());
  std::vector<std::string> found;
  for (const auto& p : problems) found.push_back(std::to_string(p.line) + " " + p.column);
  EXPECT_EQ(found, (std::vector<std::string>{"3 Produktionsdatum", "3 Kartentyp", "3 Kartennummer", "3 Umlaufzähler",
                                             "3 Gemeindenummer", "3 Gemeindeteilnummer", "4 Kartennummer",
                                             "4 Buchungssequenz", "4 Gültig ab"}));
  problems.clear();
  cards = ParseProductionFile(
      "batch_id,produced_on,card_type,card_number,circulation_counter,municipality_number,"
      "part_number\n"
      "B2,2026-03-01,2.0," +
          good + ",3,01055021,00\n",
      problems);
  ASSERT_TRUE(problems.empty()) << problems.front().message;
  ASSERT_EQ(cards.size(), 1u);
  EXPECT_EQ(cards[0].card_type, "2.0");
  EXPECT_EQ(cards[0].circulation_counter, 3);
  problems.clear();
  ParseProductionFile("Batch;Kartennummer\n", problems);
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems.front().message, "column missing");
}

TEST(BarcodeTest, ThirtyTwoDigitsRoundTrip) {
  Barcode b{"01055021", "004711", 1, "100000000018", 7};
  std::string digits = FormatBarcode(b);
  EXPECT_EQ(digits, "01055021004711000110000000001807");
  auto parsed = ParseBarcode(digits);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->card_number, "100000000018");
  EXPECT_EQ(parsed->circulation_counter, 7);
  EXPECT_FALSE(ParseBarcode(digits.substr(1)));
  EXPECT_FALSE(ParseBarcode(digits.substr(1) + "x"));
}

class CardLifeTest : public RegistrationTest {
 protected:
  std::string SchemeCode() {
    return Column("SELECT CAST(scheme_code AS TEXT) FROM core.schemes WHERE kind = 'guest_card'").at(0);
  }
  Status Import(const std::string& text, std::vector<ProductionProblem>& problems) {
    LogisticsService logistics(test_db_->db(), clock_);
    return logistics.ImportProductionFile(cli_, "produktion.csv", text, problems).status();
  }
  std::string File(const std::string& batch, const std::vector<std::string>& numbers) {
    std::string text =
        "Batch;Produktionsdatum;Kartentyp;Kartennummer;Umlaufzähler;Gemeindenummer;Gemeindeteilnummer;"
        "Ausgabestelle\n";
    for (const auto& n : numbers) text += batch + ";01.03.2026;1.0;" + n + ";1;01055021;00;4711\n";
    return text;
  }
};

TEST_P(CardLifeTest, AProductionFileIsImportedWholeOrNotAtAll) {
  const std::string code = SchemeCode();
  std::vector<ProductionProblem> problems;
  ASSERT_TRUE(Import(File("B-1", {StockNumber(code, 1), StockNumber(code, 2)}), problems).ok());
  EXPECT_EQ(Count("logistics.cards"), 2);
  EXPECT_EQ(Column("SELECT status FROM logistics.cards ORDER BY card_number"),
            (std::vector<std::string>{"in_stock", "in_stock"}));
  // The same batch again, a known card, and another scheme's number: named, nothing added.
  Status again = Import(File("B-1", {StockNumber(code, 3)}), problems);
  EXPECT_EQ(again.code(), ErrorCode::kInvalidArgument);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].column, "Batch");
  Status mixed = Import(File("B-2", {StockNumber(code, 4), StockNumber(code, 2), StockNumber("999", 5)}), problems);
  EXPECT_EQ(mixed.code(), ErrorCode::kInvalidArgument);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_EQ(problems[1].line, 4);
  EXPECT_EQ(Count("logistics.cards"), 2);
  EXPECT_EQ(Count("logistics.batches"), 1);
  // Landlords do not import.
  LogisticsService logistics(test_db_->db(), clock_);
  EXPECT_EQ(logistics.ImportProductionFile(landlord_a_.actor, "x.csv", File("B-3", {StockNumber(code, 6)}), problems)
                .status()
                .code(),
            ErrorCode::kPermissionDenied);
}

TEST_P(CardLifeTest, ARegistrationTakesTheScannedCardFromStock) {
  const std::string code = SchemeCode();
  std::vector<ProductionProblem> problems;
  const std::string number = StockNumber(code, 11);
  ASSERT_TRUE(Import(File("B-1", {number}), problems).ok());
  const std::string sticker = FormatBarcode({"01055021", "004711", 1, number, 1});
  nlohmann::json body = Body(landlord_a_.accommodation);
  body["guests"][0]["card_barcode"] = sticker;
  auto input = ParseRegistration(body);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  auto result = service_->Register(landlord_a_.actor, *input);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->cards.size(), 2u);
  EXPECT_EQ(result->cards[0].card_number, number);
  EXPECT_EQ(result->cards[0].barcode, sticker);
  EXPECT_NE(result->cards[1].card_number, number);  // the child's card is drawn
  EXPECT_EQ(Column("SELECT status FROM logistics.cards WHERE card_number = '" + number + "'"),
            std::vector<std::string>{"in_service"});
  EXPECT_EQ(Count("card_link.links"), 2);

  // The same sticker again: in service already (409), nothing stored.
  const int64_t registrations = Count("spa_tax.registrations");
  auto twice = service_->Register(landlord_a_.actor, *input);
  EXPECT_EQ(twice.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(twice.status().field(), "guests[0].card_barcode");
  EXPECT_EQ(Count("spa_tax.registrations"), registrations);
  // A sticker of no stock card, and an old circulation counter.
  for (const std::string& bad :
       {FormatBarcode({"01055021", "004711", 1, StockNumber(code, 12), 1}),
        FormatBarcode({"01055021", "004711", 1, number, 2}), FormatBarcode({"01055022", "004711", 1, number, 1})}) {
    body["guests"][0]["card_barcode"] = bad;
    auto other = service_->Register(landlord_a_.actor, *ParseRegistration(body));
    EXPECT_EQ(other.status().code(), ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(other.status().field(), "guests[0].card_barcode");
  }
  body["guests"][0]["card_barcode"] = "0105";
  EXPECT_EQ(ParseRegistration(body).status().field(), "guests[0].card_barcode");
  body["guests"][0]["card_barcode"] = sticker;
  body["guests"][0]["card"] = false;
  EXPECT_EQ(ParseRegistration(body).status().field(), "guests[0].card");
  EXPECT_EQ(Count("spa_tax.registrations"), registrations);
}

TEST_P(CardLifeTest, ReinitialisationNeedsTheLinkGoneAndRaisesTheCirculationCounter) {
  RegistrationResult r = RegisterDemo();  // 2026-03-29 to 2026-04-03
  ASSERT_EQ(r.cards.size(), 2u);
  const std::string number = r.cards[0].card_number;
  LogisticsService logistics(test_db_->db(), clock_);
  const int64_t audited_before = Count("audit.entries");
  auto early = logistics.Reinitialise(cli_, number);
  EXPECT_EQ(early.status().code(), ErrorCode::kFailedPrecondition) << early.status().ToString();
  EXPECT_GT(Count("audit.entries"), audited_before) << "the look into card_link is audited, refused or not";
  EXPECT_EQ(logistics.Reinitialise(landlord_a_.actor, number).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(logistics.Reinitialise(cli_, "100000000000").status().code(), ErrorCode::kNotFound);

  ASSERT_TRUE(RunRetention(test_db_->db(), clock_, cli_, *ParseIsoDate("2026-04-20"), false).ok());
  auto card = logistics.Reinitialise(cli_, number);
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  EXPECT_EQ(card->circulation_counter, 2);
  EXPECT_EQ(card->barcode.substr(18, 12), number);
  EXPECT_EQ(card->barcode.substr(30), "02");
  EXPECT_EQ(Column("SELECT status FROM logistics.cards WHERE card_number = '" + number + "'"),
            std::vector<std::string>{"in_stock"});
  EXPECT_EQ(logistics.Reinitialise(cli_, number).status().code(), ErrorCode::kFailedPrecondition) << "in stock already";
  // The next guest gets it with the new sticker; the old one is refused.
  nlohmann::json body = Body(landlord_a_.accommodation);
  body["arrival"] = "2026-05-02";
  body["departure"] = "2026-05-09";
  body["guests"][0]["card_barcode"] = FormatBarcode({"01055021", "004711", 1, number, 1});
  EXPECT_EQ(service_->Register(landlord_a_.actor, *ParseRegistration(body)).status().code(),
            ErrorCode::kInvalidArgument);
  body["guests"][0]["card_barcode"] = card->barcode;
  auto next = service_->Register(landlord_a_.actor, *ParseRegistration(body));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->cards[0].card_number, number);
  auto status = service_->CardStatusForStaff(cli_, number);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->arrival, "2026-05-02");
  auto listed = logistics.ListCards(cli_, municipality_, "in_service", 10);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u);  // the first stay's two are departed (and one of them taken again)
}

TEST_P(CardLifeTest, ACardHandedOutBeforeTheStayKeepsItsCycleWhenRegistered) {
  const std::string code = SchemeCode();
  std::vector<ProductionProblem> problems;
  const std::string number = StockNumber(code, 21), unused = StockNumber(code, 22);
  ASSERT_TRUE(Import(File("B-1", {number, unused}), problems).ok());
  LogisticsService logistics(test_db_->db(), clock_);
  const std::string sticker = FormatBarcode({"01055021", "004711", 1, number, 1});
  auto handed = logistics.HandOut(landlord_a_.actor, sticker);
  ASSERT_TRUE(handed.ok()) << handed.status().ToString();
  EXPECT_EQ(handed->valid_days, 28);
  ASSERT_TRUE(logistics.HandOut(cli_, FormatBarcode({"01055021", "004711", 1, unused, 1})).ok());
  EXPECT_EQ(logistics.HandOut(cli_, sticker).status().code(), ErrorCode::kFailedPrecondition) << "handed out already";
  EXPECT_EQ(logistics.HandOut(cli_, "123").status().field(), "card_barcode");
  EXPECT_EQ(Column("SELECT status FROM logistics.cards WHERE card_number = '" + number + "'"),
            std::vector<std::string>{"handed_out"});
  EXPECT_EQ(Count("card_link.links"), 2);
  EXPECT_EQ(Column("SELECT CAST(provisional_days AS TEXT) FROM card_usage.cycles"),
            (std::vector<std::string>{"28", "28"}));

  // The registration brings the stay: same link, same cycle, the real dates.
  nlohmann::json body = Body(landlord_a_.accommodation);
  body["guests"][0]["card_barcode"] = sticker;
  body["guests"][1]["card"] = false;
  auto result = service_->Register(landlord_a_.actor, *ParseRegistration(body));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->cards.at(0).card_number, number);
  EXPECT_EQ(Count("card_link.links"), 2);
  EXPECT_EQ(Count("card_usage.cycles"), 2);
  EXPECT_EQ(Column("SELECT arrival FROM card_usage.cycles WHERE provisional_days IS NULL"),
            std::vector<std::string>{"2026-03-29"});
  EXPECT_EQ(Column("SELECT status FROM logistics.cards WHERE card_number = '" + number + "'"),
            std::vector<std::string>{"in_service"});
  EXPECT_EQ(Column("SELECT action FROM audit.entries WHERE action = 'card_link.enrol_guest_data' ORDER BY seq").size(),
            3u)
      << "two hand-outs and the registration reading the link";
  auto status = service_->CardStatusForStaff(cli_, number);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->departure, "2026-04-03");

  // The unused one is given up a year and 14 days after it was handed out.
  const Date handed_out_on = BerlinDate(clock_.NowUnix());
  ASSERT_TRUE(RunRetention(test_db_->db(), clock_, cli_, AddDays(handed_out_on, 365 + 13), false).ok());
  EXPECT_EQ(Count("card_link.links"), 1) << "the unused card is still linked";
  ASSERT_TRUE(RunRetention(test_db_->db(), clock_, cli_, AddDays(handed_out_on, 365 + 14), false).ok());
  EXPECT_EQ(Count("card_link.links"), 0);
  EXPECT_EQ(Column("SELECT status FROM logistics.cards WHERE card_number = '" + unused + "'"),
            std::vector<std::string>{"departed"});
}

// ---- Annual cards (001 §2.2, §3.3.2, §3.3.3.4) ---------------------------------

class AnnualCardTest : public CardLifeTest {
 protected:
  void SetUp() override {
    CardLifeTest::SetUp();
    if (IsSkipped()) return;
    // Hohenkirchen 2024: €32 a year, €16 for 6 to 15 and GdB over 50, under 6 exempt.
    auto tariff = ParseTariffText(web::FindAsset("/static/tariffs/hohenkirchen-2024.json")->data);
    ASSERT_TRUE(tariff.ok());
    ASSERT_TRUE(service_->SetTariff(cli_, municipality_, *tariff).ok());
    annual_ = std::make_unique<AnnualCardService>(test_db_->db(), clock_, box_);
    clerk_ = Staff("amt.clerk", accounts::Role::kClerk);
  }

  accounts::Actor Staff(const std::string& username, accounts::Role role) {
    accounts::NewUser user;
    user.username = username;
    user.display_name = username;
    user.role = role;
    user.municipality_id = municipality_;
    user.password = "a-long-enough-password";
    auto created = accounts_->CreateUser(cli_, user);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    accounts::Actor actor;
    actor.id = "user:" + std::to_string(created->id);
    actor.user = *created;
    return actor;
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

TEST_P(CardLifeTest, TheStockIsListedByStatusAndTypeAPageAtATime) {
  const std::string code = SchemeCode();
  std::vector<ProductionProblem> problems;
  std::string file = File("B-1", {StockNumber(code, 31), StockNumber(code, 32), StockNumber(code, 33)});
  file += "B-1;01.03.2026;2.0;" + StockNumber(code, 34) + ";1;01055021;00;4711\n";
  file += "B-1;01.03.2026;2.0;" + StockNumber(code, 35) + ";1;01055021;00;4711\n";
  ASSERT_TRUE(Import(file, problems).ok());
  LogisticsService logistics(test_db_->db(), clock_);
  ASSERT_TRUE(logistics.HandOut(cli_, FormatBarcode({"01055021", "004711", 1, StockNumber(code, 35), 1})).ok());
  auto numbers = [&](const StockFilter& filter) {
    std::vector<std::string> out;
    auto listed = logistics.ListCards(cli_, municipality_, filter);
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    if (listed.ok()) {
      for (const auto& c : *listed) out.push_back(c.card_number);
    }
    return out;
  };
  EXPECT_EQ(numbers({"", "2.0", 100, 0}), (std::vector<std::string>{StockNumber(code, 34), StockNumber(code, 35)}));
  EXPECT_EQ(numbers({"in_stock", "2.0", 100, 0}), std::vector<std::string>{StockNumber(code, 34)});
  EXPECT_EQ(numbers({"handed_out", "", 100, 0}), std::vector<std::string>{StockNumber(code, 35)});
  // Pages: the same order throughout, no card twice.
  EXPECT_EQ(numbers({"", "", 2, 0}), (std::vector<std::string>{StockNumber(code, 31), StockNumber(code, 32)}));
  EXPECT_EQ(numbers({"", "", 2, 2}), (std::vector<std::string>{StockNumber(code, 33), StockNumber(code, 34)}));
  EXPECT_EQ(numbers({"", "", 2, 4}), std::vector<std::string>{StockNumber(code, 35)});
  EXPECT_TRUE(numbers({"", "", 2, 6}).empty());
  EXPECT_EQ(logistics.ListCards(cli_, municipality_, StockFilter{"", "4.0", 10, 0}).status().field(), "card_type");
  EXPECT_EQ(logistics.ListCards(cli_, municipality_, StockFilter{"lost", "", 10, 0}).status().field(), "status");
  EXPECT_EQ(logistics.ListCards(landlord_a_.actor, municipality_, StockFilter{}).status().code(),
            ErrorCode::kPermissionDenied);
}

TEST_P(RegistrationTest, ACsvBatchIsRegisteredWholeOrNotAtAll) {
  const std::string header =
      "Meldeschein;Unterkunft;Anreise;Abreise;Familienname;Vorname;Geburtsdatum;Staatsangehörigkeit;Geschlecht;"
      "Straße;PLZ;Ort;Land\n";
  auto row = [&](const std::string& group, const std::string& given, const std::string& birth) {
    return group + ";" + landlord_a_.accommodation + ";29.03.2026;03.04.2026;Seemann;" + given + ";" + birth +
           ";DE;w;Hafenweg 2;24103;Kiel;DE\n";
  };
  std::vector<CsvProblem> problems;
  auto bad = RegisterCsvBatch(
      *service_, landlord_a_.actor,
      header + row("1", "Erika", "01.05.1980") + row("1", "Max", "") + row("2", "Ida", "31.02.1990"), problems);
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_EQ(problems[0].column, "Geburtsdatum");
  EXPECT_EQ(problems[1].line, 4);
  EXPECT_EQ(Count("spa_tax.registrations"), 0);

  // Another landlord's accommodation: refused while storing, traced to its line, nothing stored.
  auto foreign = RegisterCsvBatch(*service_, landlord_b_.actor, header + row("1", "Erika", "01.05.1980"), problems);
  EXPECT_EQ(foreign.status().code(), ErrorCode::kNotFound);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].line, 2);
  EXPECT_EQ(problems[0].column, "Unterkunft");
  EXPECT_EQ(Count("spa_tax.registrations"), 0);

  auto good = RegisterCsvBatch(
      *service_, landlord_a_.actor,
      header + row("1", "Erika", "01.05.1980") + row("1", "Max", "01.06.2015") + row("2", "Ida", "02.02.1990"),
      problems);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(good->registrations.size(), 2u);
  EXPECT_EQ(good->guest_lines, (std::vector<std::vector<int>>{{2, 3}, {4}}));
  EXPECT_EQ(good->registrations[0].total_cents, 1200);
  EXPECT_EQ(good->registrations[0].cards.size(), 2u);
  EXPECT_EQ(Count("spa_tax.registrations"), 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, CardLifeTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

INSTANTIATE_TEST_SUITE_P(Backends, AnnualCardTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

INSTANTIATE_TEST_SUITE_P(Backends, RegistrationTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::guestcards
