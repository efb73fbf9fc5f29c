// Reading terminal bodies from JSON text: each kind read field by field, the
// errors that name the field, and the edges of the JSON reader (invalid
// UTF-8, nesting, 64-bit numbers, repeated keys, a byte order mark), plus
// mutated bodies that must never crash and must agree with nlohmann/json on
// what is valid JSON.
#include "terminals/transaction_parsing.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace passwerk::terminals {
namespace {

using json = nlohmann::json;

json Card() {
  return {{"card_number", "103000000011"},
          {"circulation_counter", 1},
          {"municipality_number", "01055021"},
          {"issuing_office", "4711"}};
}

json Purchase(int64_t booking) {
  json line = Card();
  line.update({{"position", 1}, {"package_number", "9002"}, {"price_cents", 800}, {"written", true}});
  return {{"booking_number", booking},
          {"at", "2026-11-18T10:00:00"},
          {"vu_number", "100200"},
          {"operator", "7"},
          {"kind", "purchase"},
          {"sales", json::array({line})},
          {"payment", {{"method", "cash"}, {"amount_cents", 800}}}};
}

json Acceptance(int64_t booking) {
  json consumption = Card();
  consumption.update({{"service_number", "201"}, {"package_number", "9001"}});
  return {{"booking_number", booking}, {"at", "2026-11-18T11:00:00"}, {"vu_number", "100200"},
          {"operator", "7"},           {"kind", "acceptance"},        {"consumption", consumption}};
}

json Update(int64_t booking) {
  json update = Card();
  update["package_number"] = "9001";
  return {{"booking_number", booking}, {"at", "2026-11-18T12:00:00"},
          {"vu_number", "100200"},     {"operator", "7"},
          {"kind", "update"},          {"update", update}};
}

std::string Batch(const std::vector<std::string>& transactions) {
  std::string out = R"({"protocol":1,"transactions":[)";
  for (size_t i = 0; i < transactions.size(); ++i) out += (i ? "," : "") + transactions[i];
  return out + "]}";
}

std::string BatchOf(const json& transaction) { return Batch(std::vector<std::string>{transaction.dump()}); }

// `text` with the first `from` replaced by `to`.
std::string With(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// The one entry of a one-transaction batch.
BatchEntry Only(const std::string& body) {
  auto batch = ParseBatch(body);
  EXPECT_TRUE(batch.ok()) << batch.status().ToString();
  if (!batch.ok() || batch->size() != 1) return {};
  return (*batch)[0];
}

// Why the one transaction of a batch was rejected.
std::string Rejection(const std::string& body) {
  BatchEntry entry = Only(body);
  EXPECT_FALSE(entry.input.has_value()) << body;
  return entry.rejection;
}

// The 400 of a body that is no batch: "field: message".
std::string Refusal(const std::string& body) {
  auto batch = ParseBatch(body);
  EXPECT_FALSE(batch.ok()) << body;
  if (batch.ok()) return "";
  EXPECT_EQ(batch.status().code(), ErrorCode::kInvalidArgument);
  return batch.status().field() + ": " + batch.status().message();
}

TEST(TransactionParsingTest, ReadsEachKind) {
  json purchase = Purchase(1);
  purchase["sales"][0].update({{"valid_from", "2026-11-18"}, {"valid_to", "2026-11-20"}});
  json line2 = purchase["sales"][0];
  line2.update({{"position", 2}, {"written", false}, {"valid_from", nullptr}, {"valid_to", nullptr}});
  purchase["sales"].push_back(line2);
  auto batch = ParseBatch(Batch({purchase.dump(), Acceptance(2).dump(), Update(3).dump()}));
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->size(), 3u);
  for (const BatchEntry& e : *batch) ASSERT_TRUE(e.input.has_value()) << e.rejection;

  const TransactionInput& p = *(*batch)[0].input;
  EXPECT_EQ(p.booking_number, 1);
  EXPECT_EQ(p.at, "2026-11-18T10:00:00");
  EXPECT_EQ(p.day, *ParseIsoDate("2026-11-18"));
  EXPECT_EQ(p.vu_number, "100200");
  EXPECT_EQ(p.operator_number, "7");
  EXPECT_EQ(p.kind, TxKind::kPurchase);
  ASSERT_EQ(p.sales.size(), 2u);
  EXPECT_EQ(p.sales[0].position, 1);
  EXPECT_EQ(p.sales[0].card.card_number, "103000000011");
  EXPECT_EQ(p.sales[0].card.circulation_counter, 1);
  EXPECT_EQ(p.sales[0].card.municipality_number, "01055021");
  EXPECT_EQ(p.sales[0].card.issuing_office, "4711");
  EXPECT_EQ(p.sales[0].package_number, "9002");
  EXPECT_EQ(p.sales[0].price_cents, 800);
  EXPECT_EQ(p.sales[0].valid_from, ParseIsoDate("2026-11-18"));
  EXPECT_EQ(p.sales[0].valid_to, ParseIsoDate("2026-11-20"));
  EXPECT_TRUE(p.sales[0].written);
  EXPECT_EQ(p.sales[1].position, 2);
  EXPECT_FALSE(p.sales[1].written);
  EXPECT_FALSE(p.sales[1].valid_from.has_value());
  ASSERT_TRUE(p.payment.has_value());
  EXPECT_EQ(p.payment->method, "cash");
  EXPECT_EQ(p.payment->amount_cents, 800);  // the line not written to the card is not paid

  const TransactionInput& a = *(*batch)[1].input;
  EXPECT_EQ(a.kind, TxKind::kAcceptance);
  ASSERT_TRUE(a.consumption_card.has_value());
  EXPECT_EQ(a.consumption_card->card_number, "103000000011");
  EXPECT_EQ(a.service_number, "201");
  EXPECT_EQ(a.consumption_package, "9001");

  const TransactionInput& u = *(*batch)[2].input;
  EXPECT_EQ(u.kind, TxKind::kUpdate);
  ASSERT_TRUE(u.update_card.has_value());
  EXPECT_EQ(u.update_card->issuing_office, "4711");
  EXPECT_EQ(u.update_package, "9001");

  // Escapes are read as what they stand for.
  BatchEntry escaped = Only(With(BatchOf(Acceptance(4)), R"("201")", R"("\u0032\u00301")"));
  ASSERT_TRUE(escaped.input.has_value()) << escaped.rejection;
  EXPECT_EQ(escaped.input->service_number, "201");
}

TEST(TransactionParsingTest, ABadTransactionIsRejectedNamingTheField) {
  // Each row: the good purchase with `from` replaced by `to`, and the reason.
  struct Case {
    const char* from;
    const char* to;
    const char* rejection;
  };
  const std::string body = BatchOf(Purchase(1));
  for (const Case& c : std::vector<Case>{
           {R"("written":true)", R"("written":"yes")", "sales[0].written: required, true or false"},
           {R"("sales":[{)", R"("sales":["x",{)", "sales[0]: a sale line is an object"},
           {R"("price_cents":800)", R"("price_cents":"800")", "sales[0].price_cents: required, an integer"},
           {R"("price_cents":800)", R"("price_cents":800.0)", "sales[0].price_cents: required, an integer"},
           {R"("price_cents":800)", R"("price_cents":8e2)", "sales[0].price_cents: required, an integer"},
           {R"("price_cents":800)", R"("price_cents":-1)", "sales[0].price_cents: must be 0 to 10000000"},
           {R"("price_cents":800)", R"("price_cents":10000001)", "sales[0].price_cents: out of range"},
           {R"("price_cents":800)", R"("price_cents":18446744073709551615)", "sales[0].price_cents: out of range"},
           {R"("circulation_counter":1)", R"("circulation_counter":-0)",
            "sales[0].circulation_counter: must be 1 to 99"},
           {R"("position":1,)", R"("position":1,"valid_from":"2026-11-18",)",
            "sales[0].valid_to: valid_from and valid_to come together"},
           {R"("position":1,)", R"("position":1,"valid_from":"18.11.2026",)", "sales[0].valid_from: a date YYYY-MM-DD"},
           {R"("method":"cash")", R"("method":"coin")", "payment.method: cash or card"},
           {R"("operator":"7")", R"("operator":"")", "operator: 1 to 8 characters"},
           {R"("operator":"7")", R"("operator":"7a")", "operator: 1 to 8 digits"},
           {R"("at":"2026-11-18T10:00:00")", R"("at":"2026-11-18 10:00:00")",
            "at: local date and time YYYY-MM-DDTHH:MM:SS"},
           {R"("kind":"purchase")", R"("kind":"refund")", "kind: update, purchase, credit or acceptance"},
       }) {
    EXPECT_EQ(Rejection(With(body, c.from, c.to)), c.rejection) << c.to;
  }
  EXPECT_TRUE(Only(With(body, R"("kind":"purchase")", R"("kind":"credit")")).input.has_value());

  json lines = Purchase(1);
  lines["sales"] = json::array();
  EXPECT_EQ(Rejection(BatchOf(lines)), "sales: required, 1 to 50 sale lines");
  lines = Purchase(1);
  lines["payment"] = json::array();
  EXPECT_EQ(Rejection(BatchOf(lines)), "payment: required, an object");
  lines = Purchase(1);
  lines["kind"] = "credit";
  lines["sales"].push_back(lines["sales"][0]);
  lines["sales"][1]["position"] = 2;
  lines["payment"]["amount_cents"] = 1600;
  EXPECT_EQ(Rejection(BatchOf(lines)), "sales: a credit has exactly one sale line");
  lines["kind"] = "purchase";
  lines["sales"][1]["position"] = 3;
  EXPECT_EQ(Rejection(BatchOf(lines)), "sales[1].position: positions run 1, 2, … in order");

  json acceptance = Acceptance(1);
  acceptance.erase("consumption");
  EXPECT_EQ(Rejection(BatchOf(acceptance)), "consumption: required, an object");
  acceptance = Acceptance(1);
  acceptance["sales"] = json::array();
  EXPECT_EQ(Rejection(BatchOf(acceptance)), "sales: unknown field (or not one of this kind)");
  json update = Update(1);
  update["update"]["service_number"] = "201";
  EXPECT_EQ(Rejection(BatchOf(update)), "update.service_number: unknown field (or not one of this kind)");
}

TEST(TransactionParsingTest, OfSeveralUnknownFieldsTheFirstInKeyOrderIsNamed) {
  // Whatever order the terminal wrote them in.
  std::string body = BatchOf(Purchase(1));
  EXPECT_EQ(Rejection(With(body, R"({"at")", R"({"zeta":1,"beta":2,"at")")),
            "beta: unknown field (or not one of this kind)");
  EXPECT_EQ(Rejection(With(body, R"({"at")", R"({"beta":2,"zeta":1,"at")")),
            "beta: unknown field (or not one of this kind)");
  // The main record is checked before the fields of its kind.
  EXPECT_EQ(Rejection(With(With(body, R"({"at")", R"({"beta":2,"at")"), R"("operator":"7")", R"("operator":"x")")),
            "operator: 1 to 8 digits");
}

TEST(TransactionParsingTest, OfARepeatedKeyTheLastValueCounts) {
  std::string body = BatchOf(Purchase(1));
  BatchEntry entry = Only(With(body, R"("price_cents":800)", R"("price_cents":1,"price_cents":800)"));
  ASSERT_TRUE(entry.input.has_value()) << entry.rejection;
  EXPECT_EQ(entry.input->sales[0].price_cents, 800);
  EXPECT_EQ(Rejection(With(body, R"("price_cents":800)", R"("price_cents":800,"price_cents":1)")),
            "payment.amount_cents: must be 1, the sum of the lines written to the card");
  entry = Only(With(body, R"("booking_number":1,)", R"("booking_number":5,"booking_number":1,)"));
  EXPECT_EQ(entry.booking_number, 1);
  ASSERT_TRUE(entry.input.has_value()) << entry.rejection;
  EXPECT_EQ(entry.input->booking_number, 1);
}

TEST(TransactionParsingTest, ABodyThatIsNoBatchIsRefusedWhole) {
  std::string one = Purchase(1).dump();
  EXPECT_EQ(Refusal(""), ": the body is not valid JSON");
  EXPECT_EQ(Refusal(Batch({one}).substr(1)), ": the body is not valid JSON");
  EXPECT_EQ(Refusal(Batch({one}) + " x"), ": the body is not valid JSON");
  EXPECT_EQ(Refusal("[" + Batch({one}) + "]"), ": the body must be a JSON object");
  EXPECT_EQ(Refusal("1"), ": the body must be a JSON object");
  EXPECT_EQ(Refusal(R"({"protocol":1})"), "transactions: 1 to 1000 transactions");
  EXPECT_EQ(Refusal(R"({"protocol":1,"transactions":{}})"), "transactions: 1 to 1000 transactions");
  EXPECT_EQ(Refusal(R"({"transactions":[]})"), "protocol: this server speaks protocol version 1");
  EXPECT_EQ(Refusal(With(Batch({one}), R"("protocol":1)", R"("protocol":1.0)")),
            "protocol: this server speaks protocol version 1");
  EXPECT_EQ(Refusal(With(Batch({one}), R"("protocol":1)", R"("protocol":"1")")),
            "protocol: this server speaks protocol version 1");
  EXPECT_EQ(Refusal(With(Batch({one}), R"("protocol":1)", R"("protocol":1,"extra":[])")),
            "extra: unknown field (or not one of this kind)");
  EXPECT_EQ(Refusal(Batch({one, "[]"})),
            "transactions[1].booking_number: every transaction needs a booking number 1 to 2^53-1");
  EXPECT_EQ(Refusal(Batch({one, With(one, R"("booking_number":1)", R"("booking_number":9007199254740992)")})),
            "transactions[1].booking_number: every transaction needs a booking number 1 to 2^53-1");
  EXPECT_EQ(Refusal(Batch({one, one})), "transactions[1].booking_number: booking number twice in one batch");
  std::vector<std::string> many;
  for (int i = 1; i <= 1001; ++i) many.push_back(Acceptance(i).dump());
  EXPECT_EQ(Refusal(Batch(many)), "transactions: 1 to 1000 transactions");
  many.pop_back();
  auto full = ParseBatch(Batch(many));
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(full->size(), 1000u);
}

// Where simdjson is stricter than nlohmann/json (very deep nesting, integers
// beyond 64 bits) the batch is refused whole instead of one transaction
// rejected; no terminal sends such text.
TEST(TransactionParsingTest, TheEdgesOfTheJsonReader) {
  std::string body = BatchOf(Purchase(1));
  // Invalid UTF-8 anywhere, here in strings; a lone surrogate is no text either.
  EXPECT_EQ(Refusal(With(body, R"("7")", "\"\xff\"")), ": the body is not valid JSON");
  EXPECT_EQ(Refusal(With(body, R"("7")", "\"\xc3\x28\"")), ": the body is not valid JSON");
  EXPECT_EQ(Refusal(With(body, R"("7")", R"("\ud800")")), ": the body is not valid JSON");
  // Valid UTF-8 is text, here the name of a field nobody knows.
  EXPECT_EQ(Rejection(With(body, R"({"at")", R"({"Größe":1,"at")")), "Größe: unknown field (or not one of this kind)");
  // A byte order mark before the text is allowed (RFC 8259 §8.1).
  EXPECT_TRUE(Only("\xEF\xBB\xBF" + body).input.has_value());
  // Nesting up to 1024 levels.
  auto nested = [&](int depth) {
    return With(body, R"({"at")", R"({"deep":)" + std::string(depth, '[') + std::string(depth, ']') + R"(,"at")");
  };
  EXPECT_EQ(Rejection(nested(1000)), "deep: unknown field (or not one of this kind)");
  EXPECT_EQ(Refusal(nested(1100)), ": the body is not valid JSON");
  // Integers within 64 bits (signed or not).
  EXPECT_EQ(Rejection(With(body, R"("price_cents":800)", R"("price_cents":-9223372036854775808)")),
            "sales[0].price_cents: must be 0 to 10000000");
  EXPECT_EQ(Refusal(With(body, R"("price_cents":800)", R"("price_cents":-9223372036854775809)")),
            ": the body is not valid JSON");
  EXPECT_EQ(Refusal(With(body, R"("price_cents":800)", R"("price_cents":18446744073709551616)")),
            ": the body is not valid JSON");
  EXPECT_EQ(Refusal(With(body, R"("price_cents":800)", R"("price_cents":1e400)")), ": the body is not valid JSON");
}

TEST(TransactionParsingTest, AcceptanceRequests) {
  json request = Card();
  request.update({{"booking_number", 7}, {"at", "2026-11-18T10:00:00"}, {"operator", "1"}, {"service_number", "201"}});
  auto parsed = ParseAcceptanceRequest(request.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->booking_number, 7);
  EXPECT_EQ(parsed->at, "2026-11-18T10:00:00");
  EXPECT_EQ(parsed->operator_number, "1");
  EXPECT_EQ(parsed->card.card_number, "103000000011");
  EXPECT_EQ(parsed->card.circulation_counter, 1);
  EXPECT_EQ(parsed->card.municipality_number, "01055021");
  EXPECT_EQ(parsed->card.issuing_office, "4711");
  EXPECT_EQ(parsed->service_number, "201");
  EXPECT_EQ(parsed->package_number, "");
  request["package_number"] = nullptr;
  EXPECT_TRUE(ParseAcceptanceRequest(request.dump()).ok());
  request["package_number"] = "9001";
  EXPECT_EQ(ParseAcceptanceRequest(request.dump())->package_number, "9001");

  auto error = [](const json& body) {
    Status s = ParseAcceptanceRequest(body.dump()).status();
    return s.field() + ": " + s.message();
  };
  json bad = request;
  bad["package_number"] = 9001;
  EXPECT_EQ(error(bad), "package_number: required, a string");
  bad = request;
  bad["service_number"] = "20x";
  EXPECT_EQ(error(bad), "service_number: 1 to 8 digits");
  bad = request;
  bad.erase("at");
  EXPECT_EQ(error(bad), "at: required, a string");
  bad = request;
  bad["tid"] = "T-1";
  EXPECT_EQ(error(bad), "tid: unknown field (or not one of this kind)");
  bad = request;
  bad["circulation_counter"] = 100;
  EXPECT_EQ(error(bad), "circulation_counter: out of range");
  EXPECT_EQ(ParseAcceptanceRequest("[]").status().message(), "the body must be a JSON object");
  EXPECT_EQ(ParseAcceptanceRequest("{").status().message(), "the body is not valid JSON");
}

// Random edits of a good batch: never a crash, every entry either read or
// rejected with a reason, and "not valid JSON" exactly when nlohmann/json (the
// reader of every other endpoint) finds no JSON either, but for long numbers
// (beyond 64 bits, which only simdjson refuses).
TEST(TransactionParsingFuzzTest, MutatedBatchesAreReadOrRefusedCleanly) {
  const std::string good = Batch({Purchase(1).dump(), Acceptance(2).dump(), Update(3).dump()});
  const std::string alphabet = "{}[]\\\",:0123456789-+.eEtrufalsn \t\n\xc3\xa4\xff\x80";
  std::mt19937 random(20261118);
  auto below = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(random); };
  for (int i = 0; i < 5000; ++i) {
    std::string body = good;
    for (size_t edits = 1 + below(4); edits > 0 && !body.empty(); --edits) {
      size_t at = below(body.size());
      switch (below(4)) {
        case 0:
          body[at] = alphabet[below(alphabet.size())];
          break;
        case 1:
          body.insert(at, 1, alphabet[below(alphabet.size())]);
          break;
        case 2:
          body.erase(at, 1 + below(3));
          break;
        default:
          body.insert(at, body.substr(below(body.size()), 1 + below(12)));
          break;
      }
    }
    auto batch = ParseBatch(body);
    bool not_json = !batch.ok() && batch.status().message() == "the body is not valid JSON";
    size_t digits = 0, longest = 0;
    for (char c : body) {
      digits = (c >= '0' && c <= '9') ? digits + 1 : 0;
      longest = std::max(longest, digits);
    }
    if (longest < 19) {
      EXPECT_EQ(not_json, json::parse(body, nullptr, false).is_discarded()) << "input #" << i << ": " << body;
    }
    if (batch.ok()) {
      EXPECT_LE(batch->size(), kMaxBatch);
      for (const BatchEntry& e : *batch) {
        EXPECT_NE(e.input.has_value(), !e.rejection.empty()) << body;
        if (e.input) {
          EXPECT_EQ(e.input->booking_number, e.booking_number);
        }
      }
    } else {
      EXPECT_EQ(batch.status().code(), ErrorCode::kInvalidArgument);
      EXPECT_FALSE(batch.status().message().empty());
    }
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace passwerk::terminals
