#include "guestcards/tariff.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

namespace passwerk::guestcards {
namespace {

using json = nlohmann::json;

Status FieldError(const std::string& field, const std::string& message) { return InvalidArgument(message, field); }

// "MM-DD" with a real day (29 February allowed).
bool ParseMonthDay(const json& value, int& month, int& day) {
  if (!value.is_string()) return false;
  std::string text = value.get<std::string>();
  if (text.size() != 5 || text[2] != '-') return false;
  for (size_t i : {0u, 1u, 3u, 4u}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  month = (text[0] - '0') * 10 + (text[1] - '0');
  day = (text[3] - '0') * 10 + (text[4] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= DaysInMonth(2024, month);
}

std::string MonthDayText(int month, int day) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "%02d-%02d", month, day);
  return buffer;
}

Status ReadText(const json& object, const char* key, const std::string& path, bool required, std::string& out,
                size_t max_size = 500) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    return required ? FieldError(path + key, std::string(key) + " is required") : Status::Ok();
  }
  if (!it->is_string()) return FieldError(path + key, std::string(key) + " must be a string");
  out = it->get<std::string>();
  if (required && out.empty()) return FieldError(path + key, std::string(key) + " must not be empty");
  if (out.size() > max_size) return FieldError(path + key, std::string(key) + " is too long");
  return Status::Ok();
}

Status ReadCents(const json& value, const std::string& field, int64_t& out) {
  if (!value.is_number_integer()) return FieldError(field, "an amount in cents (a whole number) is required");
  out = value.get<int64_t>();
  if (out < 0 || out > 100000) return FieldError(field, "the amount must be 0 to 100000 cents");
  return Status::Ok();
}

Status ReadPercent(const json& value, const std::string& field, int& out) {
  if (!value.is_number_integer()) return FieldError(field, "a percentage (0 to 100) is required");
  int64_t v = value.get<int64_t>();
  if (v < 0 || v > 100) return FieldError(field, "the percentage must be 0 to 100");
  out = static_cast<int>(v);
  return Status::Ok();
}

bool ValidId(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

int DayKey(int month, int day) { return month * 100 + day; }

bool InSeason(const Season& s, const Date& d) {
  int key = DayKey(d.month, d.day);
  int from = DayKey(s.from_month, s.from_day);
  int to = DayKey(s.to_month, s.to_day);
  return from <= to ? key >= from && key <= to : key >= from || key <= to;
}

const Season* FindSeason(const Tariff& tariff, const Date& d) {
  for (const Season& s : tariff.seasons) {
    if (InSeason(s, d)) return &s;
  }
  return nullptr;
}

int64_t PercentOf(int64_t cents, int percent) { return (cents * percent + 50) / 100; }

// The days the counting rule charges.
Result<std::vector<Date>> ChargedDays(const Tariff& tariff, const Date& arrival, const Date& departure) {
  int64_t nights = DaysFromCivil(departure) - DaysFromCivil(arrival);
  if (nights < 0) return InvalidArgument("departure must not be before arrival", "departure");
  if (nights > 366) return InvalidArgument("a stay lasts at most 366 nights", "departure");
  int64_t days = nights;
  if (nights == 0) {
    if (tariff.counting == Counting::kPerNight) return std::vector<Date>{};
    days = 1;
  }
  std::vector<Date> out;
  out.reserve(static_cast<size_t>(days));
  for (int64_t i = 0; i < days; ++i) out.push_back(AddDays(arrival, i));
  return out;
}

}  // namespace

