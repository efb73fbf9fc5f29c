// The hash-chained audit trail (segment `audit`). Each entry stores the hash
// of the previous entry and the SHA-256 of its own content; Append runs inside
// the caller's write transaction so an entry exists exactly when its change does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "storage/database.h"

namespace passwerk::audit {

struct AuditEvent {
  std::string actor;       // "user:alice", "token:3", "system", "cli"
  std::string action;      // dotted verb, e.g. "user.create", "session.login"
  std::string object;      // what it acted on, e.g. "user:7"
  std::string detail;      // JSON object as text; never clear-text personal data
  std::string request_id;  // correlates with the server log
};

struct AuditEntry {
  int64_t seq = 0;
  int64_t at = 0;  // unix seconds
  AuditEvent event;
  std::string prev_hash;
  std::string entry_hash;
};

// The hash an entry must carry; hex SHA-256 over a length-prefixed encoding.
std::string ComputeEntryHash(int64_t seq, int64_t at, const AuditEvent& event, const std::string& prev_hash);

// Appends within `tx`; returns the new sequence number.
Result<int64_t> Append(storage::Tx& tx, const Clock& clock, const AuditEvent& event);

struct AuditFilter {
  std::string action_prefix;    // "user." matches user.create, user.disable
  std::string actor;            // exact
  std::optional<int64_t> from;  // unix seconds, inclusive
  std::optional<int64_t> to;    // unix seconds, exclusive
  int64_t before_seq = 0;       // paging: entries with seq < before_seq (0: newest)
  int limit = 50;
};

Result<std::vector<AuditEntry>> List(storage::Database& db, const AuditFilter& filter);

struct VerifyReport {
  bool ok = true;
  int64_t entries = 0;
  int64_t pruned_through = 0;  // entries up to this one were deleted on schedule (Prune)
  int64_t first_bad_seq = 0;   // 0 when ok
  std::string problem;         // "altered", "removed", "reordered", "head mismatch"
};

// Walks the whole chain from the anchor (the last entry Prune deleted). Reading, not a repair.
Result<VerifyReport> Verify(storage::Database& db);

struct PruneReport {
  int64_t entries = 0;      // deleted (dry run: would be)
  int64_t through_seq = 0;  // the anchor afterwards
};

// Deletes the oldest entries, those before `before` (unix seconds), as a
// prefix of the chain: a run stops at the first entry that is newer, so the
// rest of the chain stays whole. The anchor keeps the sequence number and
// hash of the last deleted entry, and an "audit.prune" entry records each
// batch (through_seq, entry_hash, entries), so Verify still proves the rest
// and notices an anchor moved behind its back. Batches of `batch_size`, each
// one transaction: an interrupted run leaves a consistent trail.
Result<PruneReport> Prune(storage::Database& db, const Clock& clock, const AuditEvent& by, int64_t before, bool dry_run,
                          int64_t batch_size = 10000);

}  // namespace passwerk::audit
