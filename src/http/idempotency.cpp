// The Idempotency-Key header of the creating API POSTs (idempotency.h).
#include "http/idempotency.h"

#include <nlohmann/json.hpp>

namespace passwerk::http {

Result<std::optional<std::string>> IdempotencyKeyOf(const Request& request) {
  auto header = request.Header(kIdempotencyKeyHeader);
  if (!header) return std::optional<std::string>();
  bool visible = !header->empty() && header->size() <= 255;
  for (char c : *header) visible = visible && c > ' ' && c < 0x7f;
  if (!visible) {
    return InvalidArgument("Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces)", "Idempotency-Key");
  }
  return std::optional<std::string>(std::string(*header));
}

std::string IdempotencyCaller(const accounts::Actor& actor) {
  if (actor.user) return "user:" + std::to_string(actor.user->id);
  return actor.id;
}

storage::IdempotencyRequest MakeIdempotencyRequest(const AppContext& app, const Request& request,
                                                   const accounts::Actor& actor, const std::string& key) {
  storage::IdempotencyRequest out;
  out.key_hash = storage::IdempotencyKeyHash(IdempotencyCaller(actor), key);
  out.request_hash = storage::IdempotencyRequestHash(request.method, request.path, request.query, request.body);
  out.now = app.clock.NowUnix();
  out.ttl_seconds = int64_t{app.config.idempotency_key_hours} * 3600;
  return out;
}

std::optional<Response> SettledResponse(const storage::IdempotentWrite& write) {
  using Outcome = storage::IdempotentWrite::Outcome;
  switch (write.outcome()) {
    case Outcome::kNew:
      return std::nullopt;
    case Outcome::kReplayed: {
      Response response;
      response.status = write.answer().status;
      response.body = write.answer().body;
      response.AddHeader("Idempotency-Replayed", "true");
      return response;
    }
    case Outcome::kKeyReused: {
      // Not a code of the vocabulary (core/status.h): a client must tell it
      // from a state conflict, since it was its own retry that went wrong.
      nlohmann::json error = {{"code", "idempotency_key_reused"},
                              {"message",
                               "this Idempotency-Key was used for another request (a different body or endpoint); "
                               "use a new key for a new request"},
                              {"field", "Idempotency-Key"}};
      return Response::Json(409, nlohmann::json{{"error", std::move(error)}});
    }
  }
  return std::nullopt;
}

}  // namespace passwerk::http