Result<Tariff> ParseTariff(const json& doc) {
  if (!doc.is_object()) return InvalidArgument("a tariff is a JSON object");
  Tariff t;
  PW_RETURN_IF_ERROR(ReadText(doc, "name", "", true, t.name, 200));
  PW_RETURN_IF_ERROR(ReadText(doc, "statute", "", false, t.statute));
  std::string from;
  PW_RETURN_IF_ERROR(ReadText(doc, "valid_from", "", true, from, 10));
  auto parsed_from = ParseIsoDate(from);
  if (!parsed_from) return FieldError("valid_from", "valid_from must be YYYY-MM-DD");
  t.valid_from = *parsed_from;
  std::string counting = "per_night";
  PW_RETURN_IF_ERROR(ReadText(doc, "counting", "", false, counting, 64));
  if (counting == "per_night") {
    t.counting = Counting::kPerNight;
  } else if (counting == "arrival_departure_one_day") {
    t.counting = Counting::kArrivalDepartureOneDay;
  } else {
    return FieldError("counting", "counting must be per_night or arrival_departure_one_day");
  }

  auto seasons = doc.find("seasons");
  if (seasons == doc.end() || !seasons->is_array() || seasons->empty() || seasons->size() > 24) {
    return FieldError("seasons", "seasons must be a list of 1 to 24 seasons");
  }
  std::set<std::string> season_names;
  for (size_t i = 0; i < seasons->size(); ++i) {
    const json& s = (*seasons)[i];
    std::string path = "seasons[" + std::to_string(i) + "].";
    if (!s.is_object()) return FieldError("seasons[" + std::to_string(i) + "]", "a season is an object");
    Season season;
    PW_RETURN_IF_ERROR(ReadText(s, "name", path, true, season.name, 100));
    if (!s.contains("from") || !ParseMonthDay(s["from"], season.from_month, season.from_day)) {
      return FieldError(path + "from", "from must be MM-DD");
    }
    if (!s.contains("to") || !ParseMonthDay(s["to"], season.to_month, season.to_day)) {
      return FieldError(path + "to", "to must be MM-DD");
    }
    if (!s.contains("rate_cents")) return FieldError(path + "rate_cents", "rate_cents is required");
    PW_RETURN_IF_ERROR(ReadCents(s["rate_cents"], path + "rate_cents", season.rate_cents));
    season_names.insert(season.name);
    t.seasons.push_back(season);
  }
  // No day may belong to two seasons (checked over a leap year).
  for (int64_t d = DaysFromCivil({2024, 1, 1}); d <= DaysFromCivil({2024, 12, 31}); ++d) {
    Date day = CivilFromDays(d);
    int hits = 0;
    for (const Season& s : t.seasons) hits += InSeason(s, day) ? 1 : 0;
    if (hits > 1) {
      return FieldError("seasons", "seasons overlap on " + MonthDayText(day.month, day.day));
    }
  }

  std::set<std::string> ids;
  if (auto bands = doc.find("age_bands"); bands != doc.end() && !bands->is_null()) {
    if (!bands->is_array() || bands->size() > 20) return FieldError("age_bands", "age_bands must be a list");
    for (size_t i = 0; i < bands->size(); ++i) {
      const json& b = (*bands)[i];
      std::string path = "age_bands[" + std::to_string(i) + "].";
      if (!b.is_object()) return FieldError("age_bands[" + std::to_string(i) + "]", "an age band is an object");
      AgeBand band;
      PW_RETURN_IF_ERROR(ReadText(b, "id", path, true, band.id, 64));
      if (!ValidId(band.id) || !ids.insert(band.id).second) {
        return FieldError(path + "id", "id must be unique, of a-z, 0-9 and _");
      }
      auto from_age = b.find("from_age");
      if (from_age != b.end()) {
        if (!from_age->is_number_integer() || *from_age < 0 || *from_age > 120) {
          return FieldError(path + "from_age", "from_age must be 0 to 120");
        }
        band.from_age = from_age->get<int>();
      }
      auto below = b.find("below_age");
      if (below == b.end() || !below->is_number_integer() || *below <= band.from_age || *below > 121) {
        return FieldError(path + "below_age", "below_age must be above from_age (at most 121)");
      }
      band.below_age = below->get<int>();
      if (!b.contains("percent")) return FieldError(path + "percent", "percent is required");
      PW_RETURN_IF_ERROR(ReadPercent(b["percent"], path + "percent", band.percent));
      t.age_bands.push_back(band);
    }
  }

  if (auto reductions = doc.find("reductions"); reductions != doc.end() && !reductions->is_null()) {
    if (!reductions->is_array() || reductions->size() > 50)
      return FieldError("reductions", "reductions must be a list");
    for (size_t i = 0; i < reductions->size(); ++i) {
      const json& r = (*reductions)[i];
      std::string path = "reductions[" + std::to_string(i) + "].";
      if (!r.is_object()) return FieldError("reductions[" + std::to_string(i) + "]", "a reduction is an object");
      Reduction reduction;
      PW_RETURN_IF_ERROR(ReadText(r, "id", path, true, reduction.id, 64));
      if (!ValidId(reduction.id) || !ids.insert(reduction.id).second) {
        return FieldError(path + "id", "id must be unique, of a-z, 0-9 and _");
      }
      PW_RETURN_IF_ERROR(ReadText(r, "label", path, false, reduction.label, 200));
      if (auto percent = r.find("percent"); percent != r.end()) {
        int value = 0;
        PW_RETURN_IF_ERROR(ReadPercent(*percent, path + "percent", value));
        reduction.percent = value;
      }
      if (auto rates = r.find("season_rates"); rates != r.end()) {
        if (!rates->is_object() || rates->empty()) {
          return FieldError(path + "season_rates", "season_rates maps season names to cents");
        }
        for (const auto& [season, cents] : rates->items()) {
          if (!season_names.contains(season)) {
            return FieldError(path + "season_rates." + season, "no season of this name");
          }
          int64_t value = 0;
          PW_RETURN_IF_ERROR(ReadCents(cents, path + "season_rates." + season, value));
          reduction.season_rates[season] = value;
        }
      }
      if (reduction.percent.has_value() == !reduction.season_rates.empty()) {
        return FieldError(path + "percent", "give either percent or season_rates");
      }
      t.reductions.push_back(reduction);
    }
  }

  if (auto annual = doc.find("annual"); annual != doc.end() && !annual->is_null()) {
    if (!annual->is_object()) return FieldError("annual", "annual is an object");
    AnnualRate rate;
    if (!annual->contains("rate_cents")) return FieldError("annual.rate_cents", "rate_cents is required");
    PW_RETURN_IF_ERROR(ReadCents((*annual)["rate_cents"], "annual.rate_cents", rate.rate_cents));
    if (auto reduced = annual->find("reduced_cents"); reduced != annual->end()) {
      int64_t value = 0;
      PW_RETURN_IF_ERROR(ReadCents(*reduced, "annual.reduced_cents", value));
      rate.reduced_cents = value;
      auto reduced_for = annual->find("reduced_for");
      if (reduced_for == annual->end() || !reduced_for->is_array() || reduced_for->empty()) {
        return FieldError("annual.reduced_for", "name the age bands and reductions that pay the reduced rate");
      }
      for (size_t i = 0; i < reduced_for->size(); ++i) {
        const json& id = (*reduced_for)[i];
        if (!id.is_string() || !ids.contains(id.get<std::string>())) {
          return FieldError("annual.reduced_for[" + std::to_string(i) + "]", "no age band or reduction of this id");
        }
        rate.reduced_for.push_back(id.get<std::string>());
      }
    }
    t.annual = rate;
  }

  if (auto group = doc.find("group_min_size"); group != doc.end() && !group->is_null()) {
    if (!group->is_number_integer() || *group < 2 || *group > 1000) {
      return FieldError("group_min_size", "group_min_size must be 2 to 1000");
    }
    t.group_min_size = group->get<int>();
  }
  return t;
}

