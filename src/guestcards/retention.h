// Deletion on schedule (001 §3.3.3.3, §3.5; §30(4) Bundesmeldegesetz):
//   * 14 days after departure a cycle's link in card_link is deleted and its
//     usage moves from card_usage to history under a new random id — no
//     longer linkable to a card; the card's logistics status becomes
//     "departed";
//   * one year after departure the registration form (names, birth dates,
//     addresses) is deleted from spa_tax; what the spa tax needs stays;
//   * once a year annual cards get a new cycle (annual_cards.h);
//   * audit entries are deleted after the calendar year following their own
//     (3.3.3.5), as a prefix of the hash chain (audit::Prune).
// Idempotent and restartable: it works in batches, each one transaction, so
// a crash loses at most the batch in flight, and a rerun continues. Every run
// is audited, dry runs too.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "accounts/accounts.h"
#include "core/clock.h"
#include "core/dates.h"
#include "core/status.h"
#include "storage/database.h"

namespace passwerk::guestcards {

struct RetentionOptions {
  int unlink_after_days = 14;
  int form_keep_years = 1;
  // Audit entries stay until the end of the calendar year after the visit
  // (3.3.3.5): those of year Y go on 1 January of Y + 1 + audit_keep_years.
  // 0 keeps them for ever.
  int audit_keep_years = 1;
  int batch_size = 1000;
  // Annual cards get a new cycle once a year on this day, "MM-DD" (3.3.3.4;
  // "preferably at the end of the season").
  std::string annual_cycle_rotation_day = "11-01";
};

struct RetentionReport {
  Date as_of;
  bool dry_run = false;
  int64_t cycles_historised = 0;  // and as many links deleted
  int64_t cards_departed = 0;
  int64_t forms_deleted = 0;  // registration forms and annual-card forms
  int64_t annual_cycles_rotated = 0;
  int64_t annual_credits_moved = 0;
  int64_t audit_entries_deleted = 0;
};
nlohmann::json RetentionReportJson(const RetentionReport& report);

// Evaluates the rules for `as_of` (today in Europe/Berlin for scheduled runs).
Result<RetentionReport> RunRetention(storage::Database& db, const Clock& clock, const accounts::Actor& actor,
                                     const Date& as_of, bool dry_run, const RetentionOptions& options = {});

// The columns of card_usage.cycles HistoriseCycle takes, in this order.
inline constexpr const char* kHistoryCycleColumns =
    "cycle_id, registration_ref, card_type, gender, age_band, postal_code, origin, spa_tax_cents, arrival, departure, "
    "first_use";
// Moves a cycle (a row of kHistoryCycleColumns) to history under a new random
// id, its transactions by day only, and deletes it from card_usage. The link
// is the caller's to delete.
Status HistoriseCycle(storage::Tx& tx, const storage::Row& cycle, const std::string& archived_on);

// Deletes everything card_usage holds under a cycle: the cycle, its
// transactions and the packages it holds (retention, cancellation).
Status DeleteCycleUsage(storage::Tx& tx, const std::string& cycle_id);

}  // namespace passwerk::guestcards
