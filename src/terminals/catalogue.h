// The catalogue of a municipality (issue 5): the service providers
// (participants with their VU number), their services, and the packages sold
// onto guest cards — the base package every spa-tax ticket includes,
// flat-rate, points, single-service and "N days out of M" packages — with
// optional fixed settlement shares. Managed by operators and the
// municipality's administrators; every change audited.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "accounts/accounts.h"
#include "core/clock.h"
#include "core/status.h"
#include "storage/database.h"
#include "storage/idempotency.h"
#include "terminals/acceptance.h"

namespace passwerk::terminals {

struct Provider {
  int64_t id = 0;
  int64_t municipality_id = 0;
  std::string vu_number;  // 1–8 digits, unique system-wide
  std::string name;
};

struct Service {
  int64_t id = 0;
  int64_t municipality_id = 0;
  std::string service_number;  // 1–8 digits, unique per municipality
  int64_t provider_id = 0;
  std::string vu_number;  // of the provider
  std::string name;
  int64_t points = 1;  // what one use costs on a points ticket
};

struct PackageShare {
  std::string vu_number;
  int64_t share_permille = 0;
};

struct Package {
  PackageRule rule;
  int64_t municipality_id = 0;
  bool active = true;
  std::vector<PackageShare> shares;  // empty: settled by recorded acceptances
};

struct NewService {
  std::string service_number, vu_number, name;
  int64_t points = 1;
};

struct NewPackage {
  std::string package_number;
  std::string kind;  // base, flat_rate, points, single, days_of
  std::string name;
  int64_t price_cents = 0;
  std::string sale_from, sale_to;  // YYYY-MM-DD
  int64_t validity_days = 0, days = 0, window_days = 0, points = 0;
  std::vector<std::string> services;  // service numbers
  std::vector<PackageShare> shares;
};

// Everything a terminal of the municipality needs to decide: the services by
// number and the packages (active ones) by number.
struct CatalogueSnapshot {
  int64_t municipality_id = 0;
  std::map<std::string, Service> services;
  std::map<std::string, Package> packages;
  std::optional<std::string> base_package;  // its number
};

class CatalogueService {
 public:
  CatalogueService(storage::Database& db, const Clock& clock);

  // With `idempotent` (an Idempotency-Key), the creating calls keep their
  // answer in core (storage/idempotency.h).
  Result<Provider> CreateProvider(const accounts::Actor& actor, int64_t municipality_id, const std::string& vu_number,
                                  const std::string& name, storage::Idempotent<Provider>* idempotent = nullptr);
  Result<std::vector<Provider>> ListProviders(const accounts::Actor& actor);
  Result<Service> CreateService(const accounts::Actor& actor, int64_t municipality_id, const NewService& input,
                                storage::Idempotent<Service>* idempotent = nullptr);
  Result<Package> CreatePackage(const accounts::Actor& actor, int64_t municipality_id, const NewPackage& input,
                                storage::Idempotent<Package>* idempotent = nullptr);
  // Stops or resumes the sale of a package (a sold package stays valid).
  Status SetPackageActive(const accounts::Actor& actor, int64_t municipality_id, const std::string& package_number,
                          bool active);
  // The municipalities the actor may see: staff of one municipality see theirs.
  Result<CatalogueSnapshot> Snapshot(const accounts::Actor& actor, int64_t municipality_id);
  // Without an actor: for terminals and settlement, which are bound to a municipality already.
  Result<CatalogueSnapshot> Load(int64_t municipality_id);
  static Result<CatalogueSnapshot> LoadIn(storage::Tx& tx, int64_t municipality_id);

  Status MayManage(const accounts::Actor& actor, int64_t municipality_id) const;

 private:
  storage::Database& db_;
  const Clock& clock_;
};

// Validation shared by the API, the web form and the command line.
Status ValidateNewPackage(const NewPackage& input);
bool IsDigits(const std::string& text, size_t min_len, size_t max_len);

}  // namespace passwerk::terminals
