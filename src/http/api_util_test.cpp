// The shared parsing of API handlers: integer query parameters and path ids,
// JSON bodies and typed fields, each failing with an error naming the field.
#include "http/api_util.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace passwerk::http {
namespace {

Request WithQuery(std::string query) {
  Request request;
  request.method = "GET";
  request.path = "/api/v1/statistics";
  request.query = std::move(query);
  return request;
}

Result<std::optional<int64_t>> Year(const std::string& query) {
  return IntQueryParam(WithQuery(query), "year", 2000, 2100, "year must be between 2000 and 2100");
}

TEST(IntQueryParamTest, AbsentOrEmptyIsNullopt) {
  for (const char* query : {"", "month=3", "year=", "years=2026", "month=3&year="}) {
    auto value = Year(query);
    ASSERT_TRUE(value.ok()) << query << ": " << value.status().ToString();
    EXPECT_FALSE(value->has_value()) << query;
  }
}

TEST(IntQueryParamTest, AWholeNumberWithinTheBoundsIsTaken) {
  EXPECT_EQ(Year("year=2026").value(), 2026);
  EXPECT_EQ(Year("month=3&year=2000").value(), 2000) << "the lower bound is inclusive";
  EXPECT_EQ(Year("year=2100&month=3").value(), 2100) << "the upper bound is inclusive";
  EXPECT_EQ(Year("year=%32%30%32%36").value(), 2026) << "percent-encoded digits are digits";
  EXPECT_EQ(IntQueryParam(WithQuery("offset=-5"), "offset", -10, 10, "bad offset").value(), -5);
}

TEST(IntQueryParamTest, AnythingElseIsInvalidArgumentNamingTheParameter) {
  for (const char* query :
       {"year=12abc", "year=2026abc", "year=1e3", "year=2.026e3", "year=2026.0", "year=+2026", "year=%202026",
        "year=2026+", "year=0x7ea", "year=abc", "year=1999", "year=2101", "year=-2026", "year=99999999999999999999"}) {
    auto value = Year(query);
    ASSERT_FALSE(value.ok()) << query;
    EXPECT_EQ(value.status().code(), ErrorCode::kInvalidArgument) << query;
    EXPECT_EQ(value.status().field(), "year") << query;
    EXPECT_EQ(value.status().message(), "year must be between 2000 and 2100") << query;
  }
}

TEST(IntQueryParamTest, TheFullRangeOfInt64) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(IntQueryParam(WithQuery("n=9223372036854775807"), "n", kMin, kMax, "m").value(), kMax);
  EXPECT_EQ(IntQueryParam(WithQuery("n=-9223372036854775808"), "n", kMin, kMax, "m").value(), kMin);
  EXPECT_FALSE(IntQueryParam(WithQuery("n=9223372036854775808"), "n", kMin, kMax, "m").ok()) << "overflow";
}

Request WithPathParam(std::string name, std::string value) {
  Request request;
  request.path_params[std::move(name)] = std::move(value);
  return request;
}

TEST(PathIdTest, APositiveNumber) {
  EXPECT_EQ(PathId(WithPathParam("id", "1"), "id").value(), 1);
  EXPECT_EQ(PathId(WithPathParam("id", "9223372036854775807"), "id").value(), std::numeric_limits<int64_t>::max());
}

TEST(PathIdTest, AnythingElseIsNotFound) {
  for (const char* text : {"0", "-1", "", "12abc", "1e3", " 1", "9223372036854775808"}) {
    auto id = PathId(WithPathParam("id", text), "id");
    ASSERT_FALSE(id.ok()) << text;
    EXPECT_EQ(id.status().code(), ErrorCode::kNotFound) << text;
    EXPECT_EQ(id.status().message(), "no such resource") << text;
    EXPECT_EQ(id.status().field(), "") << text;
  }
  auto missing = PathId(WithPathParam("other", "7"), "id", "statement");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "no such statement");
  EXPECT_EQ(missing.status().field(), "statement");
}

Request JsonRequest(std::string body, std::string content_type = "application/json") {
  Request request;
  request.method = "POST";
  request.headers.emplace_back("content-type", std::move(content_type));
  request.body = std::move(body);
  return request;
}

TEST(JsonBodyTest, OnlyAnObjectDeclaredAsJson) {
  EXPECT_TRUE(ParseJsonObject(JsonRequest(R"({"a":1})")).ok());
  EXPECT_TRUE(ParseJsonObject(JsonRequest(R"({"a":1})", "application/json; charset=utf-8")).ok());
  Request undeclared = JsonRequest(R"({"a":1})");
  undeclared.headers.clear();
  EXPECT_EQ(ParseJsonObject(undeclared).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseJsonObject(JsonRequest(R"({"a":1})", "text/plain")).status().code(), ErrorCode::kInvalidArgument);
  for (const char* body : {"", "{", "[1,2]", "\"text\"", "42", "null"}) {
    auto parsed = ParseJsonObject(JsonRequest(body));
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.status().code(), ErrorCode::kInvalidArgument) << body;
  }
}

