#include "core/json_text.h"

#include <gtest/gtest.h>

#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace passwerk {
namespace {

std::string Written(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

std::string Nlohmann(std::string_view text) {
  return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TEST(AppendJsonString, WritesWhatNlohmannWrites) {
  for (std::string_view text :
       {std::string_view(""), std::string_view("ermaessigt"), std::string_view("quote \" and \\ backslash"),
        std::string_view("tab\tnew\nline\rform\fback\b"), std::string_view("\x01\x1f\x7f", 3),
        std::string_view("Müller – Straße 😀"), std::string_view("\0nul", 4)}) {
    EXPECT_EQ(Written(text), Nlohmann(text)) << text;
  }
}

TEST(AppendJsonString, ReplacesInvalidUtf8LikeNlohmann) {
  // A lone continuation byte, a truncated sequence, an overlong form, a surrogate.
  for (std::string_view text : {std::string_view("a\x80z"), std::string_view("a\xC3"), std::string_view("\xC0\xAF"),
                                std::string_view("\xED\xA0\x80")}) {
    const std::string written = Written(text);
    EXPECT_TRUE(nlohmann::json::accept(written)) << written;
    EXPECT_NE(written.find("\xEF\xBF\xBD"), std::string::npos) << written;
  }
  EXPECT_EQ(Written("a\x80z"), Nlohmann("a\x80z"));
}

// Random mixes of every kind of character: the same bytes as nlohmann, and text it parses back.
TEST(AppendJsonString, RandomTextRoundTrips) {
  const std::string_view pieces[] = {"a",    "Z",    " ", "\"", "\\", "/", "\n",   "\t",   std::string_view("\0", 1),
                                     "\x1f", "\x7f", "ä", "ß",  "€",  "😀", "\xC3", "\x80", "\xED\xA0\x80"};
  std::mt19937 random(20261207);
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const int length = static_cast<int>(random() % 12);
    bool valid = true;
    for (int k = 0; k < length; ++k) {
      const size_t index = random() % std::size(pieces);
      valid = valid && index < 15;
      text += pieces[index];
    }
    const std::string written = Written(text);
    ASSERT_TRUE(nlohmann::json::accept(written)) << written;
    if (valid) {
      EXPECT_EQ(written, Nlohmann(text));
      EXPECT_EQ(nlohmann::json::parse(written).get<std::string>(), text);
    }
  }
}

}  // namespace
}  // namespace passwerk
