#include "terminal_client/client.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "cards/card_number.h"
#include "core/crypto.h"
#include "core/dates.h"

namespace passwerk::terminal_client {
namespace {

using nlohmann::json;

constexpr std::string_view kChallengePath = "/api/terminal/v1/challenge";
constexpr std::string_view kLoginPath = "/api/terminal/v1/login";
constexpr std::string_view kAcceptancesPath = "/api/terminal/v1/acceptances";
constexpr std::string_view kTransactionsPath = "/api/terminal/v1/transactions";
constexpr std::string_view kSyncDataPath = "/api/terminal/v1/sync-data";
// A cached session is not used in its last minute: it could end in flight.
constexpr int64_t kSessionMargin = 60;
// Holdings are kept well past their validity: a days-of window can reach
// beyond the latest first use, and a late offline use may still be decided.
constexpr int kHoldingRetentionDays = 400;

bool Digits(std::string_view text, size_t min, size_t max) {
  return text.size() >= min && text.size() <= max && text.find_first_not_of("0123456789") == std::string_view::npos;
}

// Catalogue numbers travel as short strings; anything printable and short is
// passed on, the server judges the rest.
bool CatalogueNumber(std::string_view text) {
  return !text.empty() && text.size() <= 32 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 127; });
}

Status ValidateCard(CardInput& card) {
  auto normalized = cards::NormalizeCardNumber(card.card_number);
  if (!normalized) return InvalidArgument("the card number must be 12 digits with a valid check digit", "--card");
  card.card_number = *normalized;
  if (card.circulation_counter < 1 || card.circulation_counter > 99) {
    return InvalidArgument("the circulation counter must be 1 to 99", "--counter");
  }
  if (!Digits(card.issuing_office, 1, 6))
    return InvalidArgument("the issuing office is 1 to 6 digits", "--issuing-office");
  return Status::Ok();
}

Status ValidateCommon(std::string_view operator_number, std::string_view at) {
  if (!Digits(operator_number, 1, 8)) return InvalidArgument("the operator number is 1 to 8 digits", "--operator");
  if (!ValidLocalDateTime(at)) return InvalidArgument("--at must be YYYY-MM-DDTHH:MM:SS", "--at");
  return Status::Ok();
}

Date DayOf(std::string_view at) { return ParseIsoDate(at.substr(0, 10)).value_or(Date{}); }

Result<json> ParseAnswer(const HttpResponse& response) {
  json body = json::parse(response.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return Unavailable("the server sent an answer that is not JSON", "HTTP " + std::to_string(response.status));
  }
  return body;
}

// The error an HTTP answer other than 200 stands for. 5xx counts as "not
// reachable": the terminal keeps working offline.
Status ServerError(const HttpResponse& response, std::string_view what) {
  std::string message;
  std::string field;
  json body = json::parse(response.body, nullptr, false);
  if (!body.is_discarded() && body.is_object() && body.contains("error") && body["error"].is_object()) {
    const json& error = body["error"];
    if (error.contains("message") && error["message"].is_string()) message = error["message"].get<std::string>();
    if (error.contains("field") && error["field"].is_string()) field = error["field"].get<std::string>();
  }
  std::string text = std::string(what) + ": the server answered " + std::to_string(response.status) +
                     (message.empty() ? "" : " (" + message + (field.empty() ? "" : ", field " + field) + ")");
  switch (response.status) {
    case 400:
    case 422:
      return InvalidArgument(text);
    case 401:
      return Unauthenticated(text);
    case 403:
      return PermissionDenied(text);
    case 404:
      return NotFound(text);
    case 409:
      return FailedPrecondition(text);
    case 413:
    case 429:
      return ResourceExhausted(text);
    default:
      break;
  }
  if (response.status >= 500) return Unavailable("the server cannot serve the terminal now", text);
  return Unavailable("the server answered unexpectedly", text);
}

