// Whether a card may use a service now (001 §4.1.2, §6): the rules of the
// package kinds, as plain functions of the package, what the card holds and
// the day. The server decides online acceptances and reconciles offline ones
// with them; the reference terminal client decides offline with the same code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dates.h"
#include "core/status.h"

namespace passwerk::terminals {

enum class PackageKind {
  kBase,      // included in every spa-tax ticket: the services, on every day of the stay
  kFlatRate,  // Pauschalpaket: its services, any number of times, within its validity
  kPoints,    // Bonuspunkteticket: each use costs the service's points
  kSingle,    // Einzelleistungsticket: one use
  kDaysOf,    // "N days out of M": any N days within M days from the first use
};
std::string_view PackageKindName(PackageKind kind);
std::optional<PackageKind> ParsePackageKind(std::string_view name);

struct PackageRule {
  int64_t id = 0;
  std::string package_number;
  PackageKind kind = PackageKind::kFlatRate;
  std::string name;
  int64_t price_cents = 0;
  Date sale_from, sale_to;  // when it may be sold
  int validity_days = 0;    // from the day of sale (flat rate, points, single, days-of: the latest first use)
  int days = 0;             // days-of: N
  int window_days = 0;      // days-of: M
  int64_t points = 0;       // points ticket: the points it starts with
  std::vector<std::string> service_numbers;
  bool Covers(std::string_view service_number) const;
};

// A package on a card: what is left of it.
struct Holding {
  Date valid_from, valid_to;
  int64_t points_left = 0;
  std::vector<Date> used_days;  // days-of: the distinct days used, sorted
  int64_t uses = 0;
};

// The holding a sale creates. The validity written on the card wins where the
// sale line carries one; otherwise it runs validity_days from the sale day.
Holding NewHolding(const PackageRule& package, const Date& sale_day, std::optional<Date> valid_from = std::nullopt,
                   std::optional<Date> valid_to = std::nullopt);
// The base package for a stay.
Holding StayHolding(const Date& arrival, const Date& departure);

enum class Denial {
  kNone,
  kBlocked,           // the card is blocked (lost, replaced, misuse)
  kNotValidToday,     // outside the stay or the package's validity
  kNoSuchPackage,     // the card holds no package with this service
  kPackageUsedUp,     // single use taken, points spent, N days used
  kUnknownCard,       // the card is not in service
  kUnknownService,    // no such service in the catalogue
};
std::string_view DenialName(Denial denial);
// How the reasons rank when several packages could serve: the most telling wins.
int DenialRank(Denial denial);

struct Decision {
  Denial denial = Denial::kNone;
  bool allowed() const { return denial == Denial::kNone; }
  Holding after;  // the holding after the use (unchanged when denied)
  // What remains, for the answer to the terminal.
  std::optional<int> days_left;
  std::optional<int64_t> points_left;
  Date valid_to;
};

// One use of `service_points` on `day` of a package held as `holding`.
Decision Decide(const PackageRule& package, const Holding& holding, int64_t service_points, const Date& day);

// used_days as stored: "2026-07-14,2026-07-16".
std::string FormatDays(const std::vector<Date>& days);
Result<std::vector<Date>> ParseDays(std::string_view text);

}  // namespace passwerk::terminals
