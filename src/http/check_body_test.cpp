// The plain-shape reader of the check body must answer exactly as nlohmann
// does: same values, same error and field, for every body either accepts.
#include "http/check_body.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace passwerk::http {
namespace {

Request JsonRequest(std::string body) {
  Request request;
  request.headers = {{"content-type", "application/json"}};
  request.body = std::move(body);
  return request;
}

void ExpectSameAsNlohmann(const std::string& body) {
  SCOPED_TRACE(body);
  Request request = JsonRequest(body);
  CheckBody fast, full;
  Status fast_status = ReadCheckBody(request, fast);
  Status full_status = internal::ReadCheckBodyWithNlohmann(request, full);
  EXPECT_EQ(fast_status.code(), full_status.code());
  EXPECT_EQ(fast_status.message(), full_status.message());
  EXPECT_EQ(fast_status.field(), full_status.field());
  if (fast_status.ok() && full_status.ok()) {
    EXPECT_EQ(fast.card_number, full.card_number);
    EXPECT_EQ(fast.name, full.name);
    EXPECT_EQ(fast.date, full.date);
  }
}

TEST(CheckBodyTest, PlainBodiesTakeTheFastPath) {
  CheckBody out;
  bool number = false, name = false;
  EXPECT_TRUE(internal::ReadPlainCheckBody(R"({"card_number":"101000010013","name":"mul"})", out, number, name));
  EXPECT_TRUE(number && name);
  EXPECT_EQ(out.card_number, "101000010013");
  EXPECT_EQ(out.name, "mul");
  EXPECT_EQ(out.date, "");
  EXPECT_TRUE(internal::ReadPlainCheckBody(" {\n\t\"date\" : \"2026-11-22\" ,\"name\":\"a\"}\r\n", out, number, name));
  EXPECT_FALSE(number);
  EXPECT_EQ(out.date, "2026-11-22");
}

TEST(CheckBodyTest, AnythingElseGoesToTheFullParser) {
  CheckBody out;
  bool number = false, name = false;
  for (const char* body : {R"({"card_number":"1","name":"M\u00fcl"})", "{\"card_number\":\"1\",\"name\":\"M\xc3\xbcl\"}",
                           R"({"card_number":1,"name":"x"})", R"({"card_number":"1","date":null})", R"(["x"])",
                           R"({"a":"b"} x)", R"({"a":"b",})", "", "\xEF\xBB\xBF{}", R"({"a":{"b":"c"}})"}) {
    EXPECT_FALSE(internal::ReadPlainCheckBody(body, out, number, name)) << body;
  }
}

TEST(CheckBodyTest, AnswersAsNlohmannDoes) {
  const std::vector<std::string> bodies = {
      R"({"card_number":"101000010013","name":"mul"})",
      R"({"card_number": "1010 0001 0013", "name": "Mül", "date": "2026-11-22"})",
      R"({"card_number":"1","name":"x","date":null})",
      R"({"card_number":"1","name":"x","date":"2026-01-01","other":"ignored"})",
      R"({"card_number":"1","card_number":"2","name":"x"})",
      R"({"card_number":"1","name":"x","name":"y"})",
      R"({"card_number":"1","name":"x","date":"a","date":"b"})",
      R"({"name":"x"})",
      R"({"card_number":"1"})",
      R"({})",
      R"(  {  }  )",
      R"({"card_number":101000010013,"name":"x"})",
      R"({"card_number":"1","name":3})",
      R"({"card_number":"1","name":"x","date":4})",
      R"({"card_number":null,"name":"x"})",
      R"({"card_number":"1","name":"a\"b"})",
      R"({"card_number":"1","name":"\u00fc"})",
      "{\"card_number\":\"1\",\"name\":\"\x01\"}",
      "{\"card_number\":\"1\",\"name\":\"\xff\"}",
      R"({"card_number":"1","name":"x"} )",
      R"({"card_number":"1","name":"x"}})",
      R"({"card_number":"1","name":"x",})",
      R"({"card_number":"1" "name":"x"})",
      R"({"card_number":"1","name":"x")",
      R"({"card_number":"1","name":"x)",
      R"(["card_number","1"])",
      R"("text")",
      R"(null)",
      "",
      "   ",
      "\xEF\xBB\xBF{\"card_number\":\"1\",\"name\":\"x\"}",
      std::string("{\"card_number\":\"1\",\"name\":\"x\"}\0", 31),
  };
  for (const std::string& body : bodies) ExpectSameAsNlohmann(body);
}

TEST(CheckBodyTest, RequiresJsonContentType) {
  Request request = JsonRequest(R"({"card_number":"1","name":"x"})");
  request.headers = {{"content-type", "text/plain"}};
  CheckBody out;
  Status status = ReadCheckBody(request, out);
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "the body must be application/json");
}

}  // namespace
}  // namespace passwerk::http
