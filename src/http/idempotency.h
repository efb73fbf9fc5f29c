// The Idempotency-Key header of the creating API POSTs (docs/api.md): reads
// and checks the key, scopes it to the caller, hands the domain function an
// Idempotent<T> (storage/idempotency.h) that stores the answer with what it
// created, and answers a retry with the stored answer.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "accounts/actor.h"
#include "core/status.h"
#include "http/context.h"
#include "http/message.h"
#include "storage/idempotency.h"

namespace passwerk::http {

inline constexpr std::string_view kIdempotencyKeyHeader = "idempotency-key";

// The header's value: nullopt when absent; InvalidArgument unless it is 1 to
// 255 visible ASCII characters.
Result<std::optional<std::string>> IdempotencyKeyOf(const Request& request);

// Whose key it is: the token's user ("user:7"), so that a user's retry with a
// renewed token still finds its answer; another user's same key is another key.
std::string IdempotencyCaller(const accounts::Actor& actor);

storage::IdempotencyRequest MakeIdempotencyRequest(const AppContext& app, const Request& request,
                                                   const accounts::Actor& actor, const std::string& key);

// The stored answer again, marked `Idempotency-Replayed: true`; or the 409
// `idempotency_key_reused`. nullopt when the write ran as new.
std::optional<Response> SettledResponse(const storage::IdempotentWrite& write);

// A creating handler's domain call with the request's Idempotency-Key, if any:
// `call` runs the domain function with the Idempotent<T> (nullptr without a
// key), `render` writes the answer of a T (stored with a key), `error` that of
// a failure. `render` runs inside the write transaction: it must not read
// storage itself (read what it needs before).
template <typename T>
Response Idempotently(const AppContext& app, const Request& request, const accounts::Actor& actor,
                      const std::function<Result<T>(storage::Idempotent<T>*)>& call,
                      const std::function<Response(const T&)>& render,
                      const std::function<Response(const Status&)>& error = Response::Error) {
  auto key = IdempotencyKeyOf(request);
  if (!key.ok()) return Response::Error(key.status());
  std::optional<storage::Idempotent<T>> write;
  if (*key) {
    write.emplace(MakeIdempotencyRequest(app, request, actor, **key), [&render](const T& value) {
      Response response = render(value);
      return storage::StoredAnswer{response.status, std::move(response.body)};
    });
  }
  Result<T> result = call(write ? &*write : nullptr);
  if (write) {
    if (auto settled = SettledResponse(*write)) return *std::move(settled);
  }
  if (!result.ok()) return error(result.status());
  return render(*result);
}

}  // namespace passwerk::http
