// The partner real-time check (ErlangenPass interface): card number and part
// of the holder's name in, valid/invalid out — nothing else leaves. Built-in
// enumeration defence: a token bucket per key, a lock on cards that collect
// too many no_match answers, a daily no_match budget per key. Every check is
// recorded (card only by pseudonym) in segment `checks`, through a spool file
// that an idle-priority importer empties (checks/check_spool.h).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cards/cards.h"
#include "checks/card_index.h"
#include "checks/check_spool.h"
#include "checks/verdict.h"
#include "core/clock.h"
#include "core/status.h"
#include "storage/database.h"

namespace passwerk::checks {

struct CheckOptions {
  double rate_per_second = 10;  // token bucket per key
  double burst = 20;
  int card_no_match_limit = 5;  // no_match answers per card within the window before it is locked
  int64_t card_window_seconds = 24 * 3600;
  int64_t card_lock_seconds = 24 * 3600;
  int key_daily_no_match_budget = 100;  // per key and Berlin day, then the key is suspended
  int64_t key_cache_seconds = 2;        // key changes (revocation) take effect within this time
  // Card changes made by this process reach the check at once; changes made
  // by another process (`passwerk cards import`) within this time.
  int64_t card_refresh_ms = 1000;
  // Check records not yet imported beyond this make the checks themselves
  // import (slower checks instead of an unbounded spool when the importer
  // finds no idle CPU for a long time).
  uint64_t spool_backstop_bytes = 256u << 20;
};

enum class KeyKind { kServer, kPublishable };

struct PartnerKeyInfo {
  int64_t key_id = 0;
  int64_t partner_id = 0;
  KeyKind kind = KeyKind::kServer;
  std::set<int64_t> scheme_ids;
  std::vector<std::string> origins;  // for publishable keys
};

struct CheckAnswer {
  bool valid = false;
  std::string reason;  // "expired", "blocked", "no_match" when not valid
  std::string scheme;  // slug, when valid
  std::string discount;
  std::string valid_until;  // ISO, when valid
};

struct Alert {
  int64_t id = 0;
  int64_t at = 0;
  std::string kind;     // "card_locked", "key_suspended"
  std::string subject;  // "card:<id>" or "partner_key:<id>"
  std::string detail;
};

class CheckService {
 public:
  // `spool` holds the check records on their way into the database; null:
  // an in-memory spool (nothing survives a crash; for tests).
  CheckService(storage::Database& db, const Clock& clock, const cards::CardKeys& keys, CheckOptions options = {},
               std::unique_ptr<CheckSpool> spool = nullptr);
  ~CheckService();
  CheckService(const CheckService&) = delete;
  CheckService& operator=(const CheckService&) = delete;

  // Resolves a presented key (kUnauthenticated for unknown, revoked, suspended).
  Result<PartnerKeyInfo> Authenticate(const std::string& secret);
  // Token bucket; returns 0 if allowed, else seconds until the next token.
  int64_t TakeToken(int64_t key_id);
  // `date` empty: today in Europe/Berlin. kInvalidArgument for a malformed date.
  Result<CheckAnswer> Check(const PartnerKeyInfo& key, const std::string& card_number, const std::string& name,
                            const std::string& date);
  // The answer to a publishable key as a verdict signed by `signer`, valid for
  // 15 minutes, tied to the card number typed by its hash.
  std::string SignVerdict(const VerdictSigner& signer, const PartnerKeyInfo& key, const std::string& card_number,
                          const CheckAnswer& answer) const;

  // The card registry changed in this process: the next check refreshes its card index first.
  void CardsChanged() { cards_changed_ = true; }
  // Loads the card index in the background (serve calls it at startup, so
  // that the first check does not wait for a million cards to load).
  void WarmUp();

  // Imports every check record made so far into checks.checks; called on
  // shutdown (and by tests).
  Status Flush();
  Result<std::vector<Alert>> OpenAlerts();
  Status AcknowledgeAlert(int64_t alert_id, const std::string& actor, const std::string& request_id);

 private:
  struct CachedScheme {
    std::string slug;
    bool partner_checks = true;
  };
  Status ReloadKeys();
  // Refreshes the card index when this process changed cards, or when it is
  // older than card_refresh_ms (then only if no other thread is at it).
  Status EnsureCardsFresh();
  // Records one check: into a buffer, which the check that fills it appends
  // to the spool.
  void Record(const PartnerKeyInfo& key, std::optional<int64_t> scheme_id, std::string_view result,
              const std::string& pseudonym);
  // Appends to the spool; on failure the records go back into the buffer
  // (the error is logged and returned).
  Status AppendToSpool(std::string records);
  // Appends what is buffered and prepares the next spool segment, every
  // 200 ms (normal priority: it takes the buffer's lock, which the checks
  // need).
  void WriterLoop();
  // Imports the spool, at SCHED_IDLE. It takes no lock that a
  // check waits for, other than the spool's for a few instructions: an idle
  // thread can be preempted while holding a lock, and then holds it until the
  // CPU is idle again.
  void ImporterLoop();
  // Imports up to `max_chunks` chunks from the spool; with `wait` false,
  // returns at once when another thread is importing.
  Status ImportSpool(size_t max_chunks, bool wait);
  // Counts a no_match; may lock the card or suspend the key.
  void CountNoMatch(const PartnerKeyInfo& key, const std::string& pseudonym, std::optional<int64_t> card_id);

  storage::Database& db_;
  const Clock& clock_;
  const cards::CardKeys& keys_;
  CheckOptions options_;

  std::mutex keys_mutex_;
  int64_t keys_loaded_at_ = -1;
  std::unordered_map<std::string, PartnerKeyInfo> keys_by_hash_;
  std::unordered_map<int64_t, CachedScheme> schemes_;

  CardIndex index_;
  std::mutex refresh_mutex_;
  std::atomic<bool> cards_changed_{true};
  std::atomic<int64_t> refreshed_at_ms_{0};  // steady clock
  std::thread warm_up_;

  std::mutex buckets_mutex_;
  struct Bucket {
    double tokens;
    double last;
  };
  std::unordered_map<int64_t, Bucket> buckets_;

  std::mutex defence_mutex_;
  std::unordered_map<std::string, std::deque<int64_t>> card_no_matches_;
  std::unordered_map<std::string, int64_t> card_locks_;            // pseudonym → locked until
  std::map<std::pair<int64_t, int64_t>, int> key_day_no_matches_;  // (key, day) → count
  std::set<int64_t> suspended_keys_;

  std::unique_ptr<CheckSpool> spool_;
  std::mutex buffer_mutex_;
  std::string buffer_;  // encoded records not yet in the spool
  std::mutex import_mutex_;
  SpoolImporter importer_;  // guarded by import_mutex_
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  std::atomic<bool> stopping_{false};
  std::thread writer_thread_;
  std::thread importer_thread_;
};

}  // namespace passwerk::checks
