// Settlement: figures from one consistent snapshot, stored as a draft in one
// write transaction that re-checks the draft is still a draft, so a statement
// closed in between is never touched.
#include "settlement/settlement.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "audit/audit_log.h"
#include "core/dates.h"

namespace passwerk::settlement {
namespace {

using storage::Params;
using storage::Row;
using storage::Rows;
using storage::Tx;
using storage::Value;

// Whether the actor reads some municipality's statements at all; to them
// another municipality's statement is "not found" rather than "forbidden".
bool MayReadAny(const accounts::Actor& actor) { return accounts::Can(actor, accounts::Action::kReadSettlement); }

struct CatalogueEntry {
  std::string number, name, kind;
};
struct ProviderEntry {
  std::string vu_number, name;
};

// What a run computes; stored as it is.
struct Figures {
  int64_t revenue_cents = 0;
  int64_t unallocated_cents = 0;
  std::vector<StatementLine> lines;
  std::vector<TerminalReconciliation> terminals;
};

Result<Figures> Compute(Tx& tx, int64_t municipality_id, const std::string& first_day, const std::string& last_day) {
  Figures out;
  std::map<int64_t, CatalogueEntry> packages;
  PW_ASSIGN_OR_RETURN(Rows package_rows, tx.Query("SELECT id, package_number, name, kind FROM core.packages WHERE "
                                                  "municipality_id = $1",
                                                  {municipality_id}));
  for (const Row& r : package_rows) packages[r.Int(0)] = {r.Text(1), r.Text(2), r.Text(3)};
  std::map<int64_t, ProviderEntry> providers;
  PW_ASSIGN_OR_RETURN(Rows provider_rows, tx.Query("SELECT id, vu_number, name FROM core.providers WHERE "
                                                   "municipality_id = $1",
                                                   {municipality_id}));
  for (const Row& r : provider_rows) providers[r.Int(0)] = {r.Text(1), r.Text(2)};
  auto provider_of = [&](int64_t id) -> Result<const ProviderEntry*> {
    auto it = providers.find(id);
    if (it == providers.end()) return Internal("settlement: provider " + std::to_string(id) + " not in the catalogue");
    return &it->second;
  };

  // package id → provider id → per mille
  std::map<int64_t, std::map<int64_t, int64_t>> shares;
  PW_ASSIGN_OR_RETURN(Rows share_rows, tx.Query("SELECT s.package_id, s.provider_id, s.share_permille FROM "
                                                "core.package_shares s JOIN core.packages p ON p.id = s.package_id "
                                                "WHERE p.municipality_id = $1",
                                                {municipality_id}));
  for (const Row& r : share_rows) shares[r.Int(0)][r.Int(1)] = r.Int(2);

  const Params period = {municipality_id, first_day, last_day};
  // Written lines only: a package that could not be written to the card was
  // neither delivered nor (by the protocol) paid for.
  std::map<int64_t, int64_t> revenue;
  PW_ASSIGN_OR_RETURN(
      Rows revenue_rows,
      tx.Query("SELECT l.package_id, CAST(COALESCE(SUM(CASE WHEN t.kind = 'credit' THEN -l.price_cents ELSE "
               "l.price_cents END), 0) AS BIGINT) FROM settlement.transactions t JOIN settlement.sale_lines l ON "
               "l.tid = t.tid AND l.booking_number = t.booking_number WHERE t.municipality_id = $1 AND "
               "t.occurred_on BETWEEN $2 AND $3 AND t.kind IN ('purchase', 'credit') AND l.written = 1 GROUP BY "
               "l.package_id",
               period));
  for (const Row& r : revenue_rows) revenue[r.Int(0)] = r.Int(1);

  // package id → provider id → acceptances
  std::map<int64_t, std::map<int64_t, int64_t>> acceptances;
  PW_ASSIGN_OR_RETURN(
      Rows acceptance_rows,
      tx.Query("SELECT t.package_id, s.provider_id, COUNT(*) FROM settlement.transactions t JOIN core.services s ON "
               "s.id = t.service_id WHERE t.municipality_id = $1 AND t.occurred_on BETWEEN $2 AND $3 AND t.kind = "
               "'acceptance' AND t.package_id IS NOT NULL GROUP BY t.package_id, s.provider_id",
               period));
  for (const Row& r : acceptance_rows) acceptances[r.Int(0)][r.Int(1)] = r.Int(2);

  // Packages in package-number order, so line numbers read like the catalogue.
  std::vector<int64_t> order;
  for (const auto& [package_id, cents] : revenue) {
    auto it = packages.find(package_id);
    if (it == packages.end()) {
      return Internal("settlement: package " + std::to_string(package_id) + " not in the municipality's catalogue");
    }
    // The base package comes with the spa-tax ticket: never revenue (terminals cannot sell it either).
    if (it->second.kind == "base" || cents == 0) continue;
    order.push_back(package_id);
  }
  std::sort(order.begin(), order.end(),
            [&](int64_t a, int64_t b) { return NumberLess(packages[a].number, packages[b].number); });

  for (int64_t package_id : order) {
    const CatalogueEntry& package = packages[package_id];
    const int64_t cents = revenue[package_id];
    out.revenue_cents += cents;
    StatementLine base;
    base.package_number = package.number;
    base.package_name = package.name;
    base.package_revenue_cents = cents;

    // Recipients in VU-number order: the order that breaks ties for the last cents.
    struct Recipient {
      int64_t provider_id;
      const ProviderEntry* provider;
      int64_t weight;
    };
    std::vector<Recipient> recipients;
    std::string_view basis = kBasisUnallocated;
    const auto& accepted = acceptances[package_id];
    if (auto s = shares.find(package_id); s != shares.end() && !s->second.empty()) {
      basis = kBasisShares;
      for (const auto& [provider_id, permille] : s->second) {
        PW_ASSIGN_OR_RETURN(const ProviderEntry* p, provider_of(provider_id));
        recipients.push_back({provider_id, p, permille});
      }
    } else if (!accepted.empty()) {
      basis = kBasisAcceptances;
      for (const auto& [provider_id, count] : accepted) {
        PW_ASSIGN_OR_RETURN(const ProviderEntry* p, provider_of(provider_id));
        recipients.push_back({provider_id, p, count});
      }
    }
    int64_t weight_sum = 0;
    for (const auto& r : recipients) weight_sum += r.weight;
    if (weight_sum <= 0) {
      StatementLine line = base;
      line.basis = std::string(kBasisUnallocated);
      line.amount_cents = cents;
      out.unallocated_cents += cents;
      out.lines.push_back(std::move(line));
      continue;
    }
    std::sort(recipients.begin(), recipients.end(), [](const Recipient& a, const Recipient& b) {
      return NumberLess(a.provider->vu_number, b.provider->vu_number);
    });
    std::vector<int64_t> weights;
    for (const auto& r : recipients) weights.push_back(r.weight);
    std::vector<int64_t> amounts = SplitLargestRemainder(cents, weights);
    for (size_t i = 0; i < recipients.size(); ++i) {
      StatementLine line = base;
      line.vu_number = recipients[i].provider->vu_number;
      line.provider_name = recipients[i].provider->name;
      line.basis = std::string(basis);
      auto count = accepted.find(recipients[i].provider_id);
      line.acceptances = count == accepted.end() ? 0 : count->second;
      line.share_permille = basis == kBasisShares ? recipients[i].weight : 0;
      line.amount_cents = amounts[i];
      out.lines.push_back(std::move(line));
    }
  }
  for (size_t i = 0; i < out.lines.size(); ++i) out.lines[i].line = static_cast<int64_t>(i) + 1;

  // Kassenabgleich per terminal: payments by method against written lines.
  std::map<std::string, TerminalReconciliation> terminals;
  std::map<std::string, int64_t> terminal_provider;
  PW_ASSIGN_OR_RETURN(
      Rows payment_rows,
      tx.Query("SELECT tid, MAX(provider_id), payment_method, CAST(COALESCE(SUM(CASE WHEN kind = 'credit' THEN "
               "-payment_cents ELSE payment_cents END), 0) AS BIGINT) FROM settlement.transactions WHERE "
               "municipality_id = $1 AND occurred_on BETWEEN $2 AND $3 AND kind IN ('purchase', 'credit') GROUP BY "
               "tid, payment_method",
               period));
  for (const Row& r : payment_rows) {
    TerminalReconciliation& t = terminals[r.Text(0)];
    t.tid = r.Text(0);
    terminal_provider[t.tid] = std::max(terminal_provider[t.tid], r.Int(1));
    if (r.Text(2) == "cash") t.cash_cents += r.Int(3);
    if (r.Text(2) == "card") t.card_cents += r.Int(3);
  }
  PW_ASSIGN_OR_RETURN(
      Rows sold_rows,
      tx.Query("SELECT t.tid, CAST(COALESCE(SUM(CASE WHEN t.kind = 'credit' THEN -l.price_cents ELSE l.price_cents "
               "END), 0) AS BIGINT) FROM settlement.transactions t JOIN settlement.sale_lines l ON l.tid = t.tid AND "
               "l.booking_number = t.booking_number WHERE t.municipality_id = $1 AND t.occurred_on BETWEEN $2 AND $3 "
               "AND t.kind IN ('purchase', 'credit') AND l.written = 1 GROUP BY t.tid",
               period));
  for (const Row& r : sold_rows) {
    // Every such transaction also appeared above: its terminal is known.
    terminals[r.Text(0)].sold_cents = r.Int(1);
  }
  for (auto& [tid, t] : terminals) {
    PW_ASSIGN_OR_RETURN(const ProviderEntry* p, provider_of(terminal_provider[tid]));
    t.tid = tid;
    t.vu_number = p->vu_number;
    t.provider_name = p->name;
    t.difference_cents = t.cash_cents + t.card_cents - t.sold_cents;
    out.terminals.push_back(t);
  }
  return out;
}

constexpr const char* kStatementColumns =
    "s.id, s.municipality_id, m.municipality_number, m.name, s.period, s.version, s.state, s.corrects, "
    "s.revenue_cents, s.unallocated_cents, s.created_at, s.closed_at";

Statement StatementFrom(const Row& r) {
  Statement s;
  s.id = r.Int(0);
  s.municipality_id = r.Int(1);
  s.municipality_number = r.Text(2);
  s.municipality_name = r.Text(3);
  s.period = r.Text(4);
  s.version = r.Int(5);
  s.state = r.Text(6);
  s.corrects = r.OptInt(7);
  s.revenue_cents = r.Int(8);
  s.unallocated_cents = r.Int(9);
  s.created_at = r.Int(10);
  s.closed_at = r.OptInt(11);
  return s;
}

Result<Statement> LoadStatement(Tx& tx, int64_t id) {
  PW_ASSIGN_OR_RETURN(Rows rows, tx.Query(std::string("SELECT ") + kStatementColumns +
                                              " FROM settlement.statements s JOIN core.municipalities m ON m.id = "
                                              "s.municipality_id WHERE s.id = $1",
                                          {id}));
  if (rows.empty()) return NotFound("no such statement", "statement");
  Statement s = StatementFrom(rows[0]);
  PW_ASSIGN_OR_RETURN(Rows lines, tx.Query("SELECT line, vu_number, provider_name, package_number, package_name, "
                                           "basis, package_revenue_cents, acceptances, share_permille, amount_cents "
                                           "FROM settlement.statement_lines WHERE statement_id = $1 ORDER BY line",
                                           {id}));
  for (const Row& r : lines) {
    s.lines.push_back(
        {r.Int(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5), r.Int(6), r.Int(7), r.Int(8), r.Int(9)});
  }
  PW_ASSIGN_OR_RETURN(Rows payments, tx.Query("SELECT tid, vu_number, provider_name, cash_cents, card_cents, "
                                              "sold_cents, difference_cents FROM settlement.statement_payments WHERE "
                                              "statement_id = $1 ORDER BY tid",
                                              {id}));
  for (const Row& r : payments)
    s.terminals.push_back({r.Text(0), r.Text(1), r.Text(2), r.Int(3), r.Int(4), r.Int(5), r.Int(6)});
  return s;
}

Status StoreDetails(Tx& tx, int64_t id, const Figures& figures) {
  for (const StatementLine& l : figures.lines) {
    PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO settlement.statement_lines (statement_id, line, vu_number, provider_name, "
                               "package_number, package_name, basis, package_revenue_cents, acceptances, "
                               "share_permille, amount_cents) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                               {id, l.line, l.vu_number, l.provider_name, l.package_number, l.package_name, l.basis,
                                l.package_revenue_cents, l.acceptances, l.share_permille, l.amount_cents})
                           .status());
  }
  for (const TerminalReconciliation& t : figures.terminals) {
    PW_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO settlement.statement_payments (statement_id, tid, vu_number, "
                "provider_name, cash_cents, card_cents, sold_cents, difference_cents) VALUES ($1, $2, "
                "$3, $4, $5, $6, $7, $8)",
                {id, t.tid, t.vu_number, t.provider_name, t.cash_cents, t.card_cents, t.sold_cents, t.difference_cents})
            .status());
  }
  return Status::Ok();
}

}  // namespace

