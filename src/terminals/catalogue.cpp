// Catalogue: providers, services, packages; validation and the snapshot terminals decide from.
#include "terminals/catalogue.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "audit/audit_log.h"

namespace passwerk::terminals {
namespace {
using storage::Row;
using storage::Rows;
using storage::Tx;

constexpr int64_t kMaxPriceCents = 10'000'000;

}  // namespace

bool IsDigits(const std::string& text, size_t min_len, size_t max_len) {
  return text.size() >= min_len && text.size() <= max_len &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Status ValidateNewPackage(const NewPackage& p) {
  if (!IsDigits(p.package_number, 1, 8)) return InvalidArgument("a package number has 1 to 8 digits", "package_number");
  auto kind = ParsePackageKind(p.kind);
  if (!kind) return InvalidArgument("kind is base, flat_rate, points, single or days_of", "kind");
  if (p.name.empty() || p.name.size() > 200) return InvalidArgument("the name has 1 to 200 characters", "name");
  if (p.price_cents < 0 || p.price_cents > kMaxPriceCents) {
    return InvalidArgument("the price is 0 to 100000.00 EUR in cents", "price_cents");
  }
  if (*kind == PackageKind::kBase && p.price_cents != 0) {
    return InvalidArgument("the base package is included in the spa-tax ticket: its price is 0", "price_cents");
  }
  auto from = ParseIsoDate(p.sale_from);
  auto to = ParseIsoDate(p.sale_to);
  if (!from) return InvalidArgument("sale_from must be YYYY-MM-DD", "sale_from");
  if (!to || *to < *from) return InvalidArgument("sale_to must be YYYY-MM-DD, not before sale_from", "sale_to");
  if (*kind != PackageKind::kBase && (p.validity_days < 1 || p.validity_days > 366)) {
    return InvalidArgument("validity_days is 1 to 366", "validity_days");
  }
  if (*kind == PackageKind::kDaysOf) {
    if (p.window_days < 1 || p.window_days > 366) return InvalidArgument("window_days is 1 to 366", "window_days");
    if (p.days < 1 || p.days > p.window_days) return InvalidArgument("days is 1 to window_days", "days");
  } else if (p.days != 0 || p.window_days != 0) {
    return InvalidArgument("days and window_days belong to days_of packages", "days");
  }
  if (*kind == PackageKind::kPoints) {
    if (p.points < 1 || p.points > 10000) return InvalidArgument("points is 1 to 10000", "points");
  } else if (p.points != 0) {
    return InvalidArgument("points belong to points packages", "points");
  }
  if (p.services.empty() || p.services.size() > 200) {
    return InvalidArgument("a package covers 1 to 200 services", "services");
  }
  if (*kind == PackageKind::kSingle && p.services.size() != 1) {
    return InvalidArgument("a single-service ticket covers exactly one service", "services");
  }
  std::set<std::string> seen;
  for (const auto& s : p.services) {
    if (!seen.insert(s).second) return InvalidArgument("service " + s + " is listed twice", "services");
  }
  if (!p.shares.empty()) {
    int64_t sum = 0;
    std::set<std::string> vus;
    for (const auto& share : p.shares) {
      if (share.share_permille < 1 || share.share_permille > 1000 || !vus.insert(share.vu_number).second) {
        return InvalidArgument("each provider has one share of 1 to 1000 per mille", "shares");
      }
      sum += share.share_permille;
    }
    if (sum != 1000) return InvalidArgument("the shares add up to 1000 per mille", "shares");
  }
  return Status::Ok();
}

CatalogueService::CatalogueService(storage::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

Status CatalogueService::MayManage(const accounts::Actor& actor, int64_t municipality_id) const {
  return accounts::Require(actor, accounts::Action::kManageCatalogue,
                           accounts::Resource::InMunicipality(municipality_id));
}

// The catalogue is public business data: its answers are kept in core, unsealed.
const storage::AnswerStore kAnswers{storage::Segment::kCore};

Result<Provider> CatalogueService::CreateProvider(const accounts::Actor& actor, int64_t municipality_id,
                                                  const std::string& vu_number, const std::string& name,
                                                  storage::Idempotent<Provider>* idempotent) {
  PW_RETURN_IF_ERROR(MayManage(actor, municipality_id));
  if (!IsDigits(vu_number, 1, 8)) return InvalidArgument("a VU number has 1 to 8 digits", "vu_number");
  if (name.empty() || name.size() > 200) return InvalidArgument("the name has 1 to 200 characters", "name");
  Provider provider{0, municipality_id, vu_number, name};
  Status status = storage::WriteIdempotently(db_, idempotent, kAnswers, provider, [&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows m, tx.Query("SELECT id FROM core.municipalities WHERE id = $1", {municipality_id}));
    if (m.empty()) return NotFound("no such municipality", "municipality");
    PW_ASSIGN_OR_RETURN(Rows taken, tx.Query("SELECT id FROM core.providers WHERE vu_number = $1", {vu_number}));
    if (!taken.empty()) return AlreadyExists("a provider with this VU number exists", "vu_number");
    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("INSERT INTO core.providers (municipality_id, vu_number, name, "
                                             "created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                                             {municipality_id, vu_number, name, clock_.NowUnix()}));
    provider.id = row.Int(0);
    return accounts::AuditAs(tx, clock_, actor, "provider.create", "provider:" + vu_number, {{"name", name}});
  });
  if (!status.ok()) return status;
  return provider;
}

Result<std::vector<Provider>> CatalogueService::ListProviders(const accounts::Actor& actor) {
  std::vector<Provider> out;
  std::optional<int64_t> only;
  PW_RETURN_IF_ERROR(accounts::Require(actor, accounts::Action::kReadCatalogue));
  only = accounts::OnlyMunicipality(actor, accounts::Action::kReadCatalogue);
  Status status = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT id, municipality_id, vu_number, name FROM core.providers "
                                            "ORDER BY municipality_id, vu_number"));
    for (const Row& r : rows) {
      if (only && r.Int(1) != *only) continue;
      out.push_back({r.Int(0), r.Int(1), r.Text(2), r.Text(3)});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return out;
}

Result<Service> CatalogueService::CreateService(const accounts::Actor& actor, int64_t municipality_id,
                                                const NewService& input, storage::Idempotent<Service>* idempotent) {
  PW_RETURN_IF_ERROR(MayManage(actor, municipality_id));
  if (!IsDigits(input.service_number, 1, 8)) {
    return InvalidArgument("a service number has 1 to 8 digits", "service_number");
  }
  if (input.name.empty() || input.name.size() > 200) return InvalidArgument("the name has 1 to 200 characters", "name");
  if (input.points < 1 || input.points > 10000) return InvalidArgument("points is 1 to 10000", "points");
  Service service{0, municipality_id, input.service_number, 0, input.vu_number, input.name, input.points};
  Status status = storage::WriteIdempotently(db_, idempotent, kAnswers, service, [&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(
        Rows p, tx.Query("SELECT id, municipality_id FROM core.providers WHERE vu_number = $1", {input.vu_number}));
    if (p.empty() || p[0].Int(1) != municipality_id) {
      return NotFound("no provider with this VU number in the municipality", "vu_number");
    }
    service.provider_id = p[0].Int(0);
    PW_ASSIGN_OR_RETURN(Rows taken, tx.Query("SELECT id FROM core.services WHERE municipality_id = $1 AND "
                                             "service_number = $2",
                                             {municipality_id, input.service_number}));
    if (!taken.empty()) return AlreadyExists("a service with this number exists", "service_number");
    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("INSERT INTO core.services (municipality_id, service_number, "
                                             "provider_id, name, points, created_at) VALUES ($1, $2, $3, $4, $5, "
                                             "$6) RETURNING id",
                                             {municipality_id, input.service_number, service.provider_id, input.name,
                                              input.points, clock_.NowUnix()}));
    service.id = row.Int(0);
    return accounts::AuditAs(tx, clock_, actor, "service.create", "service:" + input.service_number,
                             {{"name", input.name}, {"vu_number", input.vu_number}, {"points", input.points}});
  });
  if (!status.ok()) return status;
  return service;
}

Result<Package> CatalogueService::CreatePackage(const accounts::Actor& actor, int64_t municipality_id,
                                                const NewPackage& input, storage::Idempotent<Package>* idempotent) {
  PW_RETURN_IF_ERROR(MayManage(actor, municipality_id));
  PW_RETURN_IF_ERROR(ValidateNewPackage(input));
  Package package;
  package.municipality_id = municipality_id;
  package.shares = input.shares;
  PackageRule& rule = package.rule;
  rule.package_number = input.package_number;
  rule.kind = *ParsePackageKind(input.kind);
  rule.name = input.name;
  rule.price_cents = input.price_cents;
  rule.sale_from = *ParseIsoDate(input.sale_from);
  rule.sale_to = *ParseIsoDate(input.sale_to);
  rule.validity_days = static_cast<int>(input.validity_days);
  rule.days = static_cast<int>(input.days);
  rule.window_days = static_cast<int>(input.window_days);
  rule.points = input.points;
  rule.service_numbers = input.services;
  Status status = storage::WriteIdempotently(db_, idempotent, kAnswers, package, [&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows taken, tx.Query("SELECT id FROM core.packages WHERE municipality_id = $1 AND "
                                             "package_number = $2",
                                             {municipality_id, input.package_number}));
    if (!taken.empty()) return AlreadyExists("a package with this number exists", "package_number");
    if (rule.kind == PackageKind::kBase) {
      PW_ASSIGN_OR_RETURN(Rows base, tx.Query("SELECT package_number FROM core.packages WHERE municipality_id = $1 "
                                              "AND kind = 'base' AND active = 1",
                                              {municipality_id}));
      if (!base.empty()) {
        return AlreadyExists("the municipality has a base package (" + base[0].Text(0) + "); stop it first", "kind");
      }
    }
    std::vector<int64_t> service_ids;
    for (const std::string& number : input.services) {
      PW_ASSIGN_OR_RETURN(Rows s, tx.Query("SELECT id FROM core.services WHERE municipality_id = $1 AND "
                                           "service_number = $2",
                                           {municipality_id, number}));
      if (s.empty()) return NotFound("no service " + number + " in the catalogue", "services");
      service_ids.push_back(s[0].Int(0));
    }
    std::vector<int64_t> provider_ids;
    for (const auto& share : input.shares) {
      PW_ASSIGN_OR_RETURN(
          Rows p, tx.Query("SELECT id, municipality_id FROM core.providers WHERE vu_number = $1", {share.vu_number}));
      if (p.empty() || p[0].Int(1) != municipality_id) {
        return NotFound("no provider " + share.vu_number + " in the municipality", "shares");
      }
      provider_ids.push_back(p[0].Int(0));
    }
    auto opt = [](int64_t v) -> storage::Value { return v == 0 ? storage::Value{} : storage::Value{v}; };
    PW_ASSIGN_OR_RETURN(
        Row row, tx.QueryOne("INSERT INTO core.packages (municipality_id, package_number, kind, name, price_cents, "
                             "sale_from, sale_to, validity_days, days, window_days, points, active, created_at) "
                             "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12) RETURNING id",
                             {municipality_id, input.package_number, input.kind, input.name, input.price_cents,
                              input.sale_from, input.sale_to, opt(input.validity_days), opt(input.days),
                              opt(input.window_days), opt(input.points), clock_.NowUnix()}));
    rule.id = row.Int(0);
    for (int64_t service_id : service_ids) {
      PW_RETURN_IF_ERROR(
          tx.Exec("INSERT INTO core.package_services (package_id, service_id) VALUES ($1, $2)", {rule.id, service_id})
              .status());
    }
    for (size_t i = 0; i < provider_ids.size(); ++i) {
      PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO core.package_shares (package_id, provider_id, share_permille) "
                                 "VALUES ($1, $2, $3)",
                                 {rule.id, provider_ids[i], input.shares[i].share_permille})
                             .status());
    }
    nlohmann::json shares = nlohmann::json::array();
    for (const auto& s : input.shares) shares.push_back({{"vu_number", s.vu_number}, {"permille", s.share_permille}});
    return accounts::AuditAs(tx, clock_, actor, "package.create", "package:" + input.package_number,
                             {{"kind", input.kind},
                              {"name", input.name},
                              {"price_cents", input.price_cents},
                              {"services", input.services},
                              {"shares", shares}});
  });
  if (!status.ok()) return status;
  return package;
}

