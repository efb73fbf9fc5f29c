#include "guestcards/statistics.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "guestcards/registrations.h"

namespace passwerk::guestcards {
namespace {

using storage::Row;
using storage::Rows;
using storage::Tx;

std::string KeyExpression(StatisticsBy by) {
  switch (by) {
    case StatisticsBy::kMonth:
      return "substr(r.arrival, 1, 7)";
    case StatisticsBy::kOrigin:
      return "r.origin";
    case StatisticsBy::kAgeBand:
      return "g.age_band";
    case StatisticsBy::kAccommodation:
      return "CAST(r.accommodation_id AS TEXT)";
  }
  return "r.origin";
}

bool MayRead(const accounts::Actor& actor, int64_t municipality_id) {
  return accounts::Can(actor, accounts::Action::kReadStatistics, accounts::Resource::InMunicipality(municipality_id));
}

void Suppress(StatisticsCell& cell) {
  if (cell.guests >= kMinCellGuests) return;
  cell.suppressed = true;
  cell.guests = cell.overnight_stays = cell.spa_tax_cents = 0;
}

}  // namespace

std::optional<StatisticsBy> ParseStatisticsBy(std::string_view text) {
  for (auto by : {StatisticsBy::kMonth, StatisticsBy::kOrigin, StatisticsBy::kAgeBand, StatisticsBy::kAccommodation}) {
    if (StatisticsByName(by) == text) return by;
  }
  return std::nullopt;
}

std::string_view StatisticsByName(StatisticsBy by) {
  switch (by) {
    case StatisticsBy::kMonth:
      return "month";
    case StatisticsBy::kOrigin:
      return "origin";
    case StatisticsBy::kAgeBand:
      return "age_band";
    case StatisticsBy::kAccommodation:
      return "accommodation";
  }
  return "month";
}

Result<SpaTaxStatistics> ComputeSpaTaxStatistics(storage::Database& db, const accounts::Actor& actor,
                                                 int64_t municipality_id, int year, StatisticsBy by) {
  if (!MayRead(actor, municipality_id)) return PermissionDenied("you may not read these statistics");
  if (year < 2000 || year > 2999) return InvalidArgument("year must be 2000 to 2999", "year");
  SpaTaxStatistics out;
  out.municipality_id = municipality_id;
  out.year = year;
  out.by = by;
  std::map<std::string, StatisticsCell> cells;
  const std::string key = KeyExpression(by);
  const std::string from = std::to_string(year) + "-01-01";
  const std::string to = std::to_string(year) + "-12-31";
  Status read = db.Read([&](Tx& tx) -> Status {
    // Guests with their own data.
    PW_ASSIGN_OR_RETURN(
        Rows guests,
        tx.Query("SELECT " + key +
                     " AS k, COUNT(*), CAST(SUM(g.nights) AS BIGINT), CAST(SUM(g.amount_cents) AS BIGINT) FROM "
                     "spa_tax.registrations r JOIN spa_tax.registration_guests g ON "
                     "g.registration_number = r.registration_number WHERE r.state = 'active' AND "
                     "r.municipality_id = $1 AND r.arrival >= $2 AND r.arrival <= $3 GROUP BY " +
                     key,
                 {municipality_id, from, to}));
    for (const Row& row : guests) {
      StatisticsCell& cell = cells[row.Text(0)];
      cell.guests += row.Int(1);
      cell.overnight_stays += row.Int(2);
      cell.spa_tax_cents += row.Int(3);
    }
    // Group members: only counted (the leader is guest 0); their age is unknown.
    const bool by_age = by == StatisticsBy::kAgeBand;
    const std::string member_key = by_age ? "'unknown'" : key;
    PW_ASSIGN_OR_RETURN(Rows members,
                        tx.Query("SELECT " + member_key +
                                     " AS k, CAST(COALESCE(SUM(r.group_size - 1), 0) AS BIGINT), "
                                     "CAST(COALESCE(SUM((r.group_size - 1) * g.nights), 0) AS BIGINT), "
                                     "CAST(COALESCE(SUM(r.total_cents - g.amount_cents), 0) AS BIGINT) FROM "
                                     "spa_tax.registrations r JOIN spa_tax.registration_guests g ON "
                                     "g.registration_number = r.registration_number AND g.guest_index = 0 WHERE "
                                     "r.state = 'active' AND r.group_size IS NOT NULL AND r.municipality_id = $1 AND "
                                     "r.arrival >= $2 AND r.arrival <= $3" +
                                     (by_age ? std::string() : " GROUP BY " + key),
                                 {municipality_id, from, to}));
    for (const Row& row : members) {
      if (row.Int(1) == 0) continue;
      StatisticsCell& cell = cells[row.Text(0)];
      cell.guests += row.Int(1);
      cell.overnight_stays += row.Int(2);
      cell.spa_tax_cents += row.Int(3);
    }
    return Status::Ok();
  });
  if (!read.ok()) return read;
  for (auto& [k, cell] : cells) {
    cell.key = k;
    out.total.guests += cell.guests;
    out.total.overnight_stays += cell.overnight_stays;
    out.total.spa_tax_cents += cell.spa_tax_cents;
    out.cells.push_back(cell);
  }
  // Primary suppression, then secondary: a single suppressed cell would be
  // the total minus the others, so the smallest other cell goes too.
  size_t suppressed = 0;
  for (auto& cell : out.cells) {
    if (cell.guests < kMinCellGuests) ++suppressed;
    Suppress(cell);
  }
  if (suppressed == 1 && out.cells.size() > 1) {
    StatisticsCell* smallest = nullptr;
    for (auto& cell : out.cells) {
      if (!cell.suppressed && (smallest == nullptr || cell.guests < smallest->guests)) smallest = &cell;
    }
    if (smallest != nullptr) {
      smallest->suppressed = true;
      smallest->guests = smallest->overnight_stays = smallest->spa_tax_cents = 0;
    }
  }
  out.total.key = "total";
  Suppress(out.total);
  return out;
}

std::string StatisticsCsv(const SpaTaxStatistics& s) {
  std::string csv = "\xEF\xBB\xBF";
  csv += std::string(StatisticsByName(s.by)) + ";guests;overnight_stays;spa_tax_eur\r\n";
  auto line = [&](const StatisticsCell& c) {
    csv += c.key + ";";
    if (c.suppressed) {
      csv += "x;;\r\n";  // suppressed (the official statistics' sign for "kept secret")
      return;
    }
    char euros[32];
    std::snprintf(euros, sizeof euros, "%lld,%02lld", static_cast<long long>(c.spa_tax_cents / 100),
                  static_cast<long long>(c.spa_tax_cents % 100));
    csv += std::to_string(c.guests) + ";" + std::to_string(c.overnight_stays) + ";" + euros + "\r\n";
  };
  for (const auto& c : s.cells) line(c);
  line(s.total);
  return csv;
}

std::string StatisticsCsvFileName(const SpaTaxStatistics& statistics) {
  return "kurabgabe-" + std::to_string(statistics.year) + "-" + std::string(StatisticsByName(statistics.by)) + ".csv";
}

StatisticsService::StatisticsService(storage::Database& db, accounts::AccountService& accounts,
                                     RegistrationService& registrations)
    : db_(db), accounts_(accounts), registrations_(registrations) {}

Result<SpaTaxStatistics> StatisticsService::Compute(const accounts::Actor& actor,
                                                    const std::string& municipality_number, int year, StatisticsBy by,
                                                    bool accommodations_by_name) {
  auto municipality = accounts_.MunicipalityFor(actor, municipality_number);
  if (!municipality.ok()) return NotFound("no such municipality", "municipality");
  const accounts::Municipality* found = &*municipality;
  PW_ASSIGN_OR_RETURN(SpaTaxStatistics statistics, ComputeSpaTaxStatistics(db_, actor, found->id, year, by));
  statistics.municipality_number = found->municipality_number;
  registrations_.LabelAccommodations(actor, statistics, accommodations_by_name);
  return statistics;
}

std::string StatisticsService::DefaultMunicipality(const accounts::Actor& actor) {
  auto municipalities = accounts_.ListMunicipalities();
  if (!municipalities.ok() || !actor.user) return "";
  for (const accounts::Municipality& m : *municipalities) {
    if (actor.user->municipality_id == m.id) return m.municipality_number;
  }
  if (MayRead(actor, municipalities->empty() ? 0 : municipalities->front().id) && !municipalities->empty()) {
    return municipalities->front().municipality_number;
  }
  return "";
}

}  // namespace passwerk::guestcards