namespace {
// Products of an amount and a weight need 128 bits (GCC and Clang have them;
// __extension__ tells -Wpedantic we know).
__extension__ typedef __int128 Wide;
}  // namespace

std::vector<int64_t> SplitLargestRemainder(int64_t total, const std::vector<int64_t>& weights) {
  std::vector<int64_t> parts(weights.size(), 0);
  Wide weight_sum = 0;
  for (int64_t w : weights) weight_sum += w > 0 ? w : 0;
  if (weights.empty() || weight_sum == 0) return parts;
  const bool negative = total < 0;
  // |INT64_MIN| does not fit 64 bits either.
  const Wide amount = negative ? -static_cast<Wide>(total) : static_cast<Wide>(total);
  std::vector<Wide> remainders(weights.size(), 0);
  Wide handed_out = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const Wide exact = amount * (weights[i] > 0 ? weights[i] : 0);
    parts[i] = static_cast<int64_t>(exact / weight_sum);
    remainders[i] = exact % weight_sum;
    handed_out += parts[i];
  }
  std::vector<size_t> by_remainder(weights.size());
  for (size_t i = 0; i < by_remainder.size(); ++i) by_remainder[i] = i;
  std::stable_sort(by_remainder.begin(), by_remainder.end(),
                   [&](size_t a, size_t b) { return remainders[a] > remainders[b]; });
  // Fewer cents are left than there are parts (each remainder is below one cent).
  for (size_t k = 0; handed_out < amount; ++k, ++handed_out) ++parts[by_remainder[k]];
  if (negative) {
    for (int64_t& p : parts) p = -p;
  }
  return parts;
}

