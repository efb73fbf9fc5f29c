// Partners (adult-education centres, museums, …) that may check cards of
// certain schemes, their web origins, and their API keys: server keys for
// their back end, publishable keys for the browser widget (usable only from
// the registered origins). Keys are shown once and stored as hashes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "accounts/accounts.h"
#include "core/clock.h"
#include "core/status.h"
#include "storage/database.h"

namespace passwerk::checks {

struct Partner {
  int64_t id = 0;
  int64_t municipality_id = 0;
  std::string name;
  std::vector<std::string> origins;  // "https://vhs.example.de"
  std::vector<int64_t> scheme_ids;
};

struct PartnerKey {
  int64_t id = 0;
  int64_t partner_id = 0;
  std::string kind;  // "server" | "publishable"
  std::string prefix;
  int64_t created_at = 0;
  std::optional<int64_t> revoked_at;
  std::optional<int64_t> suspended_at;
};

struct CreatedPartnerKey {
  PartnerKey key;
  std::string secret;  // shown once
};

class PartnerService {
 public:
  PartnerService(storage::Database& db, const Clock& clock);

  Result<Partner> CreatePartner(const accounts::Actor& actor, int64_t municipality_id, const std::string& name,
                                const std::vector<int64_t>& scheme_ids, const std::vector<std::string>& origins);
  Result<std::vector<Partner>> ListPartners();
  // `preset_secret` is for the public demo dataset only; empty draws a random key.
  Result<CreatedPartnerKey> CreateKey(const accounts::Actor& actor, int64_t partner_id, const std::string& kind,
                                      const std::string& preset_secret = "");
  Status RevokeKey(const accounts::Actor& actor, int64_t key_id);
  // Lifts a suspension by the enumeration defence.
  Status ReinstateKey(const accounts::Actor& actor, int64_t key_id);
  Result<std::vector<PartnerKey>> ListKeys(int64_t partner_id);

 private:
  Status MayManage(const accounts::Actor& actor, int64_t municipality_id) const;
  storage::Database& db_;
  const Clock& clock_;
};

// "https://host[:port]" with no path: what a browser sends as Origin.
bool IsValidOrigin(const std::string& origin);

}  // namespace passwerk::checks
