#include "terminals/transactions.h"

#include <algorithm>
#include <map>
#include <set>

#include "audit/audit_log.h"
#include "guestcards/card_link.h"
#include "terminals/catalogue.h"

namespace passwerk::terminals {
namespace {
using json = nlohmann::json;
using storage::Row;
using storage::Rows;
using storage::Tx;
using storage::Value;

constexpr int64_t kMaxBookingNumber = (int64_t{1} << 53) - 1;
constexpr int64_t kMaxCents = 10'000'000;
constexpr size_t kMaxSaleLines = 50;

// ---- Parsing ------------------------------------------------------------------

Status Bad(const std::string& field, const std::string& message) { return InvalidArgument(message, field); }

Status OnlyFields(const json& j, const std::string& path, std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : j.items()) {
    bool known = std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; });
    if (!known) return Bad(path + key, "unknown field (or not one of this kind)");
  }
  return Status::Ok();
}

Status String(const json& j, const std::string& path, const char* key, std::string& out, size_t max_len = 64) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return Bad(path + key, "required, a string");
  out = it->get<std::string>();
  if (out.empty() || out.size() > max_len) return Bad(path + key, "1 to " + std::to_string(max_len) + " characters");
  return Status::Ok();
}

Status Digits(const json& j, const std::string& path, const char* key, std::string& out, size_t min_len,
              size_t max_len) {
  PW_RETURN_IF_ERROR(String(j, path, key, out, max_len));
  if (!IsDigits(out, min_len, max_len)) {
    return Bad(path + key, std::to_string(min_len) + " to " + std::to_string(max_len) + " digits");
  }
  return Status::Ok();
}

Status Integer(const json& j, const std::string& path, const char* key, int64_t min, int64_t max, int64_t& out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return Bad(path + key, "required, an integer");
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(max)) {
    return Bad(path + key, "out of range");
  }
  out = it->get<int64_t>();
  if (out < min || out > max) {
    return Bad(path + key, "must be " + std::to_string(min) + " to " + std::to_string(max));
  }
  return Status::Ok();
}

Status Object(const json& j, const std::string& path, const char* key, const json*& out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return Bad(path + key, "required, an object");
  out = &*it;
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

Status ParseCardRef(const json& j, const std::string& path, CardRef& out) {
  PW_RETURN_IF_ERROR(Digits(j, path, "card_number", out.card_number, 12, 12));
  PW_RETURN_IF_ERROR(Integer(j, path, "circulation_counter", 1, 99, out.circulation_counter));
  PW_RETURN_IF_ERROR(Digits(j, path, "municipality_number", out.municipality_number, 8, 8));
  PW_RETURN_IF_ERROR(Digits(j, path, "issuing_office", out.issuing_office, 1, 6));
  return Status::Ok();
}

Status ParseOptionalDate(const json& j, const std::string& path, const char* key, std::optional<Date>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Status::Ok();
  if (!it->is_string()) return Bad(path + key, "a date YYYY-MM-DD");
  out = ParseIsoDate(it->get<std::string>());
  if (!out) return Bad(path + key, "a date YYYY-MM-DD");
  return Status::Ok();
}

Status ParseSaleLine(const json& j, const std::string& path, SaleLine& out) {
  if (!j.is_object()) return Bad(path.substr(0, path.size() - 1), "a sale line is an object");
  PW_RETURN_IF_ERROR(OnlyFields(j, path,
                                {"position", "card_number", "circulation_counter", "municipality_number",
                                 "issuing_office", "package_number", "price_cents", "valid_from", "valid_to",
                                 "written"}));
  PW_RETURN_IF_ERROR(Integer(j, path, "position", 1, static_cast<int64_t>(kMaxSaleLines), out.position));
  PW_RETURN_IF_ERROR(ParseCardRef(j, path, out.card));
  PW_RETURN_IF_ERROR(Digits(j, path, "package_number", out.package_number, 1, 8));
  PW_RETURN_IF_ERROR(Integer(j, path, "price_cents", 0, kMaxCents, out.price_cents));
  PW_RETURN_IF_ERROR(ParseOptionalDate(j, path, "valid_from", out.valid_from));
  PW_RETURN_IF_ERROR(ParseOptionalDate(j, path, "valid_to", out.valid_to));
  if (out.valid_from.has_value() != out.valid_to.has_value()) {
    return Bad(path + "valid_to", "valid_from and valid_to come together");
  }
  if (out.valid_from && *out.valid_to < *out.valid_from) return Bad(path + "valid_to", "before valid_from");
  auto written = j.find("written");
  if (written == j.end() || !written->is_boolean()) return Bad(path + "written", "required, true or false");
  out.written = written->get<bool>();
  return Status::Ok();
}

}  // namespace

std::string_view TxKindName(TxKind kind) {
  switch (kind) {
    case TxKind::kUpdate: return "update";
    case TxKind::kPurchase: return "purchase";
    case TxKind::kCredit: return "credit";
    case TxKind::kAcceptance: return "acceptance";
  }
  return "acceptance";
}

