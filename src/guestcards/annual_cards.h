// Annual cards (Jahreskarten, card type 3.0; 001 §2.2, §3.3.2, §3.3.3.4, §4.5).
// Second-home owners, mooring holders and permanent campers register no stay:
// the office issues them a personal card for the calendar year against the
// tariff's annual flat rate. Each segment gets only its share:
//   spa_tax     the assessment (receipt number, basis, validity, origin, age
//               band, reductions, amount); the holder's data and the card
//               number encrypted, until a year after the validity ends
//   logistics   the card: number, type 3.0, status, validity as dates
//   card_link   card number → a fresh card-cycle id (audited)
//   card_usage  under the cycle id only what a replacement card needs: type,
//               spa tax, validity, the packages held — no gender, age band,
//               postal code or origin, and no record of uses (§3.3.2)
// Once a year (RotateAnnualCycles, run by retention on a configurable day)
// every annual card gets a new cycle id: only the unused credits move over,
// the rest of the old cycle goes to history, the old link is deleted
// (§3.3.3.4).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "accounts/accounts.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/dates.h"
#include "core/status.h"
#include "guestcards/registrations.h"
#include "storage/database.h"
#include "storage/idempotency.h"

namespace passwerk::guestcards {

// Why the holder gets an annual card instead of registering stays (001 §2.2).
inline constexpr const char* kAnnualBases[] = {"second_home", "mooring", "permanent_camping"};

struct AnnualCardInput {
  std::string municipality_number;  // 8 digits
  std::string basis;                // one of kAnnualBases
  int year = 0;                     // the calendar year the card is valid in
  GuestInput holder;                // name, birth date, gender, address, reductions (no card fields)
  // An annual card of the municipality's stock (production file, type 3.0);
  // without it a new number is drawn.
  std::string card_number;
};

// Parses and validates the body of POST /api/v1/annual-cards; errors name the
// field ("holder.birth_date"). `today` bounds the year: this one or the next.
Result<AnnualCardInput> ParseAnnualCard(const nlohmann::json& body, const Date& today);

struct AnnualCardResult {
  std::string receipt_number;  // what the holder proves the card with
  std::string card_number;
  std::string card_type;  // "3.0", or "23" for a test card from the stock
  std::string valid_from, valid_to;
  int64_t amount_cents = 0;
  std::vector<std::string> reductions;  // those that lowered the rate
};
nlohmann::json AnnualCardJson(const AnnualCardResult& result);

struct AnnualRenewal {
  std::string receipt_number;  // of the card's current validity
  int year = 0;                // the next calendar year
  std::vector<std::string> reductions;
};

struct RotationReport {
  Date rotation_day;           // the latest rotation day on or before the run's date
  int64_t rotated = 0;         // cycles replaced by a new one
  int64_t holdings_moved = 0;  // unused credits carried over
};

class AnnualCardService {
 public:
  AnnualCardService(storage::Database& db, const Clock& clock, const crypto::SecretBox& box);

  // Office staff of the municipality (administrators, clerks), operators, the
  // command line. Whole or nothing.
  // With `idempotent`, the answer is kept in spa_tax, sealed (storage/idempotency.h).
  Result<AnnualCardResult> Issue(const accounts::Actor& actor, const AnnualCardInput& input,
                                 storage::Idempotent<AnnualCardResult>* idempotent = nullptr);
  // The next year's annual rate for a card in service: the holder shows the
  // current receipt; the same card and cycle stay valid until the new
  // year's end, with the new amount. A new receipt number.
  Result<AnnualCardResult> Renew(const accounts::Actor& actor, const std::string& card_number,
                                 const AnnualRenewal& renewal,
                                 storage::Idempotent<AnnualCardResult>* idempotent = nullptr);

 private:
  storage::Database& db_;
  const Clock& clock_;
  const crypto::SecretBox& box_;
};

// The holder's receipt: whether the annual assessment `receipt_number`
// (active) lists `card_number`. For the card status and replacements.
Result<bool> AnnualReceiptListsCard(storage::Tx& tx, const crypto::SecretBox& box, const std::string& receipt_number,
                                    const std::string& card_number);
// A replacement card: the receipt now lists `new_number` instead of `old_number`.
Status ReplaceOnAnnualReceipt(storage::Tx& tx, const crypto::SecretBox& box, const std::string& receipt_number,
                              const std::string& old_number, const std::string& new_number);

// The latest day on or before `as_of` that falls on `month_day` ("MM-DD").
std::optional<Date> LatestRotationDay(const Date& as_of, const std::string& month_day);

// The yearly new cycle of every annual card whose cycle began before the
// latest rotation day (3.3.3.4), in batches, each one transaction: a new
// cycle id for the card (card_link, purpose rotate_annual_cycle, audited),
// the unused credits (active packages still valid on the rotation day, with
// points or days left) moved to it, the rest of the old cycle to history
// under a random id. Idempotent: the new cycle begins on the rotation day.
Result<RotationReport> RotateAnnualCycles(storage::Database& db, const Clock& clock, const accounts::Actor& actor,
                                          const Date& as_of, const std::string& rotation_month_day, bool dry_run,
                                          int batch_size);

}  // namespace passwerk::guestcards