TEST(JsonFieldTest, StringsAndIntegersNameTheFieldWhenWrong) {
  auto body = nlohmann::json::parse(R"({"name":"Erlangen","count":3,"big":2.5,"text":"3","none":null})");
  std::string name = "unchanged";
  EXPECT_TRUE(ReadString(body, "name", true, name).ok());
  EXPECT_EQ(name, "Erlangen");
  std::string absent = "unchanged";
  EXPECT_TRUE(ReadString(body, "missing", false, absent).ok());
  EXPECT_TRUE(ReadString(body, "none", false, absent).ok());
  EXPECT_EQ(absent, "unchanged");
  EXPECT_EQ(ReadString(body, "missing", true, absent).field(), "missing");
  EXPECT_EQ(ReadString(body, "count", false, absent).field(), "count") << "a number is no string";

  int64_t count = 0;
  EXPECT_TRUE(ReadInt(body, "count", true, count).ok());
  EXPECT_EQ(count, 3);
  for (const char* field : {"big", "text", "name"}) {
    Status wrong = ReadInt(body, field, false, count);
    EXPECT_EQ(wrong.code(), ErrorCode::kInvalidArgument) << field;
    EXPECT_EQ(wrong.field(), field);
  }
  EXPECT_EQ(ReadInt(body, "none", true, count).field(), "none");

  std::optional<int64_t> optional;
  EXPECT_TRUE(ReadOptionalInt(body, "none", true, optional).ok()) << "required is ignored";
  EXPECT_FALSE(optional.has_value());
  EXPECT_TRUE(ReadOptionalInt(body, "count", false, optional).ok());
  EXPECT_EQ(optional, 3);
  EXPECT_EQ(ReadOptionalInt(body, "text", false, optional).field(), "text");
}

TEST(JsonFieldTest, IntegersBeyondInt64AreRefusedNotWrapped) {
  auto body = nlohmann::json::parse(R"({"max":9223372036854775807,"over":9223372036854775808,)"
                                    R"("huge":18446744073709551615})");
  int64_t value = 0;
  EXPECT_TRUE(ReadInt(body, "max", true, value).ok());
  EXPECT_EQ(value, std::numeric_limits<int64_t>::max());
  for (const char* field : {"over", "huge"}) {
    value = 7;
    Status refused = ReadInt(body, field, true, value);
    EXPECT_EQ(refused.code(), ErrorCode::kInvalidArgument) << field;
    EXPECT_EQ(refused.field(), field);
    EXPECT_EQ(value, 7) << field;
  }
}

TEST(UnauthorizedTest, ChallengesOnlyForMissingCredentials) {
  Response unauthenticated = Unauthorized(Unauthenticated("a bearer token is required"));
  EXPECT_EQ(unauthenticated.status, 401);
  bool challenged = false;
  for (const auto& [name, value] : unauthenticated.headers) {
    if (name == "WWW-Authenticate") challenged = value == "Bearer realm=\"passwerk\"";
  }
  EXPECT_TRUE(challenged);
  Response denied = Unauthorized(PermissionDenied("not yours"));
  EXPECT_EQ(denied.status, 403);
  for (const auto& [name, value] : denied.headers) EXPECT_NE(name, "WWW-Authenticate");
}

TEST(AttachmentDispositionTest, AsciiFallbackAndExactUtf8Name) {
  EXPECT_EQ(AttachmentDisposition("Bescheid.pdf"),
            "attachment; filename=\"Bescheid.pdf\"; filename*=UTF-8''Bescheid.pdf");
  EXPECT_EQ(AttachmentDisposition("M\xC3\xA4rz 2026.pdf"),
            "attachment; filename=\"M_rz 2026.pdf\"; filename*=UTF-8''M%C3%A4rz%202026.pdf");
  EXPECT_EQ(AttachmentDisposition(""), "attachment; filename=\"download\"");
}

TEST(AttachmentDispositionTest, NeverBreaksTheHeader) {
  std::string value = AttachmentDisposition("a\"b\\c%d\r\nSet-Cookie: x=1;.pdf");
  EXPECT_EQ(value.find('\r'), std::string::npos);
  EXPECT_EQ(value.find('\n'), std::string::npos);
  EXPECT_EQ(value.rfind("attachment; filename=\"a_b_c_d__Set-Cookie: x=1;.pdf\"; filename*=UTF-8''", 0), 0u);
  EXPECT_NE(value.find("%0D%0A"), std::string::npos);
}

}  // namespace
}  // namespace passwerk::http
