#include "guestcards/logistics.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "accounts/policy.h"
#include "cards/card_number.h"
#include "core/csv.h"
#include "core/utf8.h"
#include "guestcards/card_link.h"

namespace passwerk::guestcards {
namespace {

using storage::Row;
using storage::Rows;
using storage::Tx;
using storage::Value;

constexpr size_t kMaxBytes = 20 * 1024 * 1024;
constexpr int kMaxCards = 200'000;

enum class Column {
  kBatch,
  kProducedOn,
  kCardType,
  kCardNumber,
  kCirculationCounter,
  kMunicipality,
  kPart,
  kIssuingOffice,
  kBookingSequence,
  kValidFrom,
};

struct ColumnInfo {
  Column column;
  const char* name;   // as documented (German)
  const char* alias;  // English
  bool required;
};

constexpr ColumnInfo kColumns[] = {
    {Column::kBatch, "Batch", "batch_id", true},
    {Column::kProducedOn, "Produktionsdatum", "produced_on", true},
    {Column::kCardType, "Kartentyp", "card_type", true},
    {Column::kCardNumber, "Kartennummer", "card_number", true},
    {Column::kCirculationCounter, "Umlaufzähler", "circulation_counter", false},
    {Column::kMunicipality, "Gemeindenummer", "municipality_number", true},
    {Column::kPart, "Gemeindeteilnummer", "part_number", true},
    {Column::kIssuingOffice, "Ausgabestelle", "issuing_office", false},
    {Column::kBookingSequence, "Buchungssequenz", "booking_sequence", false},
    {Column::kValidFrom, "Gültig ab", "valid_from", false},
};

const ColumnInfo& Info(Column column) {
  return *std::find_if(std::begin(kColumns), std::end(kColumns),
                       [&](const ColumnInfo& i) { return i.column == column; });
}

std::optional<Column> LookUp(std::string_view name) {
  std::string wanted = csv::NormalizeHeader(name);
  for (const ColumnInfo& info : kColumns) {
    if (csv::NormalizeHeader(info.name) == wanted || csv::NormalizeHeader(info.alias) == wanted) return info.column;
  }
  return std::nullopt;
}

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<int64_t> Number(std::string_view text, int64_t min, int64_t max) {
  if (!AllDigits(text) || text.size() > 12) return std::nullopt;
  int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value < min || value > max) return std::nullopt;
  return value;
}

bool IsAnnual(const std::string& card_type) { return card_type == "3.0" || card_type == "23"; }

std::string Fixed(std::string digits, size_t width) {
  if (digits.size() > width) digits = digits.substr(digits.size() - width);
  return std::string(width - digits.size(), '0') + digits;
}

}  // namespace

std::optional<Barcode> ParseBarcode(std::string_view digits) {
  if (digits.size() != 32 || !AllDigits(digits)) return std::nullopt;
  Barcode b;
  b.municipality_number = std::string(digits.substr(0, 8));
  b.participant = std::string(digits.substr(8, 6));
  b.counter = static_cast<int>(*Number(digits.substr(14, 4), 0, 9999));
  b.card_number = std::string(digits.substr(18, 12));
  b.circulation_counter = static_cast<int>(*Number(digits.substr(30, 2), 0, 99));
  return b;
}

std::string FormatBarcode(const Barcode& b) {
  return Fixed(b.municipality_number, 8) + Fixed(b.participant, 6) + Fixed(std::to_string(b.counter), 4) +
         Fixed(b.card_number, 12) + Fixed(std::to_string(b.circulation_counter), 2);
}

