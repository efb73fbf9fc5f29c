// Request accessors, error responses and percent-coding, without sockets.
#include "http/message.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace passwerk::http {
namespace {

using nlohmann::json;

TEST(UrlDecodeTest, DecodesPercentEscapes) {
  EXPECT_EQ(UrlDecode("/a%20b/%C3%BC", false), "/a b/ü");
  EXPECT_EQ(UrlDecode("%2f%2F", false), "//");
  EXPECT_EQ(UrlDecode("a+b", false), "a+b");
  EXPECT_EQ(UrlDecode("a+b", true), "a b");
  EXPECT_EQ(UrlDecode("", true), "");
}

TEST(UrlDecodeTest, KeepsMalformedEscapesLiterally) {
  EXPECT_EQ(UrlDecode("100%", false), "100%");
  EXPECT_EQ(UrlDecode("%4", false), "%4");
  EXPECT_EQ(UrlDecode("%zz%41", false), "%zzA");
  EXPECT_EQ(UrlDecode("%00", false), std::string(1, '\0'));
}

TEST(UrlEncodeTest, EncodesAllButUnreserved) {
  EXPECT_EQ(UrlEncode("Az09-._~"), "Az09-._~");
  EXPECT_EQ(UrlEncode("a b&c=d/ü"), "a%20b%26c%3Dd%2F%C3%BC");
  EXPECT_EQ(UrlDecode(UrlEncode("x y+z%"), true), "x y+z%");
}

Request WithHeaders(std::vector<std::pair<std::string, std::string>> headers) {
  Request request;
  request.headers = std::move(headers);
  return request;
}

TEST(RequestTest, HeaderLooksUpLowerCaseNames) {
  Request request = WithHeaders({{"content-type", "text/plain"}, {"x-a", "1"}, {"x-a", "2"}});
  EXPECT_EQ(request.Header("content-type"), "text/plain");
  EXPECT_EQ(request.Header("x-a"), "1");
  EXPECT_FALSE(request.Header("x-b"));
}

TEST(RequestTest, QueryParamDecodesAndTakesTheFirst) {
  Request request;
  request.query = "a=1&b=x+y%26z&a=2&empty=&flag&%C3%BC=%C3%A4";
  EXPECT_EQ(request.QueryParam("a"), "1");
  EXPECT_EQ(request.QueryParam("b"), "x y&z");
  EXPECT_EQ(request.QueryParam("empty"), "");
  EXPECT_EQ(request.QueryParam("flag"), "");
  EXPECT_EQ(request.QueryParam("ü"), "ä");
  EXPECT_FALSE(request.QueryParam("missing"));
}

TEST(RequestTest, CookieParsing) {
  Request request = WithHeaders({{"cookie", "session=abc123; theme=\"dark\";  lang = de ;broken; empty="}});
  EXPECT_EQ(request.Cookie("session"), "abc123");
  EXPECT_EQ(request.Cookie("theme"), "dark");
  EXPECT_EQ(request.Cookie("lang"), "de");
  EXPECT_EQ(request.Cookie("empty"), "");
  EXPECT_FALSE(request.Cookie("broken"));
  EXPECT_FALSE(request.Cookie("sess"));
  EXPECT_FALSE(WithHeaders({}).Cookie("session"));
  // Values are opaque: no percent-decoding.
  EXPECT_EQ(WithHeaders({{"cookie", "a=%41"}}).Cookie("a"), "%41");
  // Several Cookie headers are all searched.
  EXPECT_EQ(WithHeaders({{"cookie", "a=1"}, {"cookie", "b=2"}}).Cookie("b"), "2");
}

TEST(RequestTest, FormParams) {
  Request request = WithHeaders({{"content-type", "application/x-www-form-urlencoded; charset=UTF-8"}});
  request.body = "name=J%C3%BCrgen+M%C3%BCller&city=N%C3%BCrnberg&name=second&&csrf=a%2Bb";
  auto params = request.FormParams();
  EXPECT_EQ(params.size(), 3u);
  EXPECT_EQ(params["name"], "Jürgen Müller");
  EXPECT_EQ(params["city"], "Nürnberg");
  EXPECT_EQ(params["csrf"], "a+b");

  Request no_type;
  no_type.body = "a=1";
  EXPECT_EQ(no_type.FormParams()["a"], "1");

  Request json_body = WithHeaders({{"content-type", "application/json"}});
  json_body.body = R"({"a=1":2})";
  EXPECT_TRUE(json_body.FormParams().empty());
}

TEST(RequestTest, MultipartParts) {
  // As Chromium sends a form with a file input (quoted boundary accepted too).
  Request request = WithHeaders({{"content-type", "multipart/form-data; boundary=\"----WebKitFormBoundaryX7\""}});
  request.body =
      "------WebKitFormBoundaryX7\r\n"
      "Content-Disposition: form-data; name=\"csrf\"\r\n\r\n"
      "tok\r\n"
      "------WebKitFormBoundaryX7\r\n"
      "Content-Disposition: form-data; name=\"file\"; filename=\"g\\\"äste.csv\"\r\n"
      "Content-Type: text/csv\r\n\r\n"
      "Meldeschein;Anreise\r\n1;29.03.2026\r\n\r\n"
      "------WebKitFormBoundaryX7--\r\n";
  auto parts = request.MultipartParts();
  ASSERT_TRUE(parts.has_value());
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "csrf");
  EXPECT_EQ((*parts)[0].data, "tok");
  EXPECT_EQ((*parts)[0].file_name, "");
  EXPECT_EQ((*parts)[1].name, "file");
  EXPECT_EQ((*parts)[1].file_name, "g\"äste.csv");
  EXPECT_EQ((*parts)[1].content_type, "text/csv");
  EXPECT_EQ((*parts)[1].data, "Meldeschein;Anreise\r\n1;29.03.2026\r\n");
  EXPECT_TRUE(request.FormParams().empty());

