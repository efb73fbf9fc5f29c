#include "terminal_client/offline.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace passwerk::terminal_client {
namespace {

using nlohmann::json;
using terminals::Denial;
using terminals::PackageKind;
using terminals::PackageRule;

Status Malformed(std::string what) { return Unavailable("the server sent malformed sync-data", std::move(what)); }

Result<std::string> Text(const json& object, const char* key, bool required = true) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required) return Malformed(std::string(key) + " missing");
    return std::string();
  }
  if (it->is_string()) return it->get<std::string>();
  // Numbers where the protocol has digit strings are read as such.
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return Malformed(std::string(key) + " is not a string");
}

Result<int64_t> Integer(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return int64_t{0};
  if (!it->is_number_integer()) return Malformed(std::string(key) + " is not an integer");
  return it->get<int64_t>();
}

Result<Date> Day(const json& object, const char* key, Date fallback) {
  PW_ASSIGN_OR_RETURN(std::string text, Text(object, key, false));
  if (text.empty()) return fallback;
  auto day = ParseIsoDate(text);
  if (!day) return Malformed(std::string(key) + " is not a date");
  return *day;
}

void Remaining(OfflineDecision& out, const terminals::Decision& decision) {
  out.days_left = decision.days_left;
  out.points_left = decision.points_left;
  out.valid_to = decision.valid_to;
}

}  // namespace

const PackageRule* Catalogue::FindPackage(std::string_view package_number) const {
  for (const auto& package : packages) {
    if (package.package_number == package_number) return &package;
  }
  return nullptr;
}

Result<Catalogue> ParseCatalogue(const json& sync_data) {
  if (!sync_data.is_object()) return Malformed("not an object");
  Catalogue catalogue;
  PW_ASSIGN_OR_RETURN(catalogue.municipality_number, Text(sync_data, "municipality_number", false));
  PW_ASSIGN_OR_RETURN(catalogue.as_of, Text(sync_data, "as_of", false));
  auto services = sync_data.find("services");
  if (services != sync_data.end() && !services->is_null()) {
    if (!services->is_array()) return Malformed("services is not a list");
    for (const json& item : *services) {
      if (!item.is_object()) return Malformed("a service is not an object");
      Service service;
      PW_ASSIGN_OR_RETURN(service.service_number, Text(item, "service_number"));
      PW_ASSIGN_OR_RETURN(service.name, Text(item, "name", false));
      PW_ASSIGN_OR_RETURN(service.vu_number, Text(item, "vu_number", false));
      PW_ASSIGN_OR_RETURN(service.points, Integer(item, "points"));
      catalogue.services[service.service_number] = std::move(service);
    }
  }
  auto packages = sync_data.find("packages");
  if (packages != sync_data.end() && !packages->is_null()) {
    if (!packages->is_array()) return Malformed("packages is not a list");
    for (const json& item : *packages) {
      if (!item.is_object()) return Malformed("a package is not an object");
      PackageRule rule;
      PW_ASSIGN_OR_RETURN(rule.package_number, Text(item, "package_number"));
      PW_ASSIGN_OR_RETURN(std::string kind, Text(item, "kind"));
      auto parsed_kind = terminals::ParsePackageKind(kind);
      // A kind of a later server: this client can neither sell nor decide it.
      if (!parsed_kind) continue;
      rule.kind = *parsed_kind;
      PW_ASSIGN_OR_RETURN(rule.name, Text(item, "name", false));
      PW_ASSIGN_OR_RETURN(rule.price_cents, Integer(item, "price_cents"));
      PW_ASSIGN_OR_RETURN(rule.sale_from, Day(item, "sale_from", Date{1970, 1, 1}));
      PW_ASSIGN_OR_RETURN(rule.sale_to, Day(item, "sale_to", Date{9999, 12, 31}));
      PW_ASSIGN_OR_RETURN(int64_t validity_days, Integer(item, "validity_days"));
      PW_ASSIGN_OR_RETURN(int64_t days, Integer(item, "days"));
      PW_ASSIGN_OR_RETURN(int64_t window_days, Integer(item, "window_days"));
      if (validity_days < 0 || validity_days > 100000 || days < 0 || days > 100000 || window_days < 0 ||
          window_days > 100000) {
        return Malformed("package " + rule.package_number + " has days out of range");
      }
      rule.validity_days = static_cast<int>(validity_days);
      rule.days = static_cast<int>(days);
      rule.window_days = static_cast<int>(window_days);
      PW_ASSIGN_OR_RETURN(rule.points, Integer(item, "points"));
      auto covered = item.find("services");
      if (covered != item.end() && !covered->is_null()) {
        if (!covered->is_array()) return Malformed("package services is not a list");
        for (const json& number : *covered) {
          if (number.is_string()) {
            rule.service_numbers.push_back(number.get<std::string>());
          } else if (number.is_number_integer()) {
            rule.service_numbers.push_back(std::to_string(number.get<int64_t>()));
          } else {
            return Malformed("package services holds a non-string");
          }
        }
      }
      catalogue.packages.push_back(std::move(rule));
    }
  }
  return catalogue;
}

