// The card registry: schemes (social pass, volunteer card, guest card), and
// cards with their life — issue, block, unblock, replace, renew. Holder data
// is encrypted at rest (segment `cards`); the partner check works on keyed
// hashes of the name part, never on clear text.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "accounts/accounts.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/dates.h"
#include "core/status.h"
#include "storage/database.h"
#include "storage/idempotency.h"

namespace passwerk::cards {

enum class SchemeKind { kSocialPass, kVolunteerCard, kGuestCard };
std::string_view SchemeKindName(SchemeKind kind);
std::optional<SchemeKind> ParseSchemeKind(std::string_view name);

// calendar_year: until 31.12. of the issue year; days/months/years: N from
// the first day of validity; fixed: the scheme's explicit dates.
enum class ValidityRule { kCalendarYear, kDays, kMonths, kYears, kFixed };
std::string_view ValidityRuleName(ValidityRule rule);
std::optional<ValidityRule> ParseValidityRule(std::string_view name);

struct Scheme {
  int64_t id = 0;
  int scheme_code = 0;  // the first three digits of its card numbers
  std::string slug;     // public identifier, e.g. "erlangen-pass"
  int64_t municipality_id = 0;
  int64_t department_id = 0;  // the department whose staff issue and manage its cards
  SchemeKind kind = SchemeKind::kSocialPass;
  std::string name;
  ValidityRule rule = ValidityRule::kCalendarYear;
  int amount = 0;  // N for days/months/years
  std::optional<Date> fixed_from;
  std::optional<Date> fixed_until;
  std::vector<std::string> discount_classes;  // the first is the default
  int name_part_letters = 3;
  bool partner_checks = true;
};

struct NewScheme {
  std::string slug;
  int64_t municipality_id = 0;
  // A department of that municipality; absent: its only department (an error
  // when it has several, or none yet).
  std::optional<int64_t> department_id;
  SchemeKind kind = SchemeKind::kSocialPass;
  std::string name;
  ValidityRule rule = ValidityRule::kCalendarYear;
  int amount = 0;
  std::optional<Date> fixed_from;
  std::optional<Date> fixed_until;
  std::vector<std::string> discount_classes = {"standard"};
  int name_part_letters = 3;
  bool partner_checks = true;
};

struct Holder {
  std::string family_name;
  std::string given_name;
  std::string birth_date;  // ISO
  std::string street;
  std::string postal_code;
  std::string city;
};

enum class CardState { kActive, kBlocked, kReplaced };
std::string_view CardStateName(CardState state);

// What staff do to a card (Apply): block, unblock and replace need a reason.
enum class CardAction { kBlock, kUnblock, kReplace, kRenew };
inline constexpr CardAction kCardActions[] = {CardAction::kBlock, CardAction::kUnblock, CardAction::kReplace,
                                              CardAction::kRenew};
// "block", "unblock", "replace", "renew": the last segment of its routes.
std::string_view CardActionName(CardAction action);

struct Card {
  int64_t id = 0;
  std::string card_number;
  int circulation_counter = 1;
  int64_t scheme_id = 0;
  std::string card_type = "standard";
  std::string discount_class;
  CardState state = CardState::kActive;
  std::string block_reason;
  Date valid_from;
  Date valid_until;
  std::string replaced_by;  // number of the replacement card
};

struct NewCard {
  int64_t scheme_id = 0;
  Holder holder;
  std::string discount_class;      // empty: the scheme's default
  std::optional<Date> valid_from;  // empty: today (Europe/Berlin)
  std::string card_number;         // empty: a fresh random number; else take over this one
};

struct CardEvent {
  int64_t at = 0;
  std::string kind;
  std::string detail;
  std::string actor;
};

struct CardDetails {
  Card card;
  Holder holder;
  std::vector<CardEvent> history;
};

// Keys derived from the first data key: stable across key rotation, separate per use.
class CardKeys {
 public:
  explicit CardKeys(const crypto::SecretBox& box);
  CardKeys(std::string name_key, std::string pseudonym_key);
  // Keyed hash of a canonical name part, bound to the card number.
  std::string NameHash(std::string_view card_number, std::string_view canonical_part) const;
  // The same keyed hash as raw 32 bytes (NameHash is its hex form).
  std::string NameMac(std::string_view card_number, std::string_view canonical_part) const;
  // Pseudonym of whatever card number a partner sent (for the check records).
  std::string Pseudonym(std::string_view card_number) const;

 private:
  crypto::PreparedHmac name_mac_;
  crypto::PreparedHmac pseudonym_mac_;
};

// The scheme with this id, read within `tx` (another area's transaction on a
// handle that holds core): a read on a connection of its own could wait for
// the one the caller holds.
Result<Scheme> SchemeIn(storage::Tx& tx, int64_t scheme_id);

// Computes the validity period starting at `from` under the scheme's rule.
std::pair<Date, Date> ValidityPeriod(const Scheme& scheme, const Date& from);

class CardService {
 public:
  CardService(storage::Database& db, const Clock& clock, const crypto::SecretBox& box, const CardKeys& keys);

