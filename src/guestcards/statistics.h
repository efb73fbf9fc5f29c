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

}  // namespace passwerk::guestcards