std::vector<ProductionCard> ParseProductionFile(std::string_view text, std::vector<ProductionProblem>& problems) {
  std::vector<ProductionCard> cards;
  if (text.size() > kMaxBytes) {
    problems.push_back({0, "", "file too large: at most 20 MiB"});
    return cards;
  }
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  if (!utf8::IsValidUtf8(text)) {
    problems.push_back({0, "", "the file is not UTF-8 text"});
    return cards;
  }
  csv::RecordReader reader(text, csv::DetectSeparator(text));
  csv::Record record;
  if (!reader.Next(32, record) || csv::IsBlank(record)) {
    problems.push_back({1, "", "the file has no header line"});
    return cards;
  }
  std::map<Column, size_t> index;
  std::vector<std::string> header;
  for (size_t i = 0; i < record.fields.size(); ++i) {
    std::string name(csv::Trim(record.fields[i]));
    header.push_back(name);
    if (name.empty()) continue;
    auto column = LookUp(name);
    if (!column) {
      problems.push_back({1, name, "unknown column"});
    } else if (!index.emplace(*column, i).second) {
      problems.push_back({1, name, "column appears twice"});
    }
  }
  for (const ColumnInfo& info : kColumns) {
    if (info.required && !index.contains(info.column)) problems.push_back({1, info.name, "column missing"});
  }
  if (!problems.empty()) return cards;

  std::set<std::string> numbers;
  while (reader.Next(header.size(), record)) {
    if (csv::IsBlank(record)) continue;
    if (static_cast<int>(cards.size()) >= kMaxCards) {
      problems.push_back({record.line, "", "too many cards: at most 200,000 per file"});
      break;
    }
    if (record.unterminated_quote) {
      problems.push_back({record.line, "", "a quoted value is not closed"});
      continue;
    }
    if (record.has_extra_content) {
      problems.push_back({record.line, "", "more values than columns"});
      continue;
    }
    auto cell = [&](Column c) -> std::string {
      auto it = index.find(c);
      if (it == index.end() || it->second >= record.fields.size()) return "";
      return std::string(csv::Trim(record.fields[it->second]));
    };
    const size_t before = problems.size();
    auto bad = [&](Column c, std::string message) { problems.push_back({record.line, Info(c).name, message}); };
    ProductionCard card;
    card.line = record.line;
    card.batch_id = cell(Column::kBatch);
    if (card.batch_id.empty() || card.batch_id.size() > 64) bad(Column::kBatch, "required, at most 64 characters");
    auto produced = ParseIsoDate(csv::IsoFromGermanDate(cell(Column::kProducedOn)));
    if (!produced) bad(Column::kProducedOn, "a date (dd.mm.yyyy)");
    card.produced_on = produced.value_or(Date{});
    card.card_type = cell(Column::kCardType);
    if (card.card_type == "1" || card.card_type == "2" || card.card_type == "3") card.card_type += ".0";
    static const std::set<std::string> kTypes = {"1.0", "2.0", "3.0", "21", "22", "23"};
    if (!kTypes.contains(card.card_type)) bad(Column::kCardType, "1.0, 2.0, 3.0, 21, 22 or 23");
    auto number = cards::NormalizeCardNumber(cell(Column::kCardNumber));
    if (!number) {
      bad(Column::kCardNumber, "12 digits with a valid check digit");
    } else if (!numbers.insert(*number).second) {
      bad(Column::kCardNumber, "card " + *number + " appears twice in the file");
    }
    card.card_number = number.value_or("");
    std::string counter = cell(Column::kCirculationCounter);
    if (counter.empty() && IsAnnual(card.card_type)) counter = "1";
    auto parsed_counter = Number(counter, 1, 99);
    if (!parsed_counter) bad(Column::kCirculationCounter, "a number from 1 to 99");
    card.circulation_counter = static_cast<int>(parsed_counter.value_or(1));
    card.municipality_number = cell(Column::kMunicipality);
    if (card.municipality_number.size() != 8 || !AllDigits(card.municipality_number)) {
      bad(Column::kMunicipality, "8 digits (Gemeindeschlüssel)");
    }
    card.part_number = cell(Column::kPart);
    if (card.part_number.size() > 6 || (!card.part_number.empty() && !AllDigits(card.part_number))) {
      bad(Column::kPart, "up to 6 digits");
    }
    card.issuing_office = cell(Column::kIssuingOffice);
    if (card.issuing_office.size() > 6 || (!card.issuing_office.empty() && !AllDigits(card.issuing_office))) {
      bad(Column::kIssuingOffice, "up to 6 digits (the landlord's participant number) or empty");
    }
    if (IsAnnual(card.card_type)) {
      card.booking_sequence = Number(cell(Column::kBookingSequence), 0, 999'999'999'999);
      if (!card.booking_sequence) bad(Column::kBookingSequence, "required for annual cards: a number");
      card.valid_from = ParseIsoDate(csv::IsoFromGermanDate(cell(Column::kValidFrom)));
      if (!card.valid_from) bad(Column::kValidFrom, "required for annual cards: a date (dd.mm.yyyy)");
    } else {
      if (!cell(Column::kBookingSequence).empty()) bad(Column::kBookingSequence, "only for annual cards");
      if (!cell(Column::kValidFrom).empty()) bad(Column::kValidFrom, "only for annual cards");
    }
    if (problems.size() == before) cards.push_back(std::move(card));
  }
  if (cards.empty() && problems.empty()) problems.push_back({0, "", "the file lists no cards"});
  if (!problems.empty()) cards.clear();
  return cards;
}

Result<ClaimedCard> ClaimStockCard(Tx& tx, const Clock& clock, const StockClaim& claim, const Barcode& barcode,
                                   const std::string& field) {
  if (barcode.municipality_number != Fixed(claim.municipality_number, 8)) {
    return InvalidArgument(field + ": a card of another municipality (" + barcode.municipality_number + ")", field);
  }
  if (!cards::LuhnValid(barcode.card_number)) {
    return InvalidArgument(field + ": the card number on the sticker fails its check digit", field);
  }
  PW_ASSIGN_OR_RETURN(Rows card, tx.Query("SELECT status, circulation_counter, card_type, municipality_id FROM "
                                          "logistics.cards WHERE card_number = $1",
                                          {barcode.card_number}));
  if (card.empty() || card[0].Int(3) != claim.municipality_id) {
    return InvalidArgument(field + ": no card " + barcode.card_number + " in the municipality's stock", field);
  }
  if (card[0].Int(1) != barcode.circulation_counter) {
    return InvalidArgument(field + ": the sticker shows circulation counter " +
                               std::to_string(barcode.circulation_counter) + ", the card is at " +
                               std::to_string(card[0].Int(1)) + " (an old sticker?)",
                           field);
  }
  const std::string card_type = card[0].Text(2);
  if (IsAnnual(card_type))
    return InvalidArgument(field + ": an annual card is not handed out with a registration", field);
  // Handed out without a stay: the registration brings it.
  const bool provisional = card[0].Text(0) == "handed_out";
  if (card[0].Text(0) != "in_stock" && !provisional) {
    return FailedPrecondition(field + ": card " + barcode.card_number + " is not in stock (" + card[0].Text(0) + ")",
                              field);
  }
  PW_RETURN_IF_ERROR(tx.Exec("UPDATE logistics.cards SET status = 'in_service', in_service_on = COALESCE("
                             "in_service_on, $1), departure_on = $2, sales_point = $3, updated_on = $4 WHERE "
                             "card_number = $5",
                             {FormatIsoDate(claim.arrival), FormatIsoDate(claim.departure), claim.landlord_number,
                              FormatIsoDate(BerlinDate(clock.NowUnix())), barcode.card_number})
                         .status());
  return ClaimedCard{card_type, provisional};
}

LogisticsService::LogisticsService(storage::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

Result<ProductionImport> LogisticsService::ImportProductionFile(const accounts::Actor& actor,
                                                                const std::string& file_name, std::string_view text,
                                                                std::vector<ProductionProblem>& problems,
                                                                storage::Idempotent<ProductionImport>* idempotent) {
  problems.clear();
  PW_RETURN_IF_ERROR(accounts::Require(actor, accounts::Action::kImportCardStock));
  std::vector<ProductionCard> cards = ParseProductionFile(text, problems);
  if (!problems.empty()) return InvalidArgument("the production file has errors; nothing was imported");
  ProductionImport report;
  const storage::AnswerStore answers{storage::Segment::kLogistics};  // counts and batch ids only
  Status done = storage::WriteIdempotently(db_, idempotent, answers, report, [&](Tx& tx) -> Status {
    report = {};
    // Municipalities, their guest-card scheme, and the actor's right to each.
    struct Municipality {
      int64_t id = 0;
      int scheme_code = 0;
    };
    std::map<std::string, std::optional<Municipality>> municipalities;
    for (const ProductionCard& c : cards) {
      auto [it, added] = municipalities.emplace(c.municipality_number, std::nullopt);
      if (!added) continue;
      PW_ASSIGN_OR_RETURN(Rows m, tx.Query("SELECT m.id, (SELECT s.scheme_code FROM core.schemes s WHERE "
                                           "s.municipality_id = m.id AND s.kind = 'guest_card' ORDER BY s.id LIMIT 1) "
                                           "FROM core.municipalities m WHERE m.municipality_number = $1",
                                           {c.municipality_number}));
      if (m.empty()) continue;
      if (!accounts::Can(actor, accounts::Action::kImportCardStock, accounts::Resource::InMunicipality(m[0].Int(0)))) {
        return PermissionDenied("the file lists cards of municipality " + c.municipality_number +
                                ", which you do not administer");
      }
      it->second = Municipality{m[0].Int(0), static_cast<int>(m[0].OptInt(1).value_or(0))};
    }
    std::set<std::string> batches;
    for (const ProductionCard& c : cards) batches.insert(c.batch_id);
    for (const std::string& batch : batches) {
      PW_ASSIGN_OR_RETURN(Rows known, tx.Query("SELECT file_name FROM logistics.batches WHERE batch_id = $1", {batch}));
      if (!known.empty()) {
        auto first =
            std::find_if(cards.begin(), cards.end(), [&](const ProductionCard& c) { return c.batch_id == batch; });
        problems.push_back({first->line, Info(Column::kBatch).name,
                            "batch " + batch + " was imported before (file " + known[0].Text(0) + ")"});
      }
    }
    std::vector<Value> numbers;
    std::map<std::string, int> line_of;
    for (const ProductionCard& c : cards) {
      numbers.emplace_back(c.card_number);
      line_of[c.card_number] = c.line;
    }
    std::set<std::string> taken;
    PW_RETURN_IF_ERROR(storage::QueryIn(tx, "SELECT card_number FROM logistics.cards WHERE card_number IN", numbers,
                                        [&](const Row& r) {
                                          taken.insert(r.Text(0));
                                          return Status::Ok();
                                        }));
    for (const ProductionCard& c : cards) {
      const auto& m = municipalities.at(c.municipality_number);
      if (!m) {
        problems.push_back({c.line, Info(Column::kMunicipality).name, "no municipality " + c.municipality_number});
      } else if (m->scheme_code == 0) {
        problems.push_back({c.line, Info(Column::kMunicipality).name,
                            "municipality " + c.municipality_number + " has no guest-card scheme"});
      } else if (c.card_number.substr(0, 3) != std::to_string(m->scheme_code)) {
        problems.push_back({c.line, Info(Column::kCardNumber).name,
                            "not a number of the municipality's guest-card scheme (it starts with " +
                                std::to_string(m->scheme_code) + ")"});
      }
      if (taken.contains(c.card_number)) {
        problems.push_back({c.line, Info(Column::kCardNumber).name,
                            "card " + c.card_number +
                                " is known already (a returned card is re-initialised, not "
                                "imported)"});
      }
    }
    if (!problems.empty()) {
      std::sort(problems.begin(), problems.end(),
                [](const ProductionProblem& a, const ProductionProblem& b) { return a.line < b.line; });
      return InvalidArgument("the production file has errors; nothing was imported");
    }
    const std::string today = FormatIsoDate(BerlinDate(clock_.NowUnix()));
    std::map<std::string, std::pair<Date, int64_t>> per_batch;  // latest production date, cards
    for (const ProductionCard& c : cards) {
      auto& [produced, count] = per_batch[c.batch_id];
      produced = std::max(produced, c.produced_on);
      ++count;
      Value sequence = std::monostate{}, valid_from = std::monostate{};
      if (c.booking_sequence) sequence = *c.booking_sequence;
      if (c.valid_from) valid_from = FormatIsoDate(*c.valid_from);
      PW_RETURN_IF_ERROR(
          tx.Exec("INSERT INTO logistics.cards (card_number, circulation_counter, card_type, municipality_id, "
                  "part_number, issuing_office, batch_id, produced_on, booking_sequence, valid_from, status, "
                  "updated_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'in_stock', $11)",
                  {c.card_number, int64_t{c.circulation_counter}, c.card_type,
                   municipalities.at(c.municipality_number)->id, c.part_number, c.issuing_office, c.batch_id,
                   FormatIsoDate(c.produced_on), sequence, valid_from, today})
              .status());
    }
    for (const auto& [batch, info] : per_batch) {
      PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO logistics.batches (batch_id, produced_on, file_name, cards, imported_at) "
                                 "VALUES ($1, $2, $3, $4, $5)",
                                 {batch, FormatIsoDate(info.first), file_name, info.second, clock_.NowUnix()})
                             .status());
      report.batches.push_back(batch);
    }
    report.cards = static_cast<int64_t>(cards.size());
    return accounts::AuditAs(tx, clock_, actor, "logistics.import", "file:" + file_name,
                             {{"batches", report.batches}, {"cards", report.cards}});
  });
  if (!done.ok()) return done;
  return report;
}

