#include "terminals/transactions.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

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

}  // namespace

std::string_view TxKindName(TxKind kind) {
  switch (kind) {
    case TxKind::kUpdate:
      return "update";
    case TxKind::kPurchase:
      return "purchase";
    case TxKind::kCredit:
      return "credit";
    case TxKind::kAcceptance:
      return "acceptance";
  }
  return "acceptance";
}

std::string_view UploadResultName(UploadResult result) {
  switch (result) {
    case UploadResult::kAccepted:
      return "accepted";
    case UploadResult::kDuplicate:
      return "duplicate";
    case UploadResult::kRejected:
      return "rejected";
  }
  return "rejected";
}

std::string_view RefusalName(Refusal refusal) {
  switch (refusal) {
    case Refusal::kNone:
      return "";
    case Refusal::kCreditWithoutSale:
      return "credit_without_sale";
    case Refusal::kPriceMismatch:
      return "price_mismatch";
    case Refusal::kDateOutOfWindow:
      return "date_out_of_window";
    case Refusal::kValidityOutOfRules:
      return "validity_out_of_rules";
  }
  return "";
}

// ---- The catalogue's rules -------------------------------------------------------

std::string CheckDateWindow(const Date& day, const Date& registered_on, const Date& today, int window_days) {
  if (day < registered_on) return "lies before the terminal was registered on " + FormatIsoDate(registered_on);
  if (day < AddDays(today, -window_days)) {
    return "lies more than " + std::to_string(window_days) + " days before the upload";
  }
  if (day > AddDays(today, 1)) return "lies more than a day in the future";
  return "";
}

std::string CheckSalePrice(const PackageRule& package, TxKind kind, int64_t price_cents, const Date& day) {
  if (kind == TxKind::kCredit) {
    if (price_cents > package.price_cents) {
      return "must not exceed " + std::to_string(package.price_cents) + ", the catalogue price of the package";
    }
    return "";
  }
  if (day < package.sale_from || day > package.sale_to) {
    return "no catalogue price on " + FormatIsoDate(day) + ": the package is sold from " +
           FormatIsoDate(package.sale_from) + " to " + FormatIsoDate(package.sale_to);
  }
  if (price_cents != package.price_cents) {
    return "must be " + std::to_string(package.price_cents) + ", the catalogue price on " + FormatIsoDate(day);
  }
  return "";
}

std::string CheckSaleValidity(const PackageRule& package, const Date& sale_day, const std::optional<Date>& valid_from,
                              const std::optional<Date>& valid_to) {
  if (!valid_from && !valid_to) return "";  // the server gives the package's validity from the sale day
  const Holding h = NewHolding(package, sale_day, valid_from, valid_to);
  if (valid_to && valid_from && *valid_to < *valid_from) return "valid_to: lies before valid_from";
  if (h.valid_from < sale_day) return "valid_from: lies before the day of sale";
  if (h.valid_from > std::max(sale_day, package.sale_to)) {
    return "valid_from: lies after the end of the package's sale period, " + FormatIsoDate(package.sale_to);
  }
  const int allowed = std::max(package.validity_days, 1);
  if (DaysFromCivil(h.valid_to) - DaysFromCivil(h.valid_from) + 1 > allowed) {
    return "valid_to: " + FormatIsoDate(h.valid_to) + " is longer than the package's " + std::to_string(allowed) +
           " days of validity";
  }
  return "";
}

// ---- Applying transactions -------------------------------------------------------