Status CatalogueService::SetPackageActive(const accounts::Actor& actor, int64_t municipality_id,
                                          const std::string& package_number, bool active) {
  PW_RETURN_IF_ERROR(MayManage(actor, municipality_id));
  return db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows p, tx.Query("SELECT id, kind FROM core.packages WHERE municipality_id = $1 AND "
                                         "package_number = $2",
                                         {municipality_id, package_number}));
    if (p.empty()) return NotFound("no such package", "package_number");
    if (active && p[0].Text(1) == "base") {
      PW_ASSIGN_OR_RETURN(Rows base, tx.Query("SELECT id FROM core.packages WHERE municipality_id = $1 AND kind = "
                                              "'base' AND active = 1 AND id <> $2",
                                              {municipality_id, p[0].Int(0)}));
      if (!base.empty()) return AlreadyExists("another base package is on sale; stop it first", "kind");
    }
    PW_RETURN_IF_ERROR(
        tx.Exec("UPDATE core.packages SET active = $1 WHERE id = $2", {int64_t{active ? 1 : 0}, p[0].Int(0)}).status());
    return accounts::AuditAs(tx, clock_, actor, active ? "package.resume" : "package.stop", "package:" + package_number,
                             {});
  });
}

Result<CatalogueSnapshot> CatalogueService::Snapshot(const accounts::Actor& actor, int64_t municipality_id) {
  PW_RETURN_IF_ERROR(
      accounts::Require(actor, accounts::Action::kReadCatalogue, accounts::Resource::InMunicipality(municipality_id)));
  return Load(municipality_id);
}