Result<Tariff> ParseTariffText(std::string_view text) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return InvalidArgument("the tariff is not valid JSON");
  return ParseTariff(doc);
}

json TariffJson(const Tariff& t) {
  json doc = {{"name", t.name},
              {"valid_from", FormatIsoDate(t.valid_from)},
              {"counting", t.counting == Counting::kPerNight ? "per_night" : "arrival_departure_one_day"},
              {"group_min_size", t.group_min_size},
              {"seasons", json::array()},
              {"age_bands", json::array()},
              {"reductions", json::array()}};
  if (!t.statute.empty()) doc["statute"] = t.statute;
  for (const Season& s : t.seasons) {
    doc["seasons"].push_back({{"name", s.name},
                              {"from", MonthDayText(s.from_month, s.from_day)},
                              {"to", MonthDayText(s.to_month, s.to_day)},
                              {"rate_cents", s.rate_cents}});
  }
  for (const AgeBand& b : t.age_bands) {
    doc["age_bands"].push_back(
        {{"id", b.id}, {"from_age", b.from_age}, {"below_age", b.below_age}, {"percent", b.percent}});
  }
  for (const Reduction& r : t.reductions) {
    json item = {{"id", r.id}};
    if (!r.label.empty()) item["label"] = r.label;
    if (r.percent) item["percent"] = *r.percent;
    if (!r.season_rates.empty()) item["season_rates"] = r.season_rates;
    doc["reductions"].push_back(item);
  }
  if (t.annual) {
    json annual = {{"rate_cents", t.annual->rate_cents}};
    if (t.annual->reduced_cents) {
      annual["reduced_cents"] = *t.annual->reduced_cents;
      annual["reduced_for"] = t.annual->reduced_for;
    }
    doc["annual"] = annual;
  }
  return doc;
}

