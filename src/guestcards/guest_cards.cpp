// RegistrationService, the guest card's side: its status for the guest and for
// staff, a replacement card for a lost one, and withdrawing marketing consent
// (registrations.cpp has the registrations themselves).
#include <nlohmann/json.hpp>

#include "accounts/policy.h"
#include "cards/card_number.h"
#include "guestcards/annual_cards.h"
#include "guestcards/card_link.h"
#include "guestcards/logistics.h"
#include "guestcards/registrations.h"

namespace passwerk::guestcards {
namespace {

using json = nlohmann::json;
using storage::Row;
using storage::Rows;
using storage::Tx;

}  // namespace

Result<CardStatus> RegistrationService::LoadCardStatus(Tx& tx, const accounts::Actor& actor,
                                                       const std::string& card_number,
                                                       const std::function<bool(int64_t)>& allowed) {
  auto normalized = cards::NormalizeCardNumber(card_number);
  if (!normalized) return NotFound("no such card");
  PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT card_type, status, municipality_id, in_service_on, departure_on "
                                          "FROM logistics.cards WHERE card_number = $1",
                                          {*normalized}));
  if (rows.empty()) return NotFound("no such card");
  CardStatus status;
  status.card_number = *normalized;
  status.card_type = rows[0].Text(0);
  status.status = rows[0].Text(1);
  const int64_t municipality_id = rows[0].Int(2);
  if (!allowed(municipality_id)) return NotFound("no such card");
  status.arrival = rows[0].Text(3);
  status.departure = rows[0].Text(4);
  PW_ASSIGN_OR_RETURN(Row place, tx.QueryOne("SELECT name FROM core.municipalities WHERE id = $1", {municipality_id}));
  status.place = place.Text(0);
  // The spa tax lives with the usage, reached through the link (audited).
  LinkAccess access{actor.id, actor.request_id, "card:" + *normalized};
  PW_ASSIGN_OR_RETURN(auto cycles, CyclesOf(tx, clock_, LinkPurpose::kUpdateCard, access, {*normalized}));
  if (cycles[0]) {
    PW_ASSIGN_OR_RETURN(Rows usage, tx.Query("SELECT spa_tax_cents, arrival, departure, provisional_days, first_use "
                                             "FROM card_usage.cycles WHERE cycle_id = $1",
                                             {*cycles[0]}));
    if (!usage.empty()) {
      status.spa_tax_cents = usage[0].Int(0);
      status.arrival = usage[0].Text(1);
      status.departure = usage[0].Text(2);
      status.provisional_days = usage[0].OptInt(3);
      status.first_use = usage[0].Text(4);
      if (status.provisional_days) {
        status.spa_tax_cents.reset();  // not known before the registration
        status.arrival.clear();        // the day of hand-out, not a stay
        if (auto first = ParseIsoDate(status.first_use)) {
          status.provisional_valid_to = FormatIsoDate(AddDays(*first, static_cast<int>(*status.provisional_days) - 1));
        }
      }
    }
    PW_ASSIGN_OR_RETURN(Rows held, tx.Query("SELECT p.package_number, p.name, p.kind, p.price_cents, h.state, "
                                            "h.valid_from, h.valid_to, h.points_left, h.used_days, h.uses, p.days "
                                            "FROM card_usage.holdings h JOIN core.packages p ON p.id = h.package_id "
                                            "WHERE h.cycle_id = $1 ORDER BY h.id",
                                            {*cycles[0]}));
    for (const Row& r : held) {
      PackageStatus p;
      p.package_number = r.Text(0);
      p.name = r.Text(1);
      p.kind = r.Text(2);
      p.price_cents = r.Int(3);
      p.state = r.Text(4);
      p.valid_from = r.Text(5);
      p.valid_to = r.Text(6);
      const std::string& days = r.Text(8);
      p.first_use = days.substr(0, days.find(','));
      p.uses = r.Int(9);
      if (p.kind == "points") p.points_left = r.OptInt(7);
      if (p.kind == "days_of") {
        int64_t used = days.empty() ? 0 : 1 + static_cast<int64_t>(std::count(days.begin(), days.end(), ','));
        p.days_left = std::max<int64_t>(0, r.OptInt(10).value_or(0) - used);
      }
      status.packages.push_back(std::move(p));
    }
    PW_ASSIGN_OR_RETURN(Rows uses,
                        tx.Query("SELECT u.occurred_at, u.tid, t.name, u.kind FROM card_usage.transactions u "
                                 "LEFT JOIN core.terminals t ON t.tid = u.tid WHERE u.cycle_id = $1 "
                                 "ORDER BY u.occurred_at DESC, u.id DESC LIMIT 100",
                                 {*cycles[0]}));
    for (const Row& r : uses) status.uses.push_back({r.Text(0), r.Text(1), r.Text(2), r.Text(3)});
  }
  PW_RETURN_IF_ERROR(accounts::AuditAs(tx, clock_, actor, "card_status.view", "card:" + *normalized, json::object()));
  return status;
}