bool NumberLess(const std::string& a, const std::string& b) {
  auto strip = [](const std::string& s) {
    size_t first = s.find_first_not_of('0');
    return first == std::string::npos ? std::string_view() : std::string_view(s).substr(first);
  };
  std::string_view x = strip(a), y = strip(b);
  if (x.size() != y.size()) return x.size() < y.size();
  if (x != y) return x < y;
  return a < b;
}

std::optional<std::pair<std::string, std::string>> PeriodDays(std::string_view period) {
  if (period.size() != 7 || period[4] != '-') return std::nullopt;
  auto first = ParseIsoDate(std::string(period) + "-01");
  if (!first || first->year < 2000 || first->year > 2999) return std::nullopt;
  Date last = *first;
  last.day = DaysInMonth(first->year, first->month);
  return std::make_pair(FormatIsoDate(*first), FormatIsoDate(last));
}

SettlementService::SettlementService(storage::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

Status SettlementService::MayRun(const accounts::Actor& actor, int64_t municipality_id) const {
  return accounts::Require(actor, accounts::Action::kRunSettlement,
                           accounts::Resource::InMunicipality(municipality_id));
}

Status SettlementService::MayRead(const accounts::Actor& actor, int64_t municipality_id) const {
  // Auditors reach every municipality (accounts/policy.cpp): they audit every one.
  return accounts::Require(actor, accounts::Action::kReadSettlement,
                           accounts::Resource::InMunicipality(municipality_id));
}

Result<Statement> SettlementService::Run(const accounts::Actor& actor, int64_t municipality_id,
                                         const std::string& period, storage::Idempotent<Statement>* idempotent) {
  auto days = PeriodDays(period);
  if (!days) return InvalidArgument("the period is a month as YYYY-MM", "period");
  PW_RETURN_IF_ERROR(MayRun(actor, municipality_id));

  // The figures from one snapshot (REPEATABLE READ on PostgreSQL): an upload
  // committing meanwhile is either wholly in them or wholly absent.
  Figures figures;
  Status read = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows m, tx.Query("SELECT id FROM core.municipalities WHERE id = $1", {municipality_id}));
    if (m.empty()) return NotFound("no such municipality", "municipality");
    PW_ASSIGN_OR_RETURN(figures, Compute(tx, municipality_id, days->first, days->second));
    return Status::Ok();
  });
  if (!read.ok()) return read;

  Statement result;
  // What providers are paid for, no personal data: kept in settlement, unsealed.
  const storage::AnswerStore answers{storage::Segment::kSettlement};
  Status status = storage::WriteIdempotently(db_, idempotent, answers, result, [&](Tx& tx) -> Status {
    const int64_t now = clock_.NowUnix();
    PW_ASSIGN_OR_RETURN(Rows latest, tx.Query("SELECT id, version, state FROM settlement.statements WHERE "
                                              "municipality_id = $1 AND period = $2 ORDER BY version DESC LIMIT 1",
                                              {municipality_id, period}));
    int64_t id = 0;
    int64_t version = 1;
    std::optional<int64_t> corrects;
    if (!latest.empty() && latest[0].Text(2) == kStateDraft) {
      id = latest[0].Int(0);
      version = latest[0].Int(1);
      // The state condition makes a concurrent Close and this run exclude each
      // other: whichever comes second sees the other's result.
      PW_ASSIGN_OR_RETURN(int64_t updated,
                          tx.Exec("UPDATE settlement.statements SET revenue_cents = $1, unallocated_cents = $2, "
                                  "created_at = $3 WHERE id = $4 AND state = 'draft'",
                                  {figures.revenue_cents, figures.unallocated_cents, now, id}));
      if (updated != 1) return Unavailable("the draft was closed meanwhile; run the period again");
      PW_RETURN_IF_ERROR(tx.Exec("DELETE FROM settlement.statement_lines WHERE statement_id = $1", {id}).status());
      PW_RETURN_IF_ERROR(tx.Exec("DELETE FROM settlement.statement_payments WHERE statement_id = $1", {id}).status());
    } else {
      if (!latest.empty()) {
        version = latest[0].Int(1) + 1;
        corrects = latest[0].Int(0);
      }
      Value corrects_value = corrects ? Value{*corrects} : Value{};
      auto inserted = tx.QueryOne(
          "INSERT INTO settlement.statements (municipality_id, period, version, state, "
          "corrects, revenue_cents, unallocated_cents, created_at, closed_at) VALUES ($1, $2, "
          "$3, 'draft', $4, $5, $6, $7, NULL) RETURNING id",
          {municipality_id, period, version, corrects_value, figures.revenue_cents, figures.unallocated_cents, now});
      if (!inserted.ok() && inserted.status().code() == ErrorCode::kAlreadyExists) {
        return Unavailable("the period was settled at the same moment by someone else; run it again");
      }
      if (!inserted.ok()) return inserted.status();
      id = inserted->Int(0);
    }
    PW_RETURN_IF_ERROR(StoreDetails(tx, id, figures));
    PW_ASSIGN_OR_RETURN(result, LoadStatement(tx, id));
    nlohmann::json detail = {{"municipality", result.municipality_number},
                             {"period", period},
                             {"version", version},
                             {"revenue_cents", figures.revenue_cents},
                             {"unallocated_cents", figures.unallocated_cents},
                             {"lines", figures.lines.size()},
                             {"terminals", figures.terminals.size()}};
    detail["corrects"] = corrects ? nlohmann::json(*corrects) : nlohmann::json(nullptr);
    return accounts::AuditAs(tx, clock_, actor, "settlement.run", "settlement_statement:" + std::to_string(id), detail);
  });
  if (!status.ok()) return status;
  return result;
}

