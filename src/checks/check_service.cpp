// The partner check. All three "not yours" outcomes — unknown number, wrong
// name, locked card — take the same path through the same work (one lookup
// in the in-memory card index, two keyed-hash comparisons) and give the same
// answer.
#include "checks/check_service.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "cards/card_number.h"
#include "cards/name_match.h"
#include "core/crypto.h"
#include "core/dates.h"
#include "core/fnv.h"
#include "core/idle_priority.h"
#include "core/log.h"

namespace passwerk::checks {
namespace {

using storage::Row;
using storage::Rows;
using storage::Tx;

double SecondsOf(const Clock& clock) { return std::chrono::duration<double>(clock.Now().time_since_epoch()).count(); }

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A well-formed number that no scheme issues (scheme code 000), looked up when
// the input fails Luhn, so that path costs the same as an unknown number. Its
// serial follows the input, so that its lookup walks the index like any other
// (card_index.h).
std::string DecoyNumber(std::string_view input) { return cards::MakeCardNumber(0, Fnv1a32(input) % 100'000'000u); }

// A check that fills the buffer to this many records appends them to the
// spool (one write of 20 KiB into the page cache); the writer thread appends
// a partly filled buffer every 200 ms.
constexpr size_t kAppendAt = 256;
// Records kept in memory while the spool cannot be written (disk full);
// beyond that the oldest are dropped, and the log says how many.
constexpr size_t kMaxBuffered = 200000;

// Constant-time equality of two digests.
bool SameDigest(const NameDigest& a, const NameDigest& b) {
  uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<uint8_t>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

CheckService::CheckService(storage::Database& db, const Clock& clock, const cards::CardKeys& keys, CheckOptions options,
                           std::unique_ptr<CheckSpool> spool)
    : db_(db),
      clock_(clock),
      keys_(keys),
      options_(options),
      spool_(spool != nullptr ? std::move(spool) : CheckSpool::Open("").value()),  // in memory: cannot fail
      importer_(db, *spool_) {
  // Locks and suspensions survive restarts.
  Status loaded = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows locks, tx.Query("SELECT card_pseudonym, locked_until FROM checks.card_locks WHERE "
                                             "locked_until > $1",
                                             {clock_.NowUnix()}));
    for (const Row& row : locks) card_locks_[row.Text(0)] = row.Int(1);
    return Status::Ok();
  });
  if (!loaded.ok()) log::Warn("could not load card locks", {{"error", loaded.ToString()}});
  writer_thread_ = std::thread([this] { WriterLoop(); });
  importer_thread_ = std::thread([this] { ImporterLoop(); });
}

CheckService::~CheckService() {
  if (warm_up_.joinable()) warm_up_.join();
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  LeaveIdlePriority(importer_thread_);
  stop_cv_.notify_all();
  writer_thread_.join();
  importer_thread_.join();
  Status flushed = Flush();
  if (!flushed.ok()) {
    // Still in the spool file (if it is one): the next start imports them.
    log::Error("check records not imported at shutdown",
               {{"error", flushed.ToString()}, {"records", spool_->backlog_bytes() / kCheckRecordBytes}});
  }
  std::lock_guard lock(import_mutex_);
  Status forgotten = importer_.Forget(spool_->Close());
  if (!forgotten.ok()) log::Warn("spool segments not forgotten", {{"error", forgotten.ToString()}});
}

