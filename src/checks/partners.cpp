// Partner registry and key management; every change audited.
#include "checks/partners.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "core/crypto.h"

namespace passwerk::checks {
namespace {
using storage::Row;
using storage::Rows;
using storage::Tx;

}  // namespace

bool IsValidOrigin(const std::string& origin) {
  std::string rest;
  if (origin.rfind("https://", 0) == 0) {
    rest = origin.substr(8);
  } else if (origin.rfind("http://", 0) == 0) {
    rest = origin.substr(7);
  } else {
    return false;
  }
  if (rest.empty() || rest.size() > 253) return false;
  return rest.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-:[]") == std::string::npos;
}

PartnerService::PartnerService(storage::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

Status PartnerService::MayManage(const accounts::Actor& actor, int64_t municipality_id) const {
  return accounts::Require(actor, accounts::Action::kManagePartners,
                           accounts::Resource::InMunicipality(municipality_id));
}

Result<Partner> PartnerService::CreatePartner(const accounts::Actor& actor, int64_t municipality_id,
                                              const std::string& name, const std::vector<int64_t>& scheme_ids,
                                              const std::vector<std::string>& origins) {
  PW_RETURN_IF_ERROR(MayManage(actor, municipality_id));
  if (name.empty() || name.size() > 200) return InvalidArgument("the name has 1 to 200 characters", "name");
  if (scheme_ids.empty()) return InvalidArgument("name at least one scheme the partner may check", "schemes");
  for (const std::string& origin : origins) {
    if (!IsValidOrigin(origin)) return InvalidArgument("an origin is http(s)://host[:port], lower case", "origins");
  }
  std::string joined;
  for (const std::string& o : origins) joined += (joined.empty() ? "" : " ") + o;
  Partner partner{0, municipality_id, name, origins, scheme_ids};
  Status status = db_.Write([&](Tx& tx) -> Status {
    for (int64_t scheme_id : scheme_ids) {
      PW_ASSIGN_OR_RETURN(Rows s, tx.Query("SELECT municipality_id FROM core.schemes WHERE id = $1", {scheme_id}));
      if (s.empty() || s[0].Int(0) != municipality_id) {
        return InvalidArgument("a partner checks schemes of its own municipality", "schemes");
      }
    }
    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("INSERT INTO core.partners (municipality_id, name, origins, created_at) "
                                             "VALUES ($1, $2, $3, $4) RETURNING id",
                                             {municipality_id, name, joined, clock_.NowUnix()}));
    partner.id = row.Int(0);
    for (int64_t scheme_id : scheme_ids) {
      auto r =
          tx.Exec("INSERT INTO core.partner_schemes (partner_id, scheme_id) VALUES ($1, $2)", {partner.id, scheme_id});
      if (!r.ok()) return r.status();
    }
    return accounts::AuditAs(tx, clock_, actor, "partner.create", "partner:" + std::to_string(partner.id),
                             {{"name", name}, {"schemes", scheme_ids}, {"origins", origins}});
  });
  if (status.code() == ErrorCode::kAlreadyExists) {
    return AlreadyExists("this municipality has a partner of that name").WithField("name");
  }
  if (!status.ok()) return status;
  return partner;
}

Result<std::vector<Partner>> PartnerService::ListPartners() {
  std::vector<Partner> out;
  Status status = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows rows,
                        tx.Query("SELECT id, municipality_id, name, origins FROM core.partners ORDER BY id"));
    PW_ASSIGN_OR_RETURN(Rows grants, tx.Query("SELECT partner_id, scheme_id FROM core.partner_schemes"));
    for (const Row& r : rows) {
      Partner p{r.Int(0), r.Int(1), r.Text(2), {}, {}};
      std::string origins = r.Text(3);
      for (size_t start = 0; start < origins.size();) {
        size_t end = origins.find(' ', start);
        if (end == std::string::npos) end = origins.size();
        if (end > start) p.origins.push_back(origins.substr(start, end - start));
        start = end + 1;
      }
      for (const Row& g : grants) {
        if (g.Int(0) == p.id) p.scheme_ids.push_back(g.Int(1));
      }
      out.push_back(std::move(p));
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return out;
}

Result<CreatedPartnerKey> PartnerService::CreateKey(const accounts::Actor& actor, int64_t partner_id,
                                                    const std::string& kind, const std::string& preset_secret) {
  if (kind != "server" && kind != "publishable") {
    return InvalidArgument("a key is of kind server or publishable", "kind");
  }
  CreatedPartnerKey created;
  std::string prefix = crypto::RandomToken(5).substr(0, 8);
  created.secret = (kind == "server" ? "pwps_" : "pwpk_") + prefix + "_" + crypto::RandomToken(32);
  if (!preset_secret.empty()) {
    if (preset_secret.size() < 24 || preset_secret.size() > 128) return InvalidArgument("preset key too short", "key");
    created.secret = preset_secret;
    prefix = preset_secret.substr(5, 8);
  }
  Status status = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows p, tx.Query("SELECT municipality_id FROM core.partners WHERE id = $1", {partner_id}));
    if (p.empty()) return NotFound("no such partner");
    PW_RETURN_IF_ERROR(MayManage(actor, p[0].Int(0)));
    int64_t now = clock_.NowUnix();
    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("INSERT INTO core.partner_keys (partner_id, kind, key_hash, prefix, "
                                             "created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                                             {partner_id, kind, crypto::Sha256Hex(created.secret), prefix, now}));
    created.key = PartnerKey{row.Int(0), partner_id, kind, prefix, now, std::nullopt, std::nullopt};
    return accounts::AuditAs(tx, clock_, actor, "partner_key.create", "partner_key:" + std::to_string(created.key.id),
                             {{"partner_id", partner_id}, {"kind", kind}});
  });
  if (!status.ok()) return status;
  return created;
}

