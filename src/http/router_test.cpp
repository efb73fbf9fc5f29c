// Route matching: literals, captures, precedence, 404 and 405.
#include "http/router.h"

#include <stdexcept>

#include <gtest/gtest.h>

namespace passwerk::http {
namespace {

Handler Named(std::string text) {
  return [text](Request&) { return Response::Html(200, text); };
}

std::string Call(const Router::Match& match) {
  Request request;
  return match.handler != nullptr ? (*match.handler)(request).body : "";
}

Request Make(std::string method, std::string path) {
  Request request;
  request.method = std::move(method);
  request.path = std::move(path);
  return request;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("GET", "/", "root", Named("root"));
    router_.Add("GET", "/users/{id}", "user_get", Named("user_get"));
    router_.Add("DELETE", "/users/{id}", "user_delete", Named("user_delete"));
    router_.Add("GET", "/users/me", "user_me", Named("user_me"));
    router_.Add("GET", "/m/{municipality}/cards/{card_number}", "card", Named("card"));
    router_.Add("POST", "/m/{municipality}/cards", "card_create", Named("card_create"));
  }
  Router router_;
};

TEST_F(RouterTest, MatchesLiteralsAndFillsParams) {
  Request request = Make("GET", "/m/erlangen/cards/1234567890");
  Router::Match match = router_.Find(request);
  EXPECT_EQ(match.status, 200);
  EXPECT_EQ(match.route_name, "card");
  EXPECT_EQ(Call(match), "card");
  EXPECT_EQ(request.path_params["municipality"], "erlangen");
  EXPECT_EQ(request.path_params["card_number"], "1234567890");

  request = Make("GET", "/");
  EXPECT_EQ(router_.Find(request).route_name, "root");
}

TEST_F(RouterTest, LiteralBeatsCaptureWhateverTheOrder) {
  Request request = Make("GET", "/users/me");
  EXPECT_EQ(router_.Find(request).route_name, "user_me");
  EXPECT_TRUE(request.path_params.empty());
  request = Make("GET", "/users/42");
  EXPECT_EQ(router_.Find(request).route_name, "user_get");
  EXPECT_EQ(request.path_params["id"], "42");
}

TEST_F(RouterTest, UnknownPathIs404) {
  for (const char* path : {"/nope", "/users", "/users/", "/users/1/extra", "", "users/1", "//users/1"}) {
    Request request = Make("GET", path);
    Router::Match match = router_.Find(request);
    EXPECT_EQ(match.status, 404) << path;
    EXPECT_EQ(match.route_name, "not_found");
    EXPECT_EQ(match.handler, nullptr);
  }
}

TEST_F(RouterTest, KnownPathWithOtherMethodIs405) {
  Request request = Make("PUT", "/users/1");
  Router::Match match = router_.Find(request);
  EXPECT_EQ(match.status, 405);
  EXPECT_EQ(match.route_name, "method_not_allowed");
  EXPECT_EQ(match.handler, nullptr);

  request = Make("get", "/users/1");  // methods are case-sensitive
  EXPECT_EQ(router_.Find(request).status, 405);
}

TEST_F(RouterTest, HeadFallsBackToGet) {
  Request request = Make("HEAD", "/users/7");
  Router::Match match = router_.Find(request);
  EXPECT_EQ(match.status, 200);
  EXPECT_EQ(match.route_name, "user_get");
  EXPECT_EQ(request.path_params["id"], "7");

  request = Make("HEAD", "/m/x/cards");  // only POST there
  EXPECT_EQ(router_.Find(request).status, 405);
}

TEST_F(RouterTest, CaptureNeverMatchesAnEmptySegment) {
  Request request = Make("GET", "/m//cards/1");
  EXPECT_EQ(router_.Find(request).status, 404);
}

TEST(RouterAddTest, RejectsBadPatterns) {
  Router router;
  EXPECT_THROW(router.Add("GET", "no-slash", "x", Named("x")), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/a/{}", "x", Named("x")), std::invalid_argument);
  router.Add("GET", "/a", "a", Named("a"));
  EXPECT_THROW(router.Add("GET", "/a", "a2", Named("a2")), std::invalid_argument);
  router.Add("POST", "/a", "a_post", Named("a_post"));  // same path, other method: fine
}

}  // namespace
}  // namespace passwerk::http