std::string_view UploadResultName(UploadResult result) {
  switch (result) {
    case UploadResult::kAccepted: return "accepted";
    case UploadResult::kDuplicate: return "duplicate";
    case UploadResult::kRejected: return "rejected";
  }
  return "rejected";
}

Result<TransactionInput> ParseTransaction(const json& j) {
  if (!j.is_object()) return Bad("", "a transaction is an object");
  TransactionInput in;
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
    PW_RETURN_IF_ERROR(OnlyFields(j, "", {"booking_number", "at", "vu_number", "operator", "kind", "update"}));
    const json* u = nullptr;
    PW_RETURN_IF_ERROR(Object(j, "", "update", u));
    PW_RETURN_IF_ERROR(OnlyFields(*u, "update.", {"card_number", "circulation_counter", "municipality_number",
                                                  "issuing_office", "package_number"}));
    in.update_card.emplace();
    PW_RETURN_IF_ERROR(ParseCardRef(*u, "update.", *in.update_card));
    PW_RETURN_IF_ERROR(Digits(*u, "update.", "package_number", in.update_package, 1, 8));
  } else if (kind == "purchase" || kind == "credit") {
    in.kind = kind == "purchase" ? TxKind::kPurchase : TxKind::kCredit;
    PW_RETURN_IF_ERROR(
        OnlyFields(j, "", {"booking_number", "at", "vu_number", "operator", "kind", "sales", "payment"}));
    auto sales = j.find("sales");
    if (sales == j.end() || !sales->is_array() || sales->empty() || sales->size() > kMaxSaleLines) {
      return Bad("sales", "required, 1 to 50 sale lines");
    }
    if (in.kind == TxKind::kCredit && sales->size() != 1) return Bad("sales", "a credit has exactly one sale line");
    for (size_t i = 0; i < sales->size(); ++i) {
      SaleLine line;
      PW_RETURN_IF_ERROR(ParseSaleLine((*sales)[i], "sales[" + std::to_string(i) + "].", line));
      if (line.position != static_cast<int64_t>(i) + 1) {
        return Bad("sales[" + std::to_string(i) + "].position", "positions run 1, 2, … in order");
      }
      in.sales.push_back(std::move(line));
    }
    const json* p = nullptr;
    PW_RETURN_IF_ERROR(Object(j, "", "payment", p));
    PW_RETURN_IF_ERROR(OnlyFields(*p, "payment.", {"method", "amount_cents"}));
    Payment payment;
    PW_RETURN_IF_ERROR(String(*p, "payment.", "method", payment.method, 8));
    if (payment.method != "cash" && payment.method != "card") return Bad("payment.method", "cash or card");
    PW_RETURN_IF_ERROR(Integer(*p, "payment.", "amount_cents", 0, kMaxCents * 50, payment.amount_cents));
    int64_t written_total = 0;
    for (const SaleLine& line : in.sales) {
      if (line.written) written_total += line.price_cents;
    }
    if (payment.amount_cents != written_total) {
      return Bad("payment.amount_cents",
                 "must be " + std::to_string(written_total) + ", the sum of the lines written to the card");
    }
    in.payment = payment;
  } else if (kind == "acceptance") {
    in.kind = TxKind::kAcceptance;
    PW_RETURN_IF_ERROR(OnlyFields(j, "", {"booking_number", "at", "vu_number", "operator", "kind", "consumption"}));
    const json* c = nullptr;
    PW_RETURN_IF_ERROR(Object(j, "", "consumption", c));
    PW_RETURN_IF_ERROR(OnlyFields(*c, "consumption.", {"card_number", "circulation_counter", "municipality_number",
                                                       "issuing_office", "service_number", "package_number"}));
    in.consumption_card.emplace();
    PW_RETURN_IF_ERROR(ParseCardRef(*c, "consumption.", *in.consumption_card));
    PW_RETURN_IF_ERROR(Digits(*c, "consumption.", "service_number", in.service_number, 1, 8));
    PW_RETURN_IF_ERROR(Digits(*c, "consumption.", "package_number", in.consumption_package, 1, 8));
  } else {
    return Bad("kind", "update, purchase, credit or acceptance");
  }
  return in;
}

Result<std::vector<BatchEntry>> ParseBatch(const json& body) {
  if (!body.is_object()) return Bad("", "the body is a JSON object");
  PW_RETURN_IF_ERROR(OnlyFields(body, "", {"protocol", "transactions"}));
  auto protocol = body.find("protocol");
  if (protocol == body.end() || !protocol->is_number_integer() || protocol->get<int64_t>() != kProtocolVersion) {
    return Bad("protocol", "this server speaks protocol version 1");
  }
  auto list = body.find("transactions");
  if (list == body.end() || !list->is_array() || list->empty() || list->size() > kMaxBatch) {
    return Bad("transactions", "1 to 1000 transactions");
  }
  std::vector<BatchEntry> batch;
  batch.reserve(list->size());
  std::set<int64_t> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& j = (*list)[i];
    std::string path = "transactions[" + std::to_string(i) + "]";
    int64_t booking = 0;
    if (!j.is_object() || !Integer(j, "", "booking_number", 1, kMaxBookingNumber, booking).ok()) {
      return Bad(path + ".booking_number", "every transaction needs a booking number 1 to 2^53-1");
    }
    if (!seen.insert(booking).second) return Bad(path + ".booking_number", "booking number twice in one batch");
    BatchEntry entry;
    entry.booking_number = booking;
    auto parsed = ParseTransaction(j);
    if (parsed.ok()) {
      entry.input = std::move(*parsed);
    } else {
      const Status& s = parsed.status();
      entry.rejection = s.field().empty() ? s.message() : s.field() + ": " + s.message();
    }
    batch.push_back(std::move(entry));
  }
  return batch;
}

