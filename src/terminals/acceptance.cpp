#include "terminals/acceptance.h"

#include <algorithm>

namespace passwerk::terminals {

std::string_view PackageKindName(PackageKind kind) {
  switch (kind) {
    case PackageKind::kBase: return "base";
    case PackageKind::kFlatRate: return "flat_rate";
    case PackageKind::kPoints: return "points";
    case PackageKind::kSingle: return "single";
    case PackageKind::kDaysOf: return "days_of";
  }
  return "flat_rate";
}

std::optional<PackageKind> ParsePackageKind(std::string_view name) {
  for (PackageKind kind : {PackageKind::kBase, PackageKind::kFlatRate, PackageKind::kPoints, PackageKind::kSingle,
                           PackageKind::kDaysOf}) {
    if (PackageKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

bool PackageRule::Covers(std::string_view service_number) const {
  return std::find(service_numbers.begin(), service_numbers.end(), service_number) != service_numbers.end();
}

Holding NewHolding(const PackageRule& package, const Date& sale_day, std::optional<Date> valid_from,
                   std::optional<Date> valid_to) {
  Holding h;
  h.valid_from = valid_from.value_or(sale_day);
  h.valid_to = valid_to.value_or(AddDays(h.valid_from, std::max(package.validity_days, 1) - 1));
  if (h.valid_to < h.valid_from) h.valid_to = h.valid_from;
  h.points_left = package.kind == PackageKind::kPoints ? package.points : 0;
  return h;
}

Holding StayHolding(const Date& arrival, const Date& departure) {
  Holding h;
  h.valid_from = arrival;
  h.valid_to = departure;
  return h;
}

std::string_view DenialName(Denial denial) {
  switch (denial) {
    case Denial::kNone: return "";
    case Denial::kBlocked: return "blocked";
    case Denial::kNotValidToday: return "not_valid_today";
    case Denial::kNoSuchPackage: return "no_such_package";
    case Denial::kPackageUsedUp: return "package_used_up";
    case Denial::kUnknownCard: return "unknown_card";
    case Denial::kUnknownService: return "unknown_service";
  }
  return "";
}

int DenialRank(Denial denial) {
  switch (denial) {
    case Denial::kNone: return 100;
    case Denial::kBlocked: return 90;
    case Denial::kUnknownCard: return 80;
    case Denial::kUnknownService: return 70;
    case Denial::kPackageUsedUp: return 60;
    case Denial::kNotValidToday: return 50;
    case Denial::kNoSuchPackage: return 10;
  }
  return 0;
}

Decision Decide(const PackageRule& package, const Holding& holding, int64_t service_points, const Date& day) {
  Decision d;
  d.after = holding;
  d.valid_to = holding.valid_to;
  auto remaining = [&](const Holding& h) {
    if (package.kind == PackageKind::kPoints) d.points_left = h.points_left;
    if (package.kind == PackageKind::kDaysOf) {
      d.days_left = std::max(0, package.days - static_cast<int>(h.used_days.size()));
      if (!h.used_days.empty()) {
        d.valid_to = std::min(holding.valid_to, AddDays(h.used_days.front(), package.window_days - 1));
      }
    }
  };
  remaining(holding);
  if (day < holding.valid_from) {
    d.denial = Denial::kNotValidToday;
    return d;
  }
  switch (package.kind) {
    case PackageKind::kBase:
    case PackageKind::kFlatRate:
      if (day > holding.valid_to) d.denial = Denial::kNotValidToday;
      break;
    case PackageKind::kSingle:
      if (day > holding.valid_to) {
        d.denial = Denial::kNotValidToday;
      } else if (holding.uses >= 1) {
        d.denial = Denial::kPackageUsedUp;
      }
      break;
    case PackageKind::kPoints:
      if (day > holding.valid_to) {
        d.denial = Denial::kNotValidToday;
      } else if (holding.points_left < service_points) {
        d.denial = Denial::kPackageUsedUp;
      } else {
        d.after.points_left -= service_points;
      }
      break;
    case PackageKind::kDaysOf: {
      const auto& used = holding.used_days;
      if (std::binary_search(used.begin(), used.end(), day)) break;  // again on a day already counted
      if (static_cast<int>(used.size()) >= package.days) {
        d.denial = Denial::kPackageUsedUp;
        break;
      }
      // The window opens with the first use; a use must fall within it. An
      // offline use uploaded late may be earlier than those already counted.
      Date first = used.empty() ? day : std::min(used.front(), day);
      Date last = used.empty() ? day : std::max(used.back(), day);
      if (used.empty() && day > holding.valid_to) {
        d.denial = Denial::kNotValidToday;  // the latest first use has passed
        break;
      }
      if (DaysFromCivil(last) - DaysFromCivil(first) >= package.window_days) {
        d.denial = Denial::kNotValidToday;
        break;
      }
      d.after.used_days.insert(std::upper_bound(d.after.used_days.begin(), d.after.used_days.end(), day), day);
      break;
    }
  }
  if (d.allowed()) {
    d.after.uses += 1;
    d.valid_to = holding.valid_to;
    remaining(d.after);
  }
  return d;
}

std::string FormatDays(const std::vector<Date>& days) {
  std::string out;
  for (const Date& day : days) {
    if (!out.empty()) out += ',';
    out += FormatIsoDate(day);
  }
  return out;
}

Result<std::vector<Date>> ParseDays(std::string_view text) {
  std::vector<Date> days;
  while (!text.empty()) {
    size_t comma = text.find(',');
    auto day = ParseIsoDate(text.substr(0, comma));
    if (!day) return InvalidArgument("not a list of dates: " + std::string(text));
    days.push_back(*day);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  std::sort(days.begin(), days.end());
  return days;
}

}  // namespace passwerk::terminals
