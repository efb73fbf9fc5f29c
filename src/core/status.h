// Error values for the domain: a short, fixed vocabulary (after abseil's Status)
// plus Result<T>, so expected failures travel as values, never as exceptions.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace passwerk {

// When to use which code:
//   kInvalidArgument    the caller sent something malformed, whatever the state
//   kNotFound           the named thing does not exist (or the caller may not know it does)
//   kAlreadyExists      creating something that is already there
//   kFailedPrecondition the request is well-formed but the state forbids it now
//   kPermissionDenied   authenticated, but not allowed to do this
//   kUnauthenticated    no or invalid credentials
//   kResourceExhausted  a rate limit, quota or size limit was hit
//   kUnavailable        a dependency (database, disk) is down or busy; retrying may help
//   kInternal           a bug or invariant violation; never the caller's fault
enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kPermissionDenied,
  kUnauthenticated,
  kResourceExhausted,
  kUnavailable,
  kInternal,
};

// Stable snake_case name used in JSON error bodies and logs.
std::string_view ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  // `message` may be shown to the client; `detail` goes to the log only.
  Status(ErrorCode code, std::string message, std::string detail = {})
      : code_(code), message_(std::move(message)), detail_(std::move(detail)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& detail() const { return detail_; }
  // Field a validation error refers to, if any (e.g. "guests[0].birth_date").
  const std::string& field() const { return field_; }
  Status& WithField(std::string field) {
    field_ = std::move(field);
    return *this;
  }

  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  std::string detail_;
  std::string field_;
};

inline Status InvalidArgument(std::string message, std::string field = {}) {
  Status s(ErrorCode::kInvalidArgument, std::move(message));
  s.WithField(std::move(field));
  return s;
}
inline Status NotFound(std::string message, std::string field = {}) {
  Status s(ErrorCode::kNotFound, std::move(message));
  s.WithField(std::move(field));
  return s;
}
inline Status AlreadyExists(std::string message, std::string field = {}) {
  Status s(ErrorCode::kAlreadyExists, std::move(message));
  s.WithField(std::move(field));
  return s;
}
inline Status FailedPrecondition(std::string message, std::string field = {}) {
  Status s(ErrorCode::kFailedPrecondition, std::move(message));
  s.WithField(std::move(field));
  return s;
}
inline Status PermissionDenied(std::string message) {
  return {ErrorCode::kPermissionDenied, std::move(message)};
}
inline Status Unauthenticated(std::string message) {
  return {ErrorCode::kUnauthenticated, std::move(message)};
}
inline Status ResourceExhausted(std::string message) {
  return {ErrorCode::kResourceExhausted, std::move(message)};
}
inline Status Unavailable(std::string message, std::string detail = {}) {
  return {ErrorCode::kUnavailable, std::move(message), std::move(detail)};
}
inline Status Internal(std::string detail) {
  return {ErrorCode::kInternal, "internal error", std::move(detail)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!status_.ok() && "Result<T> needs a value or an error");
    if (status_.ok()) status_ = Internal("Result constructed from OK status without value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace passwerk

// Propagate an error Status from an expression returning Status.
#define PW_RETURN_IF_ERROR(expr)                     \
  do {                                               \
    ::passwerk::Status pw_status_ = (expr);          \
    if (!pw_status_.ok()) return pw_status_;         \
  } while (0)

#define PW_CONCAT_INNER(a, b) a##b
#define PW_CONCAT(a, b) PW_CONCAT_INNER(a, b)
// Assign the value of a Result<T> expression or return its error.
#define PW_ASSIGN_OR_RETURN(lhs, expr) PW_ASSIGN_OR_RETURN_IMPL(PW_CONCAT(pw_result_, __LINE__), lhs, expr)
#define PW_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