Result<ReinitialisedCard> LogisticsService::Reinitialise(const accounts::Actor& actor, const std::string& card_number) {
  PW_RETURN_IF_ERROR(accounts::Require(actor, accounts::Action::kManageGuestCards));
  auto number = cards::NormalizeCardNumber(card_number);
  if (!number) return NotFound("no such card");
  ReinitialisedCard out;
  bool still_linked = false;
  Status done = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows card,
                        tx.Query("SELECT c.status, c.circulation_counter, c.municipality_id, "
                                 "c.issuing_office, m.municipality_number FROM logistics.cards c JOIN "
                                 "core.municipalities m ON m.id = c.municipality_id WHERE c.card_number = $1",
                                 {*number}));
    if (card.empty() || !accounts::Can(actor, accounts::Action::kManageGuestCards,
                                       accounts::Resource::InMunicipality(card[0].Int(2)))) {
      return NotFound("no such card");
    }
    const std::string status = card[0].Text(0);
    if (status == "in_stock") return FailedPrecondition("the card is in stock already, fresh for its next guest");
    // 3.3.3.1: a card may start a new cycle only once its link is gone.
    LinkAccess access{actor.id, actor.request_id, "card:" + *number};
    PW_ASSIGN_OR_RETURN(auto cycles,
                        CyclesOf(tx, clock_, LinkPurpose::kPrepareReinitialise, access, std::vector{*number}));
    if (cycles.front()) {
      still_linked = true;  // committed, so that the audit entry of the look stays
      return Status::Ok();
    }
    const int64_t counter = card[0].Int(1) + 1;
    if (counter > 99) return FailedPrecondition("the circulation counter is at 99: retire the card");
    PW_RETURN_IF_ERROR(tx.Exec("UPDATE logistics.cards SET circulation_counter = $1, status = 'in_stock', "
                               "in_service_on = NULL, first_use_on = NULL, departure_on = NULL, sales_point = NULL, "
                               "blocked_reason = NULL, updated_on = $2 WHERE card_number = $3",
                               {counter, FormatIsoDate(BerlinDate(clock_.NowUnix())), *number})
                           .status());
    out.card_number = *number;
    out.circulation_counter = static_cast<int>(counter);
    out.barcode = FormatBarcode({card[0].Text(4), card[0].Text(3), 1, *number, out.circulation_counter});
    return accounts::AuditAs(tx, clock_, actor, "guest_card.reinitialise", "card:" + *number,
                             {{"circulation_counter", counter}, {"previous_status", status}});
  });
  if (!done.ok()) return done;
  if (still_linked) {
    return FailedPrecondition(
        "the card is still linked to its stay; the link is deleted 14 days after departure, re-initialise it then");
  }
  return out;
}

