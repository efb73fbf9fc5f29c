// The client against an in-memory server that follows the protocol
// (docs/terminal-protocol.md): exactly-once upload, offline decisions and the
// failure modes of the transport.
#include "terminal_client/client.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cards/card_number.h"
#include "core/crypto.h"

namespace passwerk::terminal_client {
namespace {

using nlohmann::json;

const char* kSyncData = R"({
  "protocol": 1, "as_of": "2026-07-14T18:02:11Z", "municipality_number": "01051056",
  "services": [{"service_number": "201", "name": "Hallenbad", "vu_number": "100200", "points": 2},
               {"service_number": "301", "name": "Sauna", "vu_number": "100200", "points": 5}],
  "packages": [{"package_number": "9002", "kind": "days_of", "name": "3 aus 7", "price_cents": 2900,
                "sale_from": "2026-01-01", "sale_to": "2026-12-31", "validity_days": 30,
                "days": 3, "window_days": 7, "points": null, "services": ["201", "301"]},
               {"package_number": "9003", "kind": "single", "name": "Einmal Sauna", "price_cents": 900,
                "sale_from": "2026-01-01", "sale_to": "2026-12-31", "validity_days": 10,
                "days": null, "window_days": null, "points": null, "services": ["301"]}],
  "blocked_cards": []
})";

// Just enough of the server side of the protocol.
class FakeServer final : public HttpClient {
 public:
  explicit FakeServer(std::string public_key) : public_key_(std::move(public_key)) {}

  bool down = false;          // nothing answers
  bool lose_answers = false;  // the server acts, the answer never arrives
  int fail_with = 0;          // answer every request with this status
  bool allow = true;          // online acceptances
  std::set<int64_t> reject;   // booking numbers to reject
  std::set<int64_t> refuse;   // booking numbers to reject with a refusal (what the catalogue does not allow)
  std::map<int64_t, json> stored;
  int logins = 0;
  int uploads = 0;

  void EndSessions() { sessions_.clear(); }

  Result<HttpResponse> Send(std::string_view method, std::string_view path, const std::string& body,
                            std::string_view bearer) override {
    if (down) return Unavailable("the server cannot be reached", "connection refused");
    if (fail_with) return HttpResponse{fail_with, R"({"error":{"code":"unavailable","message":"busy"}})"};
    HttpResponse response = Handle(method, path, body, std::string(bearer));
    if (lose_answers) return Unavailable("the server did not answer", "timeout");
    return response;
  }

 private:
  HttpResponse Handle(std::string_view method, std::string_view path, const std::string& text,
                      const std::string& bearer) {
    json body = text.empty() ? json() : json::parse(text);
    if (path == "/api/terminal/v1/challenge") {
      challenge_ = crypto::Base64Encode(crypto::RandomBytes(32));
      return {200, json{{"challenge", challenge_}, {"expires_in", 60}}.dump()};
    }
    if (path == "/api/terminal/v1/login") {
      auto signature = crypto::Base64Decode(body["signature"].get<std::string>());
      if (body["challenge"] != challenge_ || !signature.ok() ||
          !terminals::VerifySignature(public_key_, terminals::LoginMessage(body["tid"].get<std::string>(), challenge_),
                                      *signature)) {
        return {401, R"({"error":{"code":"unauthenticated","message":"login failed"}})"};
      }
      challenge_.clear();
      ++logins;
      std::string session = "session-" + std::to_string(logins);
      sessions_.insert(session);
      return {200,
              json{{"session", session},
                   {"expires_in", 3600},
                   {"protocol", 1},
                   {"terminal", {{"tid", "T-POOL-01"}, {"vu_number", "100200"}, {"municipality_number", "01051056"}}}}
                  .dump()};
    }
    if (!sessions_.count(bearer)) return {401, R"({"error":{"code":"unauthenticated","message":"no session"}})"};
    if (path == "/api/terminal/v1/sync-data" && method == "GET") return {200, kSyncData};
    if (path == "/api/terminal/v1/acceptances") {
      if (body["service_number"] == "999") return {400, R"({"error":{"code":"invalid_argument","message":"x"}})"};
      int64_t number = body["booking_number"];
      if (stored.count(number)) {
        return {200, json{{"decision", "allowed"}, {"booking_number", number}, {"result", "duplicate"}}.dump()};
      }
      if (!allow) {
        return {200, json{{"decision", "denied"},
                          {"reason", "package_used_up"},
                          {"booking_number", number},
                          {"result", "not_recorded"},
                          {"package_number", "9003"}}
                         .dump()};
      }
      stored[number] = body;
      return {200, json{{"decision", "allowed"},
                        {"booking_number", number},
                        {"result", "accepted"},
                        {"package_number", "9003"},
                        {"remaining", {{"valid_to", "2026-07-23"}}}}
                       .dump()};
    }
    if (path == "/api/terminal/v1/transactions") {
      ++uploads;
      json results = json::array();
      for (const json& t : body["transactions"]) {
        int64_t number = t["booking_number"];
        if (reject.count(number)) {
          results.push_back({{"booking_number", number}, {"result", "rejected"}, {"reason", "operator: bad"}});
        } else if (refuse.count(number)) {
          results.push_back({{"booking_number", number},
                             {"result", "rejected"},
                             {"refusal", "price_mismatch"},
                             {"reason", "sales[0].price_cents: must be 2500"}});
        } else if (stored.count(number)) {
          results.push_back({{"booking_number", number}, {"result", "duplicate"}});
        } else {
          stored[number] = t;
          results.push_back({{"booking_number", number}, {"result", "accepted"}});
        }
      }
      return {200, json{{"results", results}}.dump()};
    }
    return {404, R"({"error":{"code":"not_found","message":"no route"}})"};
  }