Result<AcceptanceRequest> ParseAcceptanceRequest(const json& j) {
  if (!j.is_object()) return Bad("", "the body is a JSON object");
  PW_RETURN_IF_ERROR(OnlyFields(j, "", {"booking_number", "at", "operator", "card_number", "circulation_counter",
                                        "municipality_number", "issuing_office", "service_number",
                                        "package_number"}));
  AcceptanceRequest r;
  PW_RETURN_IF_ERROR(Integer(j, "", "booking_number", 1, kMaxBookingNumber, r.booking_number));
  PW_RETURN_IF_ERROR(String(j, "", "at", r.at, 19));
  if (!ParseLocalTime(r.at)) return Bad("at", "local date and time YYYY-MM-DDTHH:MM:SS");
  PW_RETURN_IF_ERROR(Digits(j, "", "operator", r.operator_number, 1, 8));
  PW_RETURN_IF_ERROR(ParseCardRef(j, "", r.card));
  PW_RETURN_IF_ERROR(Digits(j, "", "service_number", r.service_number, 1, 8));
  if (j.contains("package_number") && !j["package_number"].is_null()) {
    PW_RETURN_IF_ERROR(Digits(j, "", "package_number", r.package_number, 1, 8));
  }
  return r;
}

// ---- Applying transactions -------------------------------------------------------

namespace {

// The state of one write transaction: the catalogue, what is known about the
// cards of the batch, the packages their cycles hold.
class Ledger {
 public:
  Ledger(Tx& tx, const Clock& clock, const TerminalSession& terminal, CatalogueSnapshot catalogue)
      : tx_(tx), clock_(clock), terminal_(terminal), catalogue_(std::move(catalogue)) {
    for (const auto& [number, package] : catalogue_.packages) package_number_of_[package.rule.id] = number;
  }

  // Resolves the cards through card_link: one audited access for all of them.
  Status Prepare(const std::vector<std::string>& card_numbers, const std::string& request_id) {
    std::vector<std::string> wanted;
    for (const auto& n : card_numbers) {
      if (!cards_.count(n)) wanted.push_back(n);
    }
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    if (wanted.empty()) return Status::Ok();
    guestcards::LinkAccess access{"terminal:" + terminal_.tid, request_id, "terminal:" + terminal_.tid};
    PW_ASSIGN_OR_RETURN(auto cycles, guestcards::CyclesOf(tx_, clock_, guestcards::LinkPurpose::kRecordTransactions,
                                                          access, wanted));
    // One round trip per hundred cards for each segment, not one per card.
    std::vector<Value> keys(wanted.begin(), wanted.end());
    std::map<std::string, CardInfo> found;
    PW_RETURN_IF_ERROR(storage::QueryIn(tx_,
                                        "SELECT card_number, status, circulation_counter, card_type, municipality_id "
                                        "FROM logistics.cards WHERE card_number IN",
                                        keys, [&](const Row& r) {
                                          CardInfo& info = found[r.Text(0)];
                                          info.in_logistics = r.Int(4) == terminal_.municipality_id;
                                          info.status = r.Text(1);
                                          info.circulation_counter = r.Int(2);
                                          info.card_type = r.Text(3);
                                          return Status::Ok();
                                        }));
    std::map<std::string, std::string> card_of_cycle;
    std::vector<Value> cycle_keys;
    for (size_t i = 0; i < wanted.size(); ++i) {
      CardInfo& info = found[wanted[i]];
      info.cycle = cycles[i];
      if (info.cycle) {
        card_of_cycle[*info.cycle] = wanted[i];
        cycle_keys.push_back(*info.cycle);
        holdings_[*info.cycle];  // known to hold nothing unless loaded below
      }
    }
    PW_RETURN_IF_ERROR(storage::QueryIn(tx_,
                                        "SELECT cycle_id, arrival, departure, card_type FROM card_usage.cycles "
                                        "WHERE cycle_id IN",
                                        cycle_keys, [&](const Row& r) {
                                          CardInfo& info = found[card_of_cycle[r.Text(0)]];
                                          info.arrival = ParseIsoDate(r.Text(1));
                                          info.departure = ParseIsoDate(r.Text(2));
                                          info.card_type = r.Text(3);
                                          return Status::Ok();
                                        }));
    // The packages the cycles hold, for all of them at once (padding repeats rows: keep each id once).
    std::set<int64_t> seen;
    PW_RETURN_IF_ERROR(storage::QueryIn(tx_,
                                        "SELECT cycle_id, id, package_id, state, valid_from, valid_to, points_left, "
                                        "used_days, uses FROM card_usage.holdings WHERE cycle_id IN",
                                        cycle_keys, [&](const Row& r) -> Status {
                                          if (!seen.insert(r.Int(1)).second) return Status::Ok();
                                          PW_ASSIGN_OR_RETURN(HeldPackage h, HeldFromRow(r, 1));
                                          holdings_[r.Text(0)].push_back(std::move(h));
                                          return Status::Ok();
                                        }));
    for (auto& [cycle, held] : holdings_) {
      std::sort(held.begin(), held.end(), [](const HeldPackage& a, const HeldPackage& b) { return a.id < b.id; });
    }
    for (auto& [number, info] : found) cards_[number] = std::move(info);
    return Status::Ok();
  }

