// The spool between the partner check and the table of check records: checks
// append fixed-size records to a file (a write into the page cache, no
// database work on the request path), and an importer moves them into
// `checks.checks` when the CPU is otherwise idle. Which bytes of which spool
// file are in the database is stored in the same transaction as the rows
// (`checks.spool_files`), so after a crash every record that reached the file
// is imported exactly once.
//
// A spool is a directory of segment files `checks-<ms>-<pid>-<n>.spool`. Each
// process appends to its own segment, starting a new one every
// `segment_bytes`, and holds an flock on every segment it owns; at start it
// adopts the segments nobody holds (left by a process that ended before
// importing them). An empty directory name keeps the segments in memory
// (memfd): for tests and in-memory databases, nothing survives the process.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "storage/database.h"

namespace passwerk::checks {

// One recorded check, as imported into checks.checks.
struct CheckRecord {
  int64_t at = 0;
  int64_t partner_id = 0;
  int64_t key_id = 0;
  std::optional<int64_t> scheme_id;
  std::string result;     // "valid", "no_match", "expired", "blocked"
  std::string pseudonym;  // at most kPseudonymBytes characters
};

// On disk, host byte order (a spool is read by the machine that wrote it):
//   0 checksum (FNV-1a, 32 bit, over bytes 4..79)   4 format version (1)
//   5 result code   8 at   16 partner_id   24 key_id   32 scheme_id (0: none)
//   40 pseudonym, NUL-padded (32 bytes)   72 zero
constexpr size_t kCheckRecordBytes = 80;
constexpr size_t kPseudonymBytes = 32;

// Encodes into `out` (kCheckRecordBytes). False for an unknown result or a
// pseudonym that does not fit; nothing is written then.
bool EncodeCheckRecord(int64_t at, int64_t partner_id, int64_t key_id, std::optional<int64_t> scheme_id,
                       std::string_view result, std::string_view pseudonym, char* out);
// Decodes one record; nullopt for a torn or damaged one.
std::optional<CheckRecord> DecodeCheckRecord(const char* in);

// Records read from one segment, to be imported in one transaction.
struct SpoolChunk {
  std::string segment;  // the segment's name, the key in checks.spool_files
  uint64_t begin = 0;   // byte offsets in the segment: [begin, end)
  uint64_t end = 0;
  std::vector<CheckRecord> records;
  size_t damaged = 0;  // records in the range that failed their checksum (skipped)
};

class CheckSpool {
 public:
  // Where a segment's import stands in the database (0 when it has no row).
  using ImportedOffset = std::function<Result<uint64_t>(const std::string& segment)>;

  static Result<std::unique_ptr<CheckSpool>> Open(const std::string& dir, uint64_t segment_bytes = 16u << 20);
  ~CheckSpool();
  CheckSpool(const CheckSpool&) = delete;
  CheckSpool& operator=(const CheckSpool&) = delete;

  // Appends whole encoded records (a multiple of kCheckRecordBytes); whole or
  // absent: a failed write is cut back off the file. Thread-safe.
  //
  // Appends go to the page cache and are not synced: they survive a crash of
  // the process, and reach the disk with the kernel's writeback. A segment
  // imported and deleted before that (at full load within seconds) is never
  // written to disk at all, which keeps writeback off the check's CPU. A power
  // failure can lose records not yet imported; Close() syncs what it keeps.
  Status Append(std::string_view records);
  // Creates the segment the next append that fills the open one will move
  // to, unless there is one: so that no check creates a file and syncs the
  // directory. Thread-safe; the file is created outside the lock.
  Status Prepare();

  // The next records to import, from the oldest segment that has any, at
  // most `max_records`. An empty chunk (no records, begin == end) means the
  // spool is imported up to what has been appended. One importer at a time.
  Result<SpoolChunk> Next(size_t max_records, const ImportedOffset& imported_offset);
  // The chunk's records are in the database. Segments imported completely
  // and no longer written are deleted; their names are returned (their
  // checks.spool_files rows can go).
  std::vector<std::string> Imported(const SpoolChunk& chunk);
  // Ends writing: after everything was imported, the open segment is deleted
  // (its name returned, as by Imported); otherwise it is synced and kept for
  // the next start.
  std::vector<std::string> Close();

  // Bytes appended or adopted and not yet imported.
  uint64_t backlog_bytes() const { return backlog_.load(std::memory_order_relaxed); }
  // Number of segment files this spool holds records in (open and sealed;
  // not the prepared one).
  size_t segment_count() const;

 private:
  struct Segment {
    std::string name;
    std::string path;  // empty: memfd
    int fd = -1;
    uint64_t written = 0;              // whole records in the file
    std::optional<uint64_t> imported;  // known once read from the database
  };
  CheckSpool(std::string dir, uint64_t segment_bytes) : dir_(std::move(dir)), segment_bytes_(segment_bytes) {}
  Status Adopt();
  // A new, empty segment file (locked with flock, its directory entry
  // synced). Runs with or without mutex_ held.
  Result<std::unique_ptr<Segment>> Create();
  void Remove(Segment& segment);

  const std::string dir_;
  const uint64_t segment_bytes_;
  mutable std::mutex mutex_;                     // guards the fields below
  std::unique_ptr<Segment> open_;                // appended to; null until the first append
  std::deque<std::unique_ptr<Segment>> sealed_;  // oldest first; no longer appended to
  std::unique_ptr<Segment> prepared_;            // the next open_, from Prepare()
  std::atomic<uint64_t> created_{0};             // segments created; Create runs with or without the lock
  bool closed_ = false;
  std::atomic<uint64_t> backlog_{0};
};

// Moves spooled records into checks.checks: one transaction per chunk, which
// also stores how far the chunk's segment is imported. One at a time per
// spool (the caller serialises).
class SpoolImporter {
 public:
  SpoolImporter(storage::Database& db, CheckSpool& spool, size_t chunk_records = 4096)
      : db_(db), spool_(spool), chunk_records_(chunk_records) {}
  // Imports up to `max_chunks` chunks; fewer when the spool is imported up to
  // what was appended.
  Status Import(size_t max_chunks = SIZE_MAX);
  // Deletes the checks.spool_files rows of segments the spool deleted (from
  // CheckSpool::Close, and those retired by earlier imports).
  Status Forget(const std::vector<std::string>& segments);

 private:
  Status Write(const SpoolChunk& chunk);

  storage::Database& db_;
  CheckSpool& spool_;
  const size_t chunk_records_;
  std::vector<std::string> retired_;  // rows to delete with the next transaction
};

}  // namespace passwerk::checks
