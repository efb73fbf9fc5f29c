#include "checks/card_index.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <mutex>

#include "core/crypto.h"
#include "core/dates.h"

namespace passwerk::checks {
namespace {

using storage::Row;
using storage::Rows;
using storage::Tx;

constexpr int64_t kPageSize = 5000;

constexpr const char* kColumns =
    "card_number, id, scheme_id, state, valid_from, valid_until, discount_class, name_hash_a, name_hash_b";

std::optional<uint64_t> NumberOf(std::string_view digits) {
  if (digits.empty() || digits.size() > 19) return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A bijection of the 64-bit numbers (the finaliser of MurmurHash3), applied
// after XOR with the index's secret: distinct numbers keep distinct keys.
uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

uint64_t RandomSecret() {
  std::string bytes = crypto::RandomBytes(sizeof(uint64_t));
  uint64_t secret = 0;
  std::memcpy(&secret, bytes.data(), sizeof secret);
  return secret;
}

}  // namespace

CardIndex::CardIndex(size_t merge_threshold) : secret_(RandomSecret()), merge_threshold_(merge_threshold) {}

uint64_t CardIndex::KeyOf(uint64_t number) const { return Mix(number ^ secret_); }

NameDigest NameDigestOf(std::string_view hex) {
  NameDigest digest{};
  if (hex.size() < 2 * digest.size()) return digest;
  for (size_t i = 0; i < digest.size(); ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return NameDigest{};
    digest[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return digest;
}

const std::string* CardIndex::Intern(const std::string& discount) {
  auto it = discount_ids_.find(discount);
  if (it != discount_ids_.end()) return it->second;
  const std::string* stored = &discounts_.emplace_back(discount);
  discount_ids_.emplace(discount, stored);
  return stored;
}

Result<CardIndex::Change> CardIndex::ChangeOf(const Row& row) {
  auto number = NumberOf(row.Text(0));
  auto from = ParseIsoDate(row.Text(4));
  auto until = ParseIsoDate(row.Text(5));
  if (!number || !from || !until) return Internal("card row " + std::to_string(row.Int(1)) + " is malformed");
  Change change;
  change.key = KeyOf(*number);
  change.facts.card_id = row.Int(1);
  change.facts.scheme_id = row.Int(2);
  change.facts.active = row.Text(3) == "active";
  change.facts.valid_from = static_cast<int32_t>(DaysFromCivil(*from));
  change.facts.valid_until = static_cast<int32_t>(DaysFromCivil(*until));
  change.facts.discount = Intern(row.Text(6));
  change.facts.hash_a = NameDigestOf(row.Text(7));
  change.facts.hash_b = NameDigestOf(row.Text(8));
  return change;
}

Status CardIndex::Refresh(storage::Database& db) {
  int64_t since = revision();
  int64_t upto = 0;
  PW_RETURN_IF_ERROR(db.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT value FROM cards.revision WHERE id = 1"));
    upto = row.Int(0);
    return Status::Ok();
  }));
  if (upto == since) return Status::Ok();

  // Rows stamped after `upto` were written after the read above; the next
  // refresh takes them. A row read here cannot change behind our back
  // without getting a revision above `upto`.
  std::vector<Change> changes;
  if (since < 0) {
    int64_t after = 0;
    while (true) {
      Rows rows;
      PW_RETURN_IF_ERROR(db.Read([&](Tx& tx) -> Status {
        PW_ASSIGN_OR_RETURN(rows, tx.Query(std::string("SELECT ") + kColumns +
                                               " FROM cards.cards WHERE id > $1 AND revision <= $2 ORDER BY id "
                                               "LIMIT $3",
                                           {after, upto, kPageSize}));
        return Status::Ok();
      }));
      for (const Row& row : rows) {
        PW_ASSIGN_OR_RETURN(Change change, ChangeOf(row));
        changes.push_back(change);
      }
      if (static_cast<int64_t>(rows.size()) < kPageSize) break;
      after = rows.back().Int(1);
    }
  } else {
    PW_RETURN_IF_ERROR(db.Read([&](Tx& tx) -> Status {
      PW_ASSIGN_OR_RETURN(Rows rows, tx.Query(std::string("SELECT ") + kColumns +
                                                  " FROM cards.cards WHERE revision > $1 AND revision <= $2",
                                              {since, upto}));
      for (const Row& row : rows) {
        PW_ASSIGN_OR_RETURN(Change change, ChangeOf(row));
        changes.push_back(change);
      }
      return Status::Ok();
    }));
  }
  Apply(changes, upto);
  return Status::Ok();
}

void CardIndex::Apply(std::vector<Change>& changes, int64_t revision) {
  auto by_key = [](const auto& a, const auto& b) { return a.key < b.key; };
  std::unique_lock lock(mutex_);
  if (revision_ < 0) {
    // The first load: build the sorted vector in one go.
    sorted_.reserve(changes.size());
    for (const Change& c : changes) sorted_.push_back(Entry{c.key, c.facts});
    std::sort(sorted_.begin(), sorted_.end(), by_key);
    IndexKeys();
    revision_ = revision;
    return;
  }
  for (const Change& c : changes) {
    auto it = std::lower_bound(sorted_keys_.begin(), sorted_keys_.end(), c.key);
    if (it != sorted_keys_.end() && *it == c.key) {
      sorted_[static_cast<size_t>(it - sorted_keys_.begin())].facts = c.facts;
    } else {
      recent_[c.key] = c.facts;
    }
  }
  if (recent_.size() > merge_threshold_) {
    size_t middle = sorted_.size();
    for (const auto& [key, facts] : recent_) sorted_.push_back(Entry{key, facts});
    std::sort(sorted_.begin() + static_cast<std::ptrdiff_t>(middle), sorted_.end(), by_key);
    std::inplace_merge(sorted_.begin(), sorted_.begin() + static_cast<std::ptrdiff_t>(middle), sorted_.end(), by_key);
    IndexKeys();
    recent_.clear();
  }
  revision_ = revision;
}

void CardIndex::IndexKeys() {
  sorted_keys_.resize(sorted_.size());
  for (size_t i = 0; i < sorted_.size(); ++i) sorted_keys_[i] = sorted_[i].key;
}

std::optional<CardFacts> CardIndex::Find(std::string_view digits) const {
  auto number = NumberOf(digits);
  if (!number) return std::nullopt;
  uint64_t key = KeyOf(*number);
  std::shared_lock lock(mutex_);
  auto it = std::lower_bound(sorted_keys_.begin(), sorted_keys_.end(), key);
  if (!sorted_.empty()) {
    // The entry where the search ended is read found or not, so that a miss
    // touches the same memory as a hit.
    size_t at = std::min(static_cast<size_t>(it - sorted_keys_.begin()), sorted_.size() - 1);
    CardFacts facts = sorted_[at].facts;
    asm volatile("" : : "g"(&facts) : "memory");  // keep the read on the miss path
    if (it != sorted_keys_.end() && *it == key) return facts;
  }
  auto recent = recent_.find(key);
  if (recent != recent_.end()) return recent->second;
  return std::nullopt;
}

size_t CardIndex::size() const {
  std::shared_lock lock(mutex_);
  return sorted_.size() + recent_.size();
}

int64_t CardIndex::revision() const {
  std::shared_lock lock(mutex_);
  return revision_;
}

}  // namespace passwerk::checks
