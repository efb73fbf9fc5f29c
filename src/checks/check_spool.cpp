#include "checks/check_spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/fnv.h"
#include "core/log.h"

namespace passwerk::checks {
namespace {

constexpr uint8_t kFormatVersion = 1;
constexpr std::string_view kPrefix = "checks-";
constexpr std::string_view kSuffix = ".spool";

// Result codes on disk; index + 1 is the code.
constexpr std::string_view kResults[] = {"valid", "no_match", "expired", "blocked"};

void Put64(char* out, int64_t value) { std::memcpy(out, &value, sizeof value); }
int64_t Get64(const char* in) {
  int64_t value;
  std::memcpy(&value, in, sizeof value);
  return value;
}

Status ErrnoStatus(const std::string& what, int error) {
  return Unavailable("check spool: " + what + ": " + std::strerror(error));
}

bool IsSegmentName(std::string_view name) {
  return name.size() > kPrefix.size() + kSuffix.size() && name.starts_with(kPrefix) && name.ends_with(kSuffix);
}

// Makes a new directory entry durable.
void SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

// Called by the importer between steps of a few hundred microseconds. It
// runs at idle priority, but a check that used up its time slice is not
// woken and waits for the scheduler's next tick to preempt the importer
// (4 ms at 250 Hz); yielding hands the CPU back after each step. Costs a
// system call when nothing else is runnable.
void YieldCpu() { sched_yield(); }

// Decoded between two YieldCpu() calls.
constexpr size_t kRecordsPerYield = 512;

// Rows per INSERT statement: full statements of kRowsPerInsert rows, the rest
// in halving sizes (32, 16, …, 1), so that every statement text is one of a
// few, each prepared once and then taken from the statement cache.
constexpr size_t kRowsPerInsert = 64;

std::string InsertChecksSql(size_t rows) {
  std::string sql = "INSERT INTO checks.checks (at, partner_id, key_id, scheme_id, result, card_pseudonym) VALUES ";
  for (size_t r = 0; r < rows; ++r) {
    size_t p = r * 6;
    sql += (r ? ", (" : "(");
    for (size_t c = 1; c <= 6; ++c) {
      sql += '$';
      sql += std::to_string(p + c);
      sql += c < 6 ? ", " : ")";
    }
  }
  return sql;
}

}  // namespace

bool EncodeCheckRecord(int64_t at, int64_t partner_id, int64_t key_id, std::optional<int64_t> scheme_id,
                       std::string_view result, std::string_view pseudonym, char* out) {
  const auto* known = std::find(std::begin(kResults), std::end(kResults), result);
  if (known == std::end(kResults) || pseudonym.size() > kPseudonymBytes) return false;
  std::memset(out, 0, kCheckRecordBytes);
  out[4] = static_cast<char>(kFormatVersion);
  out[5] = static_cast<char>(known - std::begin(kResults) + 1);
  Put64(out + 8, at);
  Put64(out + 16, partner_id);
  Put64(out + 24, key_id);
  Put64(out + 32, scheme_id.value_or(0));
  std::memcpy(out + 40, pseudonym.data(), pseudonym.size());
  uint32_t checksum = Fnv1a32(std::string_view(out + 4, kCheckRecordBytes - 4));
  std::memcpy(out, &checksum, sizeof checksum);
  return true;
}

std::optional<CheckRecord> DecodeCheckRecord(const char* in) {
  uint32_t checksum;
  std::memcpy(&checksum, in, sizeof checksum);
  if (checksum != Fnv1a32(std::string_view(in + 4, kCheckRecordBytes - 4))) return std::nullopt;
  auto code = static_cast<uint8_t>(in[5]);
  if (static_cast<uint8_t>(in[4]) != kFormatVersion || code < 1 || code > std::size(kResults)) return std::nullopt;
  CheckRecord record;
  record.at = Get64(in + 8);
  record.partner_id = Get64(in + 16);
  record.key_id = Get64(in + 24);
  if (int64_t scheme = Get64(in + 32); scheme != 0) record.scheme_id = scheme;
  record.result = std::string(kResults[code - 1]);
  const char* pseudonym = in + 40;
  record.pseudonym.assign(pseudonym, strnlen(pseudonym, kPseudonymBytes));
  return record;
}

Result<std::unique_ptr<CheckSpool>> CheckSpool::Open(const std::string& dir, uint64_t segment_bytes) {
  std::unique_ptr<CheckSpool> spool(new CheckSpool(dir, std::max<uint64_t>(segment_bytes, kCheckRecordBytes)));
  if (!dir.empty()) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoStatus("cannot create " + dir, errno);
    PW_RETURN_IF_ERROR(spool->Adopt());
  }
  return spool;
}

