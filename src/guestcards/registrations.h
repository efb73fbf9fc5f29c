// Guest registrations (Meldeschein) and the guest cards issued with them.
// One registration is one write transaction across the guest-card segments,
// each getting only its share (001 §3):
//   spa_tax     the registration without names: dates, counts, origin, the
//               tax per guest with age group and reductions; the form as the
//               landlord entered it, encrypted, until its deletion date
//   marketing   only with consent: the signer's name and address (encrypted)
//   logistics   the card: number, circulation counter, type, status, dates
//   card_link   card number → a fresh card-cycle id (audited, card_link.h)
//   card_usage  under the cycle id: registration ref (a random id, not the
//               number), gender, 5-year age band, postal code, origin, tax, stay
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "accounts/accounts.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/dates.h"
#include "core/status.h"
#include "guestcards/logistics.h"
#include "guestcards/statistics.h"
#include "guestcards/tariff.h"
#include "storage/database.h"
#include "storage/idempotency.h"

namespace passwerk::guestcards {

struct Address {
  std::string street;
  std::string postal_code;
  std::string city;
  std::string country;  // ISO 3166-1 alpha-2
};

struct GuestInput {
  std::string family_name;
  std::string given_name;
  Date birth_date;
  std::string nationality;  // ISO 3166-1 alpha-2
  std::string gender;       // "f", "m", "d" or "x" (not stated)
  Address address;
  std::vector<std::string> reductions;
  bool card = false;
  // A card from the municipality's stock (its sticker, scanned); without it,
  // a card gets a newly drawn number.
  std::optional<Barcode> barcode;
};

struct GroupInput {
  int size = 0;         // all persons including the leader
  std::string country;  // origin of the members
};

struct RegistrationInput {
  std::string accommodation_id;  // the accommodation's public id
  Date arrival;
  Date departure;
  std::vector<GuestInput> guests;
  std::optional<GroupInput> group;
  bool marketing_consent = false;
};

// Parses one guest of a registration (or the holder of an annual card);
// errors name the field with `path` in front ("guests[1].", "holder.").
Result<GuestInput> ParseGuestInput(const nlohmann::json& guest, const std::string& path);

// Parses and validates the JSON body of POST /api/v1/registrations; errors
// name the field ("guests[1].birth_date"). Accommodation and tariff rules
// are checked when registering.
Result<RegistrationInput> ParseRegistration(const nlohmann::json& body);

struct GuestTaxResult {
  int nights = 0;
  int64_t amount_cents = 0;
  std::vector<std::string> reductions;  // those applied
};

struct IssuedCard {
  int guest_index = 0;
  std::string card_number;
  std::string barcode;
};

struct RegistrationResult {
  std::string registration_number;
  int64_t total_cents = 0;
  std::vector<GuestTaxResult> guests;
  int group_members = 0;
  int64_t group_members_cents = 0;
  std::vector<IssuedCard> cards;
  std::string consent_id;  // when marketing consent was given: withdrawal uses it
};

struct Accommodation {
  int64_t id = 0;
  std::string public_id;
  int64_t municipality_id = 0;
  int64_t landlord_user_id = 0;
  std::string landlord_number;
  std::string name;
  std::string street, postal_code, city;
};

struct NewAccommodation {
  int64_t municipality_id = 0;
  int64_t landlord_user_id = 0;
  std::string landlord_number;  // 1–6 digits (Vermieternummer, participant number on the barcode)
  std::string name;
  std::string street, postal_code, city;
};

struct RegistrationSummary {
  std::string registration_number;
  std::string accommodation_id;
  std::string arrival, departure;
  int64_t adults = 0, children = 0;
  std::optional<int64_t> group_size;
  int64_t total_cents = 0;
  std::string state;  // "active", "cancelled"
  int64_t created_at = 0;
};

struct RegistrationDetails {
  RegistrationSummary summary;
  nlohmann::json form;  // the registration as entered (null once deleted by retention)
};

// What a guest may see about a card (001 §6): shown to the guest who proves
// the card with its number and the registration number, and to office staff.
// A package on the card (001 §6 "Erlebnispakete"): kind, amount, what is left,
// used or not (from the first use to the end of its validity).
struct PackageStatus {
  std::string package_number, name, kind;
  int64_t price_cents = 0;
  std::string state;  // active, credited
  std::string valid_from, valid_to;
  std::string first_use;  // empty: not used yet
  std::optional<int64_t> days_left;
  std::optional<int64_t> points_left;
  int64_t uses = 0;
};

// One use of the card at a terminal: when, where (terminal name and TID), what.
struct CardUse {
  std::string at;  // local time at the terminal
  std::string tid, terminal_name;
  std::string kind;
};

struct CardStatus {
  std::string card_number;
  std::string card_type;           // "1.0" adult, "2.0" child, "3.0" annual
  std::string status;              // logistics: in_service, departed, blocked
  std::string arrival, departure;  // the stay, while the card is linked to its usage
  // A card handed out before its stay was registered (001 §4.3): valid for
  // these days from its first use at a reader ("" until then).
  std::optional<int64_t> provisional_days;
  std::string first_use, provisional_valid_to;
  std::optional<int64_t> spa_tax_cents;
  std::string place;  // the municipality the spa tax was paid to
  std::vector<PackageStatus> packages;
  std::vector<CardUse> uses;  // the latest 100
};

struct RegistrationOptions {
  int max_guests = 50;
};

// The encryption context of a registration's form in spa_tax.registrations.
inline constexpr std::string_view kRegistrationFormContext = "spa_tax.registrations.form";

class RegistrationService {
 public:
  RegistrationService(storage::Database& db, const Clock& clock, const crypto::SecretBox& box,
                      RegistrationOptions options = {});

