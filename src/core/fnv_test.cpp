// FNV-1a against the reference vectors.
#include "core/fnv.h"

#include <gtest/gtest.h>

namespace passwerk {
namespace {

TEST(FnvTest, MatchesPublishedVectors) {
  // From the FNV reference test suite (draft-eastlake-fnv).
  EXPECT_EQ(Fnv1a32(""), 0x811c9dc5u);
  EXPECT_EQ(Fnv1a32("a"), 0xe40c292cu);
  EXPECT_EQ(Fnv1a32("foobar"), 0xbf9cf968u);
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171f73967e8ULL);
  // A byte above 0x7f is taken as unsigned, not sign-extended from char.
  EXPECT_EQ(Fnv1a32("\xff"), 0x7a0b824eu);
  EXPECT_EQ(Fnv1a64("\xff"), 0xaf64724c8602eb6eULL);
}

TEST(FnvTest, EmbeddedZeroBytesCount) {
  using namespace std::string_view_literals;
  EXPECT_NE(Fnv1a32("a\0b"sv), Fnv1a32("ab"sv));
  EXPECT_NE(Fnv1a64("a\0b"sv), Fnv1a64("ab"sv));
  EXPECT_NE(Fnv1a64("\0"sv), Fnv1a64(""sv));
}

}  // namespace
}  // namespace passwerk
