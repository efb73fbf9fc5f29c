#include "guestcards/annual_cards.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "accounts/policy.h"
#include "cards/card_number.h"
#include "guestcards/card_link.h"
#include "guestcards/logistics.h"
#include "guestcards/origin.h"
#include "guestcards/retention.h"
#include "guestcards/tariff.h"

namespace passwerk::guestcards {
namespace {

using json = nlohmann::json;
using storage::Row;
using storage::Rows;
using storage::Tx;

constexpr std::string_view kAnnualFormContext = "spa_tax.annual_taxes.form";

Status Field(const std::string& field, const std::string& message) { return InvalidArgument(message, field); }

bool IsAnnualType(const std::string& card_type) { return card_type == "3.0" || card_type == "23"; }

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ",") + id;
  return out;
}

// The validity of an annual card bought for `year`: from today, or from
// 1 January when bought ahead, to 31 December.
std::pair<Date, Date> ValidityFor(int year, const Date& today) {
  Date from{year, 1, 1};
  return {std::max(from, today), Date{year, 12, 31}};
}

struct TariffChoice {
  int64_t id = 0;
  Tariff tariff;
};

// The tariff in force on `day`: the newest version not taking effect later.
Result<TariffChoice> TariffOn(Tx& tx, int64_t municipality_id, const Date& day) {
  PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT id, definition FROM core.tariffs WHERE municipality_id = $1 AND "
                                          "valid_from <= $2 ORDER BY valid_from DESC LIMIT 1",
                                          {municipality_id, FormatIsoDate(day)}));
  if (rows.empty()) return FailedPrecondition("the municipality has no spa-tax tariff for this year", "year");
  PW_ASSIGN_OR_RETURN(Tariff tariff, ParseTariffText(rows[0].Text(1)));
  if (!tariff.annual) return FailedPrecondition("the municipality's tariff has no annual rate", "year");
  return TariffChoice{rows[0].Int(0), std::move(tariff)};
}

// The annual rate for the holder, and what lowered it: the exempting age bands
// and reductions, or else those that give the reduced rate.
Result<std::pair<int64_t, std::vector<std::string>>> AnnualAmount(const Tariff& tariff, const GuestInput& holder,
                                                                  const Date& valid_from) {
  for (size_t i = 0; i < holder.reductions.size(); ++i) {
    const std::string& id = holder.reductions[i];
    if (std::none_of(tariff.reductions.begin(), tariff.reductions.end(),
                     [&](const Reduction& r) { return r.id == id; })) {
      std::string field = "holder.reductions[" + std::to_string(i) + "]";
      return Field(field, field + ": the tariff knows no reduction " + id);
    }
  }
  PW_ASSIGN_OR_RETURN(int64_t amount, ComputeAnnualTax(tariff, holder.birth_date, valid_from, holder.reductions));
  std::vector<std::string> applied;
  if (amount < tariff.annual->rate_cents) {
    const int age = AgeOn(holder.birth_date, valid_from);
    auto claimed = [&](const std::string& id) {
      return std::find(holder.reductions.begin(), holder.reductions.end(), id) != holder.reductions.end();
    };
    for (const AgeBand& b : tariff.age_bands) {
      if (b.percent == 0 && age >= b.from_age && age < b.below_age) applied.push_back(b.id);
    }
    for (const Reduction& r : tariff.reductions) {
      if (r.percent && *r.percent == 0 && claimed(r.id)) applied.push_back(r.id);
    }
    if (applied.empty()) {
      for (const std::string& id : tariff.annual->reduced_for) {
        bool in_band = std::any_of(tariff.age_bands.begin(), tariff.age_bands.end(), [&](const AgeBand& b) {
          return b.id == id && age >= b.from_age && age < b.below_age;
        });
        if (claimed(id) || in_band) applied.push_back(id);
      }
    }
  }
  return std::make_pair(amount, applied);
}

json HolderForm(const GuestInput& h) {
  return {{"family_name", h.family_name},
          {"given_name", h.given_name},
          {"birth_date", FormatIsoDate(h.birth_date)},
          {"nationality", h.nationality},
          {"gender", h.gender},
          {"address",
           {{"street", h.address.street},
            {"postal_code", h.address.postal_code},
            {"city", h.address.city},
            {"country", h.address.country}}},
          {"reductions", h.reductions}};
}