  std::string public_key_;
  std::string challenge_;
  std::set<std::string> sessions_;
};

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("passwerk-client-" + crypto::RandomToken(6));
    std::filesystem::create_directories(dir_);
    auto pair = terminals::GenerateTerminalKey();
    server_ = std::make_unique<FakeServer>(pair.public_key);
    key_ = terminals::KeyFile{"T-POOL-01", pair.private_key};
    Reopen();
  }
  void TearDown() override {
    client_.reset();
    buffer_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A new process on the same buffer file.
  void Reopen(int batch = 2) {
    client_.reset();
    buffer_.reset();
    auto buffer = Buffer::Open((dir_ / "buffer.db").string(), "T-POOL-01");
    ASSERT_TRUE(buffer.ok()) << buffer.status().ToString();
    buffer_ = std::move(*buffer);
    client_ = std::make_unique<TerminalClient>(ClientOptions{key_, batch}, *buffer_, server_.get(), clock_);
  }
  SellRequest Sale(std::string package = "9003", std::string pay = "cash") {
    return {{card_, 1, "0"}, package, pay, "7", "2026-07-14T10:00:00"};
  }
  AcceptRequest Use(std::string service = "301", std::optional<std::string> package = std::nullopt) {
    return {{card_, 1, "0"}, service, package, "7", "2026-07-15T09:30:00"};
  }
  void Synced() {
    auto sync = client_->Sync();
    ASSERT_TRUE(sync.ok());
    ASSERT_TRUE(sync->problem.ok()) << sync->problem.ToString();
  }

  std::filesystem::path dir_;
  ManualClock clock_{1784023200};  // 2026-07-14T10:00:00Z
  std::unique_ptr<FakeServer> server_;
  terminals::KeyFile key_;
  std::unique_ptr<Buffer> buffer_;
  std::unique_ptr<TerminalClient> client_;
  std::string card_ = cards::MakeCardNumber(103, 4711);
};

