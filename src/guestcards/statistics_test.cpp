// Spa-tax statistics (001 §3.7) on every backend: cells by month, age band
// and accommodation, small cells suppressed (and a second one so the total
// does not give them away), the CSV export, and who may see them.
#include "guestcards/statistics.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "guestcards/testing/guest_card_fixture.h"
#include "storage/testing/backends.h"

namespace passwerk::guestcards {
namespace {

class StatisticsTest : public testing::GuestCardFixture {};

TEST_P(StatisticsTest, SmallCellsAreSuppressed) {
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

// The one visibility rule behind the API and the staff page.
TEST_P(StatisticsTest, TheServiceFindsTheMunicipalityAndKeepsOthersOut) {
  for (int i = 0; i < 3; ++i) RegisterDemo();
  StatisticsService statistics(test_db_->db(), *accounts_, *service_);
  auto other = accounts_->CreateMunicipality(cli_, "01055099", "Nachbardorf");
  ASSERT_TRUE(other.ok());
  const accounts::Actor clerk = Staff("clerk.stats", accounts::Role::kClerk);
  const accounts::Actor auditor = Staff("auditor.stats", accounts::Role::kAuditor);

  // Without a number: the clerk's own municipality.
  auto own = statistics.Compute(clerk, "", 2026, StatisticsBy::kAccommodation, /*accommodations_by_name=*/true);
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  EXPECT_EQ(own->municipality_number, "01055021");
  EXPECT_EQ(own->total.guests, 6);
  ASSERT_EQ(own->cells.size(), 1u);
  EXPECT_EQ(own->cells[0].key, "Haus vermieter.a") << "labelled with the accommodation's name";
  // Another municipality by number: refused; an unknown number: not found.
  EXPECT_EQ(statistics.Compute(clerk, "01055099", 2026, StatisticsBy::kMonth, false).status().code(),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(statistics.Compute(clerk, "99999999", 2026, StatisticsBy::kMonth, false).status().code(),
            ErrorCode::kNotFound);
  // An auditor belongs to no municipality: it must name one, and may read any.
  EXPECT_EQ(statistics.Compute(auditor, "", 2026, StatisticsBy::kMonth, false).status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(statistics.Compute(auditor, "01055099", 2026, StatisticsBy::kMonth, false).ok());
  // Landlords never, whatever they ask for.
  EXPECT_EQ(statistics.Compute(landlord_a_.actor, "", 2026, StatisticsBy::kMonth, false).status().code(),
            ErrorCode::kPermissionDenied);
  EXPECT_FALSE(accounts::Can(landlord_a_.actor, accounts::Action::kReadStatistics));
  EXPECT_TRUE(accounts::Can(clerk, accounts::Action::kReadStatistics));

  // Where the page opens: the own municipality, else the first.
  EXPECT_EQ(statistics.DefaultMunicipality(clerk), "01055021");
  EXPECT_EQ(statistics.DefaultMunicipality(auditor), "01055021");
  EXPECT_EQ(statistics.DefaultMunicipality(landlord_a_.actor), "01055021") << "its own; Compute refuses it";
}

INSTANTIATE_TEST_SUITE_P(Backends, StatisticsTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::guestcards
