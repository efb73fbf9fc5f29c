// Settlement between service providers (Leistungsabrechnung, issue 5, 001
// §3.6): per municipality and calendar month, the revenue of the packages sold
// on terminals is distributed to the providers — by the package's fixed
// shares, else by the acceptances recorded for it — and the payments each
// terminal took are reconciled with what it sold. Statements are drafts until
// closed; a closed statement never changes, a correction is a new version.
//
// Everything here reads and writes the settlement segment and the catalogue in
// core: no card number, card-cycle id or registration number exists in either,
// so none can reach a statement or a report. Rules: docs/settlement.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "accounts/accounts.h"
#include "core/clock.h"
#include "core/status.h"
#include "storage/database.h"
#include "storage/idempotency.h"

namespace passwerk::settlement {

// How a package's revenue was distributed.
inline constexpr std::string_view kBasisShares = "shares";            // fixed shares set by the municipality
inline constexpr std::string_view kBasisAcceptances = "acceptances";  // recorded acceptances in the period
inline constexpr std::string_view kBasisUnallocated = "unallocated";  // neither: nobody to pay

inline constexpr std::string_view kStateDraft = "draft";
inline constexpr std::string_view kStateClosed = "closed";

// One provider's part of one package's revenue, or (vu_number empty, basis
// "unallocated") the revenue of a package nobody can be paid for.
struct StatementLine {
  int64_t line = 0;  // 1, 2, … in package, then VU-number order
  std::string vu_number;
  std::string provider_name;
  std::string package_number;
  std::string package_name;
  std::string basis;
  int64_t package_revenue_cents = 0;  // the whole package's revenue in the period
  int64_t acceptances = 0;            // this provider's acceptances of the package in the period
  int64_t share_permille = 0;         // basis "shares": the fixed share; else 0
  int64_t amount_cents = 0;           // what the provider receives (negative: pays back)
};

// Kassenabgleich: what one terminal took in, against what it sold.
struct TerminalReconciliation {
  std::string tid;
  std::string vu_number;
  std::string provider_name;
  int64_t cash_cents = 0;        // cash payments of purchases minus cash paid back for credits
  int64_t card_cents = 0;        // the same for card payments
  int64_t sold_cents = 0;        // prices of the lines written to cards, purchases minus credits
  int64_t difference_cents = 0;  // cash + card - sold; 0 when the terminal's books balance
};

struct Statement {
  int64_t id = 0;
  int64_t municipality_id = 0;
  std::string municipality_number;
  std::string municipality_name;
  std::string period;  // YYYY-MM
  int64_t version = 1;
  std::string state;                // draft, closed
  std::optional<int64_t> corrects;  // the closed statement this one corrects
  int64_t revenue_cents = 0;
  int64_t unallocated_cents = 0;
  int64_t created_at = 0;  // when the figures were computed
  std::optional<int64_t> closed_at;
  std::vector<StatementLine> lines;               // empty in lists
  std::vector<TerminalReconciliation> terminals;  // empty in lists
};

// Splits `total` (may be negative) in proportion to `weights` (each >= 0, at
// least one > 0) so that the parts add up to exactly `total`: every part gets
// the floor of its exact share, and the cents left over go one each to the
// largest remainders, ties to the lower index. A negative total is split as
// its absolute value and negated, so a credit mirrors a sale.
std::vector<int64_t> SplitLargestRemainder(int64_t total, const std::vector<int64_t>& weights);

// Numbers of 1–8 digits (VU, package) in numeric order: "99" before
// "100200"; leading zeros do not change the value, the text then decides.
bool NumberLess(const std::string& a, const std::string& b);

// "2026-07" → the first and last day ("2026-07-01", "2026-07-31"); nullopt
// unless a real month of the years 2000–2999.
std::optional<std::pair<std::string, std::string>> PeriodDays(std::string_view period);

class SettlementService {
 public:
  // `db` must see core, audit and settlement.
  SettlementService(storage::Database& db, const Clock& clock);

  // Computes the period and stores it as the draft: replaces the current
  // draft, or after a closed statement starts version + 1 correcting it.
  // With `idempotent`, the answer is kept in settlement (storage/idempotency.h).
  Result<Statement> Run(const accounts::Actor& actor, int64_t municipality_id, const std::string& period,
                        storage::Idempotent<Statement>* idempotent = nullptr);
  // Closes a draft; from then on it never changes.
  Result<Statement> Close(const accounts::Actor& actor, int64_t statement_id);

  // Newest period first, then newest version; without lines. A municipality
  // of 0 lists every municipality the actor may read.
  Result<std::vector<Statement>> List(const accounts::Actor& actor, int64_t municipality_id);
  Result<Statement> Get(const accounts::Actor& actor, int64_t statement_id);
  // The latest version of a period, or the given one.
  Result<Statement> Find(const accounts::Actor& actor, int64_t municipality_id, const std::string& period,
                         std::optional<int64_t> version);

  Status MayRun(const accounts::Actor& actor, int64_t municipality_id) const;
  Status MayRead(const accounts::Actor& actor, int64_t municipality_id) const;

 private:
  storage::Database& db_;
  const Clock& clock_;
};

}  // namespace passwerk::settlement
