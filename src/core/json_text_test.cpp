#include "core/json_text.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
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

}  // namespace
}  // namespace passwerk