Result<Statement> SettlementService::Close(const accounts::Actor& actor, int64_t statement_id) {
  Statement result;
  Status status = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(
        Rows rows, tx.Query("SELECT municipality_id, state FROM settlement.statements WHERE id = $1", {statement_id}));
    if (rows.empty()) return NotFound("no such statement", "statement");
    const int64_t municipality_id = rows[0].Int(0);
    if (!MayRead(actor, municipality_id).ok() && MayReadAny(actor)) return NotFound("no such statement", "statement");
    PW_RETURN_IF_ERROR(MayRun(actor, municipality_id));
    if (rows[0].Text(1) != kStateDraft) {
      return FailedPrecondition("the statement is closed already; a correction is a new run", "statement");
    }
    const int64_t now = clock_.NowUnix();
    PW_ASSIGN_OR_RETURN(int64_t updated, tx.Exec("UPDATE settlement.statements SET state = 'closed', closed_at = $1 "
                                                 "WHERE id = $2 AND state = 'draft'",
                                                 {now, statement_id}));
    if (updated != 1) return FailedPrecondition("the statement is closed already", "statement");
    PW_ASSIGN_OR_RETURN(result, LoadStatement(tx, statement_id));
    return accounts::AuditAs(tx, clock_, actor, "settlement.close",
                             "settlement_statement:" + std::to_string(statement_id),
                             {{"municipality", result.municipality_number},
                              {"period", result.period},
                              {"version", result.version},
                              {"revenue_cents", result.revenue_cents}});
  });
  if (!status.ok()) return status;
  return result;
}