TEST_F(ClientTest, SellingNeedsTheCatalogueOfOneSync) {
  auto sale = client_->Sell(Sale());
  ASSERT_FALSE(sale.ok());
  EXPECT_EQ(sale.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(*buffer_->NextBookingNumber(), 1);
}

TEST_F(ClientTest, ASaleIsBufferedThenUploadedWithItsCatalogueValues) {
  Synced();
  auto sale = client_->Sell(Sale("9002", "card"));
  ASSERT_TRUE(sale.ok()) << sale.status().ToString();
  EXPECT_EQ(sale->booking_number, 1);
  EXPECT_TRUE(sale->uploaded);
  EXPECT_EQ(sale->valid_from, "2026-07-14");
  EXPECT_EQ(sale->valid_to, "2026-08-12");
  EXPECT_EQ(*buffer_->PendingCount(), 0);
  ASSERT_TRUE(server_->stored.count(1));
  const json& t = server_->stored[1];
  EXPECT_EQ(t, json::parse(R"({"booking_number": 1, "at": "2026-07-14T10:00:00", "vu_number": "100200",
    "operator": "7", "kind": "purchase",
    "sales": [{"position": 1, "card_number": ")" +
                           card_ + R"(", "circulation_counter": 1,
               "municipality_number": "01051056", "issuing_office": "0", "package_number": "9002",
               "price_cents": 2900, "valid_from": "2026-07-14", "valid_to": "2026-08-12", "written": true}],
    "payment": {"method": "card", "amount_cents": 2900}})"));
}

TEST_F(ClientTest, BadInputIsRefusedBeforeANumberIsSpent) {
  Synced();
  SellRequest bad_card = Sale();
  bad_card.card.card_number = "123456789012";  // wrong check digit
  EXPECT_EQ(client_->Sell(bad_card).status().code(), ErrorCode::kInvalidArgument);
  SellRequest bad_time = Sale();
  bad_time.at = "2026-07-14 10:00";
  EXPECT_EQ(client_->Sell(bad_time).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(client_->Sell(Sale("7777")).status().code(), ErrorCode::kInvalidArgument);
  AcceptRequest bad_operator = Use();
  bad_operator.operator_number = "operator";
  EXPECT_EQ(client_->Accept(bad_operator).status().code(), ErrorCode::kInvalidArgument);
  SellRequest not_on_sale = Sale();
  not_on_sale.at = "2027-01-02T10:00:00";
  EXPECT_EQ(client_->Sell(not_on_sale).status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(*buffer_->NextBookingNumber(), 1);
}

TEST_F(ClientTest, WithTheServerDownASaleStaysBufferedUntilSync) {
  Synced();
  server_->down = true;
  for (int i = 0; i < 5; ++i) {
    auto sale = client_->Sell(Sale());
    ASSERT_TRUE(sale.ok());
    EXPECT_FALSE(sale->uploaded);
    EXPECT_FALSE(sale->upload_problem.empty());
  }
  auto failed = client_->Sync();
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->problem.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(failed->pending, 5);
  server_->down = false;
  Reopen();
  auto sync = client_->Sync();
  ASSERT_TRUE(sync.ok());
  EXPECT_TRUE(sync->problem.ok());
  EXPECT_EQ(sync->upload.accepted, 5);
  EXPECT_EQ(sync->upload.batches, 3);  // batch size 2
  EXPECT_EQ(sync->pending, 0);
  EXPECT_EQ(server_->stored.size(), 5u);
}

TEST_F(ClientTest, AnAnswerThatNeverArrivedIsUploadedAgainAndCountedOnce) {
  Synced();
  server_->down = true;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client_->Sell(Sale()).ok());
  server_->down = false;
  server_->lose_answers = true;
  auto lost = client_->Sync();
  ASSERT_TRUE(lost.ok());
  EXPECT_FALSE(lost->problem.ok());
  EXPECT_EQ(lost->pending, 3);
  EXPECT_EQ(server_->stored.size(), 2u);  // the first batch arrived
  server_->lose_answers = false;
  auto sync = client_->Sync();
  ASSERT_TRUE(sync.ok());
  EXPECT_TRUE(sync->problem.ok());
  EXPECT_EQ(sync->upload.duplicate, 2);
  EXPECT_EQ(sync->upload.accepted, 1);
  EXPECT_EQ(sync->pending, 0);
  EXPECT_EQ(server_->stored.size(), 3u);
  // A replayed sync is harmless: nothing left to send.
  auto again = client_->Sync();
  EXPECT_EQ(again->upload.sent, 0);
}

TEST_F(ClientTest, RejectedTransactionsAreMovedAsideAndReported) {
  Synced();
  server_->down = true;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client_->Sell(Sale()).ok());
  server_->down = false;
  server_->reject = {2};
  server_->refuse = {3};
  auto sync = client_->Sync();
  ASSERT_TRUE(sync.ok());
  EXPECT_TRUE(sync->problem.ok());
  EXPECT_EQ(sync->upload.rejected, 2);
  EXPECT_EQ(sync->pending, 0);
  auto report = client_->Report();
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->rejected.size(), 2u);
  EXPECT_EQ(report->rejected[0].booking_number, 2);
  EXPECT_EQ(report->rejected[0].reason, "operator: bad");
  // A refusal keeps its code for the operator, before the reason naming the field.
  EXPECT_EQ(report->rejected[1].booking_number, 3);
  EXPECT_EQ(report->rejected[1].reason, "price_mismatch: sales[0].price_cents: must be 2500");
  EXPECT_EQ(report->services, 2);
  EXPECT_EQ(report->packages, 2);
  EXPECT_EQ(report->vu_number, "100200");
  EXPECT_EQ(report->next_booking_number, 4);
  EXPECT_TRUE(report->last_sync.has_value());
}

TEST_F(ClientTest, OnlineAcceptanceBuffersNothingButSpendsTheNumber) {
  Synced();
  auto allowed = client_->Accept(Use());
  ASSERT_TRUE(allowed.ok()) << allowed.status().ToString();
  EXPECT_TRUE(allowed->online);
  EXPECT_TRUE(allowed->allowed);
  EXPECT_EQ(allowed->booking_number, 1);
  EXPECT_EQ(allowed->result, "accepted");
  server_->allow = false;
  auto denied = client_->Accept(Use());
  ASSERT_TRUE(denied.ok());
  EXPECT_FALSE(denied->allowed);
  EXPECT_EQ(denied->reason, "package_used_up");
  EXPECT_EQ(denied->booking_number, 2);
  EXPECT_EQ(*buffer_->PendingCount(), 0);
  EXPECT_EQ(*buffer_->NextBookingNumber(), 3);
}