namespace {

// The state of one write transaction: the catalogue, what is known about the
// cards of the batch, the packages their cycles hold.
class Ledger {
 public:
  Ledger(Tx& tx, const Clock& clock, const TerminalSession& terminal, CatalogueSnapshot catalogue, Date registered_on,
         int window_days)
      : tx_(tx),
        clock_(clock),
        terminal_(terminal),
        catalogue_(std::move(catalogue)),
        registered_on_(registered_on),
        window_days_(window_days) {
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
    PW_ASSIGN_OR_RETURN(
        auto cycles, guestcards::CyclesOf(tx_, clock_, guestcards::LinkPurpose::kRecordTransactions, access, wanted));
    // One round trip per hundred cards for each segment, not one per card.
    std::vector<Value> keys(wanted.begin(), wanted.end());
    PW_RETURN_IF_ERROR(storage::QueryIn(tx_,
                                        "SELECT card_number, status, circulation_counter, card_type, municipality_id, "
                                        "first_use_on FROM logistics.cards WHERE card_number IN",
                                        keys, [&](const Row& r) {
                                          CardInfo& info = cards_[r.Text(0)];
                                          info.in_logistics = r.Int(4) == terminal_.municipality_id;
                                          info.status = r.Text(1);
                                          info.circulation_counter = r.Int(2);
                                          info.card_type = r.Text(3);
                                          info.card_first_use = ParseIsoDate(r.Text(5));
                                          return Status::Ok();
                                        }));
    std::unordered_map<std::string, CardInfo*> card_of_cycle;
    std::vector<Value> cycle_keys;
    for (size_t i = 0; i < wanted.size(); ++i) {
      CardInfo& info = cards_[wanted[i]];
      info.cycle = cycles[i];
      if (info.cycle) {
        card_of_cycle[*info.cycle] = &info;
        cycle_keys.push_back(*info.cycle);
        holdings_[*info.cycle];  // known to hold nothing unless loaded below
      }
    }
    // The cycles and the packages they hold, in one query (both in card_usage;
    // a holding never outlives its cycle: retention and cancellation delete
    // both). Padding repeats rows: keep each holding once.
    std::unordered_set<int64_t> seen;
    PW_RETURN_IF_ERROR(storage::QueryIn(
        tx_,
        "SELECT c.cycle_id, c.arrival, c.departure, c.card_type, c.provisional_days, c.first_use, h.id, "
        "h.package_id, h.state, h.valid_from, h.valid_to, h.points_left, h.used_days, h.uses FROM card_usage.cycles c "
        "LEFT JOIN card_usage.holdings h ON h.cycle_id = c.cycle_id WHERE c.cycle_id IN",
        cycle_keys, [&](const Row& r) -> Status {
          CardInfo& info = *card_of_cycle.at(r.Text(0));
          info.arrival = ParseIsoDate(r.Text(1));
          info.departure = ParseIsoDate(r.Text(2));
          info.card_type = r.Text(3);
          info.provisional_days = r.OptInt(4);
          info.first_use = ParseIsoDate(r.Text(5));
          if (r.IsNull(6) || !seen.insert(r.Int(6)).second) return Status::Ok();
          PW_ASSIGN_OR_RETURN(HeldPackage h, HeldFromRow(r, 6));
          holdings_[r.Text(0)].push_back(std::move(h));
          return Status::Ok();
        }));
    for (auto& [cycle, held] : holdings_) {
      std::sort(held.begin(), held.end(), [](const HeldPackage& a, const HeldPackage& b) { return a.id < b.id; });
    }
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
      } else if (info.provisional_days) {
        // Handed out before the stay is known (001 §4.3): the days run from the
        // first use at a reader, this one if none came earlier.
        const Date first = info.first_use && *info.first_use < day ? *info.first_use : day;
        consider(base, StayHolding(first, AddDays(first, static_cast<int>(*info.provisional_days) - 1)), -1);
      } else if (base.rule.Covers(service_number)) {
        best.package = &base;
        best.decision.denial = Denial::kNotValidToday;  // no stay known
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
    Rejection rejection = Check(in);
    // A credit takes back recorded sales, one each: which ones, before anything is written.
    std::vector<HeldPackage*> credited;
    if (rejection.empty() && in.kind == TxKind::kCredit) {
      PW_ASSIGN_OR_RETURN(rejection, MatchCredits(in, credited));
    }
    if (!rejection.empty()) {
      out.result = UploadResult::kRejected;
      out.reason = rejection.reason;
      out.refusal = rejection.refusal;
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
                  in.operator_number, std::string(TxKindName(in.kind)), in.at, FormatIsoDate(in.day), clock_.NowUnix(),
                  package_id, service_id, method, amount}));
    if (inserted == 0) {
      out.result = UploadResult::kDuplicate;
      return out;
    }
    switch (in.kind) {
      case TxKind::kUpdate: {
        PW_ASSIGN_OR_RETURN(out.conflict, CardConflict(*in.update_card));
        CardInfo& info = cards_.at(in.update_card->card_number);
        if (info.cycle) {
          PW_RETURN_IF_ERROR(Usage(*info.cycle, in, package_id, {}, {}, {}, {}, {}));
        }
        if (out.conflict.empty()) PW_RETURN_IF_ERROR(FirstUse(in.update_card->card_number, info, in.day));
        break;
      }
      case TxKind::kPurchase:
      case TxKind::kCredit:
        for (size_t i = 0; i < in.sales.size(); ++i) {
          const SaleLine& line = in.sales[i];
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
          CardInfo& info = cards_.at(line.card.card_number);
          if (conflict.empty()) PW_RETURN_IF_ERROR(FirstUse(line.card.card_number, info, in.day));
          if (!info.cycle) continue;
          PW_RETURN_IF_ERROR(
              Usage(*info.cycle, in, package.rule.id, {}, line.price_cents, from, to, int64_t{line.written ? 1 : 0}));
          if (!line.written) continue;
          if (in.kind == TxKind::kPurchase) {
            PW_RETURN_IF_ERROR(
                AddHolding(*info.cycle, package, NewHolding(package.rule, in.day, line.valid_from, line.valid_to)));
          } else {
            PW_RETURN_IF_ERROR(CreditHolding(*credited[i]));
          }
        }
        break;
      case TxKind::kAcceptance: {
        const CardRef& card = *in.consumption_card;
        PW_ASSIGN_OR_RETURN(Choice choice, Choose(card, in.service_number, in.consumption_package, in.day));
        CardInfo& info = cards_.at(card.card_number);
        if (choice.decision.denial != Denial::kBlocked && choice.decision.denial != Denial::kUnknownCard) {
          PW_RETURN_IF_ERROR(FirstUse(card.card_number, info, in.day));
        }
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
    std::optional<int64_t> provisional_days;  // handed out before the stay was known (001 §4.3)
    std::optional<Date> first_use;            // of this cycle, at a reader
    std::optional<Date> card_first_use;       // of the card, for logistics (3.4)
  };
  struct HeldPackage {
    int64_t id = 0;
    std::string package_number;
    std::string state;
    Holding holding;
  };

  // Checks that need the catalogue and the terminal; empty when fine.
  Rejection Check(const TransactionInput& in) const {
    if (in.vu_number != terminal_.vu_number) return {Refusal::kNone, "vu_number: not the VU number of this terminal"};
    if (!terminal_.operators.empty() && std::find(terminal_.operators.begin(), terminal_.operators.end(),
                                                  in.operator_number) == terminal_.operators.end()) {
      return {Refusal::kNone, "operator: not an operator registered for this terminal"};
    }
    if (std::string why = DateWindow(in.day); !why.empty()) return {Refusal::kDateOutOfWindow, "at: " + why};
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
    if (!problem.empty()) return {Refusal::kNone, problem};
    // Well-formed: now what the catalogue allows.
    for (size_t i = 0; i < in.sales.size(); ++i) {
      const SaleLine& line = in.sales[i];
      const PackageRule& rule = catalogue_.packages.at(line.package_number).rule;
      const std::string path = "sales[" + std::to_string(i) + "].";
      if (std::string why = CheckSalePrice(rule, in.kind, line.price_cents, in.day); !why.empty()) {
        return {Refusal::kPriceMismatch, path + "price_cents: " + why};
      }
      if (in.kind != TxKind::kPurchase) continue;
      if (std::string why = CheckSaleValidity(rule, in.day, line.valid_from, line.valid_to); !why.empty()) {
        return {Refusal::kValidityOutOfRules, path + why};
      }
    }
    return {};
  }

 public:
  // "" when the day lies within the terminal's registration and the upload window.
  std::string DateWindow(const Date& day) const {
    return CheckDateWindow(day, registered_on_, BerlinDate(clock_.NowUnix()), window_days_);
  }

 private:
  // Finds for every credit line a recorded, not yet credited purchase of its
  // package on the card's current cycle, each sale at most once. The most
  // recent unused one first, else the most recent one.
  Result<Rejection> MatchCredits(const TransactionInput& in, std::vector<HeldPackage*>& credited) {
    credited.assign(in.sales.size(), nullptr);
    for (size_t i = 0; i < in.sales.size(); ++i) {
      const SaleLine& line = in.sales[i];
      const CardInfo& info = cards_.at(line.card.card_number);
      HeldPackage* target = nullptr;
      if (info.cycle && info.in_logistics && info.circulation_counter == line.card.circulation_counter) {
        PW_ASSIGN_OR_RETURN(std::vector<HeldPackage> * held, Holdings(*info.cycle));
        for (auto it = held->rbegin(); it != held->rend(); ++it) {
          if (it->state != "active" || it->package_number != line.package_number) continue;
          if (std::find(credited.begin(), credited.end(), &*it) != credited.end()) continue;
          if (target == nullptr || (target->holding.uses > 0 && it->holding.uses == 0)) target = &*it;
        }
      }
      if (target == nullptr) {
        return Rejection{Refusal::kCreditWithoutSale,
                         "sales[" + std::to_string(i) + "].package_number: no recorded sale of package " +
                             line.package_number + " on the card's current cycle is left to credit"};
      }
      credited[i] = target;
    }
    return Rejection{};
  }

  Result<std::string> CardConflict(const CardRef& card) {
    const CardInfo& info = cards_.at(card.card_number);
    if (info.status == "blocked" || info.status == "replaced") return std::string("blocked");
    if (!info.cycle || !info.in_logistics) return std::string("unknown_card");
    if (info.circulation_counter != card.circulation_counter) return std::string("circulation_counter");
    return std::string();
  }

  // Records the first use at a reader: the cycle's (the 28 days of a card handed
  // out before its stay count from it; historised with the cycle) and the card's
  // in logistics. Uploaded offline, an earlier day may come after a later one.
  // An annual card's cycle keeps nothing of its uses (001 §3.3.2); logistics
  // records the first use of every card (3.4).
  Status FirstUse(const std::string& card_number, CardInfo& info, const Date& day) {
    if (info.cycle && info.card_type != "3.0" && (!info.first_use || day < *info.first_use)) {
      info.first_use = day;
      PW_RETURN_IF_ERROR(
          tx_.Exec("UPDATE card_usage.cycles SET first_use = $1 WHERE cycle_id = $2", {FormatIsoDate(day), *info.cycle})
              .status());
    }
    if (info.in_logistics && (!info.card_first_use || day < *info.card_first_use)) {
      info.card_first_use = day;
      PW_RETURN_IF_ERROR(tx_.Exec("UPDATE logistics.cards SET first_use_on = $1, updated_on = $2 WHERE "
                                  "card_number = $3",
                                  {FormatIsoDate(day), FormatIsoDate(BerlinDate(clock_.NowUnix())), card_number})
                             .status());
    }
    return Status::Ok();
  }

  Status Usage(const std::string& cycle, const TransactionInput& in, const Value& package_id, const Value& service_id,
               const Value& price, const Value& from, const Value& to, const Value& written) {
    return tx_
        .Exec(
            "INSERT INTO card_usage.transactions (cycle_id, kind, occurred_at, tid, package_id, service_id, "
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
    PW_ASSIGN_OR_RETURN(Row row,
                        tx_.QueryOne("INSERT INTO card_usage.holdings (cycle_id, package_id, state, "
                                     "valid_from, valid_to, points_left, used_days, uses) VALUES ($1, $2, "
                                     "'active', $3, $4, $5, $6, $7) RETURNING id",
                                     {cycle, package.rule.id, FormatIsoDate(h.valid_from), FormatIsoDate(h.valid_to),
                                      h.points_left, FormatDays(h.used_days), h.uses}));
    held->push_back({row.Int(0), package.rule.package_number, "active", h});
    return Status::Ok();
  }

  // A credit takes back the holding MatchCredits chose.
  Status CreditHolding(HeldPackage& target) {
    target.state = "credited";
    return tx_.Exec("UPDATE card_usage.holdings SET state = 'credited' WHERE id = $1", {target.id}).status();
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
  Date registered_on_;
  int window_days_ = 0;
  std::map<int64_t, std::string> package_number_of_;
  // Hashed: looked up for every transaction of a batch.
  std::unordered_map<std::string, CardInfo> cards_;
  std::unordered_map<std::string, std::vector<HeldPackage>> holdings_;
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

// The day the terminal was registered (Europe/Berlin).
Result<Date> RegisteredOn(Tx& tx, const std::string& tid) {
  PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT created_at FROM core.terminals WHERE tid = $1", {tid}));
  if (rows.empty()) return NotFound("no such terminal", "tid");
  return BerlinDate(rows[0].Int(0));
}

// Keeps a refused transaction aside for the operator, once: without any card
// reference (the reasons name fields and packages, never a card).
Status KeepAside(Tx& tx, const TerminalSession& terminal, const TransactionInput& in, const UploadOutcome& out,
                 int64_t now) {
  Value amount = in.payment ? Value{in.payment->amount_cents} : Value{};
  return tx
      .Exec(
          "INSERT INTO settlement.refused_transactions (tid, booking_number, municipality_id, kind, occurred_at, "
          "occurred_on, refusal, reason, amount_cents, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
          "$10) ON CONFLICT (tid, booking_number) DO NOTHING",
          {terminal.tid, in.booking_number, terminal.municipality_id, std::string(TxKindName(in.kind)), in.at,
           FormatIsoDate(in.day), std::string(RefusalName(out.refusal)), out.reason, amount, now})
      .status();
}

}  // namespace

TransactionService::TransactionService(storage::Database& db, const Clock& clock, TransactionOptions options)
    : db_(db), clock_(clock), options_(options) {}

Result<std::vector<UploadOutcome>> TransactionService::Upload(const TerminalSession& terminal,
                                                              const std::vector<BatchEntry>& batch,
                                                              const std::string& request_id) {
  std::vector<UploadOutcome> outcomes;
  Status status = db_.Write([&](Tx& tx) -> Status {
    outcomes.clear();
    PW_ASSIGN_OR_RETURN(CatalogueSnapshot catalogue, CatalogueService::LoadIn(tx, terminal.municipality_id));
    PW_ASSIGN_OR_RETURN(Date registered_on, RegisteredOn(tx, terminal.tid));
    Ledger ledger(tx, clock_, terminal, std::move(catalogue), registered_on, options_.upload_window_days);
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
        if (out.refusal != Refusal::kNone) PW_RETURN_IF_ERROR(KeepAside(tx, terminal, *e.input, out, clock_.NowUnix()));
      }
      outcomes.push_back(std::move(out));
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return outcomes;
}

Result<AcceptanceAnswer> TransactionService::Accept(const TerminalSession& terminal, const AcceptanceRequest& request,
                                                    const std::string& request_id) {
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
    PW_ASSIGN_OR_RETURN(Date registered_on, RegisteredOn(tx, terminal.tid));
    Ledger ledger(tx, clock_, terminal, std::move(catalogue), registered_on, options_.upload_window_days);
    // Online, the terminal hears at once: nothing is recorded or kept aside.
    if (std::string why = ledger.DateWindow(day); !why.empty()) {
      return InvalidArgument("date_out_of_window: " + why, "at");
    }
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
// A token reaches no more than its owner's session: the scope and the role.
Status MaySeeTerminalData(const accounts::Actor& actor) {
  return accounts::Require(actor, accounts::Action::kReadTerminalData);
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
    if (!accounts::Can(actor, accounts::Action::kReadTerminalData, accounts::Resource::InMunicipality(t[0].Int(0)))) {
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
    // A conflict belongs to the municipality of the terminal that booked it
    // (its detail names the terminal), not to that of the card: another
    // municipality's card used at our terminal is ours to see, and our card at
    // theirs is not.
    std::map<std::string, int64_t> municipality_of_terminal;
    PW_ASSIGN_OR_RETURN(Rows terminals, tx.Query("SELECT t.tid, p.municipality_id FROM core.terminals t JOIN "
                                                 "core.providers p ON p.id = t.provider_id"));
    for (const Row& t : terminals) municipality_of_terminal[t.Text(0)] = t.Int(1);
    const bool sees_all = !accounts::OnlyMunicipality(actor, accounts::Action::kReadTerminalData);
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT id, card_number, at, kind, detail FROM logistics.misuse_log "
                                            "ORDER BY id DESC LIMIT $1",
                                            {int64_t{limit}}));
    for (const Row& r : rows) {
      json detail = json::parse(r.Text(4), nullptr, false);
      if (!sees_all) {
        const std::string tid = detail.is_object() && detail.contains("tid") && detail["tid"].is_string()
                                    ? detail["tid"].get<std::string>()
                                    : std::string();
        auto terminal = municipality_of_terminal.find(tid);
        if (terminal == municipality_of_terminal.end() ||
            !accounts::Can(actor, accounts::Action::kReadTerminalData,
                           accounts::Resource::InMunicipality(terminal->second))) {
          continue;
        }
      }
      out.push_back({r.Int(0), r.Text(1), r.Int(2), r.Text(3), std::move(detail)});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return out;
}

Result<std::vector<RefusedTransaction>> TransactionService::Refused(const accounts::Actor& actor,
                                                                    int64_t municipality_id, int limit) {
  PW_RETURN_IF_ERROR(accounts::Require(actor, accounts::Action::kReadTerminalData,
                                       accounts::Resource::InMunicipality(municipality_id)));
  limit = std::clamp(limit, 1, 1000);
  std::vector<RefusedTransaction> out;
  Status status = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT tid, booking_number, kind, occurred_on, refusal, reason, "
                                            "amount_cents, received_at FROM settlement.refused_transactions WHERE "
                                            "municipality_id = $1 ORDER BY received_at DESC, tid, booking_number "
                                            "LIMIT $2",
                                            {municipality_id, int64_t{limit}}));
    for (const Row& r : rows) {
      out.push_back({r.Text(0), r.Int(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5), r.OptInt(6), r.Int(7)});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return out;
}

}  // namespace passwerk::terminals