CheckSpool::~CheckSpool() { (void)Close(); }

Status CheckSpool::Adopt() {
  DIR* listing = ::opendir(dir_.c_str());
  if (listing == nullptr) return ErrnoStatus("cannot read " + dir_, errno);
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(listing)) {
    if (IsSegmentName(entry->d_name)) names.emplace_back(entry->d_name);
  }
  ::closedir(listing);
  std::sort(names.begin(), names.end());  // oldest first: the name starts with the creation time
  std::lock_guard lock(mutex_);
  for (const std::string& name : names) {
    std::string path = dir_ + "/" + name;
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) continue;  // removed meanwhile by its importer
    // Held by a running process: its own segment, not ours to import.
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      continue;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      int error = errno;
      ::close(fd);
      return ErrnoStatus("cannot read " + path, error);
    }
    auto segment = std::make_unique<Segment>();
    segment->name = name;
    segment->path = std::move(path);
    segment->fd = fd;
    // A record torn by a crash at the very end is not a whole record.
    segment->written = static_cast<uint64_t>(st.st_size) - static_cast<uint64_t>(st.st_size) % kCheckRecordBytes;
    backlog_ += segment->written;
    sealed_.push_back(std::move(segment));
  }
  return Status::Ok();
}

Result<std::unique_ptr<CheckSpool::Segment>> CheckSpool::Create() {
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto segment = std::make_unique<Segment>();
    segment->name = std::string(kPrefix) + std::to_string(millis) + "-" + std::to_string(::getpid()) + "-" +
                    std::to_string(++created_) + std::string(kSuffix);
    segment->imported = 0;  // a new name has no row in checks.spool_files
    if (dir_.empty()) {
      segment->fd = ::memfd_create(segment->name.c_str(), MFD_CLOEXEC);
      if (segment->fd < 0) return ErrnoStatus("cannot create an in-memory segment", errno);
      return segment;
    }
    segment->path = dir_ + "/" + segment->name;
    segment->fd = ::open(segment->path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (segment->fd < 0) {
      if (errno == EEXIST) continue;
      return ErrnoStatus("cannot create " + segment->path, errno);
    }
    // Another process starting up may have adopted the empty file in the
    // instant before the lock: it is then theirs to retire; take a new name.
    if (::flock(segment->fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(segment->fd);
      continue;
    }
    SyncDirectory(dir_);
    return segment;
  }
  return Unavailable("check spool: cannot create a segment in " + dir_);
}

Status CheckSpool::Prepare() {
  {
    std::lock_guard lock(mutex_);
    if (closed_ || prepared_ != nullptr) return Status::Ok();
  }
  PW_ASSIGN_OR_RETURN(std::unique_ptr<Segment> segment, Create());
  std::lock_guard lock(mutex_);
  if (!closed_ && prepared_ == nullptr) {
    prepared_ = std::move(segment);
  } else {
    Remove(*segment);  // closed meanwhile, or prepared by another thread
  }
  return Status::Ok();
}

Status CheckSpool::Append(std::string_view records) {
  if (records.empty()) return Status::Ok();
  if (records.size() % kCheckRecordBytes != 0) return InvalidArgument("check spool: not whole records");
  std::lock_guard lock(mutex_);
  if (closed_) return FailedPrecondition("check spool: closed");
  if (open_ != nullptr && open_->written >= segment_bytes_) sealed_.push_back(std::move(open_));
  if (open_ == nullptr) {
    if (prepared_ != nullptr) {
      open_ = std::move(prepared_);
    } else {
      PW_ASSIGN_OR_RETURN(open_, Create());
    }
  }
  Segment& segment = *open_;
  size_t done = 0;
  while (done < records.size()) {
    ssize_t n = ::write(segment.fd, records.data() + done, records.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int error = n < 0 ? errno : ENOSPC;
      // Whole or absent: cut off what part of this write reached the file.
      if (::ftruncate(segment.fd, static_cast<off_t>(segment.written)) != 0) {
        // The file keeps a torn tail; its records fail their checksum on import.
        segment.written += done - done % kCheckRecordBytes;
      }
      return ErrnoStatus("cannot write " + segment.name, error);
    }
    done += static_cast<size_t>(n);
  }
  segment.written += records.size();
  backlog_ += records.size();
  return Status::Ok();
}

Result<SpoolChunk> CheckSpool::Next(size_t max_records, const ImportedOffset& imported_offset) {
  Segment* segment = nullptr;
  uint64_t end = 0;
  bool sealed = false;
  std::optional<uint64_t> imported;
  {
    std::lock_guard lock(mutex_);
    if (!sealed_.empty()) {
      segment = sealed_.front().get();
      sealed = true;
    } else if (open_ != nullptr) {
      segment = open_.get();
    } else {
      return SpoolChunk{};
    }
    end = segment->written;
    imported = segment->imported;
  }
  if (!imported) {
    PW_ASSIGN_OR_RETURN(uint64_t stored, imported_offset(segment->name));
    // A segment that lost its tail in a power failure can be shorter than
    // what was imported from it.
    stored = std::min(stored, end);
    std::lock_guard lock(mutex_);
    segment->imported = stored;
    backlog_ -= stored;
    imported = stored;
  }
  SpoolChunk chunk;
  chunk.segment = segment->name;
  chunk.begin = *imported;
  chunk.end = *imported;
  if (chunk.begin >= end) {
    if (!sealed) return SpoolChunk{};  // nothing new in the open segment
    return chunk;                      // a sealed segment to retire
  }
  size_t count = std::min<uint64_t>((end - chunk.begin) / kCheckRecordBytes, std::max<size_t>(max_records, 1));
  std::string bytes(count * kCheckRecordBytes, '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = ::pread(segment->fd, bytes.data() + got, bytes.size() - got, static_cast<off_t>(chunk.begin + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("cannot read " + segment->name, errno);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  count = got / kCheckRecordBytes;
  if (count == 0) return Unavailable("check spool: " + segment->name + " is shorter than recorded");
  chunk.records.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    if (i % kRecordsPerYield == kRecordsPerYield - 1) YieldCpu();
    if (auto record = DecodeCheckRecord(bytes.data() + i * kCheckRecordBytes)) {
      chunk.records.push_back(std::move(*record));
    } else {
      ++chunk.damaged;
    }
  }
  chunk.end = chunk.begin + count * kCheckRecordBytes;
  return chunk;
}

std::vector<std::string> CheckSpool::Imported(const SpoolChunk& chunk) {
  std::vector<std::string> retired;
  std::lock_guard lock(mutex_);
  Segment* segment = nullptr;
  bool sealed = false;
  if (!sealed_.empty() && sealed_.front()->name == chunk.segment) {
    segment = sealed_.front().get();
    sealed = true;
  } else if (open_ != nullptr && open_->name == chunk.segment) {
    segment = open_.get();
  }
  // (A chunk with no records retires a sealed segment that is imported already.)
  if (segment == nullptr || !segment->imported || chunk.end < *segment->imported) return retired;
  backlog_ -= chunk.end - *segment->imported;
  segment->imported = chunk.end;
  if (sealed && chunk.end >= segment->written) {
    Remove(*segment);
    retired.push_back(segment->name);
    sealed_.pop_front();
  }
  return retired;
}

std::vector<std::string> CheckSpool::Close() {
  std::vector<std::string> retired;
  std::lock_guard lock(mutex_);
  if (closed_) return retired;
  closed_ = true;
  auto finish = [&](Segment& segment) {
    if (segment.imported.value_or(0) >= segment.written && segment.imported.has_value()) {
      Remove(segment);
      retired.push_back(segment.name);
    } else {
      // Kept for the next start, which adopts it.
      (void)::fdatasync(segment.fd);
      ::close(segment.fd);
      segment.fd = -1;
    }
  };
  for (auto& segment : sealed_) finish(*segment);
  sealed_.clear();
  if (open_ != nullptr) finish(*open_);
  open_.reset();
  if (prepared_ != nullptr) Remove(*prepared_);  // empty, and in no checks.spool_files row
  prepared_.reset();
  return retired;
}

size_t CheckSpool::segment_count() const {
  std::lock_guard lock(mutex_);
  return sealed_.size() + (open_ != nullptr ? 1 : 0);
}

void CheckSpool::Remove(Segment& segment) {
  // Unlinked before the database forgets its row: a crash in between leaves
  // a row without a file (harmless), never a file imported twice.
  if (!segment.path.empty()) ::unlink(segment.path.c_str());
  if (segment.fd >= 0) ::close(segment.fd);
  segment.fd = -1;
}

Status SpoolImporter::Import(size_t max_chunks) {
  auto imported_offset = [&](const std::string& segment) -> Result<uint64_t> {
    uint64_t offset = 0;
    PW_RETURN_IF_ERROR(db_.Read([&](storage::Tx& tx) -> Status {
      PW_ASSIGN_OR_RETURN(storage::Rows rows,
                          tx.Query("SELECT imported_bytes FROM checks.spool_files WHERE segment = $1", {segment}));
      if (!rows.empty()) offset = static_cast<uint64_t>(rows[0].Int(0));
      return Status::Ok();
    }));
    return offset;
  };
  for (size_t i = 0; i < max_chunks; ++i) {
    PW_ASSIGN_OR_RETURN(SpoolChunk chunk, spool_.Next(chunk_records_, imported_offset));
    if (chunk.segment.empty()) return Status::Ok();  // imported up to the end
    if (chunk.damaged > 0) {
      log::Error("damaged check records skipped", {{"segment", chunk.segment}, {"records", chunk.damaged}});
    }
    if (chunk.end > chunk.begin) PW_RETURN_IF_ERROR(Write(chunk));
    std::vector<std::string> retired = spool_.Imported(chunk);
    retired_.insert(retired_.end(), retired.begin(), retired.end());
  }
  return Status::Ok();
}

Status SpoolImporter::Forget(const std::vector<std::string>& segments) {
  retired_.insert(retired_.end(), segments.begin(), segments.end());
  if (retired_.empty()) return Status::Ok();
  Status forgotten = db_.Write([&](storage::Tx& tx) -> Status {
    for (const std::string& segment : retired_) {
      auto del = tx.Exec("DELETE FROM checks.spool_files WHERE segment = $1", {segment});
      if (!del.ok()) return del.status();
    }
    return Status::Ok();
  });
  if (forgotten.ok()) retired_.clear();
  return forgotten;
}

Status SpoolImporter::Write(const SpoolChunk& chunk) {
  // kInserts[k] inserts kRowsPerInsert >> k rows.
  static const std::vector<std::string> kInserts = [] {
    std::vector<std::string> inserts;
    for (size_t rows = kRowsPerInsert; rows > 0; rows /= 2) inserts.push_back(InsertChecksSql(rows));
    return inserts;
  }();
  const std::vector<CheckRecord>& batch = chunk.records;
  Status written = db_.Write([&](storage::Tx& tx) -> Status {
    storage::Params params;
    params.reserve(kRowsPerInsert * 6);
    size_t k = 0;
    for (size_t start = 0; start < batch.size();) {
      while ((kRowsPerInsert >> k) > batch.size() - start) ++k;
      size_t rows = kRowsPerInsert >> k;
      params.clear();
      for (size_t i = start; i < start + rows; ++i) {
        const CheckRecord& r = batch[i];
        storage::Value scheme = std::monostate{};
        if (r.scheme_id) scheme = *r.scheme_id;
        params.insert(params.end(), {r.at, r.partner_id, r.key_id, scheme, r.result, r.pseudonym});
      }
      auto ins = tx.Exec(kInserts[k], params);
      if (!ins.ok()) return ins.status();
      start += rows;
      YieldCpu();
    }
    // In the same transaction as the rows: each record is imported once.
    auto upsert = tx.Exec(
        "INSERT INTO checks.spool_files (segment, imported_bytes) VALUES ($1, $2) "
        "ON CONFLICT (segment) DO UPDATE SET imported_bytes = excluded.imported_bytes",
        {chunk.segment, static_cast<int64_t>(chunk.end)});
    if (!upsert.ok()) return upsert.status();
    for (const std::string& segment : retired_) {
      auto del = tx.Exec("DELETE FROM checks.spool_files WHERE segment = $1", {segment});
      if (!del.ok()) return del.status();
    }
    return Status::Ok();
  });
  if (written.ok()) retired_.clear();
  return written;
}

}  // namespace passwerk::checks