TEST_F(ClientTest, OfflineTheTerminalDecidesFromWhatItSoldAndBuffersTheUse) {
  Synced();
  server_->down = true;
  ASSERT_TRUE(client_->Sell(Sale("9003")).ok());  // booking 1
  auto first = client_->Accept(Use("301"));       // booking 2
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->online);
  EXPECT_TRUE(first->allowed);
  EXPECT_EQ(first->result, "buffered");
  EXPECT_EQ(first->package_number, "9003");
  auto second = client_->Accept(Use("301"));  // booking 3: used up, nothing stored
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->allowed);
  EXPECT_EQ(second->reason, "package_used_up");
  auto pool = client_->Accept(Use("201"));  // booking 4: the single ticket is for the sauna only
  EXPECT_EQ(pool->reason, "no_such_package");
  EXPECT_EQ(*buffer_->PendingCount(), 2);

  server_->down = false;
  Synced();
  ASSERT_EQ(server_->stored.size(), 2u);
  EXPECT_EQ(server_->stored[2], json::parse(R"({"booking_number": 2, "at": "2026-07-15T09:30:00",
    "vu_number": "100200", "operator": "7", "kind": "acceptance",
    "consumption": {"card_number": ")" + card_ +
                                            R"(", "circulation_counter": 1, "municipality_number": "01051056",
                    "issuing_office": "0", "service_number": "301", "package_number": "9003"}})"));
}

TEST_F(ClientTest, AFailingServerCountsAsUnreachableARefusalDoesNot) {
  Synced();
  server_->down = true;
  ASSERT_TRUE(client_->Sell(Sale("9003")).ok());
  server_->down = false;
  server_->fail_with = 503;
  auto offline = client_->Accept(Use());
  ASSERT_TRUE(offline.ok());
  EXPECT_FALSE(offline->online);
  EXPECT_TRUE(offline->allowed);
  server_->fail_with = 0;
  auto refused = client_->Accept(Use("999"));  // the server says 400: that is the answer, not an outage
  EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidArgument);
  // Before asking, the terminal handed over its sale (and the offline use):
  // the server must know a package before it can decide on it.
  EXPECT_EQ(*buffer_->PendingCount(), 0);
  EXPECT_EQ(server_->stored.size(), 2u);
}

TEST_F(ClientTest, AnAcceptanceWhoseAnswerWasLostIsUploadedAsADuplicate) {
  Synced();
  server_->down = true;
  ASSERT_TRUE(client_->Sell(Sale("9003")).ok());
  server_->down = false;
  Synced();
  server_->lose_answers = true;  // the server records the use, the terminal never hears of it
  auto use = client_->Accept(Use());
  ASSERT_TRUE(use.ok());
  EXPECT_FALSE(use->online);
  EXPECT_EQ(use->result, "buffered");
  server_->lose_answers = false;
  auto sync = client_->Sync();
  EXPECT_EQ(sync->upload.duplicate, 1);
  EXPECT_EQ(server_->stored.size(), 2u);
}

TEST_F(ClientTest, AnEndedSessionMeansOneNewLogin) {
  Synced();
  EXPECT_EQ(server_->logins, 1);
  Reopen();  // the session is kept in the buffer
  Synced();
  EXPECT_EQ(server_->logins, 1);
  server_->EndSessions();  // a server restart
  Synced();
  EXPECT_EQ(server_->logins, 2);
  clock_.Advance(3600);  // expired: log in before asking
  Reopen();
  Synced();
  EXPECT_EQ(server_->logins, 3);
}

TEST_F(ClientTest, NeverSyncedAndOfflineIsAClearError) {
  server_->down = true;
  auto use = client_->Accept(Use());
  ASSERT_FALSE(use.ok());
  EXPECT_EQ(use.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(use.status().message().find("never synced"), std::string::npos);
}

TEST(LocalTimeTest, BerlinWallClock) {
  EXPECT_EQ(BerlinLocalDateTime(1784023200), "2026-07-14T12:00:00");  // summer: UTC+2
  EXPECT_EQ(BerlinLocalDateTime(1798761599), "2027-01-01T00:59:59");  // winter: UTC+1
  EXPECT_TRUE(ValidLocalDateTime("2026-07-14T23:59:59"));
  EXPECT_FALSE(ValidLocalDateTime("2026-07-14T24:00:00"));
  EXPECT_FALSE(ValidLocalDateTime("2026-02-30T10:00:00"));
  EXPECT_FALSE(ValidLocalDateTime("2026-07-14 10:00:00"));
  EXPECT_FALSE(ValidLocalDateTime("2026-07-14T10:00"));
}

}  // namespace
}  // namespace passwerk::terminal_client