Result<CatalogueSnapshot> CatalogueService::Load(int64_t municipality_id) {
  CatalogueSnapshot snapshot;
  Status status = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(snapshot, LoadIn(tx, municipality_id));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return snapshot;
}

Result<CatalogueSnapshot> CatalogueService::LoadIn(Tx& tx, int64_t municipality_id) {
  CatalogueSnapshot snapshot;
  snapshot.municipality_id = municipality_id;
  PW_ASSIGN_OR_RETURN(Rows services,
                      tx.Query("SELECT s.id, s.service_number, s.provider_id, p.vu_number, s.name, s.points "
                               "FROM core.services s JOIN core.providers p ON p.id = s.provider_id "
                               "WHERE s.municipality_id = $1",
                               {municipality_id}));
  std::map<int64_t, std::string> number_of;
  for (const Row& r : services) {
    Service s{r.Int(0), municipality_id, r.Text(1), r.Int(2), r.Text(3), r.Text(4), r.Int(5)};
    number_of[s.id] = s.service_number;
    snapshot.services[s.service_number] = std::move(s);
  }
  PW_ASSIGN_OR_RETURN(Rows packages, tx.Query("SELECT id, package_number, kind, name, price_cents, sale_from, sale_to, "
                                              "validity_days, days, window_days, points, active FROM core.packages "
                                              "WHERE municipality_id = $1 ORDER BY package_number",
                                              {municipality_id}));
  std::map<int64_t, std::string> package_number_of;
  for (const Row& r : packages) {
    Package p;
    p.municipality_id = municipality_id;
    p.rule.id = r.Int(0);
    p.rule.package_number = r.Text(1);
    p.rule.kind = ParsePackageKind(r.Text(2)).value_or(PackageKind::kFlatRate);
    p.rule.name = r.Text(3);
    p.rule.price_cents = r.Int(4);
    p.rule.sale_from = ParseIsoDate(r.Text(5)).value_or(Date{});
    p.rule.sale_to = ParseIsoDate(r.Text(6)).value_or(Date{});
    p.rule.validity_days = static_cast<int>(r.OptInt(7).value_or(0));
    p.rule.days = static_cast<int>(r.OptInt(8).value_or(0));
    p.rule.window_days = static_cast<int>(r.OptInt(9).value_or(0));
    p.rule.points = r.OptInt(10).value_or(0);
    p.active = r.Int(11) == 1;
    if (p.rule.kind == PackageKind::kBase && p.active) snapshot.base_package = p.rule.package_number;
    package_number_of[p.rule.id] = p.rule.package_number;
    snapshot.packages[p.rule.package_number] = std::move(p);
  }
  PW_ASSIGN_OR_RETURN(Rows links, tx.Query("SELECT ps.package_id, ps.service_id FROM core.package_services ps "
                                           "JOIN core.packages p ON p.id = ps.package_id WHERE p.municipality_id = $1 "
                                           "ORDER BY ps.package_id, ps.service_id",
                                           {municipality_id}));
  for (const Row& r : links) {
    snapshot.packages[package_number_of[r.Int(0)]].rule.service_numbers.push_back(number_of[r.Int(1)]);
  }
  PW_ASSIGN_OR_RETURN(Rows shares, tx.Query("SELECT s.package_id, p.vu_number, s.share_permille FROM "
                                            "core.package_shares s JOIN core.providers p ON p.id = s.provider_id "
                                            "JOIN core.packages k ON k.id = s.package_id WHERE k.municipality_id = $1 "
                                            "ORDER BY s.package_id, p.vu_number",
                                            {municipality_id}));
  for (const Row& r : shares) {
    snapshot.packages[package_number_of[r.Int(0)]].shares.push_back({r.Text(1), r.Int(2)});
  }
  return snapshot;
}

}  // namespace passwerk::terminals