Result<CardStatus> RegistrationService::CardStatusForGuest(const std::string& card_number,
                                                           const std::string& registration_number,
                                                           const std::string& request_id) {
  accounts::Actor guest;
  guest.id = "guest";
  guest.request_id = request_id;
  CardStatus status;
  // First a read: wrong numbers never take the write lock (SQLite has one writer).
  bool belongs = false;
  Status checked = db_.Read([&](Tx& tx) -> Status {
    // The registration's form lists the cards handed out with it.
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT form_enc FROM spa_tax.registrations WHERE registration_number = "
                                            "$1 AND state = 'active'",
                                            {registration_number}));
    auto normalized = cards::NormalizeCardNumber(card_number);
    // An annual card's holder proves it with the receipt of the annual spa tax.
    if (rows.empty() && normalized) {
      PW_ASSIGN_OR_RETURN(belongs, AnnualReceiptListsCard(tx, box_, registration_number, *normalized));
    }
    if (!rows.empty() && !rows[0].IsNull(0) && normalized) {
      PW_ASSIGN_OR_RETURN(std::string plain, box_.Decrypt(rows[0].Text(0), kRegistrationFormContext));
      json form = json::parse(plain, nullptr, false);
      if (form.is_object() && form.contains("guests") && form["guests"].is_array()) {
        for (const json& g : form["guests"]) {
          belongs = belongs || (g.is_object() && g.contains("card_number") && g["card_number"] == *normalized);
        }
      }
    }
    return Status::Ok();
  });
  if (!checked.ok()) return checked;
  if (!belongs) return NotFound("no such card for this registration");
  Status done = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(status, LoadCardStatus(tx, guest, card_number, [](int64_t) { return true; }));
    return Status::Ok();
  });
  if (!done.ok()) return done;
  return status;
}

Result<CardStatus> RegistrationService::CardStatusForStaff(const accounts::Actor& actor,
                                                           const std::string& card_number) {
  PW_RETURN_IF_ERROR(accounts::Require(actor, accounts::Action::kManageGuestCards));
  CardStatus status;
  Status done = db_.Write([&](Tx& tx) -> Status {
    // Another municipality's card looks like an unknown one.
    PW_ASSIGN_OR_RETURN(status, LoadCardStatus(tx, actor, card_number, [&](int64_t municipality) {
                          return accounts::Can(actor, accounts::Action::kManageGuestCards,
                                               accounts::Resource::InMunicipality(municipality));
                        }));
    return Status::Ok();
  });
  if (!done.ok()) return done;
  return status;
}