  // Existing (TID, booking number) pairs among these.
  Result<std::set<int64_t>> Recorded(const std::vector<int64_t>& bookings) {
    std::set<int64_t> out;
    if (bookings.empty()) return out;
    auto [lo, hi] = std::minmax_element(bookings.begin(), bookings.end());
    PW_ASSIGN_OR_RETURN(Rows rows, tx_.Query("SELECT booking_number FROM settlement.transactions WHERE tid = $1 AND "
                                             "booking_number BETWEEN $2 AND $3",
                                             {terminal_.tid, *lo, *hi}));
    for (const Row& r : rows) out.insert(r.Int(0));
    return out;
  }

  struct Choice {
    Decision decision;
    const Package* package = nullptr;
    int64_t holding_index = -1;  // in holdings_[cycle]; -1 for the base package
  };

  // Which package serves this use, and whether it may (no writes).
  Result<Choice> Choose(const CardRef& card, const std::string& service_number, const std::string& package_number,
                        const Date& day) {
    Choice best;
    best.decision.denial = Denial::kNoSuchPackage;
    auto service = catalogue_.services.find(service_number);
    if (service == catalogue_.services.end()) {
      best.decision.denial = Denial::kUnknownService;
      return best;
    }
    const CardInfo& info = cards_.at(card.card_number);
    if (info.status == "blocked" || info.status == "replaced") {
      best.decision.denial = Denial::kBlocked;
      return best;
    }
    if (!info.cycle || !info.in_logistics || info.circulation_counter != card.circulation_counter) {
      best.decision.denial = Denial::kUnknownCard;
      return best;
    }
    auto consider = [&](const Package& package, const Holding& holding, int64_t index) {
      if (!package.rule.Covers(service_number)) return;
      Decision d = Decide(package.rule, holding, service->second.points, day);
      if (best.package == nullptr || DenialRank(d.denial) > DenialRank(best.decision.denial)) {
        best.decision = d;
        best.package = &package;
        best.holding_index = index;
      }
    };
    auto wants = [&](const std::string& number) { return package_number.empty() || package_number == number; };
    if (catalogue_.base_package && wants(*catalogue_.base_package)) {
      const Package& base = catalogue_.packages.at(*catalogue_.base_package);
      if (info.arrival && info.departure) {
        consider(base, StayHolding(*info.arrival, *info.departure), -1);
      } else if (base.rule.Covers(service_number)) {
        best.package = &base;
        best.decision.denial = Denial::kNotValidToday;  // a provisional card: no stay known yet
      }
    }
    if (best.decision.allowed()) return best;
    PW_ASSIGN_OR_RETURN(std::vector<HeldPackage> * held, Holdings(*info.cycle));
    for (size_t i = 0; i < held->size(); ++i) {
      const HeldPackage& h = (*held)[i];
      if (h.state != "active" || !wants(h.package_number)) continue;
      auto package = catalogue_.packages.find(h.package_number);
      if (package == catalogue_.packages.end()) continue;
      consider(package->second, h.holding, static_cast<int64_t>(i));
      if (best.decision.allowed()) break;
    }
    return best;
  }

