// The package rules (acceptance.h) as plain functions of package, holding and day.
#include "terminals/acceptance.h"

#include <gtest/gtest.h>

namespace passwerk::terminals {
namespace {

Date D(const char* iso) { return *ParseIsoDate(iso); }

PackageRule Rule(PackageKind kind) {
  PackageRule r;
  r.package_number = "9001";
  r.kind = kind;
  r.validity_days = 30;
  r.service_numbers = {"201", "301"};
  if (kind == PackageKind::kDaysOf) {
    r.days = 3;
    r.window_days = 7;
  }
  if (kind == PackageKind::kPoints) r.points = 10;
  return r;
}

TEST(AcceptanceRules, ThreeDaysOutOfSevenCountsDistinctDaysWithinTheWindow) {
  PackageRule rule = Rule(PackageKind::kDaysOf);
  Holding h = NewHolding(rule, D("2026-07-01"));
  EXPECT_EQ(h.valid_to, D("2026-07-30"));  // the latest first use
  Decision d = Decide(rule, h, 1, D("2026-07-10"));
  ASSERT_TRUE(d.allowed());
  EXPECT_EQ(d.days_left, 2);
  EXPECT_EQ(d.valid_to, D("2026-07-16"));  // the window opened with the first use
  h = d.after;
  d = Decide(rule, h, 1, D("2026-07-10"));  // the same day again costs nothing
  ASSERT_TRUE(d.allowed());
  EXPECT_EQ(d.days_left, 2);
  h = d.after;
  d = Decide(rule, h, 1, D("2026-07-17"));  // day 8 of the window
  EXPECT_EQ(d.denial, Denial::kNotValidToday);
  d = Decide(rule, h, 1, D("2026-07-12"));
  ASSERT_TRUE(d.allowed());
  h = d.after;
  d = Decide(rule, h, 1, D("2026-07-09"));  // an offline use uploaded late, before the first known one
  ASSERT_TRUE(d.allowed());
  EXPECT_EQ(d.days_left, 0);
  h = d.after;
  EXPECT_EQ(FormatDays(h.used_days), "2026-07-09,2026-07-10,2026-07-12");
  d = Decide(rule, h, 1, D("2026-07-13"));
  EXPECT_EQ(d.denial, Denial::kPackageUsedUp);
  EXPECT_TRUE(Decide(rule, h, 1, D("2026-07-12")).allowed());  // a counted day stays usable
}

TEST(AcceptanceRules, DaysOutOfSevenMustStartWithinItsValidity) {
  PackageRule rule = Rule(PackageKind::kDaysOf);
  Holding h = NewHolding(rule, D("2026-07-01"));
  EXPECT_EQ(Decide(rule, h, 1, D("2026-07-31")).denial, Denial::kNotValidToday);
  EXPECT_EQ(Decide(rule, h, 1, D("2026-06-30")).denial, Denial::kNotValidToday);
}

TEST(AcceptanceRules, SingleServiceTicketIsUsedOnce) {
  PackageRule rule = Rule(PackageKind::kSingle);
  Holding h = NewHolding(rule, D("2026-07-01"));
  Decision d = Decide(rule, h, 1, D("2026-07-02"));
  ASSERT_TRUE(d.allowed());
  EXPECT_EQ(Decide(rule, d.after, 1, D("2026-07-02")).denial, Denial::kPackageUsedUp);
}

TEST(AcceptanceRules, PointsTicketSpendsTheServicePoints) {
  PackageRule rule = Rule(PackageKind::kPoints);
  Holding h = NewHolding(rule, D("2026-07-01"));
  EXPECT_EQ(h.points_left, 10);
  Decision d = Decide(rule, h, 4, D("2026-07-02"));
  ASSERT_TRUE(d.allowed());
  EXPECT_EQ(d.points_left, 6);
  d = Decide(rule, d.after, 4, D("2026-07-02"));
  ASSERT_TRUE(d.allowed());
  EXPECT_EQ(d.points_left, 2);
  Decision denied = Decide(rule, d.after, 4, D("2026-07-03"));
  EXPECT_EQ(denied.denial, Denial::kPackageUsedUp);
  EXPECT_EQ(denied.points_left, 2);  // what remains is reported with the denial
}

TEST(AcceptanceRules, FlatRateAndBaseHoldWithinTheirDates) {
  PackageRule flat = Rule(PackageKind::kFlatRate);
  flat.validity_days = 7;
  Holding h = NewHolding(flat, D("2026-07-01"));
  EXPECT_TRUE(Decide(flat, h, 1, D("2026-07-07")).allowed());
  EXPECT_EQ(Decide(flat, h, 1, D("2026-07-08")).denial, Denial::kNotValidToday);
  Holding written = NewHolding(flat, D("2026-07-01"), D("2026-07-05"), D("2026-07-06"));  // the card's dates win
  EXPECT_EQ(Decide(flat, written, 1, D("2026-07-04")).denial, Denial::kNotValidToday);
  PackageRule base = Rule(PackageKind::kBase);
  Holding stay = StayHolding(D("2026-07-01"), D("2026-07-14"));
  for (int i = 0; i < 20; ++i) stay = Decide(base, stay, 1, D("2026-07-03")).after;
  EXPECT_TRUE(Decide(base, stay, 1, D("2026-07-14")).allowed());
  EXPECT_EQ(Decide(base, stay, 1, D("2026-07-15")).denial, Denial::kNotValidToday);
}

TEST(AcceptanceRules, DaysListRoundTripsAndRejectsGarbage) {
  auto days = ParseDays("2026-07-10,2026-07-09");
  ASSERT_TRUE(days.ok());
  EXPECT_EQ(FormatDays(*days), "2026-07-09,2026-07-10");
  EXPECT_TRUE(ParseDays("").ok());
  EXPECT_FALSE(ParseDays("2026-02-30").ok());
  EXPECT_FALSE(ParseDays("2026-07-10,x").ok());
}

}  // namespace
}  // namespace passwerk::terminals