Status CheckService::ReloadKeys() {
  std::unordered_map<std::string, PartnerKeyInfo> keys;
  std::unordered_map<int64_t, CachedScheme> schemes;
  Status status = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT k.key_hash, k.id, k.partner_id, k.kind, p.origins FROM "
                                            "core.partner_keys k JOIN core.partners p ON p.id = k.partner_id "
                                            "WHERE k.revoked_at IS NULL AND k.suspended_at IS NULL"));
    for (const Row& row : rows) {
      PartnerKeyInfo info;
      info.key_id = row.Int(1);
      info.partner_id = row.Int(2);
      info.kind = row.Text(3) == "publishable" ? KeyKind::kPublishable : KeyKind::kServer;
      std::string origins = row.Text(4);
      for (size_t start = 0; start < origins.size();) {
        size_t end = origins.find(' ', start);
        if (end == std::string::npos) end = origins.size();
        if (end > start) info.origins.push_back(origins.substr(start, end - start));
        start = end + 1;
      }
      keys.emplace(row.Text(0), std::move(info));
    }
    PW_ASSIGN_OR_RETURN(Rows grants, tx.Query("SELECT partner_id, scheme_id FROM core.partner_schemes"));
    for (auto& [hash, info] : keys) {
      for (const Row& g : grants) {
        if (g.Int(0) == info.partner_id) info.scheme_ids.insert(g.Int(1));
      }
    }
    PW_ASSIGN_OR_RETURN(Rows scheme_rows, tx.Query("SELECT id, slug, partner_checks FROM core.schemes"));
    for (const Row& s : scheme_rows) schemes[s.Int(0)] = CachedScheme{s.Text(1), s.Int(2) != 0};
    return Status::Ok();
  });
  if (!status.ok()) return status;
  {
    // A suspended key that is active again in the database was reinstated by staff.
    std::lock_guard defence(defence_mutex_);
    for (const auto& [hash, info] : keys) {
      if (suspended_keys_.erase(info.key_id) > 0) {
        std::erase_if(key_day_no_matches_, [&](const auto& item) { return item.first.first == info.key_id; });
      }
    }
  }
  keys_by_hash_ = std::move(keys);
  schemes_ = std::move(schemes);
  keys_loaded_at_ = clock_.NowUnix();
  return Status::Ok();
}

Result<PartnerKeyInfo> CheckService::Authenticate(const std::string& secret) {
  if (secret.empty() || secret.size() > 128) return Unauthenticated("a valid partner key is required");
  std::string hash = crypto::Sha256Hex(secret);
  std::lock_guard lock(keys_mutex_);
  if (keys_loaded_at_ < 0 || clock_.NowUnix() - keys_loaded_at_ >= options_.key_cache_seconds) {
    PW_RETURN_IF_ERROR(ReloadKeys());
  }
  auto it = keys_by_hash_.find(hash);
  if (it == keys_by_hash_.end()) return Unauthenticated("a valid partner key is required");
  {
    std::lock_guard defence(defence_mutex_);
    if (suspended_keys_.contains(it->second.key_id)) return Unauthenticated("a valid partner key is required");
  }
  return it->second;
}

int64_t CheckService::TakeToken(int64_t key_id) {
  double now = SecondsOf(clock_);
  std::lock_guard lock(buckets_mutex_);
  auto [it, inserted] = buckets_.try_emplace(key_id, Bucket{options_.burst, now});
  Bucket& bucket = it->second;
  bucket.tokens = std::min(options_.burst, bucket.tokens + (now - bucket.last) * options_.rate_per_second);
  bucket.last = now;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return 0;
  }
  double wait = (1.0 - bucket.tokens) / options_.rate_per_second;
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait)));
}