  Result<UploadOutcome> Apply(const TransactionInput& in) {
    UploadOutcome out;
    out.booking_number = in.booking_number;
    std::string rejection = Check(in);
    if (!rejection.empty()) {
      out.result = UploadResult::kRejected;
      out.reason = rejection;
      return out;
    }
    Value package_id, service_id, method, amount;
    if (in.kind == TxKind::kUpdate) package_id = catalogue_.packages.at(in.update_package).rule.id;
    if (in.kind == TxKind::kAcceptance) {
      package_id = catalogue_.packages.at(in.consumption_package).rule.id;
      service_id = catalogue_.services.at(in.service_number).id;
    }
    if (in.payment) {
      method = in.payment->method;
      amount = in.payment->amount_cents;
    }
    PW_ASSIGN_OR_RETURN(
        int64_t inserted,
        tx_.Exec("INSERT INTO settlement.transactions (tid, booking_number, municipality_id, provider_id, operator, "
                 "kind, occurred_at, occurred_on, received_at, package_id, service_id, payment_method, "
                 "payment_cents) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
                 "ON CONFLICT (tid, booking_number) DO NOTHING",
                 {terminal_.tid, in.booking_number, terminal_.municipality_id, terminal_.provider_id,
                  in.operator_number, std::string(TxKindName(in.kind)), in.at, FormatIsoDate(in.day),
                  clock_.NowUnix(), package_id, service_id, method, amount}));
    if (inserted == 0) {
      out.result = UploadResult::kDuplicate;
      return out;
    }
    switch (in.kind) {
      case TxKind::kUpdate: {
        PW_ASSIGN_OR_RETURN(out.conflict, CardConflict(*in.update_card));
        const CardInfo& info = cards_.at(in.update_card->card_number);
        if (info.cycle) {
          PW_RETURN_IF_ERROR(Usage(*info.cycle, in, package_id, {}, {}, {}, {}, {}));
        }
        break;
      }
      case TxKind::kPurchase:
      case TxKind::kCredit:
        for (const SaleLine& line : in.sales) {
          const Package& package = catalogue_.packages.at(line.package_number);
          Value from = line.valid_from ? Value{FormatIsoDate(*line.valid_from)} : Value{};
          Value to = line.valid_to ? Value{FormatIsoDate(*line.valid_to)} : Value{};
          PW_RETURN_IF_ERROR(tx_.Exec("INSERT INTO settlement.sale_lines (tid, booking_number, position, "
                                      "package_id, price_cents, valid_from, valid_to, written) VALUES ($1, $2, $3, "
                                      "$4, $5, $6, $7, $8)",
                                      {terminal_.tid, in.booking_number, line.position, package.rule.id,
                                       line.price_cents, from, to, int64_t{line.written ? 1 : 0}})
                                 .status());
          PW_ASSIGN_OR_RETURN(std::string conflict, CardConflict(line.card));
          if (out.conflict.empty()) out.conflict = conflict;
          const CardInfo& info = cards_.at(line.card.card_number);
          if (!info.cycle) continue;
          PW_RETURN_IF_ERROR(Usage(*info.cycle, in, package.rule.id, {}, line.price_cents, from, to,
                                   int64_t{line.written ? 1 : 0}));
          if (!line.written) continue;
          if (in.kind == TxKind::kPurchase) {
            PW_RETURN_IF_ERROR(AddHolding(*info.cycle, package, NewHolding(package.rule, in.day, line.valid_from,
                                                                            line.valid_to)));
          } else {
            PW_RETURN_IF_ERROR(CreditHolding(*info.cycle, package));
          }
        }
        break;
      case TxKind::kAcceptance: {
        const CardRef& card = *in.consumption_card;
        PW_ASSIGN_OR_RETURN(Choice choice, Choose(card, in.service_number, in.consumption_package, in.day));
        const CardInfo& info = cards_.at(card.card_number);
        if (!choice.decision.allowed()) {
          out.conflict = std::string(DenialName(choice.decision.denial));
        } else if (choice.holding_index >= 0) {
          PW_RETURN_IF_ERROR(Use(*info.cycle, static_cast<size_t>(choice.holding_index), choice.decision.after));
        }
        // Annual cards keep no record of their uses (001 §3.3.2).
        if (info.cycle && info.card_type != "3.0") {
          PW_RETURN_IF_ERROR(Usage(*info.cycle, in, package_id, service_id, {}, {}, {}, {}));
        }
        break;
      }
    }
    if (!out.conflict.empty()) {
      const CardRef& card = in.kind == TxKind::kUpdate       ? *in.update_card
                            : in.kind == TxKind::kAcceptance ? *in.consumption_card
                                                             : in.sales.front().card;
      json detail = {{"tid", terminal_.tid},
                     {"booking_number", in.booking_number},
                     {"kind", TxKindName(in.kind)},
                     {"occurred_at", in.at}};
      if (in.kind == TxKind::kAcceptance) {
        detail["service_number"] = in.service_number;
        detail["package_number"] = in.consumption_package;
      }
      PW_RETURN_IF_ERROR(tx_.Exec("INSERT INTO logistics.misuse_log (card_number, at, kind, detail) VALUES ($1, $2, "
                                  "$3, $4)",
                                  {card.card_number, clock_.NowUnix(), out.conflict, detail.dump()})
                             .status());
    }
    return out;
  }

  const CatalogueSnapshot& catalogue() const { return catalogue_; }

 private:
  struct CardInfo {
    bool in_logistics = false;  // a card of this municipality
    std::string status;
    int64_t circulation_counter = 0;
    std::string card_type;
    std::optional<std::string> cycle;
    std::optional<Date> arrival, departure;
  };
  struct HeldPackage {
    int64_t id = 0;
    std::string package_number;
    std::string state;
    Holding holding;
  };

