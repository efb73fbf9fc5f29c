// Error values: the fixed vocabulary of codes, what each helper sets, and the
// propagation macros domain code is written with.
#include "core/status.h"

#include <gtest/gtest.h>

namespace passwerk {
namespace {

TEST(StatusTest, ResultCarriesValueOrError) {
  Result<int> value = 7;
  EXPECT_TRUE(value.ok());
  EXPECT_EQ(*value, 7);
  Result<int> error = InvalidArgument("bad", "field_x");
  EXPECT_FALSE(error.ok());
  EXPECT_EQ(error.status().field(), "field_x");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kResourceExhausted), "resource_exhausted");
}

TEST(StatusTest, EveryCodeHasItsStableName) {
  const std::vector<std::pair<ErrorCode, std::string_view>> names = {
      {ErrorCode::kOk, "ok"},
      {ErrorCode::kInvalidArgument, "invalid_argument"},
      {ErrorCode::kNotFound, "not_found"},
      {ErrorCode::kAlreadyExists, "already_exists"},
      {ErrorCode::kFailedPrecondition, "failed_precondition"},
      {ErrorCode::kPermissionDenied, "permission_denied"},
      {ErrorCode::kUnauthenticated, "unauthenticated"},
      {ErrorCode::kResourceExhausted, "resource_exhausted"},
      {ErrorCode::kUnavailable, "unavailable"},
      {ErrorCode::kInternal, "internal"},
  };
  for (const auto& [code, name] : names) EXPECT_EQ(ErrorCodeName(code), name);
  EXPECT_EQ(ErrorCodeName(static_cast<ErrorCode>(99)), "internal") << "an unknown value is never shown as ok";
}

TEST(StatusTest, HelpersSetCodeFieldAndKeepTheDetailForTheLog) {
  EXPECT_EQ(InvalidArgument("m", "f").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(NotFound("m", "f").field(), "f");
  EXPECT_EQ(AlreadyExists("m").code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(FailedPrecondition("m", "year").field(), "year");
  EXPECT_EQ(PermissionDenied("m").code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(Unauthenticated("m").code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(ResourceExhausted("m").code(), ErrorCode::kResourceExhausted);
  Status busy = Unavailable("the database is busy", "SQLITE_BUSY on core.db");
  EXPECT_EQ(busy.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(busy.message(), "the database is busy");
  EXPECT_EQ(busy.detail(), "SQLITE_BUSY on core.db");
  // An internal error never tells the client what went wrong; the log gets it.
  Status bug = Internal("SELECT * FROM core.users failed: no such column");
  EXPECT_EQ(bug.message(), "internal error");
  EXPECT_EQ(bug.detail(), "SELECT * FROM core.users failed: no such column");
  EXPECT_TRUE(Status::Ok().ok());
  EXPECT_TRUE(Status().ok());
}

TEST(StatusTest, ToStringNamesCodeMessageFieldAndDetail) {
  EXPECT_EQ(Status::Ok().ToString(), "ok");
  EXPECT_EQ(NotFound("no such card").ToString(), "not_found: no such card");
  EXPECT_EQ(InvalidArgument("year must be 2026", "year").ToString(),
            "invalid_argument: year must be 2026 (field year)");
  EXPECT_EQ(Status(ErrorCode::kUnavailable, "busy", "locked").WithField("x").ToString(),
            "unavailable: busy (field x) [locked]");
}

Status FailsWhen(bool fail) { return fail ? NotFound("gone", "id") : Status::Ok(); }
Result<int> Half(int n) {
  if (n % 2 != 0) return InvalidArgument("odd", "n");
  return n / 2;
}

Status Chain(bool fail, int n, int& out) {
  PW_RETURN_IF_ERROR(FailsWhen(fail));
  PW_ASSIGN_OR_RETURN(int half, Half(n));
  PW_ASSIGN_OR_RETURN(out, Half(half));
  return Status::Ok();
}

TEST(StatusTest, MacrosPropagateTheFirstErrorUnchanged) {
  int out = -1;
  Status failed = Chain(true, 8, out);
  EXPECT_EQ(failed.code(), ErrorCode::kNotFound);
  EXPECT_EQ(failed.field(), "id");
  EXPECT_EQ(out, -1);
  Status odd = Chain(false, 6, out);  // 6 → 3, odd at the second step
  EXPECT_EQ(odd.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(odd.field(), "n");
  EXPECT_EQ(out, -1) << "nothing assigned after an error";
  ASSERT_TRUE(Chain(false, 8, out).ok());
  EXPECT_EQ(out, 2);
}

TEST(StatusTest, ResultMovesItsValueOut) {
  Result<std::string> text = std::string("Kellenhusen");
  text->append(" (Ostsee)");
  EXPECT_EQ(text.value(), "Kellenhusen (Ostsee)");
  std::string moved = std::move(text).value();
  EXPECT_EQ(moved, "Kellenhusen (Ostsee)");
  EXPECT_TRUE(Result<int>(0).status().ok()) << "a value carries an OK status";
}

}  // namespace
}  // namespace passwerk