Result<CheckAnswer> CheckService::Check(const PartnerKeyInfo& key, const std::string& card_number,
                                        const std::string& name, const std::string& date) {
  Date on;
  if (date.empty()) {
    on = BerlinDate(clock_.NowUnix());
  } else {
    auto parsed = ParseIsoDate(date);
    if (!parsed) return InvalidArgument("date must be YYYY-MM-DD", "date");
    on = *parsed;
  }
  if (card_number.size() > 64) return InvalidArgument("card_number is too long", "card_number");
  if (name.size() > 64) return InvalidArgument("name is too long", "name");

  std::optional<std::string> normalized = cards::NormalizeCardNumber(card_number);
  const std::string lookup = normalized ? *normalized : DecoyNumber(card_number);
  std::string pseudonym = keys_.Pseudonym(normalized ? *normalized : card_number);
  std::string canonical = cards::CanonicalName(name);

  PW_RETURN_IF_ERROR(EnsureCardsFresh());
  std::optional<CardFacts> found = index_.Find(lookup);
  // Always compute and compare both hashes, found or not (a miss compares
  // against zeros, which no keyed hash equals).
  static const CardFacts kNone;
  const CardFacts& facts = found ? *found : kNone;
  NameDigest presented{};
  std::string mac = keys_.NameMac(lookup, canonical);
  std::memcpy(presented.data(), mac.data(), std::min(mac.size(), presented.size()));
  bool name_ok = SameDigest(presented, facts.hash_a) | SameDigest(presented, facts.hash_b);
  if (!found) name_ok = false;
  std::optional<int64_t> scheme_id = found ? std::optional<int64_t>(found->scheme_id) : std::nullopt;
  bool scheme_ok = false;
  std::string slug;
  {
    // The same lookups found or not: a miss looks up the first scheme and drops the result.
    std::lock_guard lock(keys_mutex_);
    auto s = found ? schemes_.find(found->scheme_id) : schemes_.begin();
    int64_t scheme = s != schemes_.end() ? s->first : 0;
    bool allowed = s != schemes_.end() && s->second.partner_checks && key.scheme_ids.contains(scheme);
    if (s != schemes_.end()) slug = s->second.slug;
    scheme_ok = found && allowed;
    if (!found) slug.clear();
  }
  bool locked = false;
  {
    std::lock_guard lock(defence_mutex_);
    auto it = card_locks_.find(pseudonym);
    locked = it != card_locks_.end() && it->second > clock_.NowUnix();
  }
  bool match = normalized && found && name_ok && scheme_ok && !canonical.empty() && !locked;

  CheckAnswer answer;
  if (!match) {
    answer.reason = "no_match";
    // A lock set by earlier failures is not extended by further ones.
    if (!locked) CountNoMatch(key, pseudonym, found ? std::optional<int64_t>(found->card_id) : std::nullopt);
  } else if (!found->active) {
    answer.reason = "blocked";
  } else {
    int64_t day = DaysFromCivil(on);
    if (day < found->valid_from || day > found->valid_until) {
      answer.reason = "expired";
    } else {
      answer.valid = true;
      answer.scheme = slug;
      answer.discount = found->discount ? *found->discount : std::string();
      answer.valid_until = FormatIsoDate(CivilFromDays(found->valid_until));
    }
  }
  Record(key, match ? scheme_id : std::nullopt, answer.valid ? "valid" : answer.reason, pseudonym);
  return answer;
}