  // Tariffs (municipality admins of the municipality, operators, the command line).
  Result<int64_t> SetTariff(const accounts::Actor& actor, int64_t municipality_id, const Tariff& tariff);
  Result<Tariff> TariffFor(int64_t municipality_id, const Date& day);

  Result<Accommodation> CreateAccommodation(const accounts::Actor& actor, const NewAccommodation& input);
  Result<std::vector<Accommodation>> ListAccommodations(const accounts::Actor& actor);
  // Statistics by accommodation carry internal ids (spa_tax knows no more);
  // this labels the cells the actor may see with the public id or the name.
  void LabelAccommodations(const accounts::Actor& actor, SpaTaxStatistics& statistics, bool by_name);

  // Landlords register for their own accommodations; office staff for any in
  // their municipality. Whole or nothing.
  // With `idempotent` (an Idempotency-Key), the answer is kept with the
  // registrations in spa_tax, sealed, and a retry gets it instead (storage/idempotency.h).
  Result<RegistrationResult> Register(const accounts::Actor& actor, const RegistrationInput& input,
                                      storage::Idempotent<std::vector<RegistrationResult>>* idempotent = nullptr);
  // Many registrations in one transaction (CSV batches, landlord software
  // sending a day's arrivals): all or none.
  Result<std::vector<RegistrationResult>> RegisterAll(
      const accounts::Actor& actor, const std::vector<RegistrationInput>& inputs,
      storage::Idempotent<std::vector<RegistrationResult>>* idempotent = nullptr);
  // Newest first; landlords see their own only.
  Result<std::vector<RegistrationSummary>> ListRegistrations(const accounts::Actor& actor, int limit = 100);
  Result<RegistrationDetails> GetRegistration(const accounts::Actor& actor, const std::string& number);
  // Voids the spa tax, blocks the cards and removes their cycles.
  Status CancelRegistration(const accounts::Actor& actor, const std::string& number);
  // The card's status for the guest: kNotFound unless the card belongs to the
  // registration (the same answer for a wrong registration number as for an
  // unknown card). Every view is audited.
  Result<CardStatus> CardStatusForGuest(const std::string& card_number, const std::string& registration_number,
                                        const std::string& request_id);
  // The same for office staff of the card's municipality (in the guest's presence).
  Result<CardStatus> CardStatusForStaff(const accounts::Actor& actor, const std::string& card_number);
  // Replacement card (001 §3.3.3.4), at the office: the guest shows the
  // registration receipt; the card's cycle keeps its data, only the card
  // number in card_link changes; the old card is marked replaced.
  Result<IssuedCard> ReplaceGuestCard(const accounts::Actor& actor, const std::string& card_number,
                                      const std::string& registration_number, const std::string& reason,
                                      storage::Idempotent<IssuedCard>* idempotent = nullptr);
  // Withdrawal of the marketing consent deletes the contact (001 §2.2.4).
  Status WithdrawConsent(const std::string& consent_id, const std::string& request_id);

 private:
  struct Context;
  Result<RegistrationResult> RegisterIn(storage::Tx& tx, const accounts::Actor& actor, const RegistrationInput& input,
                                        Context& context);
  Result<Accommodation> LoadAccommodationFor(storage::Tx& tx, const accounts::Actor& actor,
                                             const std::string& public_id);
  Result<RegistrationSummary> LoadOwnRegistration(storage::Tx& tx, const accounts::Actor& actor,
                                                  const std::string& number);
  // `allowed` decides on the card's municipality before anything else is read.
  Result<CardStatus> LoadCardStatus(storage::Tx& tx, const accounts::Actor& actor, const std::string& card_number,
                                    const std::function<bool(int64_t)>& allowed);

  storage::Database& db_;
  const Clock& clock_;
  const crypto::SecretBox& box_;
  RegistrationOptions options_;
};

// "K7QX-M2PD-5RTA": 60 random bits, also what a guest proves the card with.
std::string NewRegistrationNumber();

}  // namespace passwerk::guestcards