namespace {
Status ChangeKey(storage::Database& db, const Clock& clock, const accounts::Actor& actor, int64_t key_id,
                 const std::function<Status(int64_t)>& may_manage, const std::string& sql, const std::string& action) {
  return db.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows k, tx.Query("SELECT p.municipality_id FROM core.partner_keys k JOIN core.partners p ON "
                                         "p.id = k.partner_id WHERE k.id = $1",
                                         {key_id}));
    if (k.empty()) return NotFound("no such key");
    PW_RETURN_IF_ERROR(may_manage(k[0].Int(0)));
    auto r = tx.Exec(sql, {clock.NowUnix(), key_id});
    if (!r.ok()) return r.status();
    return accounts::AuditAs(tx, clock, actor, action, "partner_key:" + std::to_string(key_id),
                             nlohmann::json::object());
  });
}
}  // namespace

Status PartnerService::RevokeKey(const accounts::Actor& actor, int64_t key_id) {
  return ChangeKey(
      db_, clock_, actor, key_id, [&](int64_t m) { return MayManage(actor, m); },
      "UPDATE core.partner_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2", "partner_key.revoke");
}

Status PartnerService::ReinstateKey(const accounts::Actor& actor, int64_t key_id) {
  return ChangeKey(
      db_, clock_, actor, key_id, [&](int64_t m) { return MayManage(actor, m); },
      "UPDATE core.partner_keys SET suspended_at = NULL WHERE id = $2 AND $1 > 0", "partner_key.reinstate");
}

Result<std::vector<PartnerKey>> PartnerService::ListKeys(int64_t partner_id) {
  std::vector<PartnerKey> out;
  Status status = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT id, partner_id, kind, prefix, created_at, revoked_at, suspended_at "
                                            "FROM core.partner_keys WHERE partner_id = $1 ORDER BY id",
                                            {partner_id}));
    for (const Row& r : rows) {
      out.push_back({r.Int(0), r.Int(1), r.Text(2), r.Text(3), r.Int(4), r.OptInt(5), r.OptInt(6)});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return out;
}

}  // namespace passwerk::checks