Result<json> ReadForm(Tx& tx, const crypto::SecretBox& box, const std::string& receipt_number) {
  PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT form_enc FROM spa_tax.annual_taxes WHERE receipt_number = $1 AND "
                                          "state = 'active'",
                                          {receipt_number}));
  if (rows.empty() || rows[0].IsNull(0)) return json(nullptr);
  PW_ASSIGN_OR_RETURN(std::string plain, box.Decrypt(rows[0].Text(0), kAnnualFormContext));
  json form = json::parse(plain, nullptr, false);
  if (!form.is_object()) return Internal("an annual form that is not a JSON object: " + receipt_number);
  return form;
}

storage::Blob SealForm(const crypto::SecretBox& box, const json& form) {
  return storage::Blob{box.Encrypt(form.dump(-1, ' ', false, json::error_handler_t::replace), kAnnualFormContext)};
}

Status RequireOffice(const accounts::Actor& actor) {
  return accounts::Require(actor, accounts::Action::kManageGuestCards);
}

}  // namespace

// ---- Parsing -----------------------------------------------------------------

Result<AnnualCardInput> ParseAnnualCard(const json& body, const Date& today) {
  if (!body.is_object()) return InvalidArgument("the body must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    if (key != "municipality" && key != "basis" && key != "year" && key != "holder" && key != "card_number") {
      return Field(key, "unknown field " + key);
    }
  }
  AnnualCardInput input;
  auto municipality = body.find("municipality");
  if (municipality == body.end() || !municipality->is_string() || municipality->get<std::string>().size() != 8 ||
      !std::all_of(municipality->get_ref<const std::string&>().begin(),
                   municipality->get_ref<const std::string&>().end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Field("municipality", "municipality must be the 8-digit municipality number");
  }
  input.municipality_number = municipality->get<std::string>();
  auto basis = body.find("basis");
  if (basis == body.end() || !basis->is_string() ||
      std::none_of(std::begin(kAnnualBases), std::end(kAnnualBases),
                   [&](const char* b) { return basis->get<std::string>() == b; })) {
    return Field("basis", "basis must be second_home, mooring or permanent_camping");
  }
  input.basis = basis->get<std::string>();
  auto year = body.find("year");
  if (year == body.end() || year->is_null()) {
    input.year = today.year;
  } else if (!year->is_number_integer() || *year < today.year || *year > today.year + 1) {
    return Field("year", "year must be this year or the next (" + std::to_string(today.year) + " or " +
                             std::to_string(today.year + 1) + ")");
  } else {
    input.year = year->get<int>();
  }
  auto holder = body.find("holder");
  if (holder == body.end() || !holder->is_object()) return Field("holder", "holder is required");
  if (holder->contains("card") || holder->contains("card_barcode")) {
    return Field("holder", "an annual card is not a guest card: give card_number for a card of the stock");
  }
  PW_ASSIGN_OR_RETURN(input.holder, ParseGuestInput(*holder, "holder."));
  if (input.holder.birth_date > today) return Field("holder.birth_date", "holder.birth_date lies in the future");
  if (today.year - input.holder.birth_date.year > 125) {
    return Field("holder.birth_date", "holder.birth_date is implausibly early");
  }
  if (auto number = body.find("card_number"); number != body.end() && !number->is_null()) {
    auto normalized = number->is_string() ? cards::NormalizeCardNumber(number->get<std::string>()) : std::nullopt;
    if (!normalized) return Field("card_number", "card_number must be a card number with its check digit");
    input.card_number = *normalized;
  }
  return input;
}

json AnnualCardJson(const AnnualCardResult& r) {
  return {{"receipt_number", r.receipt_number},
          {"card_number", r.card_number},
          {"card_type", r.card_type},
          {"valid_from", r.valid_from},
          {"valid_to", r.valid_to},
          {"spa_tax", {{"amount_cents", r.amount_cents}, {"currency", "EUR"}, {"reductions", r.reductions}}}};
}

// ---- The service ---------------------------------------------------------------

AnnualCardService::AnnualCardService(storage::Database& db, const Clock& clock, const crypto::SecretBox& box)
    : db_(db), clock_(clock), box_(box) {}