Result<std::vector<BlockedCard>> ParseBlockedCards(const json& sync_data) {
  std::vector<BlockedCard> blocked;
  if (!sync_data.is_object()) return Malformed("not an object");
  auto list = sync_data.find("blocked_cards");
  if (list == sync_data.end() || list->is_null()) return blocked;
  if (!list->is_array()) return Malformed("blocked_cards is not a list");
  blocked.reserve(list->size());
  for (const json& item : *list) {
    if (!item.is_object()) return Malformed("a blocked card is not an object");
    BlockedCard card;
    PW_ASSIGN_OR_RETURN(card.card_number, Text(item, "card_number"));
    PW_ASSIGN_OR_RETURN(int64_t counter, Integer(item, "circulation_counter"));
    if (counter < 0 || counter > 99) return Malformed("circulation_counter out of range");
    card.circulation_counter = static_cast<int>(counter);
    blocked.push_back(std::move(card));
  }
  return blocked;
}

OfflineDecision DecideOffline(const Catalogue& catalogue, bool blocked, const std::vector<LocalHolding>& holdings,
                              const OfflineRequest& request) {
  OfflineDecision out;
  out.package_number = request.package_number.value_or("");
  auto service = catalogue.services.find(request.service_number);
  if (service == catalogue.services.end()) {
    out.denial = Denial::kUnknownService;
    return out;
  }
  if (blocked) {
    out.denial = Denial::kBlocked;
    return out;
  }
  if (request.package_number && !catalogue.FindPackage(*request.package_number)) {
    out.denial = Denial::kNoSuchPackage;
    return out;
  }
  // As the server does: the base package first when it covers the service,
  // then the first package the card holds that allows the use.
  for (const auto& package : catalogue.packages) {
    if (package.kind != PackageKind::kBase || !package.Covers(request.service_number)) continue;
    if (request.package_number && *request.package_number != package.package_number) continue;
    out.package_number = package.package_number;
    out.base_assumed = true;
    return out;
  }
  Denial best = Denial::kNoSuchPackage;
  std::optional<OfflineDecision> best_denied;
  for (const LocalHolding& held : holdings) {
    if (request.package_number && *request.package_number != held.package_number) continue;
    const PackageRule* package = catalogue.FindPackage(held.package_number);
    if (!package || !package->Covers(request.service_number)) continue;
    terminals::Decision decision = terminals::Decide(*package, held.holding, service->second.points, request.day);
    OfflineDecision candidate;
    candidate.denial = decision.denial;
    candidate.package_number = held.package_number;
    Remaining(candidate, decision);
    if (decision.allowed()) {
      candidate.updated = held;
      candidate.updated->holding = decision.after;
      return candidate;
    }
    if (!best_denied || terminals::DenialRank(decision.denial) > terminals::DenialRank(best)) {
      best = decision.denial;
      best_denied = std::move(candidate);
    }
  }
  if (best_denied) return *best_denied;
  out.denial = Denial::kNoSuchPackage;
  return out;
}

}  // namespace passwerk::terminal_client