Result<HandedOutCard> LogisticsService::HandOut(const accounts::Actor& actor, const std::string& card_barcode,
                                                storage::Idempotent<HandedOutCard>* idempotent) {
  PW_RETURN_IF_ERROR(accounts::Require(actor, accounts::Action::kHandOutCards));
  std::string digits;
  for (char c : card_barcode) {
    if (c != ' ' && c != '-') digits += c;
  }
  auto barcode = ParseBarcode(digits);
  if (!barcode) return InvalidArgument("card_barcode must be 32 digits (the card's sticker)", "card_barcode");
  HandedOutCard out;
  // A card from stock, handed out without guest data: nothing personal in the answer.
  const storage::AnswerStore answers{storage::Segment::kLogistics};
  Status done = storage::WriteIdempotently(db_, idempotent, answers, out, [&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows m, tx.Query("SELECT id FROM core.municipalities WHERE municipality_number = $1",
                                         {barcode->municipality_number}));
    const bool allowed = !m.empty() && accounts::Can(actor, accounts::Action::kHandOutCards,
                                                     accounts::Resource::InMunicipality(m[0].Int(0)));
    if (!allowed) return InvalidArgument("card_barcode: not a card of your municipality", "card_barcode");
    PW_ASSIGN_OR_RETURN(Rows card, tx.Query("SELECT status, circulation_counter, card_type FROM logistics.cards "
                                            "WHERE card_number = $1 AND municipality_id = $2",
                                            {barcode->card_number, m[0].Int(0)}));
    if (card.empty() || card[0].Int(1) != barcode->circulation_counter) {
      return InvalidArgument("card_barcode: no such card in the municipality's stock (or an old sticker)",
                             "card_barcode");
    }
    if (IsAnnual(card[0].Text(2))) return InvalidArgument("card_barcode: an annual card is personal", "card_barcode");
    if (card[0].Text(0) != "in_stock") {
      return FailedPrecondition("card_barcode: the card is not in stock (" + card[0].Text(0) + ")", "card_barcode");
    }
    const Date today = BerlinDate(clock_.NowUnix());
    // Until the first use, the departure date is when an unused card is given up.
    PW_RETURN_IF_ERROR(tx.Exec("UPDATE logistics.cards SET status = 'handed_out', in_service_on = $1, "
                               "departure_on = $2, sales_point = $3, updated_on = $1 WHERE card_number = $4",
                               {FormatIsoDate(today), FormatIsoDate(AddDays(today, kProvisionalUnusedDays)),
                                barcode->participant, barcode->card_number})
                           .status());
    LinkAccess access{actor.id, actor.request_id, "card:" + barcode->card_number};
    PW_ASSIGN_OR_RETURN(std::vector<std::string> cycles,
                        EnrolCards(tx, clock_, access, std::vector{barcode->card_number}));
    // No guest data and no stay yet: arrival is the day it was handed out, departure comes
    // with the registration. Terminals give no stay-bound service without a departure.
    PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO card_usage.cycles (cycle_id, registration_ref, card_type, gender, "
                               "age_band, postal_code, origin, spa_tax_cents, arrival, departure, provisional_days) "
                               "VALUES ($1, '', $2, 'x', '', '', '', 0, $3, NULL, $4)",
                               {cycles.front(), card[0].Text(2), FormatIsoDate(today), int64_t{kProvisionalDays}})
                           .status());
    out.card_number = barcode->card_number;
    out.card_type = card[0].Text(2);
    return accounts::AuditAs(tx, clock_, actor, "guest_card.hand_out", "card:" + barcode->card_number,
                             {{"provisional_days", kProvisionalDays}});
  });
  if (!done.ok()) return done;
  return out;
}

