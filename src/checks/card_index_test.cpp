// The card index's name digests: the first 128 bits of a keyed hash in hex,
// all zero for anything else, so a damaged hash can never match a name.
#include "checks/card_index.h"

#include <gtest/gtest.h>

namespace passwerk::checks {
namespace {

TEST(CardIndexTest, NameDigestsAreTheFirst128BitsOfTheHexHash) {
  const std::string hex = "00112233445566778899aabbccddeeff0123456789abcdef0123456789abcdef";
  const NameDigest digest = NameDigestOf(hex);
  EXPECT_EQ(digest, (NameDigest{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
                                0xee, 0xff}));
  EXPECT_EQ(NameDigestOf(hex.substr(0, 32)), digest) << "32 hex digits are enough";
  EXPECT_EQ(NameDigestOf("00112233445566778899AABBCCDDEEFF"), digest) << "either case";
  EXPECT_NE(NameDigestOf(hex), NameDigestOf("10112233445566778899aabbccddeeff"));
}

TEST(CardIndexTest, ANameDigestOfAnythingButHexIsZero) {
  const NameDigest zero{};
  EXPECT_EQ(NameDigestOf(""), zero);
  EXPECT_EQ(NameDigestOf("00112233445566778899aabbccddeef"), zero) << "31 digits";
  EXPECT_EQ(NameDigestOf("00112233445566778899aabbccddeefg"), zero);
  EXPECT_EQ(NameDigestOf("0x112233445566778899aabbccddeeff"), zero);
  EXPECT_EQ(NameDigestOf("zz112233445566778899aabbccddeeff0000"), zero);
}

TEST(CardIndexTest, AnEmptyIndexFindsNothing) {
  CardIndex index;
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.revision(), -1) << "no refresh yet";
  EXPECT_FALSE(index.Find("101000010013"));
  EXPECT_FALSE(index.Find(""));
  EXPECT_FALSE(index.Find("not digits"));
}

}  // namespace
}  // namespace passwerk::checks
