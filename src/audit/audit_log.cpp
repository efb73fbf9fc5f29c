// Appending to, reading and verifying the hash chain. The head row
// (audit.head) serialises appenders on both engines: the UPDATE takes the
// row lock in PostgreSQL, and SQLite holds the write lock anyway.
#include "audit/audit_log.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/crypto.h"

namespace passwerk::audit {
namespace {

void AppendField(std::string& out, std::string_view value) {
  out += std::to_string(value.size());
  out.push_back(':');
  out.append(value);
  out.push_back('|');
}

AuditEntry EntryFromRow(const storage::Row& row) {
  AuditEntry entry;
  entry.seq = row.Int(0);
  entry.at = row.Int(1);
  entry.event.actor = row.Text(2);
  entry.event.action = row.Text(3);
  entry.event.object = row.Text(4);
  entry.event.detail = row.Text(5);
  entry.event.request_id = row.Text(6);
  entry.prev_hash = row.Text(7);
  entry.entry_hash = row.Text(8);
  return entry;
}

constexpr std::string_view kColumns = "seq, at, actor, action, object, detail, request_id, prev_hash, entry_hash";

}  // namespace

std::string ComputeEntryHash(int64_t seq, int64_t at, const AuditEvent& event, const std::string& prev_hash) {
  std::string content = "passwerk-audit-v1|";
  AppendField(content, std::to_string(seq));
  AppendField(content, std::to_string(at));
  AppendField(content, event.actor);
  AppendField(content, event.action);
  AppendField(content, event.object);
  AppendField(content, event.detail);
  AppendField(content, event.request_id);
  AppendField(content, prev_hash);
  return crypto::Sha256Hex(content);
}

Result<int64_t> Append(storage::Tx& tx, const Clock& clock, const AuditEvent& event) {
  PW_ASSIGN_OR_RETURN(storage::Rows head,
                      tx.Query("UPDATE audit.head SET seq = seq + 1 WHERE id = 1 RETURNING seq, entry_hash"));
  if (head.size() != 1) return Internal("audit.head row is missing");
  int64_t seq = head[0].Int(0);
  std::string prev_hash = head[0].Text(1);
  int64_t at = clock.NowUnix();
  AuditEvent stored = event;
  if (stored.detail.empty()) stored.detail = "{}";
  std::string hash = ComputeEntryHash(seq, at, stored, prev_hash);
  auto inserted = tx.Exec(
      "INSERT INTO audit.entries (seq, at, actor, action, object, detail, request_id, prev_hash, entry_hash) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      {seq, at, stored.actor, stored.action, stored.object, stored.detail, stored.request_id, prev_hash, hash});
  if (!inserted.ok()) return inserted.status();
  auto updated = tx.Exec("UPDATE audit.head SET entry_hash = $1 WHERE id = 1", {hash});
  if (!updated.ok()) return updated.status();
  return seq;
}

Result<std::vector<AuditEntry>> List(storage::Database& db, const AuditFilter& filter) {
  std::string sql = "SELECT " + std::string(kColumns) + " FROM audit.entries WHERE 1 = 1";
  storage::Params params;
  auto bind = [&](storage::Value value) {
    params.push_back(std::move(value));
    return "$" + std::to_string(params.size());
  };
  if (!filter.action_prefix.empty()) {
    // Prefix match without LIKE wildcards from user input.
    std::string p1 = bind(filter.action_prefix);
    std::string p2 = bind(static_cast<int64_t>(filter.action_prefix.size()));
    sql += " AND substr(action, 1, " + p2 + ") = " + p1;
  }
  if (!filter.actor.empty()) sql += " AND actor = " + bind(filter.actor);
  if (filter.from) sql += " AND at >= " + bind(*filter.from);
  if (filter.to) sql += " AND at < " + bind(*filter.to);
  if (filter.before_seq > 0) sql += " AND seq < " + bind(filter.before_seq);
  int limit = std::clamp(filter.limit, 1, 500);
  sql += " ORDER BY seq DESC LIMIT " + std::to_string(limit);
  std::vector<AuditEntry> entries;
  Status status = db.Read([&](storage::Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(storage::Rows rows, tx.Query(sql, params));
    for (const storage::Row& row : rows) entries.push_back(EntryFromRow(row));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return entries;
}

Result<VerifyReport> Verify(storage::Database& db) {
  VerifyReport report;
  Status status = db.Read([&](storage::Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(storage::Row anchor,
                        tx.QueryOne("SELECT through_seq, entry_hash FROM audit.anchor WHERE id = 1"));
    report.pruned_through = anchor.Int(0);
    std::string prev_hash = anchor.Text(1);
    int64_t expected_seq = report.pruned_through + 1;
    int64_t last_seq = report.pruned_through;
    if (report.pruned_through > 0) {
      // The newest audit.prune entry must name the anchor: moving it by hand
      // (to hide deleted entries) breaks this.
      PW_ASSIGN_OR_RETURN(storage::Rows pruned, tx.Query("SELECT seq, detail FROM audit.entries WHERE action = "
                                                         "'audit.prune' ORDER BY seq DESC LIMIT 1"));
      nlohmann::json detail =
          pruned.empty() ? nlohmann::json() : nlohmann::json::parse(pruned[0].Text(1), nullptr, false);
      if (!detail.is_object() || detail.value("through_seq", int64_t{-1}) != report.pruned_through ||
          detail.value("entry_hash", std::string()) != prev_hash) {
        report.ok = false;
        report.first_bad_seq = report.pruned_through;
        report.problem = "anchor moved (no audit.prune entry records deleting through entry " +
                         std::to_string(report.pruned_through) + ")";
        return Status::Ok();
      }
    }
    // Page through the chain so memory stays flat on long trails.
    while (true) {
      PW_ASSIGN_OR_RETURN(storage::Rows rows, tx.Query("SELECT " + std::string(kColumns) +
                                                           " FROM audit.entries WHERE seq > $1 ORDER BY seq LIMIT 5000",
                                                       {last_seq}));
      if (rows.empty()) break;
      for (const storage::Row& row : rows) {
        AuditEntry entry = EntryFromRow(row);
        last_seq = entry.seq;
        ++report.entries;
        if (entry.seq != expected_seq) {
          report.ok = false;
          report.first_bad_seq = expected_seq;
          report.problem = "removed (entry " + std::to_string(expected_seq) + " is missing)";
          return Status::Ok();
        }
        if (entry.prev_hash != prev_hash) {
          report.ok = false;
          report.first_bad_seq = entry.seq;
          report.problem = "reordered or predecessor altered (previous-hash link broken)";
          return Status::Ok();
        }
        if (ComputeEntryHash(entry.seq, entry.at, entry.event, entry.prev_hash) != entry.entry_hash) {
          report.ok = false;
          report.first_bad_seq = entry.seq;
          report.problem = "altered (content does not match its hash)";
          return Status::Ok();
        }
        prev_hash = entry.entry_hash;
        ++expected_seq;
      }
    }
    PW_ASSIGN_OR_RETURN(storage::Row head, tx.QueryOne("SELECT seq, entry_hash FROM audit.head WHERE id = 1"));
    if (head.Int(0) != last_seq || head.Text(1) != prev_hash) {
      report.ok = false;
      report.first_bad_seq = last_seq + 1;
      report.problem = "removed at the end (the head records entry " + std::to_string(head.Int(0)) +
                       " but the chain ends at " + std::to_string(last_seq) + ")";
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return report;
}

Result<PruneReport> Prune(storage::Database& db, const Clock& clock, const AuditEvent& by, int64_t before, bool dry_run,
                          int64_t batch_size) {
  PruneReport report;
  // Only what existed when the run began: its own audit.prune entries never
  // count, even when `before` lies in the future (a dry run or test with --as-of).
  std::optional<int64_t> last_at_start;
  while (true) {
    int64_t deleted = 0;
    auto batch = [&](storage::Tx& tx) -> Status {
      PW_ASSIGN_OR_RETURN(storage::Row anchor, tx.QueryOne("SELECT through_seq FROM audit.anchor WHERE id = 1"));
      const int64_t from = anchor.Int(0);
      report.through_seq = from;
      // The prefix ends before the first entry that is to stay.
      PW_ASSIGN_OR_RETURN(storage::Row keep,
                          tx.QueryOne("SELECT MIN(seq) FROM audit.entries WHERE at >= $1", {before}));
      if (!last_at_start) {
        PW_ASSIGN_OR_RETURN(storage::Row last, tx.QueryOne("SELECT MAX(seq) FROM audit.entries"));
        last_at_start = last.IsNull(0) ? from : last.Int(0);
      }
      int64_t end = std::min(keep.IsNull(0) ? *last_at_start : keep.Int(0) - 1, *last_at_start);
      if (dry_run) {
        deleted = std::max<int64_t>(0, end - from);
        report.entries = deleted;
        report.through_seq = std::max(from, end);
        return Status::Ok();
      }
      end = std::min(end, from + batch_size);
      if (end <= from) return Status::Ok();
      PW_ASSIGN_OR_RETURN(storage::Row hash, tx.QueryOne("SELECT entry_hash FROM audit.entries WHERE seq = $1", {end}));
      PW_ASSIGN_OR_RETURN(deleted, tx.Exec("DELETE FROM audit.entries WHERE seq > $1 AND seq <= $2", {from, end}));
      PW_RETURN_IF_ERROR(
          tx.Exec("UPDATE audit.anchor SET through_seq = $1, entry_hash = $2, pruned_at = $3 WHERE id = 1",
                  {end, hash.Text(0), clock.NowUnix()})
              .status());
      AuditEvent record = by;
      record.action = "audit.prune";
      record.object = "audit";
      record.detail =
          nlohmann::json{{"through_seq", end}, {"entry_hash", hash.Text(0)}, {"entries", deleted}, {"before", before}}
              .dump();
      report.through_seq = end;
      return Append(tx, clock, record).status();
    };
    Status step = dry_run ? db.Read(batch) : db.Write(batch);
    if (!step.ok()) return step;
    if (dry_run) return report;
    report.entries += deleted;
    if (deleted == 0) return report;
  }
}

}  // namespace passwerk::audit