Result<std::vector<StockCard>> LogisticsService::ListCards(const accounts::Actor& actor, int64_t municipality_id,
                                                           const std::string& status, int limit) {
  return ListCards(actor, municipality_id, StockFilter{status, "", limit, 0});
}

Result<std::vector<StockCard>> LogisticsService::ListCards(const accounts::Actor& actor, int64_t municipality_id,
                                                           const StockFilter& filter) {
  PW_RETURN_IF_ERROR(
      accounts::Require(actor, accounts::Action::kReadCardStock, accounts::Resource::InMunicipality(municipality_id)));
  static const std::set<std::string> kStatuses = {"",         "in_stock", "handed_out", "in_service",
                                                  "departed", "blocked",  "replaced"};
  if (!kStatuses.contains(filter.status)) {
    return InvalidArgument("status must be in_stock, handed_out, in_service, departed, blocked or replaced", "status");
  }
  static const std::set<std::string> kTypes = {"", "1.0", "2.0", "3.0", "21", "22", "23"};
  if (!kTypes.contains(filter.card_type)) {
    return InvalidArgument("card_type must be 1.0, 2.0, 3.0, 21, 22 or 23", "card_type");
  }
  if (filter.offset < 0) return InvalidArgument("offset must not be negative", "offset");
  const int64_t limit = std::clamp(filter.limit, 1, 1000);
  std::vector<StockCard> out;
  Status done = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT card_number, circulation_counter, card_type, status, batch_id "
                                            "FROM logistics.cards WHERE municipality_id = $1 AND ($2 = '' OR "
                                            "status = $2) AND ($3 = '' OR card_type = $3) "
                                            "ORDER BY produced_on DESC, card_number LIMIT $4 OFFSET $5",
                                            {municipality_id, filter.status, filter.card_type, limit, filter.offset}));
    for (const Row& r : rows) {
      out.push_back({r.Text(0), static_cast<int>(r.Int(1)), r.Text(2), r.Text(3), r.IsNull(4) ? "" : r.Text(4)});
    }
    return Status::Ok();
  });
  if (!done.ok()) return done;
  return out;
}

}  // namespace passwerk::guestcards