std::optional<int64_t> OptionalInteger(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

std::string OptionalText(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

json CardReference(const CardInput& card, const std::string& municipality_number) {
  return {{"card_number", card.card_number},
          {"circulation_counter", card.circulation_counter},
          {"municipality_number", municipality_number},
          {"issuing_office", card.issuing_office}};
}

}  // namespace

bool ValidLocalDateTime(std::string_view text) {
  if (text.size() != 19 || text[10] != 'T' || text[13] != ':' || text[16] != ':') return false;
  if (!ParseIsoDate(text.substr(0, 10))) return false;
  auto two = [&](size_t at, int max) {
    if (!Digits(text.substr(at, 2), 2, 2)) return false;
    return (text[at] - '0') * 10 + (text[at + 1] - '0') <= max;
  };
  return two(11, 23) && two(14, 59) && two(17, 59);
}

std::string BerlinLocalDateTime(int64_t unix_seconds) {
  int64_t local = unix_seconds + BerlinOffsetSeconds(unix_seconds);
  int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  int64_t seconds = local - days * 86400;
  char time[16];
  std::snprintf(time, sizeof time, "T%02d:%02d:%02d", static_cast<int>(seconds / 3600),
                static_cast<int>(seconds / 60 % 60), static_cast<int>(seconds % 60));
  return FormatIsoDate(CivilFromDays(days)) + time;
}

TerminalClient::TerminalClient(ClientOptions options, Buffer& buffer, HttpClient* server, const Clock& clock)
    : options_(std::move(options)), buffer_(buffer), server_(server), clock_(clock) {}

Status TerminalClient::Login() {
  session_.clear();
  if (!options_.key) return InvalidArgument("logging in needs the terminal's key file", "--key-file");
  if (!server_) return InvalidArgument("no server given", "--server");
  const std::string& tid = buffer_.tid();
  PW_ASSIGN_OR_RETURN(HttpResponse challenge_answer,
                      server_->Send("POST", kChallengePath, json{{"tid", tid}}.dump(), ""));
  if (challenge_answer.status != 200) return ServerError(challenge_answer, "login challenge");
  PW_ASSIGN_OR_RETURN(json challenge_body, ParseAnswer(challenge_answer));
  std::string challenge = OptionalText(challenge_body, "challenge");
  if (challenge.empty()) return Unavailable("the server sent no login challenge");
  PW_ASSIGN_OR_RETURN(std::string signature,
                      terminals::SignMessage(options_.key->private_key, terminals::LoginMessage(tid, challenge)));
  json login = {{"tid", tid}, {"challenge", challenge}, {"signature", crypto::Base64Encode(signature)}};
  PW_ASSIGN_OR_RETURN(HttpResponse login_answer, server_->Send("POST", kLoginPath, login.dump(), ""));
  if (login_answer.status != 200) return ServerError(login_answer, "login");
  PW_ASSIGN_OR_RETURN(json body, ParseAnswer(login_answer));
  std::string session = OptionalText(body, "session");
  if (session.empty()) return Unavailable("the server sent no session");
  int64_t expires_in = OptionalInteger(body, "expires_in").value_or(600);
  std::vector<std::pair<std::string, std::string>> meta = {
      {"session", session}, {"session_expires_at", std::to_string(clock_.NowUnix() + expires_in)}};
  auto terminal = body.find("terminal");
  if (terminal != body.end() && terminal->is_object()) {
    std::string vu_number = OptionalText(*terminal, "vu_number");
    std::string municipality_number = OptionalText(*terminal, "municipality_number");
    if (!vu_number.empty()) meta.emplace_back("vu_number", vu_number);
    if (!municipality_number.empty()) meta.emplace_back("municipality_number", municipality_number);
  }
  // The session is kept in the buffer so that the next command (often a
  // single acceptance) needs one request instead of three.
  PW_RETURN_IF_ERROR(buffer_.SetMeta(meta));
  session_ = std::move(session);
  return Status::Ok();
}

Status TerminalClient::EnsureSession() {
  if (!session_.empty()) return Status::Ok();
  PW_ASSIGN_OR_RETURN(auto session, buffer_.GetMeta("session"));
  PW_ASSIGN_OR_RETURN(auto expires, buffer_.GetMeta("session_expires_at"));
  if (session && expires) {
    int64_t expires_at = std::strtoll(expires->c_str(), nullptr, 10);
    if (expires_at - kSessionMargin > clock_.NowUnix()) {
      session_ = *session;
      return Status::Ok();
    }
  }
  return Login();
}

Result<HttpResponse> TerminalClient::Call(std::string_view method, std::string_view path, const std::string& body) {
  if (!server_) return InvalidArgument("no server given", "--server");
  PW_RETURN_IF_ERROR(EnsureSession());
  PW_ASSIGN_OR_RETURN(HttpResponse response, server_->Send(method, path, body, session_));
  if (response.status == 401) {
    // Sessions end after an hour and with every server restart.
    PW_RETURN_IF_ERROR(Login());
    PW_ASSIGN_OR_RETURN(response, server_->Send(method, path, body, session_));
  }
  return response;
}

Result<std::optional<Catalogue>> TerminalClient::LoadCatalogue() {
  PW_ASSIGN_OR_RETURN(auto text, buffer_.GetMeta("catalogue"));
  if (!text) return std::optional<Catalogue>();
  json stored = json::parse(*text, nullptr, false);
  if (stored.is_discarded()) return Unavailable("the buffer file is damaged", "catalogue is not JSON");
  PW_ASSIGN_OR_RETURN(Catalogue catalogue, ParseCatalogue(stored));
  return std::optional<Catalogue>(std::move(catalogue));
}

Result<std::string> TerminalClient::RequireMeta(std::string_view key, std::string_view why) {
  PW_ASSIGN_OR_RETURN(auto value, buffer_.GetMeta(key));
  if (!value || value->empty()) {
    return FailedPrecondition(std::string(why) + ": run `passwerk terminal … sync` once with the server reachable");
  }
  return *value;
}

Status TerminalClient::TrackOnlineUse(const AcceptRequest& request, const std::string& package_number,
                                      const Date& day) {
  // The server decided; the terminal follows its own packages along so that
  // a later offline decision knows this use too.
  PW_ASSIGN_OR_RETURN(auto catalogue, LoadCatalogue());
  if (!catalogue) return Status::Ok();
  PW_ASSIGN_OR_RETURN(auto holdings, buffer_.Holdings(request.card.card_number, request.card.circulation_counter));
  OfflineDecision local = DecideOffline(*catalogue, false, holdings, {request.service_number, package_number, day});
  if (local.allowed() && local.updated) return buffer_.UpdateHolding(*local.updated);
  return Status::Ok();
}

Result<AcceptOutcome> TerminalClient::Accept(AcceptRequest request) {
  if (request.at.empty()) request.at = BerlinLocalDateTime(clock_.NowUnix());
  PW_RETURN_IF_ERROR(ValidateCard(request.card));
  PW_RETURN_IF_ERROR(ValidateCommon(request.operator_number, request.at));
  if (!CatalogueNumber(request.service_number)) return InvalidArgument("bad service number", "--service");
  if (request.package_number && !CatalogueNumber(*request.package_number)) {
    return InvalidArgument("bad package number", "--package");
  }
  const Date day = DayOf(request.at);

  // A package this terminal sold but could not upload yet is unknown to the
  // server: hand it over first, or the server would deny its use.
  if (server_) {
    PW_ASSIGN_OR_RETURN(bool unsent,
                        buffer_.HasPendingSale(request.card.card_number, request.card.circulation_counter));
    if (unsent) {
      UploadTotals ignored;
      (void)Upload(ignored);
    }
  }

  // The number is spent before the request leaves: should the answer be
  // lost, the same number goes into the buffer and the server recognises it.
  PW_ASSIGN_OR_RETURN(int64_t booking_number, buffer_.ReserveBookingNumber());
  AcceptOutcome outcome;
  outcome.booking_number = booking_number;

  Status online_problem = InvalidArgument("no server given");
  if (server_) {
    // The card reference names the card's municipality: the login tells it.
    Result<HttpResponse> answer = Unavailable("not asked");
    Status session = EnsureSession();
    if (!session.ok()) {
      answer = session;
    } else {
      PW_ASSIGN_OR_RETURN(std::string municipality,
                          RequireMeta("municipality_number", "the municipality number is unknown"));
      json ask = CardReference(request.card, municipality);
      ask["booking_number"] = booking_number;
      ask["at"] = request.at;
      ask["operator"] = request.operator_number;
      ask["service_number"] = request.service_number;
      if (request.package_number) ask["package_number"] = *request.package_number;
      answer = Call("POST", kAcceptancesPath, ask.dump());
    }
    if (answer.ok() && answer->status == 200) {
      PW_ASSIGN_OR_RETURN(json body, ParseAnswer(*answer));
      outcome.online = true;
      outcome.allowed = OptionalText(body, "decision") == "allowed";
      outcome.reason = OptionalText(body, "reason");
      outcome.result = OptionalText(body, "result");
      outcome.package_number = OptionalText(body, "package_number");
      auto remaining = body.find("remaining");
      if (remaining != body.end() && remaining->is_object()) {
        outcome.days_left = OptionalInteger(*remaining, "days_left");
        outcome.points_left = OptionalInteger(*remaining, "points_left");
        outcome.valid_to = OptionalText(*remaining, "valid_to");
      }
      if (outcome.allowed && !outcome.package_number.empty()) {
        PW_RETURN_IF_ERROR(TrackOnlineUse(request, outcome.package_number, day));
      }
      return outcome;
    }
    online_problem = answer.ok() ? ServerError(*answer, "acceptance") : answer.status();
    // Only an unreachable or failing server makes the terminal decide alone;
    // a refusal (bad input, wrong key, disabled terminal) is the answer.
    if (online_problem.code() != ErrorCode::kUnavailable) return online_problem;
  }

  outcome.online = false;
  outcome.offline_reason = online_problem.detail().empty() ? online_problem.message()
                                                           : online_problem.message() + ": " + online_problem.detail();
  PW_ASSIGN_OR_RETURN(auto catalogue, LoadCatalogue());
  if (!catalogue) {
    return FailedPrecondition(
        "the server cannot be reached and this terminal has never synced, so it cannot decide "
        "offline (" +
        outcome.offline_reason + ")");
  }
  PW_ASSIGN_OR_RETURN(bool blocked, buffer_.IsBlocked(request.card.card_number, request.card.circulation_counter));
  PW_ASSIGN_OR_RETURN(auto holdings, buffer_.Holdings(request.card.card_number, request.card.circulation_counter));
  OfflineDecision decision =
      DecideOffline(*catalogue, blocked, holdings, {request.service_number, request.package_number, day});
  outcome.allowed = decision.allowed();
  outcome.reason = std::string(terminals::DenialName(decision.denial));
  outcome.package_number = decision.package_number;
  outcome.days_left = decision.days_left;
  outcome.points_left = decision.points_left;
  if (decision.valid_to) outcome.valid_to = FormatIsoDate(*decision.valid_to);
  outcome.base_assumed = decision.base_assumed;
  outcome.result = "not_recorded";
  if (!decision.allowed()) return outcome;

  PW_ASSIGN_OR_RETURN(std::string vu_number, RequireMeta("vu_number", "the terminal's VU number is unknown"));
  std::string municipality = catalogue->municipality_number;
  if (municipality.empty()) {
    PW_ASSIGN_OR_RETURN(municipality, RequireMeta("municipality_number", "the municipality number is unknown"));
  }
  json consumption = CardReference(request.card, municipality);
  consumption["service_number"] = request.service_number;
  consumption["package_number"] = decision.package_number;
  json transaction = {{"booking_number", booking_number},    {"at", request.at},     {"vu_number", vu_number},
                      {"operator", request.operator_number}, {"kind", "acceptance"}, {"consumption", consumption}};
  PW_RETURN_IF_ERROR(
      buffer_.AddReservedTransaction(booking_number, "acceptance", transaction.dump(), decision.updated));
  outcome.result = "buffered";
  return outcome;
}

Result<SellOutcome> TerminalClient::Sell(SellRequest request) {
  if (request.at.empty()) request.at = BerlinLocalDateTime(clock_.NowUnix());
  PW_RETURN_IF_ERROR(ValidateCard(request.card));
  PW_RETURN_IF_ERROR(ValidateCommon(request.operator_number, request.at));
  if (request.payment_method != "cash" && request.payment_method != "card") {
    return InvalidArgument("payment must be cash or card", "--pay");
  }
  if (!CatalogueNumber(request.package_number)) return InvalidArgument("bad package number", "--package");
  PW_ASSIGN_OR_RETURN(auto catalogue, LoadCatalogue());
  if (!catalogue) {
    return FailedPrecondition(
        "the catalogue is unknown: run `passwerk terminal … sync` once with the server "
        "reachable before selling");
  }
  const terminals::PackageRule* package = catalogue->FindPackage(request.package_number);
  if (!package) {
    return InvalidArgument("no package " + request.package_number + " in the catalogue of the last sync", "--package");
  }
  if (package->kind == terminals::PackageKind::kBase) {
    return InvalidArgument("the base package comes with the guest card and is not sold", "--package");
  }
  const Date day = DayOf(request.at);
  if (day < package->sale_from || day > package->sale_to) {
    return FailedPrecondition("package " + package->package_number + " is on sale from " +
                              FormatIsoDate(package->sale_from) + " to " + FormatIsoDate(package->sale_to));
  }
  PW_ASSIGN_OR_RETURN(bool blocked, buffer_.IsBlocked(request.card.card_number, request.card.circulation_counter));
  if (blocked) return FailedPrecondition("the card is blocked: nothing is sold onto it");
  PW_ASSIGN_OR_RETURN(std::string vu_number, RequireMeta("vu_number", "the terminal's VU number is unknown"));
  std::string municipality = catalogue->municipality_number;
  if (municipality.empty()) {
    PW_ASSIGN_OR_RETURN(municipality, RequireMeta("municipality_number", "the municipality number is unknown"));
  }

  LocalHolding held;
  held.card_number = request.card.card_number;
  held.circulation_counter = request.card.circulation_counter;
  held.package_number = package->package_number;
  held.holding = terminals::NewHolding(*package, day);

  json line = CardReference(request.card, municipality);
  line["position"] = 1;
  line["package_number"] = package->package_number;
  line["price_cents"] = package->price_cents;
  line["valid_from"] = FormatIsoDate(held.holding.valid_from);
  line["valid_to"] = FormatIsoDate(held.holding.valid_to);
  line["written"] = true;
  json payment = {{"method", request.payment_method}, {"amount_cents", package->price_cents}};
  auto body = [&](int64_t booking_number) {
    json transaction = {{"booking_number", booking_number},
                        {"at", request.at},
                        {"vu_number", vu_number},
                        {"operator", request.operator_number},
                        {"kind", "purchase"},
                        {"sales", json::array({line})},
                        {"payment", payment}};
    return transaction.dump();
  };
  SellOutcome outcome;
  PW_ASSIGN_OR_RETURN(outcome.booking_number, buffer_.AddTransaction("purchase", body, held));
  outcome.package_number = package->package_number;
  outcome.package_name = package->name;
  outcome.price_cents = package->price_cents;
  outcome.payment_method = request.payment_method;
  outcome.valid_from = FormatIsoDate(held.holding.valid_from);
  outcome.valid_to = FormatIsoDate(held.holding.valid_to);

  // The sale is safe in the buffer; handing it over now is a courtesy that
  // may fail without harm (the next sync retries).
  if (!server_) {
    outcome.upload_problem = "no server given";
    return outcome;
  }
  UploadTotals totals;
  Status uploaded = Upload(totals);
  if (!uploaded.ok()) {
    outcome.upload_problem =
        uploaded.detail().empty() ? uploaded.message() : uploaded.message() + ": " + uploaded.detail();
    return outcome;
  }
  PW_ASSIGN_OR_RETURN(bool still_pending, buffer_.IsPending(outcome.booking_number));
  outcome.uploaded = !still_pending;
  return outcome;
}

Status TerminalClient::Upload(UploadTotals& totals) {
  int batch_size = std::clamp(options_.batch, 1, 1000);
  while (true) {
    PW_ASSIGN_OR_RETURN(auto batch, buffer_.Pending(batch_size));
    if (batch.empty()) return Status::Ok();
    // The stored bodies are the transactions' JSON already.
    std::string request = R"({"protocol":1,"transactions":[)";
    std::set<int64_t> sent;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (i > 0) request += ',';
      request += batch[i].body;
      sent.insert(batch[i].booking_number);
    }
    request += "]}";
    PW_ASSIGN_OR_RETURN(HttpResponse answer, Call("POST", kTransactionsPath, request));
    if (answer.status != 200) return ServerError(answer, "upload");
    PW_ASSIGN_OR_RETURN(json body, ParseAnswer(answer));
    auto results = body.find("results");
    if (results == body.end() || !results->is_array()) return Unavailable("the upload answer has no results");
    std::vector<Acknowledgement> acknowledged;
    for (const json& item : *results) {
      if (!item.is_object()) continue;
      auto number = OptionalInteger(item, "booking_number");
      if (!number || !sent.count(*number)) continue;  // only what this batch sent
      std::string result = OptionalText(item, "result");
      Acknowledgement ack;
      ack.booking_number = *number;
      if (result == "accepted") {
        ack.result = UploadResult::kAccepted;
        totals.accepted += 1;
      } else if (result == "duplicate") {
        ack.result = UploadResult::kDuplicate;
        totals.duplicate += 1;
      } else if (result == "rejected") {
        ack.result = UploadResult::kRejected;
        ack.reason = OptionalText(item, "reason");
        if (ack.reason.empty()) ack.reason = "rejected without a reason";
        // What the catalogue does not allow has a named refusal (terminal-protocol §3): keep it.
        if (std::string refusal = OptionalText(item, "refusal"); !refusal.empty())
          ack.reason = refusal + ": " + ack.reason;
        totals.rejected += 1;
      } else {
        continue;  // an answer this client does not know keeps the transaction
      }
      if (!OptionalText(item, "conflict").empty()) totals.conflicts += 1;
      acknowledged.push_back(std::move(ack));
    }
    totals.sent += static_cast<int64_t>(batch.size());
    totals.batches += 1;
    if (acknowledged.empty()) {
      return Unavailable("the server acknowledged nothing of the batch",
                         "booking numbers " + std::to_string(batch.front().booking_number) + "…");
    }
    PW_RETURN_IF_ERROR(buffer_.Acknowledge(acknowledged, clock_.NowUnix()).status());
  }
}