Result<AnnualCardResult> AnnualCardService::Issue(const accounts::Actor& actor, const AnnualCardInput& input,
                                                  storage::Idempotent<AnnualCardResult>* idempotent) {
  PW_RETURN_IF_ERROR(RequireOffice(actor));
  const int64_t now = clock_.NowUnix();
  const Date today = BerlinDate(now);
  const auto [valid_from, valid_to] = ValidityFor(input.year, today);
  AnnualCardResult result;
  // The answer names the card and the receipt: sealed, beside the annual spa tax.
  const storage::AnswerStore answers{storage::Segment::kSpaTax, &box_};
  Status done = storage::WriteIdempotently(db_, idempotent, answers, result, [&](Tx& tx) -> Status {
    result = {};
    PW_ASSIGN_OR_RETURN(Rows m, tx.Query("SELECT m.id, (SELECT s.scheme_code FROM core.schemes s WHERE "
                                         "s.municipality_id = m.id AND s.kind = 'guest_card' ORDER BY s.id LIMIT 1) "
                                         "FROM core.municipalities m WHERE m.municipality_number = $1",
                                         {input.municipality_number}));
    // Another municipality's office learns nothing about this one.
    if (m.empty() ||
        !accounts::Can(actor, accounts::Action::kManageGuestCards, accounts::Resource::InMunicipality(m[0].Int(0))))
      return NotFound("no such municipality", "municipality");
    const int64_t municipality_id = m[0].Int(0);
    const int scheme_code = static_cast<int>(m[0].OptInt(1).value_or(0));
    if (scheme_code == 0) {
      return FailedPrecondition("the municipality has no guest-card scheme; cards cannot be issued", "municipality");
    }
    PW_ASSIGN_OR_RETURN(TariffChoice tariff, TariffOn(tx, municipality_id, valid_from));
    PW_ASSIGN_OR_RETURN(auto amount, AnnualAmount(tariff.tariff, input.holder, valid_from));
    result.amount_cents = amount.first;
    result.reductions = amount.second;
    result.valid_from = FormatIsoDate(valid_from);
    result.valid_to = FormatIsoDate(valid_to);
    const std::string today_text = FormatIsoDate(today);

    // The card: one of the stock's annual cards, or a newly drawn number.
    if (!input.card_number.empty()) {
      PW_ASSIGN_OR_RETURN(Rows card, tx.Query("SELECT status, card_type, municipality_id FROM logistics.cards WHERE "
                                              "card_number = $1",
                                              {input.card_number}));
      if (card.empty() || card[0].Int(2) != municipality_id) {
        return InvalidArgument("no card " + input.card_number + " in the municipality's stock", "card_number");
      }
      if (!IsAnnualType(card[0].Text(1))) {
        return InvalidArgument("card " + input.card_number + " is not an annual card", "card_number");
      }
      if (card[0].Text(0) != "in_stock") {
        return FailedPrecondition("card " + input.card_number + " is not in stock (" + card[0].Text(0) + ")",
                                  "card_number");
      }
      PW_RETURN_IF_ERROR(tx.Exec("UPDATE logistics.cards SET status = 'in_service', in_service_on = $1, "
                                 "departure_on = $2, updated_on = $3 WHERE card_number = $4",
                                 {result.valid_from, result.valid_to, today_text, input.card_number})
                             .status());
      result.card_number = input.card_number;
      result.card_type = card[0].Text(1);
    } else {
      for (int attempt = 0; attempt < 8 && result.card_number.empty(); ++attempt) {
        std::string candidate = cards::RandomCardNumber(scheme_code);
        PW_ASSIGN_OR_RETURN(
            int64_t claimed,
            tx.Exec("INSERT INTO logistics.cards (card_number, circulation_counter, card_type, municipality_id, "
                    "part_number, issuing_office, valid_from, status, in_service_on, departure_on, updated_on) "
                    "VALUES ($1, 1, '3.0', $2, '00', '', $3, 'in_service', $3, $4, $5) "
                    "ON CONFLICT (card_number) DO NOTHING",
                    {candidate, municipality_id, result.valid_from, result.valid_to, today_text}));
        if (claimed == 1) result.card_number = candidate;
      }
      if (result.card_number.empty()) return Unavailable("could not draw a free card number; retry");
      result.card_type = "3.0";
    }

    // spa_tax: the assessment; who the holder is and which card, encrypted.
    result.receipt_number = NewRegistrationNumber();
    json form = {{"basis", input.basis},
                 {"holder", HolderForm(input.holder)},
                 {"card_number", result.card_number},
                 {"valid_from", result.valid_from},
                 {"valid_to", result.valid_to}};
    const int age = AgeOn(input.holder.birth_date, valid_from);
    PW_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO spa_tax.annual_taxes (receipt_number, municipality_id, basis, valid_from, valid_to, "
                "origin, age_band, reductions, amount_cents, tariff_id, state, form_enc, created_at) VALUES ($1, $2, "
                "$3, $4, $5, $6, $7, $8, $9, $10, 'active', $11, $12)",
                {result.receipt_number, municipality_id, input.basis, result.valid_from, result.valid_to,
                 OriginOf(input.holder.address.country, input.holder.address.postal_code), AgeBandLabel(age),
                 JoinIds(result.reductions), result.amount_cents, tariff.id, SealForm(box_, form), now})
            .status());

    // card_link and card_usage: only what a replacement card needs (3.3.2).
    LinkAccess access{actor.id, actor.request_id, "annual:" + result.receipt_number};
    PW_ASSIGN_OR_RETURN(std::vector<std::string> cycles, EnrolCards(tx, clock_, access, {result.card_number}));
    PW_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO card_usage.cycles (cycle_id, registration_ref, card_type, gender, "
                "age_band, postal_code, origin, spa_tax_cents, arrival, departure, cycle_from) VALUES "
                "($1, '', $2, '', '', '', '', $3, $4, $5, $6)",
                {cycles.front(), result.card_type, result.amount_cents, result.valid_from, result.valid_to, today_text})
            .status());
    return accounts::AuditAs(tx, clock_, actor, "annual_card.issue", "annual:" + result.receipt_number,
                             {{"basis", input.basis}, {"valid_to", result.valid_to}});
  });
  if (!done.ok()) return done;
  return result;
}

