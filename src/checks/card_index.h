// The partner check's view of the card registry, held in memory so that a
// check costs no database round trip. Per card it keeps only what the check
// decides on — scheme, whether the card is active, validity, discount class
// and the two keyed name hashes cut to 128 bits — never holder data.
//
// It follows the registry by revision: every write to cards.cards stamps the
// rows it touches with the next value of cards.revision (cards/cards.cpp), and
// Refresh() reads the rows stamped after the last revision it saw. Cards are
// never deleted from cards.cards (they change state), so updates and inserts
// are all there is to follow.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "storage/database.h"

namespace passwerk::checks {

using NameDigest = std::array<uint8_t, 16>;

// First 128 bits of a hex keyed hash (cards::CardKeys::NameHash); all zero
// when the text is not hex of at least that length.
NameDigest NameDigestOf(std::string_view hex);

struct CardFacts {
  int64_t card_id = 0;
  int64_t scheme_id = 0;
  int32_t valid_from = 0;  // days since 1970-01-01
  int32_t valid_until = 0;
  bool active = false;
  const std::string* discount = nullptr;  // interned; lives as long as the index
  NameDigest hash_a{};
  NameDigest hash_b{};
};

class CardIndex {
 public:
  // Cards added since the last merge sit in a hash map; past
  // `merge_threshold` of them they are merged into the sorted vector.
  explicit CardIndex(size_t merge_threshold = 65536);

  // One caller at a time (Find may run concurrently).
  // Reads the cards written since the last refresh (all of them the first
  // time, in pages, so that a million cards never sit in memory twice).
  Status Refresh(storage::Database& db);
  // The facts of the card with these 12 digits, or nullopt.
  std::optional<CardFacts> Find(std::string_view digits) const;

  size_t size() const;
  // The last revision applied; -1 before the first refresh.
  int64_t revision() const;

 private:
  struct Entry {
    uint64_t key;  // KeyOf(number)
    CardFacts facts;
  };
  struct Change {
    uint64_t key;
    CardFacts facts;
  };
  // The order the index keeps cards in: the number scrambled by a bijection
  // with a secret drawn per index. A lookup's binary search then takes a
  // path that says nothing about the number: a known number, an unknown one
  // (also one far outside the issued range) and the decoy of a number that
  // fails Luhn all walk the sorted keys at random, so no kind of no_match
  // answer comes from warmer caches than another.
  uint64_t KeyOf(uint64_t number) const;
  Result<Change> ChangeOf(const storage::Row& row);
  void Apply(std::vector<Change>& changes, int64_t revision);
  void IndexKeys();
  const std::string* Intern(const std::string& discount);

  mutable std::shared_mutex mutex_;
  const uint64_t secret_;
  std::vector<Entry> sorted_;  // by key
  // The keys of sorted_ alone, which the lookup searches: a tenth of the
  // memory of the entries, so that the upper levels of the binary search stay
  // in cache (over the entries, each of a million cards' 20 probes missed it).
  std::vector<uint64_t> sorted_keys_;
  std::unordered_map<uint64_t, CardFacts> recent_;  // by key; added since the last merge into sorted_
  std::deque<std::string> discounts_;               // stable addresses for CardFacts::discount
  std::unordered_map<std::string, const std::string*> discount_ids_;
  int64_t revision_ = -1;
  size_t merge_threshold_;
};

}  // namespace passwerk::checks