  // With `idempotent`, the answer is kept in core (storage/idempotency.h).
  Result<Scheme> CreateScheme(const accounts::Actor& actor, const NewScheme& input,
                              storage::Idempotent<Scheme>* idempotent = nullptr);
  Result<std::vector<Scheme>> ListSchemes();
  // The schemes `actor` may take `action` on (kReadSchemes: what a clerk sees
  // of their departments; kManageCards: what they may issue cards for).
  Result<std::vector<Scheme>> ListSchemes(const accounts::Actor& actor, accounts::Action action);
  Result<Scheme> GetScheme(int64_t id);
  Result<Scheme> FindScheme(const std::string& slug);

  // With `idempotent` (an Idempotency-Key), issue, replace and renew keep their
  // answer in the cards segment, sealed (storage/idempotency.h).
  Result<Card> IssueCard(const accounts::Actor& actor, const NewCard& input,
                         storage::Idempotent<Card>* idempotent = nullptr);
  // All cards or none, in one transaction (bulk import). Errors name the
  // input index in the message ("row 3: …") and keep the field.
  Result<std::vector<Card>> IssueCards(const accounts::Actor& actor, const std::vector<NewCard>& inputs);
  // Decrypts the holder; every view is audited.
  // The cards with these ids, without holder data, in the order given (ids
  // that do not exist are left out): a citizen's own cards, whose ids the
  // portal keeps. Not a staff read, so not audited.
  Result<std::vector<Card>> CardsByIds(const std::vector<int64_t>& ids);
  Result<CardDetails> GetCard(const accounts::Actor& actor, const std::string& card_number);
  // A card with its holder data for the holder themselves: only when its id
  // is among `own_ids` (the cards linked to the citizen's account), NotFound
  // otherwise. Not a staff read, so not audited; no event history.
  Result<CardDetails> HolderCard(const std::vector<int64_t>& own_ids, const std::string& card_number);
  Status Block(const accounts::Actor& actor, const std::string& card_number, const std::string& reason);
  Status Unblock(const accounts::Actor& actor, const std::string& card_number, const std::string& reason);
  // New number for the same holder; the old card is marked replaced (and so refused).
  Result<Card> Replace(const accounts::Actor& actor, const std::string& card_number, const std::string& reason,
                       storage::Idempotent<Card>* idempotent = nullptr);
  // Extends validity by one period from max(today, day after the current end).
  Result<Card> Renew(const accounts::Actor& actor, const std::string& card_number,
                     storage::Idempotent<Card>* idempotent = nullptr);
  // One of the actions above; the card as it is afterwards (for a replacement,
  // the new card). `reason` is ignored by renew.
  // `idempotent` applies to replace and renew, which create or extend a card.
  Result<Card> Apply(const accounts::Actor& actor, const std::string& card_number, CardAction action,
                     const std::string& reason, storage::Idempotent<Card>* idempotent = nullptr);
  // Cards of a scheme with holder data, for export (audited).
  Result<std::vector<CardDetails>> ExportCards(const accounts::Actor& actor, int64_t scheme_id);

  // --- within another area's write (an approved application) ---
  // These run in `tx` of a handle that holds the cards segment; the caller
  // commits and then calls CardsChanged(). The actor needs cards.manage for
  // the scheme's department.
  // A new card from today; it ends with the scheme's period, or at
  // `not_after` when that comes first. A calendar-year period that would
  // last less than a month (issued in December) runs to the end of the next
  // year; the same holds for RenewCardIn.
  Result<Card> IssueCardIn(storage::Tx& tx, const accounts::Actor& actor, const Scheme& scheme, const Holder& holder,
                           std::optional<Date> not_after);
  // A card's next period (as Renew), ending no later than `not_after`; its
  // holder data replaced by `holder` (a renewal's address may have changed).
  Result<Card> RenewCardIn(storage::Tx& tx, const accounts::Actor& actor, int64_t card_id, const Holder& holder,
                           std::optional<Date> not_after);
  void CardsChanged() {
    if (on_changed_) on_changed_();
  }

  // Called after every committed write to the card registry (the partner
  // check refreshes its card index on the next check). Set once at startup.
  void OnCardsChanged(std::function<void()> observer) { on_changed_ = std::move(observer); }

 private:
  // The policy's word on `action` for a card of `scheme` (its department).
  static Status MayAct(const accounts::Actor& actor, accounts::Action action, const Scheme& scheme);
  // db_.Write for transactions that change cards.cards; tells the observer.
  Status WriteCards(const std::function<Status(storage::Tx&)>& body);
  // The same, keeping the answer rendered from `card` with the key, if any.
  Status WriteCards(storage::Idempotent<Card>* idempotent, const Card& card,
                    const std::function<Status(storage::Tx&)>& body);
  Date Today() const { return BerlinDate(clock_.NowUnix()); }

  storage::Database& db_;
  const Clock& clock_;
  const crypto::SecretBox& box_;
  const CardKeys& keys_;
  std::function<void()> on_changed_;
};

}  // namespace passwerk::cards
