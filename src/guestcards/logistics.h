// Card logistics (001 §3.4, §4.4): the card stock a municipality receives
// from the card manufacturer, and the way a card goes round.
//
//   production file  ──import──▶  in_stock ──registration with its barcode──▶ in_service
//        ▲                                                                       │
//        └──── re-initialisation (circulation counter + 1) ◀── departed ◀────────┘
//                                                        (retention, 14 days after departure)
//
// Segment `logistics` only: card numbers, counters, types, dates, status —
// never a cycle id or a name. Re-initialisation asks card_link (purpose
// prepare_reinitialisation, audited) whether the card's link is gone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/accounts.h"
#include "core/clock.h"
#include "core/dates.h"
#include "core/status.h"
#include "storage/database.h"
#include "storage/idempotency.h"

namespace passwerk::guestcards {

// One line of a production file (docs/guest-cards.md, "Card logistics").
struct ProductionCard {
  int line = 0;
  std::string batch_id;
  Date produced_on;
  std::string card_type;  // 1.0 adult, 2.0 child, 3.0 annual; 21, 22, 23 test cards
  std::string card_number;
  int circulation_counter = 1;
  std::string municipality_number;
  std::string part_number;
  std::string issuing_office;               // the landlord's participant number, may be empty
  std::optional<int64_t> booking_sequence;  // annual cards
  std::optional<Date> valid_from;           // annual cards
};

// A bad cell: the line (1 = the header) and the column as written in the header.
struct ProductionProblem {
  int line = 0;
  std::string column;
  std::string message;
};

// Parses a production file: CSV as spreadsheets write it (';' or ',', UTF-8
// with or without BOM, dd.mm.yyyy or YYYY-MM-DD dates), header names in German
// or English. Every bad cell is in `problems`; the cards only when there are none.
std::vector<ProductionCard> ParseProductionFile(std::string_view text, std::vector<ProductionProblem>& problems);

struct ProductionImport {
  std::vector<std::string> batches;
  int64_t cards = 0;
};

struct ReinitialisedCard {
  std::string card_number;
  int circulation_counter = 0;
  std::string barcode;  // for the new sticker
};

// A card of the stock as the office sees it.
struct StockCard {
  std::string card_number;
  int circulation_counter = 0;
  std::string card_type;
  std::string status;  // in_stock, handed_out, in_service, departed, blocked, replaced
  std::string batch_id;
};

// Which of the municipality's cards to list, one page at a time.
struct StockFilter {
  std::string status;     // "" = any
  std::string card_type;  // "" = any; 1.0, 2.0, 3.0, 21, 22, 23
  int limit = 100;        // 1–1000
  int64_t offset = 0;
};

// The 32 digits of a guest card's barcode (001 §2.2.2, §4.4).
struct Barcode {
  std::string municipality_number;  // 8
  std::string participant;          // 6
  int counter = 0;                  // 4
  std::string card_number;          // 12
  int circulation_counter = 0;      // 2
};
std::optional<Barcode> ParseBarcode(std::string_view digits);
// Municipality number (8), participant number (6), counter (4), card number
// (12), circulation counter (2).
std::string FormatBarcode(const Barcode& barcode);

// Who takes a card from the stock, for which stay.
struct StockClaim {
  int64_t municipality_id = 0;
  std::string municipality_number;
  std::string landlord_number;  // the sales point
  Date arrival, departure;
};

struct ClaimedCard {
  std::string card_type;     // as produced
  bool provisional = false;  // handed out before the registration: it has a cycle already (4.3)
};

// The days a card handed out without a stay is valid from its first use (001 §4.3).
inline constexpr int kProvisionalDays = 28;
// A card handed out and never used is unlinked after a year, like a stay that ended.
inline constexpr int kProvisionalUnusedDays = 365;

// Puts the card of a scanned sticker into service for a registration (in
// the caller's transaction): it must be in the municipality's stock with the
// sticker's circulation counter, or handed out without a stay (provisional).
// Errors name `field`: kInvalidArgument for a sticker that matches no card
// of the stock, kFailedPrecondition for a card that is not available (in
// service with a stay, blocked, …).
Result<ClaimedCard> ClaimStockCard(storage::Tx& tx, const Clock& clock, const StockClaim& claim, const Barcode& barcode,
                                   const std::string& field);

struct HandedOutCard {
  std::string card_number;
  std::string card_type;
  int valid_days = kProvisionalDays;  // from the first use
};

class LogisticsService {
 public:
  LogisticsService(storage::Database& db, const Clock& clock);

  // Imports a production file, all of it or nothing: every line must be good,
  // its batch ids new and its card numbers not yet known. Office staff of the
  // municipalities the file names (all of them), operators, the command line.
  // kInvalidArgument with `problems` filled when a line is bad.
  Result<ProductionImport> ImportProductionFile(const accounts::Actor& actor, const std::string& file_name,
                                                std::string_view text, std::vector<ProductionProblem>& problems,
                                                storage::Idempotent<ProductionImport>* idempotent = nullptr);

  // Puts a returned card back into stock with its circulation counter raised
  // (001 §4.4): only once its link in card_link is gone (3.3.3.1, audited),
  // which retention does 14 days after departure. Office staff of the card's
  // municipality.
  Result<ReinitialisedCard> Reinitialise(const accounts::Actor& actor, const std::string& card_number);

  // A card handed out before the stay is known (001 §4.3), by office staff or
  // a landlord of the municipality: out of stock, handed_out, linked to a new
  // cycle without guest data and without a departure (terminals refuse
  // stay-bound services until the registration brings the stay; the 28 days
  // from the first use are recorded, not yet counted by the terminal ledger).
  // With `idempotent`, the answers of both are kept in logistics (storage/idempotency.h).
  Result<HandedOutCard> HandOut(const accounts::Actor& actor, const std::string& card_barcode,
                                storage::Idempotent<HandedOutCard>* idempotent = nullptr);

  // The municipality's cards, newest batches first (office staff).
  Result<std::vector<StockCard>> ListCards(const accounts::Actor& actor, int64_t municipality_id,
                                           const std::string& status, int limit);
  // The same by status and card type, a page at a time (the web page of the stock).
  Result<std::vector<StockCard>> ListCards(const accounts::Actor& actor, int64_t municipality_id,
                                           const StockFilter& filter);

 private:
  storage::Database& db_;
  const Clock& clock_;
};

}  // namespace passwerk::guestcards
