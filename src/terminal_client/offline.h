// What a terminal knows for working offline (the catalogue and blocked cards
// from sync-data, the packages it sold itself) and how it decides an
// acceptance with it. The package rules are the server's own
// (terminals/acceptance.h), so online and offline decide alike.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/dates.h"
#include "core/status.h"
#include "terminals/acceptance.h"

namespace passwerk::terminal_client {

struct Service {
  std::string service_number;
  std::string name;
  std::string vu_number;
  int64_t points = 0;
};

struct Catalogue {
  std::string municipality_number;
  std::string as_of;
  std::map<std::string, Service> services;
  std::vector<terminals::PackageRule> packages;  // in the server's order
  const terminals::PackageRule* FindPackage(std::string_view package_number) const;
};

struct BlockedCard {
  std::string card_number;
  int circulation_counter = 0;
};

// From the sync-data answer (docs/terminal-protocol.md §2); blocked_cards is
// read separately because the buffer keeps it in a table of its own.
Result<Catalogue> ParseCatalogue(const nlohmann::json& sync_data);
Result<std::vector<BlockedCard>> ParseBlockedCards(const nlohmann::json& sync_data);

// A package this terminal sold onto a card, and what is left of it after the
// uses this terminal accepted. The id is the booking number of the sale.
struct LocalHolding {
  int64_t id = 0;
  std::string card_number;
  int circulation_counter = 0;
  std::string package_number;
  terminals::Holding holding;
};

struct OfflineRequest {
  std::string service_number;
  std::optional<std::string> package_number;  // none: the first package that allows the use
  Date day;
};

struct OfflineDecision {
  terminals::Denial denial = terminals::Denial::kNone;
  bool allowed() const { return denial == terminals::Denial::kNone; }
  std::string package_number;           // what the use is taken from (allowed) or was asked for
  std::optional<LocalHolding> updated;  // the local holding after the use, to store
  // Offline the terminal cannot read the stay of a guest card: a use the base
  // package covers is allowed for a card that is not blocked, and the server
  // files it as a conflict should the stay not cover the day.
  bool base_assumed = false;
  std::optional<int> days_left;
  std::optional<int64_t> points_left;
  std::optional<Date> valid_to;
};

// `blocked`: the card (this circulation or an older one) is on the blocked
// list. `holdings`: this card's local holdings, oldest sale first.
OfflineDecision DecideOffline(const Catalogue& catalogue, bool blocked, const std::vector<LocalHolding>& holdings,
                              const OfflineRequest& request);

}  // namespace passwerk::terminal_client