Status TerminalClient::FetchSyncData(SyncOutcome& outcome) {
  PW_ASSIGN_OR_RETURN(HttpResponse answer, Call("GET", kSyncDataPath, ""));
  if (answer.status != 200) return ServerError(answer, "sync-data");
  PW_ASSIGN_OR_RETURN(json body, ParseAnswer(answer));
  PW_ASSIGN_OR_RETURN(Catalogue catalogue, ParseCatalogue(body));
  PW_ASSIGN_OR_RETURN(std::vector<BlockedCard> blocked, ParseBlockedCards(body));
  body.erase("blocked_cards");  // kept as a table for lookups
  std::vector<std::pair<std::string, std::string>> meta = {{"last_sync", std::to_string(clock_.NowUnix())}};
  if (!catalogue.municipality_number.empty()) meta.emplace_back("municipality_number", catalogue.municipality_number);
  PW_RETURN_IF_ERROR(buffer_.StoreSyncData(body.dump(), blocked, meta));
  PW_RETURN_IF_ERROR(buffer_.PruneHoldings(AddDays(BerlinDate(clock_.NowUnix()), -kHoldingRetentionDays)));
  outcome.sync_data_stored = true;
  outcome.services = static_cast<int64_t>(catalogue.services.size());
  outcome.packages = static_cast<int64_t>(catalogue.packages.size());
  outcome.blocked_cards = static_cast<int64_t>(blocked.size());
  return Status::Ok();
}

