// The injected clock: a manual clock moves only when told to, and timestamps
// are written in UTC whatever the process's time zone.
#include "core/clock.h"

#include <gtest/gtest.h>

namespace passwerk {
namespace {

TEST(ClockTest, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(1795000000);
  EXPECT_EQ(clock.NowUnix(), 1795000000);
  EXPECT_EQ(clock.NowUnix(), 1795000000) << "no time passes by itself";
  clock.Advance(86400);
  EXPECT_EQ(clock.NowUnix(), 1795086400);
  clock.Advance(-1);
  EXPECT_EQ(clock.NowUnix(), 1795086399);
  clock.Set(0);
  EXPECT_EQ(clock.NowUnix(), 0);
  const Clock& as_interface = clock;
  EXPECT_EQ(as_interface.Now(), TimePoint(std::chrono::seconds(0)));
}

TEST(ClockTest, FormatUtcWritesIso8601WithSeconds) {
  EXPECT_EQ(FormatUtc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatUtc(1795000000), "2026-11-18T11:06:40Z");
  EXPECT_EQ(FormatUtc(1774746000), "2026-03-29T01:00:00Z") << "UTC, not Berlin summer time";
  EXPECT_EQ(FormatUtc(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(FormatUtc(-1), "1969-12-31T23:59:59Z");
}

}  // namespace
}  // namespace passwerk