int AgeOn(const Date& birth, const Date& day) {
  int age = day.year - birth.year;
  if (day.month < birth.month || (day.month == birth.month && day.day < birth.day)) --age;
  return std::max(age, 0);
}

std::string AgeBandLabel(int age) {
  if (age < 18) return "0-17";
  if (age >= 83) return "83+";
  int start = 18 + (age - 18) / 5 * 5;
  return std::to_string(start) + "-" + std::to_string(start + 4);
}

std::string SeasonOf(const Tariff& tariff, const Date& day) {
  const Season* s = FindSeason(tariff, day);
  return s ? s->name : "";
}

Result<GuestTax> ComputeGuestTax(const Tariff& tariff, const Date& arrival, const Date& departure,
                                 const Date& birth_date, const std::vector<std::string>& reductions) {
  std::vector<const Reduction*> claimed;
  for (size_t i = 0; i < reductions.size(); ++i) {
    auto it = std::find_if(tariff.reductions.begin(), tariff.reductions.end(),
                           [&](const Reduction& r) { return r.id == reductions[i]; });
    if (it == tariff.reductions.end()) {
      return InvalidArgument("this tariff has no reduction \"" + reductions[i] + "\"",
                             "reductions[" + std::to_string(i) + "]");
    }
    claimed.push_back(&*it);
  }
  int age = AgeOn(birth_date, arrival);
  const AgeBand* band = nullptr;
  for (const AgeBand& b : tariff.age_bands) {
    if (age >= b.from_age && age < b.below_age) {
      band = &b;
      break;
    }
  }
  PW_ASSIGN_OR_RETURN(std::vector<Date> days, ChargedDays(tariff, arrival, departure));
  GuestTax tax;
  tax.charged_days = static_cast<int>(days.size());
  std::set<std::string> applied;
  for (const Date& day : days) {
    const Season* season = FindSeason(tariff, day);
    if (season == nullptr) continue;
    int64_t best = season->rate_cents;
    std::string best_id;
    if (band != nullptr && PercentOf(season->rate_cents, band->percent) < best) {
      best = PercentOf(season->rate_cents, band->percent);
      best_id = band->id;
    }
    for (const Reduction* r : claimed) {
      int64_t amount = season->rate_cents;
      if (r->percent) {
        amount = PercentOf(season->rate_cents, *r->percent);
      } else if (auto rate = r->season_rates.find(season->name); rate != r->season_rates.end()) {
        amount = std::min(rate->second, season->rate_cents);
      }
      if (amount < best) {
        best = amount;
        best_id = r->id;
      }
    }
    tax.amount_cents += best;
    if (!best_id.empty()) applied.insert(best_id);
  }
  tax.applied.assign(applied.begin(), applied.end());
  return tax;
}

GuestTax ComputeMemberTax(const Tariff& tariff, const Date& arrival, const Date& departure) {
  GuestTax tax;
  auto days = ChargedDays(tariff, arrival, departure);
  if (!days.ok()) return tax;
  tax.charged_days = static_cast<int>(days->size());
  for (const Date& day : *days) {
    if (const Season* season = FindSeason(tariff, day)) tax.amount_cents += season->rate_cents;
  }
  return tax;
}

Result<int64_t> ComputeAnnualTax(const Tariff& tariff, const Date& birth_date, const Date& on,
                                 const std::vector<std::string>& reductions) {
  if (!tariff.annual) return FailedPrecondition("this tariff has no annual rate");
  const AnnualRate& annual = *tariff.annual;
  int age = AgeOn(birth_date, on);
  auto in_band = [&](const AgeBand& b) { return age >= b.from_age && age < b.below_age; };
  // An exempting age band or reduction exempts from the annual rate too.
  for (const AgeBand& b : tariff.age_bands) {
    if (b.percent == 0 && in_band(b)) return int64_t{0};
  }
  for (const Reduction& r : tariff.reductions) {
    bool claimed = std::find(reductions.begin(), reductions.end(), r.id) != reductions.end();
    if (claimed && r.percent && *r.percent == 0) return int64_t{0};
  }
  if (!annual.reduced_cents) return annual.rate_cents;
  for (const std::string& id : annual.reduced_for) {
    if (std::find(reductions.begin(), reductions.end(), id) != reductions.end()) return *annual.reduced_cents;
    for (const AgeBand& b : tariff.age_bands) {
      if (b.id == id && in_band(b)) return *annual.reduced_cents;
    }
  }
  return annual.rate_cents;
}

}  // namespace passwerk::guestcards
