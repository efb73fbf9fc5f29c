// Terminal bodies read with simdjson rather than nlohmann/json: building and
// freeing nlohmann's tree of a 1000-transaction upload was a quarter of the
// server's time per transaction (issue 5's benchmark). Behaviour is that of
// docs/terminal-protocol.md; transaction_parsing_test.cpp pins the edges.
#include "terminals/transaction_parsing.h"

#include <simdjson.h>

#include <algorithm>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>

#include "core/dates.h"
#include "terminals/catalogue.h"

namespace passwerk::terminals {
namespace {
using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

constexpr int64_t kMaxBookingNumber = (int64_t{1} << 53) - 1;
constexpr int64_t kMaxCents = 10'000'000;
constexpr size_t kMaxSaleLines = 50;

Status Bad(std::string field, const std::string& message) { return InvalidArgument(message, std::move(field)); }

// "update." + "card_number": the field an error names.
std::string Path(std::string_view path, std::string_view key) { return std::string(path).append(key); }

// The request body as a JSON object; simdjson checks the whole text (UTF-8 too)
// before any field is read.
Result<object> ParseBody(simdjson::dom::parser& parser, std::string_view body) {
  // RFC 8259 §8.1 lets a parser ignore a byte order mark; simdjson does not.
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  if (body.starts_with(kByteOrderMark)) body.remove_prefix(kByteOrderMark.size());
  element root;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) {
    return InvalidArgument("the body is not valid JSON");
  }
  object out;
  if (root.get_object().get(out) != simdjson::SUCCESS) return InvalidArgument("the body must be a JSON object");
  return out;
}

// The fields of one JSON object, gathered once so that each lookup is a short
// scan rather than a walk through the document.
class Fields {
 public:
  explicit Fields(const object& o) {
    fields_.reserve(std::min<size_t>(o.size(), 16));
    for (const auto& field : o) fields_.emplace_back(field.key, field.value);
  }

  // Of a key given twice, the last value counts (as in JavaScript's
  // JSON.parse), so a terminal cannot hide a value behind another.
  std::optional<element> Find(std::string_view key) const {
    for (auto it = fields_.rbegin(); it != fields_.rend(); ++it) {
      if (it->first == key) return it->second;
    }
    return std::nullopt;
  }

  // Of several unknown fields, the first in key order is named, whatever
  // order the terminal wrote them in.
  Status Only(std::string_view path, std::initializer_list<std::string_view> allowed) const {
    std::optional<std::string_view> unknown;
    for (const auto& [key, value] : fields_) {
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      if (!unknown || key < *unknown) unknown = key;
    }
    if (unknown) return Bad(Path(path, *unknown), "unknown field (or not one of this kind)");
    return Status::Ok();
  }