Result<AnnualCardResult> AnnualCardService::Renew(const accounts::Actor& actor, const std::string& card_number,
                                                  const AnnualRenewal& renewal,
                                                  storage::Idempotent<AnnualCardResult>* idempotent) {
  PW_RETURN_IF_ERROR(RequireOffice(actor));
  auto normalized = cards::NormalizeCardNumber(card_number);
  if (!normalized) return NotFound("no such card");
  const int64_t now = clock_.NowUnix();
  const Date today = BerlinDate(now);
  AnnualCardResult result;
  // The answer names the card and the receipt: sealed, beside the annual spa tax.
  const storage::AnswerStore answers{storage::Segment::kSpaTax, &box_};
  Status done = storage::WriteIdempotently(db_, idempotent, answers, result, [&](Tx& tx) -> Status {
    result = {};
    PW_ASSIGN_OR_RETURN(Rows card, tx.Query("SELECT card_type, status, municipality_id, departure_on FROM "
                                            "logistics.cards WHERE card_number = $1",
                                            {*normalized}));
    if (card.empty() ||
        !accounts::Can(actor, accounts::Action::kManageGuestCards,
                       accounts::Resource::InMunicipality(card[0].Int(2))) ||
        !IsAnnualType(card[0].Text(0))) {
      return NotFound("no such annual card");
    }
    if (card[0].Text(1) != "in_service") {
      return FailedPrecondition("only a card in service can be renewed (this one is " + card[0].Text(1) + ")");
    }
    PW_ASSIGN_OR_RETURN(json form, ReadForm(tx, box_, renewal.receipt_number));
    if (!form.is_object() || form.value("card_number", "") != *normalized) {
      return NotFound("no such card for this receipt", "receipt_number");
    }
    auto current_to = ParseIsoDate(form.value("valid_to", ""));
    if (!current_to) return Internal("an annual form without its validity: " + renewal.receipt_number);
    // Only the receipt of the card's current validity renews it: an earlier
    // receipt of the same card would charge the holder for a year again.
    if (FormatIsoDate(*current_to) != card[0].Text(3)) {
      return NotFound("this receipt is not the card's current one (valid until " + card[0].Text(3) +
                          "); renew with the latest receipt",
                      "receipt_number");
    }
    if (renewal.year != current_to->year + 1) {
      return InvalidArgument("the card is valid until " + FormatIsoDate(*current_to) + "; renew it for " +
                                 std::to_string(current_to->year + 1),
                             "year");
    }
    if (renewal.year > today.year + 1) {
      return InvalidArgument("a card is renewed for this year or the next", "year");
    }
    // The card stays valid without a gap: the new year follows the old one.
    const Date valid_from = std::max(Date{renewal.year, 1, 1}, today);
    const Date valid_to{renewal.year, 12, 31};
    const int64_t municipality_id = card[0].Int(2);
    PW_ASSIGN_OR_RETURN(TariffChoice tariff, TariffOn(tx, municipality_id, valid_from));
    GuestInput holder;
    const json& h = form["holder"];
    auto birth = ParseIsoDate(h.value("birth_date", ""));
    if (!birth) return Internal("an annual form without the holder's birth date: " + renewal.receipt_number);
    holder.birth_date = *birth;
    holder.reductions = renewal.reductions;
    auto amount = AnnualAmount(tariff.tariff, holder, valid_from);
    if (!amount.ok()) {
      // The renewal names its own fields: "reductions[0]", not "holder.reductions[0]".
      Status s = amount.status();
      std::string field = s.field().rfind("holder.", 0) == 0 ? s.field().substr(7) : s.field();
      std::string message = s.message().rfind("holder.", 0) == 0 ? s.message().substr(7) : s.message();
      return Status(s.code(), message).WithField(field);
    }

    result.receipt_number = NewRegistrationNumber();
    result.card_number = *normalized;
    result.card_type = card[0].Text(0);
    result.valid_from = FormatIsoDate(valid_from);
    result.valid_to = FormatIsoDate(valid_to);
    result.amount_cents = amount->first;
    result.reductions = amount->second;
    json renewed = form;
    renewed["holder"]["reductions"] = renewal.reductions;
    renewed["valid_from"] = result.valid_from;
    renewed["valid_to"] = result.valid_to;
    renewed["renews"] = renewal.receipt_number;
    const int age = AgeOn(holder.birth_date, valid_from);
    PW_ASSIGN_OR_RETURN(Row previous, tx.QueryOne("SELECT basis, origin FROM spa_tax.annual_taxes WHERE "
                                                  "receipt_number = $1",
                                                  {renewal.receipt_number}));
    PW_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO spa_tax.annual_taxes (receipt_number, municipality_id, basis, valid_from, valid_to, "
                "origin, age_band, reductions, amount_cents, tariff_id, state, form_enc, created_at) VALUES ($1, $2, "
                "$3, $4, $5, $6, $7, $8, $9, $10, 'active', $11, $12)",
                {result.receipt_number, municipality_id, previous.Text(0), result.valid_from, result.valid_to,
                 previous.Text(1), AgeBandLabel(age), JoinIds(result.reductions), result.amount_cents, tariff.id,
                 SealForm(box_, renewed), now})
            .status());
    PW_RETURN_IF_ERROR(tx.Exec("UPDATE logistics.cards SET departure_on = $1, updated_on = $2 WHERE card_number = $3",
                               {result.valid_to, FormatIsoDate(today), *normalized})
                           .status());
    // The card's data: the new end of its validity and the tax paid (3.3.3.1, update a card).
    LinkAccess access{actor.id, actor.request_id, "annual:" + result.receipt_number};
    PW_ASSIGN_OR_RETURN(auto cycles, CyclesOf(tx, clock_, LinkPurpose::kUpdateCard, access, {*normalized}));
    if (!cycles.front()) return FailedPrecondition("the card is no longer linked to its usage; issue a new one");
    PW_RETURN_IF_ERROR(tx.Exec("UPDATE card_usage.cycles SET departure = $1, spa_tax_cents = $2 WHERE cycle_id = $3",
                               {result.valid_to, result.amount_cents, *cycles.front()})
                           .status());
    return accounts::AuditAs(tx, clock_, actor, "annual_card.renew", "annual:" + result.receipt_number,
                             {{"renews", "annual:" + renewal.receipt_number}, {"valid_to", result.valid_to}});
  });
  if (!done.ok()) return done;
  return result;
}

