// The Idempotency-Key header: which keys are accepted, whose key it is, what a
// request is recognised by, and the answers of a settled write.
#include "http/idempotency.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace passwerk::http {
namespace {

Request WithKey(std::optional<std::string> key) {
  Request request;
  request.method = "POST";
  request.path = "/api/v1/registrations";
  request.body = R"({"a":1})";
  if (key) request.headers.emplace_back("idempotency-key", *key);
  return request;
}

TEST(IdempotencyKeyTest, AbsentIsNoKey) {
  auto key = IdempotencyKeyOf(WithKey(std::nullopt));
  ASSERT_TRUE(key.ok());
  EXPECT_FALSE(key->has_value());
}

TEST(IdempotencyKeyTest, OneTo255VisibleAsciiCharacters) {
  for (const std::string& good : {std::string("a"), std::string(255, 'x'), std::string("9f1c-4b2e_!~{}")}) {
    auto key = IdempotencyKeyOf(WithKey(good));
    ASSERT_TRUE(key.ok()) << good;
    EXPECT_EQ(**key, good);
  }
  for (const std::string& bad : {std::string(), std::string(256, 'x'), std::string("a b"), std::string("tab\there"),
                                 std::string("schl\xc3\xbcssel"), std::string("del\x7f")}) {
    auto key = IdempotencyKeyOf(WithKey(bad));
    ASSERT_FALSE(key.ok()) << bad;
    EXPECT_EQ(key.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(key.status().field(), "Idempotency-Key");
  }
}

TEST(IdempotencyKeyTest, KeysBelongToTheUserNotTheToken) {
  accounts::Actor by_token;
  by_token.id = "token:3";
  by_token.user = accounts::User{};
  by_token.user->id = 7;
  EXPECT_EQ(IdempotencyCaller(by_token), "user:7");
  accounts::Actor cli;
  cli.id = "cli";
  EXPECT_EQ(IdempotencyCaller(cli), "cli");
  EXPECT_NE(storage::IdempotencyKeyHash("user:7", "k"), storage::IdempotencyKeyHash("user:8", "k"));
}

TEST(IdempotencyKeyTest, ARequestIsItsMethodPathQueryAndBody) {
  const std::string base = storage::IdempotencyRequestHash("POST", "/a", "", "{}");
  EXPECT_EQ(base, storage::IdempotencyRequestHash("POST", "/a", "", "{}"));
  EXPECT_NE(base, storage::IdempotencyRequestHash("POST", "/b", "", "{}"));
  EXPECT_NE(base, storage::IdempotencyRequestHash("POST", "/a", "x=1", "{}"));
  EXPECT_NE(base, storage::IdempotencyRequestHash("POST", "/a", "", "{ }"));
  EXPECT_NE(base, storage::IdempotencyRequestHash("PUT", "/a", "", "{}"));
}

TEST(IdempotencyKeyTest, ANewWriteIsNotSettled) {
  storage::IdempotentWrite write(storage::IdempotencyRequest{});
  EXPECT_FALSE(SettledResponse(write).has_value());
}

}  // namespace
}  // namespace passwerk::http