 private:
  std::vector<std::pair<std::string_view, element>> fields_;
};

Status String(const Fields& j, std::string_view path, const char* key, std::string& out, size_t max_len = 64) {
  auto value = j.Find(key);
  std::string_view text;
  if (!value || value->get_string().get(text) != simdjson::SUCCESS) return Bad(Path(path, key), "required, a string");
  if (text.empty() || text.size() > max_len) {
    return Bad(Path(path, key), "1 to " + std::to_string(max_len) + " characters");
  }
  out = text;
  return Status::Ok();
}

Status Digits(const Fields& j, std::string_view path, const char* key, std::string& out, size_t min_len,
              size_t max_len) {
  PW_RETURN_IF_ERROR(String(j, path, key, out, max_len));
  if (!IsDigits(out, min_len, max_len)) {
    return Bad(Path(path, key), std::to_string(min_len) + " to " + std::to_string(max_len) + " digits");
  }
  return Status::Ok();
}

// Above the maximum is "out of range", below the minimum names the range.
// simdjson keeps an integer as int64 when it fits, else as uint64 (so above
// every maximum here); an integer beyond 64 bits makes the body invalid JSON.
Status Integer(const Fields& j, std::string_view path, const char* key, int64_t min, int64_t max, int64_t& out) {
  auto value = j.Find(key);
  if (value && value->type() == element_type::UINT64) return Bad(Path(path, key), "out of range");
  if (!value || value->get_int64().get(out) != simdjson::SUCCESS) return Bad(Path(path, key), "required, an integer");
  if (out > max) return Bad(Path(path, key), "out of range");
  if (out < min) return Bad(Path(path, key), "must be " + std::to_string(min) + " to " + std::to_string(max));
  return Status::Ok();
}

Status Object(const Fields& j, std::string_view path, const char* key, object& out) {
  auto value = j.Find(key);
  if (!value || value->get_object().get(out) != simdjson::SUCCESS) return Bad(Path(path, key), "required, an object");
  return Status::Ok();
}

// "YYYY-MM-DDTHH:MM:SS" with a real date and time.
std::optional<Date> ParseLocalTime(const std::string& at) {
  if (at.size() != 19 || at[10] != 'T' || at[13] != ':' || at[16] != ':') return std::nullopt;
  auto day = ParseIsoDate(std::string_view(at).substr(0, 10));
  if (!day) return std::nullopt;
  auto two = [&](size_t i) -> int {
    if (at[i] < '0' || at[i] > '9' || at[i + 1] < '0' || at[i + 1] > '9') return -1;
    return (at[i] - '0') * 10 + (at[i + 1] - '0');
  };
  int h = two(11), m = two(14), s = two(17);
  if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 59) return std::nullopt;
  return day;
}

Status ParseCardRef(const Fields& j, std::string_view path, CardRef& out) {
  PW_RETURN_IF_ERROR(Digits(j, path, "card_number", out.card_number, 12, 12));
  PW_RETURN_IF_ERROR(Integer(j, path, "circulation_counter", 1, 99, out.circulation_counter));
  PW_RETURN_IF_ERROR(Digits(j, path, "municipality_number", out.municipality_number, 8, 8));
  PW_RETURN_IF_ERROR(Digits(j, path, "issuing_office", out.issuing_office, 1, 6));
  return Status::Ok();
}

Status ParseOptionalDate(const Fields& j, std::string_view path, const char* key, std::optional<Date>& out) {
  auto value = j.Find(key);
  if (!value || value->is_null()) return Status::Ok();
  std::string_view text;
  if (value->get_string().get(text) != simdjson::SUCCESS) return Bad(Path(path, key), "a date YYYY-MM-DD");
  out = ParseIsoDate(text);
  if (!out) return Bad(Path(path, key), "a date YYYY-MM-DD");
  return Status::Ok();
}

Status ParseSaleLine(const element& e, std::string_view path, SaleLine& out) {
  object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) {
    return Bad(std::string(path.substr(0, path.size() - 1)), "a sale line is an object");
  }
  Fields j(o);
  PW_RETURN_IF_ERROR(
      j.Only(path, {"position", "card_number", "circulation_counter", "municipality_number", "issuing_office",
                    "package_number", "price_cents", "valid_from", "valid_to", "written"}));
  PW_RETURN_IF_ERROR(Integer(j, path, "position", 1, static_cast<int64_t>(kMaxSaleLines), out.position));
  PW_RETURN_IF_ERROR(ParseCardRef(j, path, out.card));
  PW_RETURN_IF_ERROR(Digits(j, path, "package_number", out.package_number, 1, 8));
  PW_RETURN_IF_ERROR(Integer(j, path, "price_cents", 0, kMaxCents, out.price_cents));
  PW_RETURN_IF_ERROR(ParseOptionalDate(j, path, "valid_from", out.valid_from));
  PW_RETURN_IF_ERROR(ParseOptionalDate(j, path, "valid_to", out.valid_to));
  if (out.valid_from.has_value() != out.valid_to.has_value()) {
    return Bad(Path(path, "valid_to"), "valid_from and valid_to come together");
  }
  if (out.valid_from && *out.valid_to < *out.valid_from) return Bad(Path(path, "valid_to"), "before valid_from");
  auto written = j.Find("written");
  if (!written || written->get_bool().get(out.written) != simdjson::SUCCESS) {
    return Bad(Path(path, "written"), "required, true or false");
  }
  return Status::Ok();
}

