#include "guestcards/retention.h"

#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "core/crypto.h"
#include "guestcards/annual_cards.h"
#include "guestcards/card_link.h"
#include "guestcards/logistics.h"

namespace passwerk::guestcards {
namespace {

using json = nlohmann::json;
using storage::Row;
using storage::Rows;
using storage::Tx;

}  // namespace

json RetentionReportJson(const RetentionReport& r) {
  return {{"as_of", FormatIsoDate(r.as_of)},
          {"dry_run", r.dry_run},
          {"cycles_historised", r.cycles_historised},
          {"links_deleted", r.cycles_historised},
          {"cards_departed", r.cards_departed},
          {"registration_forms_deleted", r.forms_deleted},
          {"annual_cycles_rotated", r.annual_cycles_rotated},
          {"annual_credits_moved", r.annual_credits_moved},
          {"audit_entries_deleted", r.audit_entries_deleted}};
}

Result<RetentionReport> RunRetention(storage::Database& db, const Clock& clock, const accounts::Actor& actor,
                                     const Date& as_of, bool dry_run, const RetentionOptions& options) {
  RetentionReport report;
  report.as_of = as_of;
  report.dry_run = dry_run;
  // Departed on or before this day: the 14 days are over.
  const std::string unlink_until = FormatIsoDate(AddDays(as_of, -options.unlink_after_days));
  // One calendar year (a leap day is no reason to delete a day early).
  const std::string forms_until = FormatIsoDate(AddMonths(as_of, -12 * options.form_keep_years));
  const std::string today = FormatIsoDate(as_of);
  // Cards handed out without a stay that never got one (001 §4.3): given up a year after.
  const std::string handed_out_until =
      FormatIsoDate(AddDays(as_of, -options.unlink_after_days - kProvisionalUnusedDays));
  auto due = [](const char* until, const char* unused_until) {
    return std::string("(departure <= ") + until +
           " OR (departure IS NULL AND provisional_days IS NOT NULL AND arrival <= " + unused_until + "))";
  };
  const auto batch = static_cast<int64_t>(options.batch_size);

  if (dry_run) {
    Status counted = db.Read([&](Tx& tx) -> Status {
      PW_ASSIGN_OR_RETURN(Row cycles, tx.QueryOne("SELECT COUNT(*) FROM card_usage.cycles WHERE " + due("$1", "$2"),
                                                  {unlink_until, handed_out_until}));
      PW_ASSIGN_OR_RETURN(Row cards, tx.QueryOne("SELECT COUNT(*) FROM logistics.cards WHERE status IN ('in_service', "
                                                 "'handed_out') AND departure_on <= $1",
                                                 {unlink_until}));
      PW_ASSIGN_OR_RETURN(Row forms, tx.QueryOne("SELECT COUNT(*) FROM spa_tax.registrations WHERE departure <= $1 "
                                                 "AND form_enc IS NOT NULL",
                                                 {forms_until}));
      report.cycles_historised = cycles.Int(0);
      report.cards_departed = cards.Int(0);
      PW_ASSIGN_OR_RETURN(Row annual_forms, tx.QueryOne("SELECT COUNT(*) FROM spa_tax.annual_taxes WHERE valid_to "
                                                        "<= $1 AND form_enc IS NOT NULL",
                                                        {forms_until}));
      report.forms_deleted = forms.Int(0) + annual_forms.Int(0);
      return Status::Ok();
    });
    if (!counted.ok()) return counted;
  } else {
    // 1. Historise and unlink, a batch per transaction.
    while (true) {
      int64_t moved = 0;
      Status step = db.Write([&](Tx& tx) -> Status {
        PW_ASSIGN_OR_RETURN(Rows rows,
                            tx.Query(std::string("SELECT ") + kHistoryCycleColumns + " FROM card_usage.cycles WHERE " +
                                         due("$1", "$3") + " ORDER BY departure, cycle_id LIMIT $2",
                                     {unlink_until, batch, handed_out_until}));
        std::vector<std::string> cycles;
        for (const Row& r : rows) {
          PW_RETURN_IF_ERROR(HistoriseCycle(tx, r, today));
          cycles.push_back(r.Text(0));
        }
        LinkAccess access{actor.id, actor.request_id, "retention"};
        PW_RETURN_IF_ERROR(UnlinkCycles(tx, clock, access, cycles).status());
        moved = static_cast<int64_t>(rows.size());
        return Status::Ok();
      });
      if (!step.ok()) return step;
      report.cycles_historised += moved;
      if (moved < batch) break;
    }
    // 2. Cards whose stay is over; 3. registration forms after a year.
    Status rest = db.Write([&](Tx& tx) -> Status {
      PW_ASSIGN_OR_RETURN(report.cards_departed,
                          tx.Exec("UPDATE logistics.cards SET status = 'departed', updated_on = $1 WHERE status IN "
                                  "('in_service', 'handed_out') AND departure_on <= $2",
                                  {today, unlink_until}));
      PW_ASSIGN_OR_RETURN(report.forms_deleted,
                          tx.Exec("UPDATE spa_tax.registrations SET form_enc = NULL, form_deleted_at = $1 WHERE "
                                  "departure <= $2 AND form_enc IS NOT NULL",
                                  {clock.NowUnix(), forms_until}));
      PW_ASSIGN_OR_RETURN(int64_t annual_forms,
                          tx.Exec("UPDATE spa_tax.annual_taxes SET form_enc = NULL, form_deleted_at = $1 WHERE "
                                  "valid_to <= $2 AND form_enc IS NOT NULL",
                                  {clock.NowUnix(), forms_until}));
      report.forms_deleted += annual_forms;
      return Status::Ok();
    });
    if (!rest.ok()) return rest;
  }
  // 4. The yearly new cycle of annual cards (3.3.3.4), after the cycles that ended went.
  PW_ASSIGN_OR_RETURN(
      RotationReport rotation,
      RotateAnnualCycles(db, clock, actor, as_of, options.annual_cycle_rotation_day, dry_run, options.batch_size));
  report.annual_cycles_rotated = rotation.rotated;
  report.annual_credits_moved = rotation.holdings_moved;
  // 5. Audit entries of years gone by (3.3.3.5).
  if (options.audit_keep_years > 0) {
    const int64_t days = DaysFromCivil(Date{as_of.year - options.audit_keep_years, 1, 1});
    const int64_t before = days * 86400 - BerlinOffsetSeconds(days * 86400);
    PW_ASSIGN_OR_RETURN(audit::PruneReport pruned,
                        audit::Prune(db, clock, {actor.id, "", "", "", actor.request_id}, before, dry_run));
    report.audit_entries_deleted = pruned.entries;
  }
  Status audited = db.Write([&](Tx& tx) -> Status {
    auto seq = audit::Append(tx, clock,
                             {actor.id, dry_run ? "retention.dry_run" : "retention.run", "guest_cards",
                              RetentionReportJson(report).dump(), actor.request_id});
    return seq.ok() ? Status::Ok() : seq.status();
  });
  if (!audited.ok()) return audited;
  return report;
}

Status HistoriseCycle(Tx& tx, const Row& r, const std::string& archived_on) {
  // A new random id: nothing in history leads back to the cycle or the card.
  const std::string history_id = crypto::HexEncode(crypto::RandomBytes(16));
  PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO history.cycles (history_id, registration_ref, card_type, gender, "
                             "age_band, postal_code, origin, spa_tax_cents, arrival, departure, first_use, "
                             "archived_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                             {history_id, r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5), r.Text(6), r.Int(7),
                              r.at(8), r.at(9), r.at(10), archived_on})
                         .status());
  // The cycle's transactions go along, by day only and without the terminal: a
  // time to the second and a TID would let them be matched with settlement rows.
  PW_ASSIGN_OR_RETURN(Rows used, tx.Query("SELECT kind, occurred_at, package_id, service_id, price_cents FROM "
                                          "card_usage.transactions WHERE cycle_id = $1 ORDER BY id",
                                          {r.Text(0)}));
  for (const Row& u : used) {
    PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO history.transactions (history_id, kind, occurred_on, package_id, "
                               "service_id, price_cents) VALUES ($1, $2, $3, $4, $5, $6)",
                               {history_id, u.Text(0), u.Text(1).substr(0, 10), u.at(2), u.at(3), u.at(4)})
                           .status());
  }
  return DeleteCycleUsage(tx, r.Text(0));
}

Status DeleteCycleUsage(Tx& tx, const std::string& cycle_id) {
  for (const char* sql :
       {"DELETE FROM card_usage.transactions WHERE cycle_id = $1",
        "DELETE FROM card_usage.holdings WHERE cycle_id = $1", "DELETE FROM card_usage.cycles WHERE cycle_id = $1"}) {
    PW_RETURN_IF_ERROR(tx.Exec(sql, {cycle_id}).status());
  }
  return Status::Ok();
}

}  // namespace passwerk::guestcards
