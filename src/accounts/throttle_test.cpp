// Login throttling: per account and per address, a fixed window from the
// first failure, success clearing only the account, all on the injected clock.
#include "accounts/throttle.h"

#include <gtest/gtest.h>

namespace passwerk::accounts {
namespace {

class ThrottleTest : public ::testing::Test {
 protected:
  ManualClock clock_{1795000000};
  LoginThrottle throttle_{clock_, ThrottleOptions{3, 5, 900}};
};

TEST_F(ThrottleTest, AnAccountIsBlockedAtTheLimitUntilTheWindowEnds) {
  EXPECT_TRUE(throttle_.Allowed("anna", "10.0.0.1"));
  throttle_.RecordFailure("anna", "10.0.0.1");
  clock_.Advance(100);
  throttle_.RecordFailure("anna", "10.0.0.1");
  EXPECT_TRUE(throttle_.Allowed("anna", "10.0.0.1")) << "two of three";
  throttle_.RecordFailure("anna", "10.0.0.2");
  EXPECT_FALSE(throttle_.Allowed("anna", "10.0.0.3")) << "the account is blocked from any address";
  EXPECT_TRUE(throttle_.Allowed("bernd", "10.0.0.1")) << "other accounts are not";
  // The window began with the first failure, 100 s ago.
  EXPECT_EQ(throttle_.RetryAfter("anna", "10.0.0.3"), 800);
  clock_.Advance(799);
  EXPECT_EQ(throttle_.RetryAfter("anna", "10.0.0.3"), 1);
  clock_.Advance(1);
  EXPECT_EQ(throttle_.RetryAfter("anna", "10.0.0.3"), 0);
  EXPECT_TRUE(throttle_.Allowed("anna", "10.0.0.3"));
  // A new window: one failure is not enough to block again.
  throttle_.RecordFailure("anna", "10.0.0.3");
  EXPECT_TRUE(throttle_.Allowed("anna", "10.0.0.3"));
}

TEST_F(ThrottleTest, AnAddressTryingManyAccountsIsBlocked) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(throttle_.Allowed("user" + std::to_string(i), "192.0.2.7")) << i;
    throttle_.RecordFailure("user" + std::to_string(i), "192.0.2.7");
  }
  EXPECT_FALSE(throttle_.Allowed("someone-else", "192.0.2.7"));
  EXPECT_EQ(throttle_.RetryAfter("someone-else", "192.0.2.7"), 900);
  EXPECT_TRUE(throttle_.Allowed("someone-else", "192.0.2.8"));
  EXPECT_TRUE(throttle_.Allowed("user0", "192.0.2.8")) << "each account failed once only";
}

TEST_F(ThrottleTest, SuccessClearsTheAccountButNotTheAddress) {
  for (int i = 0; i < 3; ++i) throttle_.RecordFailure("anna", "10.0.0.1");
  ASSERT_FALSE(throttle_.Allowed("anna", "10.0.0.9"));
  throttle_.RecordSuccess("anna");
  EXPECT_TRUE(throttle_.Allowed("anna", "10.0.0.9"));
  for (int i = 0; i < 2; ++i) throttle_.RecordFailure("bernd", "10.0.0.1");
  EXPECT_FALSE(throttle_.Allowed("anna", "10.0.0.1")) << "five failures from the address, whoever logged in since";
  throttle_.RecordSuccess("anna");
  EXPECT_FALSE(throttle_.Allowed("anna", "10.0.0.1"));
}

TEST_F(ThrottleTest, TheLongerWaitOfAccountAndAddressIsReported) {
  for (int i = 0; i < 5; ++i) throttle_.RecordFailure("x" + std::to_string(i), "10.0.0.1");  // address window at t
  clock_.Advance(300);
  for (int i = 0; i < 3; ++i) throttle_.RecordFailure("anna", "10.0.0.2");  // account window at t+300
  EXPECT_EQ(throttle_.RetryAfter("anna", "10.0.0.1"), 900);
  EXPECT_EQ(throttle_.RetryAfter("bernd", "10.0.0.1"), 600);
  clock_.Advance(600);
  EXPECT_EQ(throttle_.RetryAfter("anna", "10.0.0.1"), 300) << "the address is free again, the account is not";
}

TEST(ThrottleDefaultsTest, FiveFailuresPerAccountInFifteenMinutes) {
  ManualClock clock(0);
  LoginThrottle throttle(clock);
  for (int i = 0; i < 4; ++i) throttle.RecordFailure("anna", "a" + std::to_string(i));
  EXPECT_TRUE(throttle.Allowed("anna", "b"));
  throttle.RecordFailure("anna", "a4");
  EXPECT_FALSE(throttle.Allowed("anna", "b"));
  EXPECT_EQ(throttle.RetryAfter("anna", "b"), 15 * 60);
}

}  // namespace
}  // namespace passwerk::accounts
