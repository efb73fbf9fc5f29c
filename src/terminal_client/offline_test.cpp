#include "terminal_client/offline.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace passwerk::terminal_client {
namespace {

using terminals::Denial;

// The example of docs/terminal-protocol.md §2, with a few more packages.
const char* kSyncData = R"({
  "protocol": 1,
  "as_of": "2026-07-14T18:02:11Z",
  "municipality_number": "01051056",
  "services": [{"service_number": "201", "name": "Meerwasser-Hallenbad", "vu_number": "100200", "points": 2},
               {"service_number": "301", "name": "Sauna", "vu_number": "100200", "points": 5},
               {"service_number": "401", "name": "Bus", "vu_number": "100300", "points": 1}],
  "packages": [{"package_number": "9002", "kind": "days_of", "name": "3 aus 7", "price_cents": 2900,
                "sale_from": "2026-01-01", "sale_to": "2026-12-31", "validity_days": 30,
                "days": 3, "window_days": 7, "points": null, "services": ["201", "301"]},
               {"package_number": "9003", "kind": "single", "name": "Einmal Sauna", "price_cents": 900,
                "sale_from": "2026-01-01", "sale_to": "2026-12-31", "validity_days": 10,
                "days": null, "window_days": null, "points": null, "services": ["301"]},
               {"package_number": "9004", "kind": "points", "name": "Punkte", "price_cents": 2000,
                "sale_from": "2026-01-01", "sale_to": "2026-12-31", "validity_days": 365,
                "days": null, "window_days": null, "points": 6, "services": ["201", "301"]}],
  "blocked_cards": [{"card_number": "103000000042", "circulation_counter": 1}]
})";

Catalogue Parsed() {
  auto catalogue = ParseCatalogue(nlohmann::json::parse(kSyncData));
  EXPECT_TRUE(catalogue.ok()) << catalogue.status().ToString();
  return *catalogue;
}

LocalHolding Sold(const Catalogue& catalogue, std::string package_number, Date day, int64_t id) {
  LocalHolding held;
  held.id = id;
  held.card_number = "103000000059";
  held.circulation_counter = 1;
  held.package_number = package_number;
  held.holding = terminals::NewHolding(*catalogue.FindPackage(package_number), day);
  return held;
}

TEST(OfflineTest, ReadsSyncData) {
  Catalogue catalogue = Parsed();
  EXPECT_EQ(catalogue.municipality_number, "01051056");
  EXPECT_EQ(catalogue.services.at("201").points, 2);
  ASSERT_EQ(catalogue.packages.size(), 3u);
  const auto* days_of = catalogue.FindPackage("9002");
  ASSERT_NE(days_of, nullptr);
  EXPECT_EQ(days_of->kind, terminals::PackageKind::kDaysOf);
  EXPECT_EQ(days_of->days, 3);
  EXPECT_EQ(days_of->window_days, 7);
  EXPECT_EQ(days_of->sale_to, (Date{2026, 12, 31}));
  EXPECT_TRUE(days_of->Covers("301"));
  EXPECT_EQ(catalogue.FindPackage("9004")->points, 6);
  auto blocked = ParseBlockedCards(nlohmann::json::parse(kSyncData));
  ASSERT_TRUE(blocked.ok());
  ASSERT_EQ(blocked->size(), 1u);
  EXPECT_EQ((*blocked)[0].card_number, "103000000042");
}

TEST(OfflineTest, MalformedSyncDataIsAnErrorNotACrash) {
  EXPECT_FALSE(ParseCatalogue(nlohmann::json::parse(R"({"services": {}})")).ok());
  EXPECT_FALSE(ParseCatalogue(nlohmann::json::parse(R"({"packages": [{"package_number": "1", "kind": "single",
    "validity_days": "ten"}]})"))
                   .ok());
  EXPECT_FALSE(ParseBlockedCards(nlohmann::json::parse(R"({"blocked_cards": [1]})")).ok());
  EXPECT_FALSE(ParseCatalogue(nlohmann::json::parse("[]")).ok());
}

TEST(OfflineTest, ASingleTicketSoldHereIsUsedOnce) {
  Catalogue catalogue = Parsed();
  std::vector<LocalHolding> held = {Sold(catalogue, "9003", {2026, 7, 14}, 5)};
  OfflineDecision first = DecideOffline(catalogue, false, held, {"301", std::nullopt, {2026, 7, 15}});
  ASSERT_TRUE(first.allowed());
  EXPECT_EQ(first.package_number, "9003");
  EXPECT_FALSE(first.base_assumed);
  ASSERT_TRUE(first.updated.has_value());
  EXPECT_EQ(first.updated->id, 5);
  EXPECT_EQ(first.updated->holding.uses, 1);

  held[0] = *first.updated;
  OfflineDecision second = DecideOffline(catalogue, false, held, {"301", "9003", {2026, 7, 15}});
  EXPECT_EQ(second.denial, Denial::kPackageUsedUp);
  EXPECT_FALSE(second.updated.has_value());
}