  // Checks that need the catalogue and the terminal; "" when fine.
  std::string Check(const TransactionInput& in) const {
    if (in.vu_number != terminal_.vu_number) return "vu_number: not the VU number of this terminal";
    if (!terminal_.operators.empty() && std::find(terminal_.operators.begin(), terminal_.operators.end(),
                                                  in.operator_number) == terminal_.operators.end()) {
      return "operator: not an operator registered for this terminal";
    }
    auto future = BerlinDate(clock_.NowUnix() + 86400);
    if (in.day > future) return "at: lies more than a day in the future";
    auto card_ok = [&](const CardRef& card, const std::string& path) -> std::string {
      if (card.municipality_number != terminal_.municipality_number) {
        return path + "municipality_number: a card of another municipality";
      }
      return "";
    };
    auto package_ok = [&](const std::string& number, const std::string& path, bool sold) -> std::string {
      auto it = catalogue_.packages.find(number);
      if (it == catalogue_.packages.end()) return path + "package_number: no such package";
      if (sold && it->second.rule.kind == PackageKind::kBase) {
        return path + "package_number: the base package comes with the spa-tax ticket, it is not sold";
      }
      return "";
    };
    std::string problem;
    switch (in.kind) {
      case TxKind::kUpdate:
        problem = card_ok(*in.update_card, "update.");
        if (problem.empty()) problem = package_ok(in.update_package, "update.", false);
        break;
      case TxKind::kPurchase:
      case TxKind::kCredit:
        for (size_t i = 0; i < in.sales.size() && problem.empty(); ++i) {
          std::string path = "sales[" + std::to_string(i) + "].";
          problem = card_ok(in.sales[i].card, path);
          if (problem.empty()) problem = package_ok(in.sales[i].package_number, path, true);
        }
        break;
      case TxKind::kAcceptance:
        problem = card_ok(*in.consumption_card, "consumption.");
        if (problem.empty() && !catalogue_.services.count(in.service_number)) {
          problem = "consumption.service_number: no such service";
        }
        if (problem.empty()) problem = package_ok(in.consumption_package, "consumption.", false);
        if (problem.empty() && !catalogue_.packages.at(in.consumption_package).rule.Covers(in.service_number)) {
          problem = "consumption.package_number: the package does not cover this service";
        }
        break;
    }
    return problem;
  }

  Result<std::string> CardConflict(const CardRef& card) {
    const CardInfo& info = cards_.at(card.card_number);
    if (info.status == "blocked" || info.status == "replaced") return std::string("blocked");
    if (!info.cycle || !info.in_logistics) return std::string("unknown_card");
    if (info.circulation_counter != card.circulation_counter) return std::string("circulation_counter");
    return std::string();
  }

  Status Usage(const std::string& cycle, const TransactionInput& in, const Value& package_id, const Value& service_id,
               const Value& price, const Value& from, const Value& to, const Value& written) {
    return tx_
        .Exec("INSERT INTO card_usage.transactions (cycle_id, kind, occurred_at, tid, package_id, service_id, "
              "price_cents, valid_from, valid_to, written) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
              {cycle, std::string(TxKindName(in.kind)), in.at, terminal_.tid, package_id, service_id, price, from, to,
               written})
        .status();
  }

  Result<std::vector<HeldPackage>*> Holdings(const std::string& cycle) {
    auto it = holdings_.find(cycle);
    if (it != holdings_.end()) return &it->second;
    std::vector<HeldPackage> held;
    PW_ASSIGN_OR_RETURN(Rows rows, tx_.Query("SELECT id, package_id, state, valid_from, valid_to, points_left, "
                                             "used_days, uses FROM card_usage.holdings WHERE cycle_id = $1 "
                                             "ORDER BY id",
                                             {cycle}));
    for (const Row& r : rows) {
      PW_ASSIGN_OR_RETURN(HeldPackage h, HeldFromRow(r, 0));
      held.push_back(std::move(h));
    }
    return &(holdings_[cycle] = std::move(held));
  }

  // id, package_id, state, valid_from, valid_to, points_left, used_days, uses from column `at`.
  Result<HeldPackage> HeldFromRow(const Row& r, size_t at) const {
    HeldPackage h;
    h.id = r.Int(at);
    auto number = package_number_of_.find(r.Int(at + 1));
    h.package_number = number == package_number_of_.end() ? "" : number->second;
    h.state = r.Text(at + 2);
    h.holding.valid_from = ParseIsoDate(r.Text(at + 3)).value_or(Date{});
    h.holding.valid_to = ParseIsoDate(r.Text(at + 4)).value_or(Date{});
    h.holding.points_left = r.OptInt(at + 5).value_or(0);
    PW_ASSIGN_OR_RETURN(h.holding.used_days, ParseDays(r.Text(at + 6)));
    h.holding.uses = r.Int(at + 7);
    return h;
  }

  Status AddHolding(const std::string& cycle, const Package& package, const Holding& h) {
    PW_ASSIGN_OR_RETURN(std::vector<HeldPackage> * held, Holdings(cycle));
    PW_ASSIGN_OR_RETURN(Row row, tx_.QueryOne("INSERT INTO card_usage.holdings (cycle_id, package_id, state, "
                                              "valid_from, valid_to, points_left, used_days, uses) VALUES ($1, $2, "
                                              "'active', $3, $4, $5, $6, $7) RETURNING id",
                                              {cycle, package.rule.id, FormatIsoDate(h.valid_from),
                                               FormatIsoDate(h.valid_to), h.points_left, FormatDays(h.used_days),
                                               h.uses}));
    held->push_back({row.Int(0), package.rule.package_number, "active", h});
    return Status::Ok();
  }