Result<bool> AnnualReceiptListsCard(Tx& tx, const crypto::SecretBox& box, const std::string& receipt_number,
                                    const std::string& card_number) {
  PW_ASSIGN_OR_RETURN(json form, ReadForm(tx, box, receipt_number));
  return form.is_object() && form.value("card_number", "") == card_number;
}

Status ReplaceOnAnnualReceipt(Tx& tx, const crypto::SecretBox& box, const std::string& receipt_number,
                              const std::string& old_number, const std::string& new_number) {
  PW_ASSIGN_OR_RETURN(json form, ReadForm(tx, box, receipt_number));
  if (!form.is_object() || form.value("card_number", "") != old_number) {
    return NotFound("no such card for this receipt", "registration_number");
  }
  form["card_number"] = new_number;
  return tx
      .Exec("UPDATE spa_tax.annual_taxes SET form_enc = $1 WHERE receipt_number = $2",
            {SealForm(box, form), receipt_number})
      .status();
}

// ---- The yearly new cycle (3.3.3.4) ----------------------------------------------

std::optional<Date> LatestRotationDay(const Date& as_of, const std::string& month_day) {
  if (month_day.size() != 5 || month_day[2] != '-') return std::nullopt;
  auto day = ParseIsoDate(std::to_string(as_of.year) + "-" + month_day);
  if (!day) return std::nullopt;
  if (*day > as_of) day = ParseIsoDate(std::to_string(as_of.year - 1) + "-" + month_day);
  return day;
}

