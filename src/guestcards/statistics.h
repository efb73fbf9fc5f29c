// Statistics on the spa-tax segment (001 §3.7): computed within that one
// segment only, never joined with another, never on card_link, card_usage or
// history. Overnight stays and spa tax of active registrations by arrival
// month, origin, age band or accommodation; a cell with fewer than
// kMinCellGuests guests is suppressed, so no one stands out — and when only
// one cell is, the smallest other one too, so that the total does not give
// it away.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "accounts/accounts.h"
#include "core/status.h"
#include "storage/database.h"

namespace passwerk::guestcards {

constexpr int64_t kMinCellGuests = 5;

enum class StatisticsBy { kMonth, kOrigin, kAgeBand, kAccommodation };
std::optional<StatisticsBy> ParseStatisticsBy(std::string_view text);
std::string_view StatisticsByName(StatisticsBy by);

struct StatisticsCell {
  std::string key;  // "2026-03", "DE-SH", "18-22", an accommodation's internal id; "unknown" for group members' age
  bool suppressed = false;
  int64_t guests = 0;
  int64_t overnight_stays = 0;
  int64_t spa_tax_cents = 0;
};

struct SpaTaxStatistics {
  int64_t municipality_id = 0;
  std::string municipality_number;  // filled by StatisticsService
  int year = 0;
  StatisticsBy by = StatisticsBy::kMonth;
  std::vector<StatisticsCell> cells;  // ordered by key
  StatisticsCell total;               // suppressed too when under the threshold
};

// Office staff of the municipality, auditors and operators; landlords never.
Result<SpaTaxStatistics> ComputeSpaTaxStatistics(storage::Database& db, const accounts::Actor& actor,
                                                 int64_t municipality_id, int year, StatisticsBy by);
// Semicolon-separated, UTF-8 with BOM, as German spreadsheet programs open it.
std::string StatisticsCsv(const SpaTaxStatistics& statistics);
// "kurabgabe-2026-month.csv"
std::string StatisticsCsvFileName(const SpaTaxStatistics& statistics);

class RegistrationService;

// Statistics as staff ask for them, by API and page alike: the municipality by
// its number, who may read it, the computation, and accommodations labelled.
class StatisticsService {
 public:
  StatisticsService(storage::Database& db, accounts::AccountService& accounts, RegistrationService& registrations);

  // The municipality numbered `municipality_number`, or the actor's own when it
  // is empty (NotFound when there is none). Accommodations are labelled with
  // their names for pages, with their public ids for the API.
  Result<SpaTaxStatistics> Compute(const accounts::Actor& actor, const std::string& municipality_number, int year,
                                   StatisticsBy by, bool accommodations_by_name);
  // Where a staff member's statistics open: their own municipality, else the
  // first one (operators and auditors); empty when there is none.
  std::string DefaultMunicipality(const accounts::Actor& actor);

 private:
  storage::Database& db_;
  accounts::AccountService& accounts_;
  RegistrationService& registrations_;
};

}  // namespace passwerk::guestcards