Result<IssuedCard> RegistrationService::ReplaceGuestCard(const accounts::Actor& actor, const std::string& card_number,
                                                         const std::string& registration_number,
                                                         const std::string& reason,
                                                         storage::Idempotent<IssuedCard>* idempotent) {
  PW_RETURN_IF_ERROR(accounts::Require(actor, accounts::Action::kManageGuestCards));
  if (reason.empty() || reason.size() > 500) return InvalidArgument("give a reason (1 to 500 characters)", "reason");
  auto old_number = cards::NormalizeCardNumber(card_number);
  if (!old_number) return NotFound("no such card");
  IssuedCard issued;
  // Beside the card's logistics, sealed: the answer pairs the old number with the new.
  const storage::AnswerStore answers{storage::Segment::kLogistics, &box_};
  Status done = storage::WriteIdempotently(db_, idempotent, answers, issued, [&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows card, tx.Query("SELECT card_type, status, municipality_id, part_number, issuing_office, "
                                            "in_service_on, departure_on, sales_point FROM logistics.cards WHERE "
                                            "card_number = $1",
                                            {*old_number}));
    if (card.empty() || !accounts::Can(actor, accounts::Action::kManageGuestCards,
                                       accounts::Resource::InMunicipality(card[0].Int(2)))) {
      return NotFound("no such card");
    }
    if (card[0].Text(1) != "in_service") {
      return FailedPrecondition("only a card in service can be replaced (this one is " + card[0].Text(1) + ")");
    }
    // The receipt: the registration must list the card (for an annual card, the annual spa tax's receipt).
    PW_ASSIGN_OR_RETURN(Rows reg, tx.Query("SELECT form_enc FROM spa_tax.registrations WHERE registration_number = $1 "
                                           "AND state = 'active'",
                                           {registration_number}));
    const bool annual = reg.empty();
    json form;
    json* guest = nullptr;
    if (annual) {
      PW_ASSIGN_OR_RETURN(bool listed, AnnualReceiptListsCard(tx, box_, registration_number, *old_number));
      if (!listed) return NotFound("no such card for this registration", "registration_number");
    } else {
      if (reg[0].IsNull(0)) return NotFound("no such card for this registration", "registration_number");
      PW_ASSIGN_OR_RETURN(std::string plain, box_.Decrypt(reg[0].Text(0), kRegistrationFormContext));
      form = json::parse(plain, nullptr, false);
      if (form.is_object() && form.contains("guests") && form["guests"].is_array()) {
        for (json& g : form["guests"]) {
          if (g.is_object() && g.contains("card_number") && g["card_number"] == *old_number) guest = &g;
        }
      }
      if (guest == nullptr) return NotFound("no such card for this registration", "registration_number");
    }

    const std::string today = FormatIsoDate(BerlinDate(clock_.NowUnix()));
    int scheme_code = std::stoi(old_number->substr(0, 3));
    std::string number;
    for (int attempt = 0; attempt < 8 && number.empty(); ++attempt) {
      std::string candidate = cards::RandomCardNumber(scheme_code);
      PW_ASSIGN_OR_RETURN(
          int64_t claimed,
          tx.Exec("INSERT INTO logistics.cards (card_number, circulation_counter, card_type, municipality_id, "
                  "part_number, issuing_office, status, in_service_on, departure_on, sales_point, updated_on) "
                  "VALUES ($1, 1, $2, $3, $4, $5, 'in_service', $6, $7, $8, $9) ON CONFLICT (card_number) DO NOTHING",
                  {candidate, card[0].Text(0), card[0].Int(2), card[0].Text(3), card[0].Text(4), card[0].at(5),
                   card[0].at(6), card[0].at(7), today}));
      if (claimed == 1) number = candidate;
    }
    if (number.empty()) return Unavailable("could not draw a free card number; retry");
    PW_RETURN_IF_ERROR(tx.Exec("UPDATE logistics.cards SET status = 'replaced', blocked_reason = $1, updated_on = $2 "
                               "WHERE card_number = $3",
                               {reason, today, *old_number})
                           .status());
    LinkAccess access{actor.id, actor.request_id, "card:" + *old_number};
    PW_RETURN_IF_ERROR(ReplaceCardNumber(tx, clock_, access, *old_number, number));
    if (annual) {
      PW_RETURN_IF_ERROR(ReplaceOnAnnualReceipt(tx, box_, registration_number, *old_number, number));
    } else {
      (*guest)["card_number"] = number;
      PW_RETURN_IF_ERROR(tx.Exec("UPDATE spa_tax.registrations SET form_enc = $1 WHERE registration_number = $2",
                                 {storage::Blob{box_.Encrypt(form.dump(-1, ' ', false, json::error_handler_t::replace),
                                                             kRegistrationFormContext)},
                                  registration_number})
                             .status());
    }
    PW_ASSIGN_OR_RETURN(
        Row muni, tx.QueryOne("SELECT municipality_number FROM core.municipalities WHERE id = $1", {card[0].Int(2)}));
    issued.card_number = number;
    issued.barcode = FormatBarcode({muni.Text(0), card[0].Text(7), 1, number, 1});
    return accounts::AuditAs(tx, clock_, actor, "guest_card.replace", "card:" + *old_number,
                             {{"replacement", "card:" + number}, {"reason", reason}});
  });
  if (!done.ok()) return done;
  return issued;
}

Status RegistrationService::WithdrawConsent(const std::string& consent_id, const std::string& request_id) {
  if (consent_id.size() != 32) return NotFound("no such consent");
  return db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(int64_t removed, tx.Exec("DELETE FROM marketing.contacts WHERE consent_id = $1", {consent_id}));
    if (removed == 0) return NotFound("no such consent");
    accounts::Actor guest;
    guest.id = "guest";
    guest.request_id = request_id;
    return accounts::AuditAs(tx, clock_, guest, "marketing.withdraw", "consent", json::object());
  });
}

}  // namespace passwerk::guestcards