  // A credit takes back the most recent unused holding of the package, else the most recent one.
  Status CreditHolding(const std::string& cycle, const Package& package) {
    PW_ASSIGN_OR_RETURN(std::vector<HeldPackage> * held, Holdings(cycle));
    HeldPackage* target = nullptr;
    for (auto it = held->rbegin(); it != held->rend(); ++it) {
      if (it->state != "active" || it->package_number != package.rule.package_number) continue;
      if (target == nullptr || (target->holding.uses > 0 && it->holding.uses == 0)) target = &*it;
    }
    if (target == nullptr) return Status::Ok();  // nothing held: the credit is still money paid back
    target->state = "credited";
    return tx_.Exec("UPDATE card_usage.holdings SET state = 'credited' WHERE id = $1", {target->id}).status();
  }

  Status Use(const std::string& cycle, size_t index, const Holding& after) {
    PW_ASSIGN_OR_RETURN(std::vector<HeldPackage> * held, Holdings(cycle));
    HeldPackage& h = held->at(index);
    h.holding = after;
    return tx_
        .Exec("UPDATE card_usage.holdings SET points_left = $1, used_days = $2, uses = $3 WHERE id = $4",
              {after.points_left, FormatDays(after.used_days), after.uses, h.id})
        .status();
  }

  Tx& tx_;
  const Clock& clock_;
  const TerminalSession& terminal_;
  CatalogueSnapshot catalogue_;
  std::map<int64_t, std::string> package_number_of_;
  std::map<std::string, CardInfo> cards_;
  std::map<std::string, std::vector<HeldPackage>> holdings_;
};

std::vector<std::string> CardsOf(const TransactionInput& in) {
  std::vector<std::string> out;
  if (in.update_card) out.push_back(in.update_card->card_number);
  if (in.consumption_card) out.push_back(in.consumption_card->card_number);
  for (const auto& line : in.sales) out.push_back(line.card.card_number);
  return out;
}

AcceptanceAnswer AnswerOf(const Ledger::Choice& choice) {
  AcceptanceAnswer a;
  a.denial = choice.decision.denial;
  a.result = choice.decision.allowed() ? UploadResult::kAccepted : UploadResult::kRejected;
  if (choice.package) {
    a.package_number = choice.package->rule.package_number;
    a.days_left = choice.decision.days_left;
    a.points_left = choice.decision.points_left;
    a.valid_to = choice.decision.valid_to;
  }
  return a;
}

}  // namespace

TransactionService::TransactionService(storage::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

Result<std::vector<UploadOutcome>> TransactionService::Upload(const TerminalSession& terminal,
                                                              const std::vector<BatchEntry>& batch,
                                                              const std::string& request_id) {
  std::vector<UploadOutcome> outcomes;
  Status status = db_.Write([&](Tx& tx) -> Status {
    outcomes.clear();
    PW_ASSIGN_OR_RETURN(CatalogueSnapshot catalogue, CatalogueService::LoadIn(tx, terminal.municipality_id));
    Ledger ledger(tx, clock_, terminal, std::move(catalogue));
    std::vector<int64_t> bookings;
    for (const BatchEntry& e : batch) bookings.push_back(e.booking_number);
    PW_ASSIGN_OR_RETURN(std::set<int64_t> recorded, ledger.Recorded(bookings));
    // Duplicates need no card lookup: only new transactions reach card_link.
    std::vector<std::string> new_cards;
    for (const BatchEntry& e : batch) {
      if (e.input && !recorded.count(e.booking_number)) {
        for (auto& c : CardsOf(*e.input)) new_cards.push_back(std::move(c));
      }
    }
    PW_RETURN_IF_ERROR(ledger.Prepare(new_cards, request_id));
    for (const BatchEntry& e : batch) {
      UploadOutcome out;
      out.booking_number = e.booking_number;
      if (recorded.count(e.booking_number)) {
        out.result = UploadResult::kDuplicate;
      } else if (!e.input) {
        out.result = UploadResult::kRejected;
        out.reason = e.rejection;
      } else {
        PW_ASSIGN_OR_RETURN(out, ledger.Apply(*e.input));
      }
      outcomes.push_back(std::move(out));
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return outcomes;
}

Result<AcceptanceAnswer> TransactionService::Accept(const TerminalSession& terminal,
                                                    const AcceptanceRequest& request, const std::string& request_id) {
  AcceptanceAnswer answer;
  Date day = *ParseIsoDate(std::string_view(request.at).substr(0, 10));
  if (request.card.municipality_number != terminal.municipality_number) {
    return InvalidArgument("a card of another municipality", "municipality_number");
  }
  if (!terminal.operators.empty() && std::find(terminal.operators.begin(), terminal.operators.end(),
                                               request.operator_number) == terminal.operators.end()) {
    return InvalidArgument("not an operator registered for this terminal", "operator");
  }
  Status status = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows done, tx.Query("SELECT t.kind, p.package_number FROM settlement.transactions t LEFT JOIN "
                                            "core.packages p ON p.id = t.package_id WHERE t.tid = $1 AND "
                                            "t.booking_number = $2",
                                            {terminal.tid, request.booking_number}));
    if (!done.empty()) {
      if (done[0].Text(0) != "acceptance") {
        return AlreadyExists("this booking number belongs to another transaction", "booking_number");
      }
      answer = {};
      answer.result = UploadResult::kDuplicate;
      answer.package_number = done[0].Text(1);
      return Status::Ok();
    }
    PW_ASSIGN_OR_RETURN(CatalogueSnapshot catalogue, CatalogueService::LoadIn(tx, terminal.municipality_id));
    Ledger ledger(tx, clock_, terminal, std::move(catalogue));
    PW_RETURN_IF_ERROR(ledger.Prepare({request.card.card_number}, request_id));
    PW_ASSIGN_OR_RETURN(Ledger::Choice choice,
                        ledger.Choose(request.card, request.service_number, request.package_number, day));
    answer = AnswerOf(choice);
    if (!choice.decision.allowed()) return Status::Ok();
    TransactionInput in;
    in.booking_number = request.booking_number;
    in.at = request.at;
    in.day = day;
    in.vu_number = terminal.vu_number;
    in.operator_number = request.operator_number;
    in.kind = TxKind::kAcceptance;
    in.consumption_card = request.card;
    in.service_number = request.service_number;
    in.consumption_package = choice.package->rule.package_number;
    PW_ASSIGN_OR_RETURN(UploadOutcome out, ledger.Apply(in));
    if (out.result == UploadResult::kRejected) return InvalidArgument(out.reason);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return answer;
}

Result<SyncData> TransactionService::SyncDataFor(const TerminalSession& terminal) {
  SyncData data;
  data.municipality_number = terminal.municipality_number;
  Status status = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT card_number, circulation_counter FROM logistics.cards WHERE "
                                            "municipality_id = $1 AND status IN ('blocked', 'replaced') "
                                            "ORDER BY card_number",
                                            {terminal.municipality_id}));
    for (const Row& r : rows) data.blocked_cards.push_back({r.Text(0), r.Int(1)});
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return data;
}

Result<int64_t> TransactionService::LastBookingNumber(const std::string& tid) {
  int64_t last = 0;
  Status status = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT COALESCE(MAX(booking_number), 0) FROM settlement.transactions "
                                             "WHERE tid = $1",
                                             {tid}));
    last = row.Int(0);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return last;
}

