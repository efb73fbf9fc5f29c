// TOTP against the RFC 6238 and RFC 4226 vectors, the ±1 step window, the
// replay guard and the enrolment URI.
#include "accounts/totp.h"

#include <gtest/gtest.h>

namespace passwerk::accounts {
namespace {

const std::string kSecret = "12345678901234567890";  // the RFCs' SHA-1 secret

TEST(TotpTest, MatchesRfc6238Vectors) {
  // RFC 6238 appendix B, SHA-1, 8 digits.
  EXPECT_EQ(TotpCode(kSecret, 59 / 30, 8), "94287082");
  EXPECT_EQ(TotpCode(kSecret, 1111111109 / 30, 8), "07081804");
  EXPECT_EQ(TotpCode(kSecret, 1111111111 / 30, 8), "14050471");
  EXPECT_EQ(TotpCode(kSecret, 1234567890 / 30, 8), "89005924");
  EXPECT_EQ(TotpCode(kSecret, 2000000000 / 30, 8), "69279037");
  EXPECT_EQ(TotpCode(kSecret, int64_t{20000000000} / 30, 8), "65353130") << "a step past 32 bits";
}

TEST(TotpTest, MatchesRfc4226HotpVectorsWithSixDigits) {
  // RFC 4226 appendix D: the same truncation, counters 0 to 9, 6 digits (the default).
  const std::vector<std::string> expected = {"755224", "287082", "359152", "969429", "338314",
                                             "254676", "287922", "162583", "399871", "520489"};
  for (int64_t counter = 0; counter < 10; ++counter) {
    EXPECT_EQ(TotpCode(kSecret, counter), expected[static_cast<size_t>(counter)]) << counter;
  }
}

TEST(TotpTest, AcceptsOneStepOfSkewAndNoReplay) {
  int64_t now = 1795000000;
  std::string previous = TotpCode(kSecret, now / 30 - 1);
  std::string far = TotpCode(kSecret, now / 30 - 3);
  EXPECT_TRUE(VerifyTotp(kSecret, previous, now, 0).has_value());
  EXPECT_FALSE(VerifyTotp(kSecret, far, now, 0).has_value());
  EXPECT_FALSE(VerifyTotp(kSecret, previous, now, now / 30 - 1).has_value()) << "replay";
  EXPECT_FALSE(VerifyTotp(kSecret, "12345", now, 0).has_value());
  EXPECT_FALSE(VerifyTotp(kSecret, "abcdef", now, 0).has_value());
  EXPECT_EQ(OtpauthUri("Passwerk", "anna b", "ABC"),
            "otpauth://totp/Passwerk:anna%20b?secret=ABC&issuer=Passwerk&algorithm=SHA1&digits=6&period=30");
}

TEST(TotpTest, TheWindowIsExactlyOneStepEitherSide) {
  const int64_t now = 1795000000;  // step 59833333, 10 s into it
  const int64_t step = now / kTotpStepSeconds;
  EXPECT_EQ(VerifyTotp(kSecret, TotpCode(kSecret, step), now, 0), step);
  EXPECT_EQ(VerifyTotp(kSecret, TotpCode(kSecret, step + 1), now, 0), step + 1) << "a clock a little ahead";
  EXPECT_EQ(VerifyTotp(kSecret, TotpCode(kSecret, step - 1), now, 0), step - 1);
  EXPECT_FALSE(VerifyTotp(kSecret, TotpCode(kSecret, step + 2), now, 0));
  EXPECT_FALSE(VerifyTotp(kSecret, TotpCode(kSecret, step - 2), now, 0));
  // Thirty seconds later the code of `step - 1` has left the window.
  EXPECT_FALSE(VerifyTotp(kSecret, TotpCode(kSecret, step - 1), now + 30, 0));
  // The step of the last accepted code and everything before it are refused; a later one is not.
  EXPECT_FALSE(VerifyTotp(kSecret, TotpCode(kSecret, step), now, step));
  EXPECT_EQ(VerifyTotp(kSecret, TotpCode(kSecret, step + 1), now, step), step + 1);
  EXPECT_FALSE(VerifyTotp("another secret 12345", TotpCode(kSecret, step), now, 0)) << "another secret";
  EXPECT_FALSE(VerifyTotp(kSecret, TotpCode(kSecret, step, 8), now, 0)) << "only six digits are accepted";
  EXPECT_FALSE(VerifyTotp(kSecret, " " + TotpCode(kSecret, step).substr(1), now, 0));
}

TEST(TotpTest, CodesKeepTheirLeadingZeros) {
  // Step 37037036 gives 07081804 with 8 digits (RFC 6238); with 6 it is 081804.
  EXPECT_EQ(TotpCode(kSecret, 1111111109 / 30, 6), "081804");
  for (int64_t s = 0; s < 200; ++s) ASSERT_EQ(TotpCode(kSecret, s).size(), 6u) << s;
}

TEST(TotpTest, TheUriEncodesIssuerAndAccount) {
  EXPECT_EQ(OtpauthUri("Stadt Erlangen", "müller@erlangen.de", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/Stadt%20Erlangen:m%C3%BCller%40erlangen.de?secret=JBSWY3DPEHPK3PXP&issuer=Stadt%20Erlangen"
            "&algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(OtpauthUri("A:B", "x/y", "S").substr(0, 29), "otpauth://totp/A%3AB:x%2Fy?se")
      << "a colon in the issuer cannot split the label";
}

}  // namespace
}  // namespace passwerk::accounts