Result<std::vector<Statement>> SettlementService::List(const accounts::Actor& actor, int64_t municipality_id) {
  if (municipality_id != 0) {
    PW_RETURN_IF_ERROR(MayRead(actor, municipality_id));
  } else {
    PW_RETURN_IF_ERROR(accounts::Require(actor, accounts::Action::kReadSettlement));
  }
  std::vector<Statement> out;
  Status status = db_.Read([&](Tx& tx) -> Status {
    std::string sql = std::string("SELECT ") + kStatementColumns +
                      " FROM settlement.statements s JOIN core.municipalities m ON m.id = s.municipality_id";
    Params params;
    if (municipality_id != 0) {
      sql += " WHERE s.municipality_id = $1";
      params.push_back(municipality_id);
    }
    sql += " ORDER BY s.period DESC, m.municipality_number, s.version DESC";
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query(sql, params));
    for (const Row& r : rows) {
      Statement s = StatementFrom(r);
      if (MayRead(actor, s.municipality_id).ok()) out.push_back(std::move(s));
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return out;
}

Result<Statement> SettlementService::Get(const accounts::Actor& actor, int64_t statement_id) {
  PW_RETURN_IF_ERROR(accounts::Require(actor, accounts::Action::kReadSettlement));
  Statement out;
  Status status = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(out, LoadStatement(tx, statement_id));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  // Another municipality's statement is not there for this reader.
  if (!MayRead(actor, out.municipality_id).ok()) return NotFound("no such statement", "statement");
  return out;
}

Result<Statement> SettlementService::Find(const accounts::Actor& actor, int64_t municipality_id,
                                          const std::string& period, std::optional<int64_t> version) {
  if (!PeriodDays(period)) return InvalidArgument("the period is a month as YYYY-MM", "period");
  PW_RETURN_IF_ERROR(MayRead(actor, municipality_id));
  std::optional<int64_t> id;
  Status status = db_.Read([&](Tx& tx) -> Status {
    std::string sql = "SELECT id FROM settlement.statements WHERE municipality_id = $1 AND period = $2";
    Params params = {municipality_id, period};
    if (version) {
      sql += " AND version = $3";
      params.push_back(*version);
    }
    sql += " ORDER BY version DESC LIMIT 1";
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query(sql, params));
    if (!rows.empty()) id = rows[0].Int(0);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  if (!id) return NotFound("no statement for this period", "period");
  return Get(actor, *id);
}

}  // namespace passwerk::settlement