Result<SyncOutcome> TerminalClient::Sync() {
  SyncOutcome outcome;
  if (!server_) return InvalidArgument("sync needs the server", "--server");
  outcome.problem = Upload(outcome.upload);
  if (outcome.problem.ok()) outcome.problem = FetchSyncData(outcome);
  PW_ASSIGN_OR_RETURN(outcome.pending, buffer_.PendingCount());
  return outcome;
}

Result<StatusReport> TerminalClient::Report() {
  StatusReport report;
  report.tid = buffer_.tid();
  PW_ASSIGN_OR_RETURN(auto vu_number, buffer_.GetMeta("vu_number"));
  PW_ASSIGN_OR_RETURN(auto municipality, buffer_.GetMeta("municipality_number"));
  PW_ASSIGN_OR_RETURN(auto last_sync, buffer_.GetMeta("last_sync"));
  report.vu_number = vu_number.value_or("");
  report.municipality_number = municipality.value_or("");
  if (last_sync) report.last_sync = std::strtoll(last_sync->c_str(), nullptr, 10);
  PW_ASSIGN_OR_RETURN(report.pending, buffer_.PendingCount());
  PW_ASSIGN_OR_RETURN(report.next_booking_number, buffer_.NextBookingNumber());
  PW_ASSIGN_OR_RETURN(report.rejected, buffer_.Rejected());
  PW_ASSIGN_OR_RETURN(report.blocked_cards, buffer_.BlockedCount());
  PW_ASSIGN_OR_RETURN(auto catalogue, LoadCatalogue());
  if (catalogue) {
    report.catalogue_as_of = catalogue->as_of;
    report.services = static_cast<int64_t>(catalogue->services.size());
    report.packages = static_cast<int64_t>(catalogue->packages.size());
  }
  return report;
}

}  // namespace passwerk::terminal_client