// One transaction of a batch into `in`; the error names the field.
Status ParseTransaction(const Fields& j, TransactionInput& in) {
  PW_RETURN_IF_ERROR(Integer(j, "", "booking_number", 1, kMaxBookingNumber, in.booking_number));
  PW_RETURN_IF_ERROR(String(j, "", "at", in.at, 19));
  auto day = ParseLocalTime(in.at);
  if (!day) return Bad("at", "local date and time YYYY-MM-DDTHH:MM:SS");
  in.day = *day;
  PW_RETURN_IF_ERROR(Digits(j, "", "vu_number", in.vu_number, 1, 8));
  PW_RETURN_IF_ERROR(Digits(j, "", "operator", in.operator_number, 1, 8));
  std::string kind;
  PW_RETURN_IF_ERROR(String(j, "", "kind", kind, 16));
  if (kind == "update") {
    in.kind = TxKind::kUpdate;
    PW_RETURN_IF_ERROR(j.Only("", {"booking_number", "at", "vu_number", "operator", "kind", "update"}));
    object o;
    PW_RETURN_IF_ERROR(Object(j, "", "update", o));
    Fields u(o);
    PW_RETURN_IF_ERROR(u.Only(
        "update.", {"card_number", "circulation_counter", "municipality_number", "issuing_office", "package_number"}));
    in.update_card.emplace();
    PW_RETURN_IF_ERROR(ParseCardRef(u, "update.", *in.update_card));
    PW_RETURN_IF_ERROR(Digits(u, "update.", "package_number", in.update_package, 1, 8));
  } else if (kind == "purchase" || kind == "credit") {
    in.kind = kind == "purchase" ? TxKind::kPurchase : TxKind::kCredit;
    PW_RETURN_IF_ERROR(j.Only("", {"booking_number", "at", "vu_number", "operator", "kind", "sales", "payment"}));
    auto value = j.Find("sales");
    array sales;
    if (!value || value->get_array().get(sales) != simdjson::SUCCESS || sales.size() == 0 ||
        sales.size() > kMaxSaleLines) {
      return Bad("sales", "required, 1 to 50 sale lines");
    }
    if (in.kind == TxKind::kCredit && sales.size() != 1) return Bad("sales", "a credit has exactly one sale line");
    size_t i = 0;
    for (element e : sales) {
      std::string path = "sales[" + std::to_string(i) + "].";
      SaleLine& line = in.sales.emplace_back();
      PW_RETURN_IF_ERROR(ParseSaleLine(e, path, line));
      if (line.position != static_cast<int64_t>(i) + 1) return Bad(path + "position", "positions run 1, 2, … in order");
      ++i;
    }
    object o;
    PW_RETURN_IF_ERROR(Object(j, "", "payment", o));
    Fields p(o);
    PW_RETURN_IF_ERROR(p.Only("payment.", {"method", "amount_cents"}));
    Payment& payment = in.payment.emplace();
    PW_RETURN_IF_ERROR(String(p, "payment.", "method", payment.method, 8));
    if (payment.method != "cash" && payment.method != "card") return Bad("payment.method", "cash or card");
    PW_RETURN_IF_ERROR(Integer(p, "payment.", "amount_cents", 0, kMaxCents * 50, payment.amount_cents));
    int64_t written_total = 0;
    for (const SaleLine& line : in.sales) {
      if (line.written) written_total += line.price_cents;
    }
    if (payment.amount_cents != written_total) {
      return Bad("payment.amount_cents",
                 "must be " + std::to_string(written_total) + ", the sum of the lines written to the card");
    }
  } else if (kind == "acceptance") {
    in.kind = TxKind::kAcceptance;
    PW_RETURN_IF_ERROR(j.Only("", {"booking_number", "at", "vu_number", "operator", "kind", "consumption"}));
    object o;
    PW_RETURN_IF_ERROR(Object(j, "", "consumption", o));
    Fields c(o);
    PW_RETURN_IF_ERROR(c.Only("consumption.", {"card_number", "circulation_counter", "municipality_number",
                                               "issuing_office", "service_number", "package_number"}));
    in.consumption_card.emplace();
    PW_RETURN_IF_ERROR(ParseCardRef(c, "consumption.", *in.consumption_card));
    PW_RETURN_IF_ERROR(Digits(c, "consumption.", "service_number", in.service_number, 1, 8));
    PW_RETURN_IF_ERROR(Digits(c, "consumption.", "package_number", in.consumption_package, 1, 8));
  } else {
    return Bad("kind", "update, purchase, credit or acceptance");
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<BatchEntry>> ParseBatch(std::string_view text) {
  simdjson::dom::parser parser;
  PW_ASSIGN_OR_RETURN(object o, ParseBody(parser, text));
  Fields body(o);
  PW_RETURN_IF_ERROR(body.Only("", {"protocol", "transactions"}));
  auto protocol = body.Find("protocol");
  int64_t version = 0;
  if (!protocol || protocol->get_int64().get(version) != simdjson::SUCCESS || version != kProtocolVersion) {
    return Bad("protocol", "this server speaks protocol version 1");
  }
  auto list = body.Find("transactions");
  array transactions;
  if (!list || list->get_array().get(transactions) != simdjson::SUCCESS || transactions.size() == 0 ||
      transactions.size() > kMaxBatch) {
    return Bad("transactions", "1 to 1000 transactions");
  }
  std::vector<BatchEntry> batch;
  batch.reserve(transactions.size());
  std::unordered_set<int64_t> seen;
  for (element e : transactions) {
    auto field = [&] { return "transactions[" + std::to_string(batch.size()) + "].booking_number"; };
    object tx;
    if (e.get_object().get(tx) != simdjson::SUCCESS) {
      return Bad(field(), "every transaction needs a booking number 1 to 2^53-1");
    }
    Fields j(tx);
    int64_t booking = 0;
    if (!Integer(j, "", "booking_number", 1, kMaxBookingNumber, booking).ok()) {
      return Bad(field(), "every transaction needs a booking number 1 to 2^53-1");
    }
    if (!seen.insert(booking).second) return Bad(field(), "booking number twice in one batch");
    BatchEntry& entry = batch.emplace_back();
    entry.booking_number = booking;
    Status parsed = ParseTransaction(j, entry.input.emplace());
    if (!parsed.ok()) {
      entry.input.reset();
      entry.rejection = parsed.field().empty() ? parsed.message() : parsed.field() + ": " + parsed.message();
    }
  }
  return batch;
}

Result<AcceptanceRequest> ParseAcceptanceRequest(std::string_view text) {
  simdjson::dom::parser parser;
  PW_ASSIGN_OR_RETURN(object o, ParseBody(parser, text));
  Fields j(o);
  PW_RETURN_IF_ERROR(j.Only("", {"booking_number", "at", "operator", "card_number", "circulation_counter",
                                 "municipality_number", "issuing_office", "service_number", "package_number"}));
  AcceptanceRequest r;
  PW_RETURN_IF_ERROR(Integer(j, "", "booking_number", 1, kMaxBookingNumber, r.booking_number));
  PW_RETURN_IF_ERROR(String(j, "", "at", r.at, 19));
  if (!ParseLocalTime(r.at)) return Bad("at", "local date and time YYYY-MM-DDTHH:MM:SS");
  PW_RETURN_IF_ERROR(Digits(j, "", "operator", r.operator_number, 1, 8));
  PW_RETURN_IF_ERROR(ParseCardRef(j, "", r.card));
  PW_RETURN_IF_ERROR(Digits(j, "", "service_number", r.service_number, 1, 8));
  if (auto package = j.Find("package_number"); package && !package->is_null()) {
    PW_RETURN_IF_ERROR(Digits(j, "", "package_number", r.package_number, 1, 8));
  }
  return r;
}

}  // namespace passwerk::terminals