namespace {
Status MaySeeTerminalData(const accounts::Actor& actor) {
  if (!actor.user) return Status::Ok();
  if (actor.via_token) {
    if (std::find(actor.scopes.begin(), actor.scopes.end(), "terminals:read") == actor.scopes.end()) {
      return PermissionDenied("the token lacks the scope terminals:read");
    }
    return Status::Ok();
  }
  using accounts::Role;
  Role r = actor.user->role;
  if (r == Role::kOperator || r == Role::kMunicipalityAdmin || r == Role::kClerk || r == Role::kAuditor) {
    return Status::Ok();
  }
  return PermissionDenied("office staff only");
}
}  // namespace

Result<TerminalTotals> TransactionService::Totals(const accounts::Actor& actor, const std::string& tid) {
  PW_RETURN_IF_ERROR(MaySeeTerminalData(actor));
  TerminalTotals totals;
  totals.tid = tid;
  Status status = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows t, tx.Query("SELECT p.municipality_id FROM core.terminals t JOIN core.providers p ON "
                                         "p.id = t.provider_id WHERE t.tid = $1",
                                         {tid}));
    if (t.empty()) return NotFound("no such terminal", "tid");
    if (actor.user && actor.user->role != accounts::Role::kOperator && actor.user->municipality_id != t[0].Int(0)) {
      return NotFound("no such terminal", "tid");
    }
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT kind, COUNT(*), COALESCE(SUM(payment_cents), 0) FROM "
                                            "settlement.transactions WHERE tid = $1 GROUP BY kind ORDER BY kind",
                                            {tid}));
    for (const Row& r : rows) {
      totals.by_kind[r.Text(0)] = r.Int(1);
      totals.transactions += r.Int(1);
      if (r.Text(0) == "purchase") totals.payments_cents += r.Int(2);
      if (r.Text(0) == "credit") totals.payments_cents -= r.Int(2);
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return totals;
}

Result<std::vector<AcceptanceConflict>> TransactionService::Conflicts(const accounts::Actor& actor, int limit) {
  PW_RETURN_IF_ERROR(MaySeeTerminalData(actor));
  limit = std::clamp(limit, 1, 1000);
  std::vector<AcceptanceConflict> out;
  Status status = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT m.id, m.card_number, m.at, m.kind, m.detail, c.municipality_id "
                                            "FROM logistics.misuse_log m LEFT JOIN logistics.cards c ON "
                                            "c.card_number = m.card_number ORDER BY m.id DESC LIMIT $1",
                                            {int64_t{limit}}));
    for (const Row& r : rows) {
      if (actor.user && actor.user->role != accounts::Role::kOperator &&
          (r.IsNull(5) || actor.user->municipality_id != r.Int(5))) {
        continue;
      }
      out.push_back({r.Int(0), r.Text(1), r.Int(2), r.Text(3), json::parse(r.Text(4), nullptr, false)});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return out;
}

}  // namespace passwerk::terminals
