// The three shipped tariffs (web/static/tariffs/), computed as their statutes
// say: season boundaries, the new-year wrap, birthdays during the stay (age
// on the arrival day counts), reductions, annual rates and validation.
#include "guestcards/tariff.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

namespace passwerk::guestcards {
namespace {

Tariff Load(const std::string& file) {
  std::ifstream in(std::string(PASSWERK_SOURCE_DIR) + "/web/static/tariffs/" + file);
  std::stringstream text;
  text << in.rdbuf();
  auto tariff = ParseTariffText(text.str());
  EXPECT_TRUE(tariff.ok()) << file << ": " << tariff.status().ToString();
  return tariff.ok() ? *tariff : Tariff{};
}

Date D(const char* iso) { return *ParseIsoDate(iso); }

struct Case {
  const char* what;
  const char* arrival;
  const char* departure;
  const char* birth;
  std::vector<std::string> reductions;
  int days;
  int64_t cents;
};

void ExpectCases(const Tariff& tariff, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    auto tax = ComputeGuestTax(tariff, D(c.arrival), D(c.departure), D(c.birth), c.reductions);
    ASSERT_TRUE(tax.ok()) << c.what << ": " << tax.status().ToString();
    EXPECT_EQ(tax->charged_days, c.days) << c.what;
    EXPECT_EQ(tax->amount_cents, c.cents) << c.what;
  }
}

TEST(TariffTest, Kellenhusen2022) {
  Tariff t = Load("kellenhusen-2022.json");
  ExpectCases(
      t, {
             {"adult across the season change on 1 April",
              "2026-03-29",
              "2026-04-03",
              "1980-05-01",
              {},
              5,
              3 * 200 + 2 * 300},
             {"last low-season night 31 March", "2026-03-31", "2026-04-01", "1980-05-01", {}, 1, 200},
             {"first high-season night 1 April", "2026-04-01", "2026-04-02", "1980-05-01", {}, 1, 300},
             {"night of 31 October is high season", "2026-10-31", "2026-11-02", "1980-05-01", {}, 2, 300 + 200},
             {"over new year: 18.12.–08.01.",
              "2026-12-18",
              "2027-01-08",
              "1980-05-01",
              {},
              21,
              2 * 200 + 12 * 300 + 5 * 300 + 2 * 200},
             {"child under 18 is exempt", "2026-07-01", "2026-07-08", "2015-02-01", {}, 7, 0},
             {"turns 18 during the stay: age on arrival counts", "2026-07-01", "2026-07-08", "2008-07-03", {}, 7, 0},
             {"turns 18 on the arrival day pays", "2026-07-01", "2026-07-08", "2008-07-01", {}, 7, 7 * 300},
             {"GdB 80 pays half", "2026-07-01", "2026-07-03", "1960-01-01", {"severe_disability_80"}, 2, 300},
             {"companion B pays half", "2026-07-01", "2026-07-03", "1960-01-01", {"companion_b"}, 2, 300},
             {"GdB 100 is exempt", "2026-07-01", "2026-07-03", "1960-01-01", {"severe_disability_100"}, 2, 0},
             {"companion of GdB 100 is exempt",
              "2026-07-01",
              "2026-07-03",
              "1960-01-01",
              {"companion_severe_disability_100"},
              2,
              0},
             {"the best of two reductions",
              "2026-07-01",
              "2026-07-03",
              "1960-01-01",
              {"companion_b", "severe_disability_100"},
              2,
              0},
             {"same-day visit: no night", "2026-07-01", "2026-07-01", "1960-01-01", {}, 0, 0},
         });
  auto applied = ComputeGuestTax(t, D("2026-07-01"), D("2026-07-03"), D("2015-01-01"), {"severe_disability_80"});
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(applied->applied, std::vector<std::string>{"under_18"});
  auto unknown = ComputeGuestTax(t, D("2026-07-01"), D("2026-07-03"), D("1980-01-01"), {"student"});
  EXPECT_EQ(unknown.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(unknown.status().field(), "reductions[0]");
  auto backwards = ComputeGuestTax(t, D("2026-07-03"), D("2026-07-01"), D("1980-01-01"), {});
  EXPECT_EQ(backwards.status().field(), "departure");
  EXPECT_EQ(ComputeAnnualTax(t, D("1980-01-01"), D("2026-01-01"), {}).status().code(), ErrorCode::kFailedPrecondition);
  // A group of 25: the leader as a guest, 24 members at the full rate.
  EXPECT_EQ(t.group_min_size, 11);
  EXPECT_EQ(ComputeMemberTax(t, D("2026-03-30"), D("2026-04-02")).amount_cents, 200 + 200 + 300);
}

TEST(TariffTest, Hohenkirchen2024) {
  Tariff t = Load("hohenkirchen-2024.json");
  ExpectCases(
      t, {
             {"only April to October is charged", "2024-03-30", "2024-04-03", "1980-05-01", {}, 4, 2 * 100},
             {"31 October charged, 1 November not", "2024-10-30", "2024-11-03", "1980-05-01", {}, 4, 2 * 100},
             {"winter is free", "2024-11-10", "2024-11-20", "1980-05-01", {}, 10, 0},
             {"under 6 exempt", "2024-07-01", "2024-07-05", "2019-01-01", {}, 4, 0},
             {"6 pays half", "2024-07-01", "2024-07-05", "2018-07-01", {}, 4, 200},
             {"15 pays half", "2024-07-01", "2024-07-05", "2009-01-01", {}, 4, 200},
             {"16 pays full", "2024-07-01", "2024-07-05", "2008-07-01", {}, 4, 400},
             {"turns 6 during the stay: still exempt", "2024-07-01", "2024-07-05", "2018-07-03", {}, 4, 0},
             {"GdB over 50 pays half", "2024-07-01", "2024-07-05", "1950-01-01", {"severe_disability_over_50"}, 4, 200},
         });
  EXPECT_EQ(*ComputeAnnualTax(t, D("1980-01-01"), D("2024-04-01"), {}), 3200);
  EXPECT_EQ(*ComputeAnnualTax(t, D("2014-01-01"), D("2024-04-01"), {}), 1600);
  EXPECT_EQ(*ComputeAnnualTax(t, D("1950-01-01"), D("2024-04-01"), {"severe_disability_over_50"}), 1600);
  EXPECT_EQ(*ComputeAnnualTax(t, D("2020-01-01"), D("2024-04-01"), {}), 0);
}

TEST(TariffTest, Buesum) {
  Tariff t = Load("buesum.json");
  ExpectCases(
      t, {
             {"April into May", "2024-04-29", "2024-05-02", "1980-05-01", {}, 3, 2 * 200 + 300},
             {"severely disabled: fixed season rates",
              "2024-04-29",
              "2024-05-02",
              "1980-05-01",
              {"severe_disability"},
              3,
              2 * 130 + 200},
             {"September into October", "2024-09-29", "2024-10-02", "1980-05-01", {}, 3, 2 * 300 + 200},
             {"October into November", "2024-10-30", "2024-11-02", "1980-05-01", {}, 3, 2 * 200 + 100},
             {"winter over new year", "2024-12-30", "2025-01-02", "1980-05-01", {}, 3, 3 * 100},
             {"winter in a leap year ends 29 February", "2024-02-28", "2024-03-02", "1980-05-01", {}, 3, 2 * 100 + 200},
             {"winter in other years ends 28 February", "2025-02-27", "2025-03-02", "1980-05-01", {}, 3, 2 * 100 + 200},
             {"disabled in winter pay the normal winter rate",
              "2025-02-27",
              "2025-03-02",
              "1980-05-01",
              {"severe_disability"},
              3,
              2 * 100 + 130},
             {"under 18 exempt", "2024-07-01", "2024-07-08", "2010-01-01", {}, 7, 0},
         });
  EXPECT_EQ(*ComputeAnnualTax(t, D("1980-01-01"), D("2024-04-01"), {}), 8400);
}

TEST(TariffTest, RoundTripsThroughItsJson) {
  Tariff t = Load("buesum.json");
  auto again = ParseTariff(TariffJson(t));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(TariffJson(*again), TariffJson(t));
}

TEST(TariffTest, ValidationNamesTheField) {
  auto base = R"({"name": "T", "valid_from": "2026-01-01",
                  "seasons": [{"name": "A", "from": "01-01", "to": "12-31", "rate_cents": 100}]})"_json;
  ASSERT_TRUE(ParseTariff(base).ok());
  struct Bad {
    std::function<void(nlohmann::json&)> change;
    std::string field;
  };
  std::vector<Bad> bad = {
      {[](auto& j) { j.erase("name"); }, "name"},
      {[](auto& j) { j["valid_from"] = "2026-02-30"; }, "valid_from"},
      {[](auto& j) { j["counting"] = "per_week"; }, "counting"},
      {[](auto& j) { j["seasons"] = nlohmann::json::array(); }, "seasons"},
      {[](auto& j) { j["seasons"][0]["to"] = "13-01"; }, "seasons[0].to"},
      {[](auto& j) { j["seasons"][0]["from"] = "02-30"; }, "seasons[0].from"},
      {[](auto& j) { j["seasons"][0]["rate_cents"] = 2.5; }, "seasons[0].rate_cents"},
      {[](auto& j) { j["seasons"][0]["rate_cents"] = -1; }, "seasons[0].rate_cents"},
      {[](auto& j) {
         j["seasons"].push_back({{"name", "B"}, {"from", "06-01"}, {"to", "06-30"}, {"rate_cents", 1}});
       },
       "seasons"},
      {[](auto& j) {
         j["age_bands"] = {{{"id", "kids"}, {"below_age", 0}, {"percent", 0}}};
       },
       "age_bands[0].below_age"},
      {[](auto& j) {
         j["age_bands"] = {{{"id", "Kids!"}, {"below_age", 6}, {"percent", 0}}};
       },
       "age_bands[0].id"},
      {[](auto& j) {
         j["reductions"] = {{{"id", "r"}, {"percent", 101}}};
       },
       "reductions[0].percent"},
      {[](auto& j) {
         j["reductions"] = {{{"id", "r"}}};
       },
       "reductions[0].percent"},
      {[](auto& j) {
         j["reductions"] = {{{"id", "r"}, {"season_rates", {{"Z", 5}}}}};
       },
       "reductions[0].season_rates.Z"},
      {[](auto& j) {
         j["annual"] = {{"rate_cents", 100}, {"reduced_cents", 50}};
       },
       "annual.reduced_for"},
      {[](auto& j) { j["group_min_size"] = 1; }, "group_min_size"},
  };
  for (const Bad& b : bad) {
    nlohmann::json doc = base;
    b.change(doc);
    auto parsed = ParseTariff(doc);
    ASSERT_FALSE(parsed.ok()) << doc.dump();
    EXPECT_EQ(parsed.status().field(), b.field) << doc.dump() << " → " << parsed.status().ToString();
  }
  EXPECT_FALSE(ParseTariffText("{not json").ok());
}

TEST(TariffTest, AgeBandsOfFiveYears) {
  EXPECT_EQ(AgeBandLabel(0), "0-17");
  EXPECT_EQ(AgeBandLabel(17), "0-17");
  EXPECT_EQ(AgeBandLabel(18), "18-22");
  EXPECT_EQ(AgeBandLabel(22), "18-22");
  EXPECT_EQ(AgeBandLabel(23), "23-27");
  EXPECT_EQ(AgeBandLabel(82), "78-82");
  EXPECT_EQ(AgeBandLabel(90), "83+");
  EXPECT_EQ(AgeOn(D("2000-02-29"), D("2023-02-28")), 22);
  EXPECT_EQ(AgeOn(D("2000-02-29"), D("2023-03-01")), 23);
}

}  // namespace
}  // namespace passwerk::guestcards