TEST(OfflineTest, ThreeDaysOutOfSeven) {
  Catalogue catalogue = Parsed();
  std::vector<LocalHolding> held = {Sold(catalogue, "9002", {2026, 7, 14}, 1)};
  for (int day : {14, 14, 15, 17}) {
    OfflineDecision d = DecideOffline(catalogue, false, held, {"201", "9002", {2026, 7, day}});
    ASSERT_TRUE(d.allowed()) << day;
    held[0] = *d.updated;
  }
  EXPECT_EQ(held[0].holding.used_days.size(), 3u);
  OfflineDecision fourth = DecideOffline(catalogue, false, held, {"201", "9002", {2026, 7, 18}});
  EXPECT_EQ(fourth.denial, Denial::kPackageUsedUp);
  EXPECT_EQ(fourth.days_left, 0);
  // A day already counted is free.
  EXPECT_TRUE(DecideOffline(catalogue, false, held, {"301", "9002", {2026, 7, 15}}).allowed());
}

TEST(OfflineTest, PointsAreSpentByTheServicesPrice) {
  Catalogue catalogue = Parsed();
  std::vector<LocalHolding> held = {Sold(catalogue, "9004", {2026, 7, 14}, 1)};
  OfflineDecision sauna = DecideOffline(catalogue, false, held, {"301", std::nullopt, {2026, 7, 14}});
  ASSERT_TRUE(sauna.allowed());
  EXPECT_EQ(sauna.points_left, 1);
  held[0] = *sauna.updated;
  OfflineDecision pool = DecideOffline(catalogue, false, held, {"201", std::nullopt, {2026, 7, 14}});
  EXPECT_EQ(pool.denial, Denial::kPackageUsedUp);
}

TEST(OfflineTest, TheFirstHoldingThatAllowsWinsAndTheMostTellingDenialOtherwise) {
  Catalogue catalogue = Parsed();
  LocalHolding used_single = Sold(catalogue, "9003", {2026, 7, 14}, 1);
  used_single.holding.uses = 1;
  LocalHolding days = Sold(catalogue, "9002", {2026, 7, 14}, 2);
  OfflineDecision d = DecideOffline(catalogue, false, {used_single, days}, {"301", std::nullopt, {2026, 7, 15}});
  ASSERT_TRUE(d.allowed());
  EXPECT_EQ(d.package_number, "9002");
  EXPECT_EQ(d.updated->id, 2);
  // Expired (not_valid_today) and used up: used up tells more.
  OfflineDecision late = DecideOffline(catalogue, false, {used_single, Sold(catalogue, "9003", {2026, 1, 1}, 3)},
                                       {"301", std::nullopt, {2026, 7, 16}});
  EXPECT_EQ(late.denial, Denial::kPackageUsedUp);
}

TEST(OfflineTest, WhatTheTerminalDoesNotKnowIsDenied) {
  Catalogue catalogue = Parsed();
  std::vector<LocalHolding> held = {Sold(catalogue, "9003", {2026, 7, 14}, 1)};
  EXPECT_EQ(DecideOffline(catalogue, false, held, {"999", std::nullopt, {2026, 7, 14}}).denial,
            Denial::kUnknownService);
  EXPECT_EQ(DecideOffline(catalogue, true, held, {"301", std::nullopt, {2026, 7, 14}}).denial, Denial::kBlocked);
  EXPECT_EQ(DecideOffline(catalogue, false, held, {"201", std::nullopt, {2026, 7, 14}}).denial, Denial::kNoSuchPackage);
  EXPECT_EQ(DecideOffline(catalogue, false, held, {"301", "9002", {2026, 7, 14}}).denial, Denial::kNoSuchPackage);
  EXPECT_EQ(DecideOffline(catalogue, false, held, {"301", "1234", {2026, 7, 14}}).denial, Denial::kNoSuchPackage);
  EXPECT_EQ(DecideOffline(catalogue, false, {}, {"401", std::nullopt, {2026, 7, 14}}).denial, Denial::kNoSuchPackage);
  EXPECT_EQ(DecideOffline(catalogue, false, held, {"301", std::nullopt, {2026, 7, 13}}).denial, Denial::kNotValidToday);
}

TEST(OfflineTest, PackagesOfAKindThisClientDoesNotKnowAreLeftOut) {
  auto catalogue = ParseCatalogue(nlohmann::json::parse(R"({"packages": [{"package_number": "1", "kind": "season_pass"},
                                                             {"package_number": "2", "kind": "single"}]})"));
  ASSERT_TRUE(catalogue.ok());
  ASSERT_EQ(catalogue->packages.size(), 1u);
  EXPECT_EQ(catalogue->packages[0].package_number, "2");
}

TEST(OfflineTest, TheBasePackageIsAssumedForCardsThatAreNotBlocked) {
  auto sync = nlohmann::json::parse(kSyncData);
  sync["packages"].push_back({{"package_number", "1000"},
                              {"kind", "base"},
                              {"name", "Gästekarte"},
                              {"price_cents", 0},
                              {"services", {"401"}}});
  auto catalogue = ParseCatalogue(sync);
  ASSERT_TRUE(catalogue.ok());
  OfflineDecision bus = DecideOffline(*catalogue, false, {}, {"401", std::nullopt, {2026, 7, 14}});
  ASSERT_TRUE(bus.allowed());
  EXPECT_TRUE(bus.base_assumed);
  EXPECT_EQ(bus.package_number, "1000");
  EXPECT_FALSE(bus.updated.has_value());
  EXPECT_EQ(DecideOffline(*catalogue, true, {}, {"401", std::nullopt, {2026, 7, 14}}).denial, Denial::kBlocked);
  EXPECT_EQ(DecideOffline(*catalogue, false, {}, {"401", "9003", {2026, 7, 14}}).denial, Denial::kNoSuchPackage);
}

}  // namespace
}  // namespace passwerk::terminal_client
