// Test support: one municipality (Kellenhusen, 01055021) with a guest-card
// scheme, the Kellenhusen 2022 tariff and two landlords, on every storage
// backend, with the segments of the guest-card handle. Shared by the tests of
// registrations, annual cards, logistics, retention and statistics.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "accounts/accounts.h"
#include "accounts/testing/actors.h"
#include "cards/card_number.h"
#include "cards/cards.h"
#include "guestcards/logistics.h"
#include "guestcards/registrations.h"
#include "guestcards/tariff.h"
#include "storage/testing/backends.h"
#include "web/assets.h"

namespace passwerk::guestcards::testing {

inline const std::vector<storage::Segment> kGuestCardSegments = {
    storage::Segment::kCore,      storage::Segment::kAudit,    storage::Segment::kSpaTax,
    storage::Segment::kMarketing, storage::Segment::kCardLink, storage::Segment::kCardUsage,
    storage::Segment::kLogistics, storage::Segment::kHistory,  storage::Segment::kSettlement};

// A card number of `scheme_code` with a valid check digit.
inline std::string StockNumber(const std::string& scheme_code, int serial) {
  std::string body = scheme_code + std::string(8 - std::to_string(serial).size(), '0') + std::to_string(serial);
  return body + std::to_string(cards::LuhnDigit(body));
}

class GuestCardFixture : public ::testing::TestWithParam<storage::testing::Backend> {
 protected:
  void SetUp() override {
    std::string reason;
    test_db_ = storage::testing::TestDatabase::Create(GetParam(), kGuestCardSegments, &reason);
    if (!test_db_) GTEST_SKIP() << reason;
    accounts_ = std::make_unique<accounts::AccountService>(test_db_->db(), clock_, box_, throttle_);
    service_ = std::make_unique<RegistrationService>(test_db_->db(), clock_, box_);
    cli_.id = "cli";
    auto m = accounts_->CreateMunicipality(cli_, "01055021", "Kellenhusen (Ostsee)");
    ASSERT_TRUE(m.ok());
    municipality_ = m->id;
    ASSERT_TRUE(accounts_->CreateDepartment(cli_, municipality_, "Tourist-Information").ok());
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

  // A staff account in `role` (of the municipality, unless an operator or
  // auditor, who belong to none), as an actor.
  accounts::Actor Staff(const std::string& username, accounts::Role role) {
    const bool of_municipality = role != accounts::Role::kOperator && role != accounts::Role::kAuditor;
    return accounts::testing::CreateStaff(*accounts_, cli_, username, role,
                                          of_municipality ? std::optional<int64_t>(municipality_) : std::nullopt);
  }

  // A registration of two guests (an adult and a child, both with cards),
  // 2026-03-29 to 2026-04-03, with marketing consent.
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
                    .Read([&](storage::Tx& tx) -> Status {
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
                    .Read([&](storage::Tx& tx) -> Status {
                      PW_ASSIGN_OR_RETURN(storage::Rows rows, tx.Query(sql));
                      for (const auto& row : rows) out.push_back(row.Text(0));
                      return Status::Ok();
                    })
                    .ok());
    return out;
  }

  // Everything a segment stores, as bytes: its SQLite file, or on
  // PostgreSQL the text of every row of every table in its schema.
  std::string SegmentBytes(storage::Segment segment) {
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

  // The three-digit code of the municipality's guest-card scheme.
  std::string SchemeCode() {
    return Column("SELECT CAST(scheme_code AS TEXT) FROM core.schemes WHERE kind = 'guest_card'").at(0);
  }
  Status Import(const std::string& text, std::vector<ProductionProblem>& problems) {
    LogisticsService logistics(test_db_->db(), clock_);
    return logistics.ImportProductionFile(cli_, "produktion.csv", text, problems).status();
  }
  // A production file of adult cards (type 1.0) of this municipality.
  std::string File(const std::string& batch, const std::vector<std::string>& numbers) {
    std::string text =
        "Batch;Produktionsdatum;Kartentyp;Kartennummer;Umlaufzähler;Gemeindenummer;Gemeindeteilnummer;"
        "Ausgabestelle\n";
    for (const auto& n : numbers) text += batch + ";01.03.2026;1.0;" + n + ";1;01055021;00;4711\n";
    return text;
  }

  ManualClock clock_{1795000000};  // 2026-11-18
  crypto::SecretBox box_ = crypto::SecretBox::FromHexKeys({std::string(64, 'd')}).value();
  accounts::LoginThrottle throttle_{clock_};
  std::unique_ptr<storage::testing::TestDatabase> test_db_;
  std::unique_ptr<accounts::AccountService> accounts_;
  std::unique_ptr<RegistrationService> service_;
  accounts::Actor cli_;
  int64_t municipality_ = 0;
  LandlordSetup landlord_a_, landlord_b_;
};

}  // namespace passwerk::guestcards::testing
