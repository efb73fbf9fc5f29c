// Spa-tax tariffs (Kurabgabe) as data: per municipality, versioned by the
// date they take effect. A tariff is a JSON document (docs/guest-cards.md
// describes every field; web/static/tariffs/ holds three real ones), parsed
// and validated here, and the spa tax of a stay is computed from it.
//
// The rules, in the order they are applied for each charged day:
//   * the day's season gives the rate; a day in no season is free;
//   * an age band the guest falls in on the arrival day may reduce it
//     (a percentage to pay, 0 = exempt);
//   * each reduction the guest claims may reduce it (a percentage, or a
//     fixed rate per season);
//   * the lowest of these amounts is charged.
// Age is the age on the arrival day, even if a birthday falls in the stay
// (none of the shipped statutes says otherwise).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/dates.h"
#include "core/status.h"

namespace passwerk::guestcards {

struct Season {
  std::string name;
  int from_month = 1, from_day = 1;  // inclusive; a season may run over the new year (20.12.–05.01.)
  int to_month = 12, to_day = 31;    // inclusive
  int64_t rate_cents = 0;            // per person and charged day
};

// Which days of a stay are charged.
enum class Counting {
  kPerNight,                // every night: arrival … departure − 1
  kArrivalDepartureOneDay,  // calendar days, arrival and departure day together counted once
                            // (the same days as per night, but a same-day visit counts one day)
};

struct AgeBand {
  std::string id;  // e.g. "under_18"
  int from_age = 0;
  int below_age = 0;
  int percent = 0;  // share of the rate to pay: 0 exempt, 50 half
};

struct Reduction {
  std::string id;  // e.g. "severe_disability_80"
  std::string label;
  std::optional<int> percent;                   // share of the rate to pay
  std::map<std::string, int64_t> season_rates;  // or a fixed rate per season name (others: normal rate)
};

struct AnnualRate {
  int64_t rate_cents = 0;
  std::optional<int64_t> reduced_cents;
  std::vector<std::string> reduced_for;  // reduction or age-band ids that give the reduced rate
};

struct Tariff {
  std::string name;
  std::string statute;  // where the figures come from
  Date valid_from;
  Counting counting = Counting::kPerNight;
  std::vector<Season> seasons;
  std::vector<AgeBand> age_bands;
  std::vector<Reduction> reductions;
  std::optional<AnnualRate> annual;
  int group_min_size = 11;  // groups of more than ten: only the leader's data
};

// Validates everything; an error names the field ("seasons[1].to").
Result<Tariff> ParseTariff(const nlohmann::json& document);
Result<Tariff> ParseTariffText(std::string_view text);
nlohmann::json TariffJson(const Tariff& tariff);

// Full years between the two dates.
int AgeOn(const Date& birth_date, const Date& day);
// "0-17", "18-22", "23-27", …, "83+" (the 5-year bands of 001 §3.3.2).
std::string AgeBandLabel(int age);

struct GuestTax {
  int charged_days = 0;
  int64_t amount_cents = 0;
  std::vector<std::string> applied;  // age-band and reduction ids that lowered the amount
};

// kInvalidArgument for a reduction the tariff does not know (field "reductions[i]")
// or a stay the counting rule cannot charge.
Result<GuestTax> ComputeGuestTax(const Tariff& tariff, const Date& arrival, const Date& departure,
                                 const Date& birth_date, const std::vector<std::string>& reductions);
// Group members (only counted, no personal data): the full rate per charged day.
GuestTax ComputeMemberTax(const Tariff& tariff, const Date& arrival, const Date& departure);
// The annual flat rate; kFailedPrecondition when the tariff has none.
Result<int64_t> ComputeAnnualTax(const Tariff& tariff, const Date& birth_date, const Date& on,
                                 const std::vector<std::string>& reductions);
// The season name of a day, or "" when no season charges it.
std::string SeasonOf(const Tariff& tariff, const Date& day);

}  // namespace passwerk::guestcards