Result<RotationReport> RotateAnnualCycles(storage::Database& db, const Clock& clock, const accounts::Actor& actor,
                                          const Date& as_of, const std::string& rotation_month_day, bool dry_run,
                                          int batch_size) {
  auto rotation_day = LatestRotationDay(as_of, rotation_month_day);
  if (!rotation_day) return InvalidArgument("the rotation day must be MM-DD", "annual_cycle_rotation_day");
  RotationReport report;
  report.rotation_day = *rotation_day;
  const std::string day = FormatIsoDate(*rotation_day);
  const std::string archived_on = FormatIsoDate(as_of);
  const auto batch = static_cast<int64_t>(std::max(1, batch_size));
  if (dry_run) {
    Status counted = db.Read([&](Tx& tx) -> Status {
      PW_ASSIGN_OR_RETURN(Row n, tx.QueryOne("SELECT COUNT(*) FROM card_usage.cycles WHERE cycle_from < $1", {day}));
      report.rotated = n.Int(0);
      return Status::Ok();
    });
    if (!counted.ok()) return counted;
    return report;
  }
  while (true) {
    int64_t rotated = 0, moved = 0;
    Status step = db.Write([&](Tx& tx) -> Status {
      PW_ASSIGN_OR_RETURN(Rows rows, tx.Query(std::string("SELECT ") + kHistoryCycleColumns +
                                                  " FROM card_usage.cycles WHERE cycle_from < $1 ORDER BY "
                                                  "cycle_id LIMIT $2",
                                              {day, batch}));
      if (rows.empty()) return Status::Ok();
      std::vector<std::string> old_ids;
      for (const Row& r : rows) old_ids.push_back(r.Text(0));
      LinkAccess access{actor.id, actor.request_id, "retention"};
      PW_ASSIGN_OR_RETURN(auto fresh, RotateCycles(tx, clock, access, old_ids));
      for (size_t i = 0; i < rows.size(); ++i) {
        const Row& r = rows[i];
        if (fresh[i]) {
          // The new cycle: what a replacement card needs, nothing of the past year's use.
          PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO card_usage.cycles (cycle_id, registration_ref, card_type, gender, "
                                     "age_band, postal_code, origin, spa_tax_cents, arrival, departure, cycle_from) "
                                     "VALUES ($1, '', $2, '', '', '', '', $3, $4, $5, $6)",
                                     {*fresh[i], r.Text(2), r.Int(7), r.at(8), r.at(9), day})
                                 .status());
          // Unused credits: active packages still valid on the rotation day with something left.
          PW_ASSIGN_OR_RETURN(Rows held, tx.Query("SELECT h.id, h.points_left, h.used_days, h.uses, p.kind, p.days "
                                                  "FROM card_usage.holdings h JOIN core.packages p ON p.id = "
                                                  "h.package_id WHERE h.cycle_id = $1 AND h.state = 'active' AND "
                                                  "h.valid_to >= $2",
                                                  {r.Text(0), day}));
          for (const Row& h : held) {
            const std::string kind = h.Text(4);
            const std::string& used_days = h.Text(2);
            const int64_t days_used =
                used_days.empty() ? 0 : 1 + static_cast<int64_t>(std::count(used_days.begin(), used_days.end(), ','));
            bool left = true;
            if (kind == "points") left = h.OptInt(1).value_or(0) > 0;
            if (kind == "single") left = h.Int(3) == 0;
            if (kind == "days_of") left = days_used < h.OptInt(5).value_or(0);
            if (!left) continue;
            PW_RETURN_IF_ERROR(
                tx.Exec("UPDATE card_usage.holdings SET cycle_id = $1 WHERE id = $2", {*fresh[i], h.Int(0)}).status());
            ++moved;
          }
        }
        // The rest of the old cycle goes to history, no longer linkable.
        PW_RETURN_IF_ERROR(HistoriseCycle(tx, r, archived_on));
      }
      rotated = static_cast<int64_t>(rows.size());
      return Status::Ok();
    });
    if (!step.ok()) return step;
    report.rotated += rotated;
    report.holdings_moved += moved;
    if (rotated < batch) break;
  }
  return report;
}

}  // namespace passwerk::guestcards