Status CheckService::EnsureCardsFresh() {
  int64_t now = SteadyMillis();
  if (cards_changed_.load() || index_.revision() < 0) {
    // This process changed cards (or nothing is loaded yet): wait for the refresh.
    std::lock_guard lock(refresh_mutex_);
    if (!cards_changed_.exchange(false) && index_.revision() >= 0) return Status::Ok();  // done by another thread
    Status refreshed = index_.Refresh(db_);
    if (!refreshed.ok()) {
      cards_changed_ = true;
      return refreshed;
    }
    refreshed_at_ms_ = now;
    return Status::Ok();
  }
  if (now - refreshed_at_ms_.load() < options_.card_refresh_ms) return Status::Ok();
  std::unique_lock lock(refresh_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return Status::Ok();  // another thread is refreshing
  Status refreshed = index_.Refresh(db_);
  if (!refreshed.ok()) return refreshed;
  refreshed_at_ms_ = now;
  return Status::Ok();
}

void CheckService::WarmUp() {
  if (warm_up_.joinable()) return;
  warm_up_ = std::thread([this] {
    Status loaded = EnsureCardsFresh();
    if (loaded.ok()) {
      log::Info("card index loaded", {{"cards", index_.size()}});
    } else {
      log::Warn("card index not loaded; the first check retries", {{"error", loaded.ToString()}});
    }
  });
}

void CheckService::CountNoMatch(const PartnerKeyInfo& key, const std::string& pseudonym,
                                std::optional<int64_t> card_id) {
  int64_t now = clock_.NowUnix();
  bool lock_card = false;
  bool suspend_key = false;
  {
    std::lock_guard lock(defence_mutex_);
    if (card_no_matches_.size() > 1'000'000) {
      std::erase_if(card_no_matches_, [&](const auto& item) {
        return item.second.empty() || now - item.second.back() >= options_.card_window_seconds;
      });
    }
    auto& times = card_no_matches_[pseudonym];
    while (!times.empty() && now - times.front() >= options_.card_window_seconds) times.pop_front();
    times.push_back(now);
    if (static_cast<int>(times.size()) >= options_.card_no_match_limit) {
      card_locks_[pseudonym] = now + options_.card_lock_seconds;
      times.clear();
      lock_card = true;
    }
    int64_t day = DaysFromCivil(BerlinDate(now));
    int& count = key_day_no_matches_[{key.key_id, day}];
    ++count;
    if (count > options_.key_daily_no_match_budget && !suspended_keys_.contains(key.key_id)) {
      suspended_keys_.insert(key.key_id);
      suspend_key = true;
    }
    if (key_day_no_matches_.size() > 100000) {
      std::erase_if(key_day_no_matches_, [&](const auto& item) { return item.first.second < day; });
    }
  }
  if (!lock_card && !suspend_key) return;
  // Rare events: written synchronously, with an alert for staff.
  Status written = db_.Write([&](Tx& tx) -> Status {
    if (lock_card) {
      auto del = tx.Exec("DELETE FROM checks.card_locks WHERE card_pseudonym = $1", {pseudonym});
      if (!del.ok()) return del.status();
      auto ins = tx.Exec("INSERT INTO checks.card_locks (card_pseudonym, locked_until, created_at) VALUES ($1, $2, $3)",
                         {pseudonym, now + options_.card_lock_seconds, now});
      if (!ins.ok()) return ins.status();
      // Staff hear about cards that exist; guessed numbers only count against the key.
      if (card_id) {
        auto alert = tx.Exec("INSERT INTO checks.alerts (at, kind, subject, detail) VALUES ($1, $2, $3, $4)",
                             {now, std::string("card_locked"), "card:" + std::to_string(*card_id),
                              nlohmann::json{{"partner_id", key.partner_id},
                                             {"locked_until", FormatUtc(now + options_.card_lock_seconds)}}
                                  .dump()});
        if (!alert.ok()) return alert.status();
      }
    }
    if (suspend_key) {
      auto upd = tx.Exec("UPDATE core.partner_keys SET suspended_at = $1 WHERE id = $2", {now, key.key_id});
      if (!upd.ok()) return upd.status();
      auto alert = tx.Exec(
          "INSERT INTO checks.alerts (at, kind, subject, detail) VALUES ($1, $2, $3, $4)",
          {now, std::string("key_suspended"), "partner_key:" + std::to_string(key.key_id),
           nlohmann::json{{"partner_id", key.partner_id}, {"budget", options_.key_daily_no_match_budget}}.dump()});
      if (!alert.ok()) return alert.status();
      auto seq = audit::Append(tx, clock_,
                               {"system", "partner_key.suspend", "partner_key:" + std::to_string(key.key_id),
                                R"({"reason":"daily no_match budget exceeded"})", ""});
      if (!seq.ok()) return seq.status();
    }
    return Status::Ok();
  });
  if (!written.ok()) log::Error("could not record a lock or suspension", {{"error", written.ToString()}});
}

void CheckService::Record(const PartnerKeyInfo& key, std::optional<int64_t> scheme_id, std::string_view result,
                          const std::string& pseudonym) {
  char record[kCheckRecordBytes];
  if (!EncodeCheckRecord(clock_.NowUnix(), key.partner_id, key.key_id, scheme_id, result, pseudonym, record)) {
    log::Error("check record not encodable", {{"result", std::string(result)}});
    return;
  }
  std::string full;
  {
    std::lock_guard lock(buffer_mutex_);
    if (buffer_.empty()) buffer_.reserve(kAppendAt * kCheckRecordBytes);
    buffer_.append(record, kCheckRecordBytes);
    if (buffer_.size() < kAppendAt * kCheckRecordBytes) return;
    full.swap(buffer_);
  }
  if (!AppendToSpool(std::move(full)).ok()) return;  // kept in the buffer, logged
  if (spool_->backlog_bytes() > options_.spool_backstop_bytes) {
    // The importer has found no idle CPU for a long time: checks import.
    Status imported = ImportSpool(1, /*wait=*/false);
    if (!imported.ok()) log::Warn("check records not yet imported", {{"error", imported.ToString()}});
  }
}

Status CheckService::AppendToSpool(std::string records) {
  if (records.empty()) return Status::Ok();
  Status appended = spool_->Append(records);
  if (appended.ok()) return appended;
  // Back in front of the buffer, so that nothing is lost while the disk is
  // full for a moment; bounded, the oldest go first.
  std::lock_guard lock(buffer_mutex_);
  records += buffer_;
  size_t dropped = 0;
  if (records.size() > kMaxBuffered * kCheckRecordBytes) {
    dropped = records.size() / kCheckRecordBytes - kMaxBuffered;
    records.erase(0, dropped * kCheckRecordBytes);
  }
  buffer_.swap(records);
  log::Error("check records not spooled", {{"error", appended.ToString()}, {"dropped", dropped}});
  return appended;
}

void CheckService::WriterLoop() {
  std::unique_lock lock(stop_mutex_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stopping_.load(); });
    if (stopping_) break;
    lock.unlock();
    std::string records;
    {
      std::lock_guard buffer(buffer_mutex_);
      records.swap(buffer_);
    }
    (void)AppendToSpool(std::move(records));  // on failure kept in the buffer, logged
    // The next segment, created here rather than by the check that fills the
    // open one (creating a file syncs the spool directory: milliseconds).
    Status prepared = spool_->Prepare();
    if (!prepared.ok()) log::Warn("next check spool segment not created", {{"error", prepared.ToString()}});
    lock.lock();
  }
}