  // An empty file input still sends its part.
  Request empty = WithHeaders({{"content-type", "multipart/form-data; boundary=b"}});
  empty.body = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\r\n\r\n--b--\r\n";
  ASSERT_TRUE(empty.MultipartParts().has_value());
  EXPECT_EQ(empty.MultipartParts()->at(0).data, "");

  // Not multipart, no boundary, truncated, a part without a name: nothing.
  EXPECT_FALSE(WithHeaders({{"content-type", "application/x-www-form-urlencoded"}}).MultipartParts().has_value());
  EXPECT_FALSE(WithHeaders({{"content-type", "multipart/form-data"}}).MultipartParts().has_value());
  Request truncated = WithHeaders({{"content-type", "multipart/form-data; boundary=b"}});
  truncated.body = "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc";
  EXPECT_FALSE(truncated.MultipartParts().has_value());
  Request unnamed = WithHeaders({{"content-type", "multipart/form-data; boundary=b"}});
  unnamed.body = "--b\r\nContent-Type: text/plain\r\n\r\nabc\r\n--b--";
  EXPECT_FALSE(unnamed.MultipartParts().has_value());
}

TEST(HttpStatusForTest, TheOneTable) {
  EXPECT_EQ(HttpStatusFor(ErrorCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kFailedPrecondition), 409);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kInternal), 500);
}

TEST(ResponseTest, ErrorHasCodeMessageAndFieldButNeverDetail) {
  Response response = Response::Error(InvalidArgument("birth date is in the future", "guests[0].birth_date"));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(json::parse(response.body), (json{{"error",
                                               {{"code", "invalid_argument"},
                                                {"message", "birth date is in the future"},
                                                {"field", "guests[0].birth_date"}}}}));

  response = Response::Error(Internal("SELECT * FROM cards failed: disk I/O error"));
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body, R"({"error":{"code":"internal","message":"internal error"}})");

  response = Response::Error(Unavailable("database busy", "/var/lib/passwerk/core.db locked"));
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body.find("/var/lib"), std::string::npos);

  response = Response::Error(Status::Ok());  // a caller bug still yields a clean 500
  EXPECT_EQ(response.status, 500);
}

TEST(ResponseTest, JsonHtmlRedirect) {
  Response response = Response::Json(201, json{{"ok", true}});
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, R"({"ok":true})");

  // Invalid UTF-8 does not throw.
  response = Response::Json(200, json{{"s", std::string("\xff\xfe")}});
  EXPECT_EQ(response.status, 200);

  response = Response::Html(200, "<h1>Hallo</h1>");
  EXPECT_EQ(response.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(response.body, "<h1>Hallo</h1>");

  response = Response::Redirect("/login");
  EXPECT_EQ(response.status, 303);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0], (std::pair<std::string, std::string>{"Location", "/login"}));
}

}  // namespace
}  // namespace passwerk::http