void CheckService::ImporterLoop() {
  // Idle priority: the import runs when no check needs the CPU, and a check
  // that wakes up preempts it at once (a nice value would let it finish its
  // time slice first, a millisecond and more of latency for the checks). A
  // check that is runnable but not woken (it used up its slice) waits for
  // the scheduler's next tick, up to 4 ms: the importer yields between its
  // statements (SpoolImporter) so that it hands the CPU back sooner.
  EnterIdlePriority();
  std::unique_lock lock(stop_mutex_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stopping_.load(); });
    if (stopping_) break;
    lock.unlock();
    // Until the spool is imported, a chunk at a time (stopping in between:
    // the destructor imports the rest).
    for (uint64_t backlog = spool_->backlog_bytes(); !stopping_ && backlog > 0;) {
      Status imported = ImportSpool(1, /*wait=*/true);
      if (!imported.ok()) {
        log::Warn("check records not yet imported; retrying", {{"error", imported.ToString()}});
        break;
      }
      uint64_t left = spool_->backlog_bytes();
      if (left >= backlog) break;  // no progress (records appended meanwhile): wait for the next round
      backlog = left;
    }
    lock.lock();
  }
}

Status CheckService::Flush() {
  std::string records;
  {
    std::lock_guard lock(buffer_mutex_);
    records.swap(buffer_);
  }
  PW_RETURN_IF_ERROR(AppendToSpool(std::move(records)));
  return ImportSpool(std::numeric_limits<size_t>::max(), /*wait=*/true);
}

Status CheckService::ImportSpool(size_t max_chunks, bool wait) {
  std::unique_lock lock(import_mutex_, std::defer_lock);
  if (wait) {
    lock.lock();
  } else if (!lock.try_lock()) {
    return Status::Ok();
  }
  return importer_.Import(max_chunks);
}

Result<std::vector<Alert>> CheckService::OpenAlerts() {
  std::vector<Alert> alerts;
  Status status = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT id, at, kind, subject, detail FROM checks.alerts WHERE "
                                            "acknowledged_at IS NULL ORDER BY id DESC LIMIT 100"));
    for (const Row& r : rows) alerts.push_back({r.Int(0), r.Int(1), r.Text(2), r.Text(3), r.Text(4)});
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return alerts;
}

Status CheckService::AcknowledgeAlert(int64_t alert_id, const std::string& actor, const std::string& request_id) {
  return db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE checks.alerts SET acknowledged_at = $1 WHERE id = $2 AND "
                                                 "acknowledged_at IS NULL",
                                                 {clock_.NowUnix(), alert_id}));
    if (changed == 0) return NotFound("no such open alert");
    auto seq =
        audit::Append(tx, clock_, {actor, "alert.acknowledge", "alert:" + std::to_string(alert_id), "{}", request_id});
    return seq.ok() ? Status::Ok() : seq.status();
  });
}

std::string CheckService::SignVerdict(const VerdictSigner& signer, const PartnerKeyInfo& key,
                                      const std::string& card_number, const CheckAnswer& answer) const {
  Verdict verdict;
  verdict.valid = answer.valid;
  verdict.reason = answer.reason;
  verdict.scheme = answer.scheme;
  verdict.discount = answer.discount;
  verdict.valid_until = answer.valid_until;
  auto digits = cards::NormalizeCardNumber(card_number);
  verdict.card_hash = Base64Url(crypto::Sha256(digits ? *digits : card_number));
  verdict.partner_id = key.partner_id;
  verdict.issued_at = clock_.NowUnix();
  verdict.expires_at = verdict.issued_at + kVerdictLifetimeSeconds;
  return signer.Sign(verdict);
}

}  // namespace passwerk::checks
