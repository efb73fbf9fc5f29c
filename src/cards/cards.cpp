// Card registry operations. Every change writes the card, its history event
// and the audit entry in one transaction.
#include "cards/cards.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "cards/card_number.h"
#include "cards/name_match.h"

namespace passwerk::cards {
namespace {

using nlohmann::json;
using storage::Row;
using storage::Rows;
using storage::Tx;

constexpr std::string_view kHolderContext = "cards.cards.holder";
constexpr std::string_view kCardColumns =
    "id, card_number, circulation_counter, scheme_id, card_type, discount_class, state, block_reason, valid_from, "
    "valid_until, replaced_by";
constexpr std::string_view kSchemeColumns =
    "id, scheme_code, slug, municipality_id, kind, name, validity_rule, validity_amount, fixed_valid_from, "
    "fixed_valid_until, discount_classes, name_part_letters, partner_checks, department_id";

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Scheme SchemeFromRow(const Row& row) {
  Scheme s;
  s.id = row.Int(0);
  s.scheme_code = static_cast<int>(row.Int(1));
  s.slug = row.Text(2);
  s.municipality_id = row.Int(3);
  s.kind = ParseSchemeKind(row.Text(4)).value_or(SchemeKind::kSocialPass);
  s.name = row.Text(5);
  s.rule = ParseValidityRule(row.Text(6)).value_or(ValidityRule::kCalendarYear);
  s.amount = static_cast<int>(row.Int(7));
  if (!row.IsNull(8)) s.fixed_from = ParseIsoDate(row.Text(8));
  if (!row.IsNull(9)) s.fixed_until = ParseIsoDate(row.Text(9));
  s.discount_classes = SplitList(row.Text(10));
  s.name_part_letters = static_cast<int>(row.Int(11));
  s.partner_checks = row.Int(12) != 0;
  s.department_id = row.OptInt(13).value_or(0);
  return s;
}

CardState ParseState(const std::string& text) {
  if (text == "blocked") return CardState::kBlocked;
  if (text == "replaced") return CardState::kReplaced;
  return CardState::kActive;
}

Card CardFromRow(const Row& row) {
  Card c;
  c.id = row.Int(0);
  c.card_number = row.Text(1);
  c.circulation_counter = static_cast<int>(row.Int(2));
  c.scheme_id = row.Int(3);
  c.card_type = row.Text(4);
  c.discount_class = row.Text(5);
  c.state = ParseState(row.Text(6));
  c.block_reason = row.Text(7);
  c.valid_from = ParseIsoDate(row.Text(8)).value_or(Date{});
  c.valid_until = ParseIsoDate(row.Text(9)).value_or(Date{});
  c.replaced_by = row.Text(10);
  return c;
}

json HolderJson(const Holder& h) {
  return {{"family_name", h.family_name}, {"given_name", h.given_name},   {"birth_date", h.birth_date},
          {"street", h.street},           {"postal_code", h.postal_code}, {"city", h.city}};
}

Holder HolderFromJson(const json& j) {
  Holder h;
  h.family_name = j.value("family_name", "");
  h.given_name = j.value("given_name", "");
  h.birth_date = j.value("birth_date", "");
  h.street = j.value("street", "");
  h.postal_code = j.value("postal_code", "");
  h.city = j.value("city", "");
  return h;
}

// Decrypts and parses a card's holder data; damaged data is an internal error, not a crash.
Result<Holder> DecryptHolder(const crypto::SecretBox& box, const std::string& sealed) {
  PW_ASSIGN_OR_RETURN(std::string plain, box.Decrypt(sealed, kHolderContext));
  json holder = json::parse(plain, nullptr, false);
  if (!holder.is_object()) return Internal("holder data is not a JSON object");
  return HolderFromJson(holder);
}

Status ValidateHolder(const Holder& h, const Date& today) {
  auto text_ok = [](const std::string& s, size_t max) { return !s.empty() && s.size() <= max; };
  if (!text_ok(h.family_name, 100) || CanonicalName(h.family_name).empty()) {
    return InvalidArgument("the family name must have 1 to 100 characters with at least one letter",
                           "holder.family_name");
  }
  if (!text_ok(h.given_name, 100))
    return InvalidArgument("the given name must have 1 to 100 characters", "holder.given_name");
  auto birth = ParseIsoDate(h.birth_date);
  if (!birth || birth->year < 1900 || *birth > today) {
    return InvalidArgument("the birth date must be a date YYYY-MM-DD in the past", "holder.birth_date");
  }
  if (h.street.size() > 200) return InvalidArgument("the street has at most 200 characters", "holder.street");
  if (!h.postal_code.empty() &&
      (h.postal_code.size() != 5 || h.postal_code.find_first_not_of("0123456789") != std::string::npos)) {
    return InvalidArgument("the postal code has 5 digits", "holder.postal_code");
  }
  if (h.city.size() > 100) return InvalidArgument("the city has at most 100 characters", "holder.city");
  return Status::Ok();
}

// Every write to cards.cards stamps the rows it touches with the next
// revision; readers holding a copy (the partner check's card index) fetch
// the rows above the revision they last saw. The counter row also orders
// concurrent writers on PostgreSQL, so revisions commit in sequence.
Result<int64_t> NextRevision(Tx& tx) {
  PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("UPDATE cards.revision SET value = value + 1 WHERE id = 1 RETURNING value"));
  return row.Int(0);
}

Status AddEvent(Tx& tx, const Clock& clock, int64_t card_id, const std::string& kind, const json& detail,
                const std::string& actor) {
  auto r = tx.Exec("INSERT INTO cards.card_events (card_id, at, kind, detail, actor) VALUES ($1, $2, $3, $4, $5)",
                   {card_id, clock.NowUnix(), kind, detail.dump(), actor});
  return r.ok() ? Status::Ok() : r.status();
}

// A fresh number with a random serial; callers check it is still free.
Result<Scheme> LoadScheme(Tx& tx, int64_t scheme_id) {
  PW_ASSIGN_OR_RETURN(
      Row row, tx.QueryOne("SELECT " + std::string(kSchemeColumns) + " FROM core.schemes WHERE id = $1", {scheme_id}));
  return SchemeFromRow(row);
}

Result<Card> LoadCard(Tx& tx, const std::string& card_number) {
  auto normalized = NormalizeCardNumber(card_number);
  if (!normalized) return NotFound("no such card");
  PW_ASSIGN_OR_RETURN(
      Rows rows,
      tx.Query("SELECT " + std::string(kCardColumns) + " FROM cards.cards WHERE card_number = $1", {*normalized}));
  if (rows.empty()) return NotFound("no such card");
  return CardFromRow(rows[0]);
}

}  // namespace

std::string_view SchemeKindName(SchemeKind kind) {
  switch (kind) {
    case SchemeKind::kSocialPass:
      return "social_pass";
    case SchemeKind::kVolunteerCard:
      return "volunteer_card";
    case SchemeKind::kGuestCard:
      return "guest_card";
  }
  return "social_pass";
}

std::optional<SchemeKind> ParseSchemeKind(std::string_view name) {
  for (auto kind : {SchemeKind::kSocialPass, SchemeKind::kVolunteerCard, SchemeKind::kGuestCard}) {
    if (SchemeKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

std::string_view ValidityRuleName(ValidityRule rule) {
  switch (rule) {
    case ValidityRule::kCalendarYear:
      return "calendar_year";
    case ValidityRule::kDays:
      return "days";
    case ValidityRule::kMonths:
      return "months";
    case ValidityRule::kYears:
      return "years";
    case ValidityRule::kFixed:
      return "fixed";
  }
  return "calendar_year";
}

std::optional<ValidityRule> ParseValidityRule(std::string_view name) {
  for (auto rule : {ValidityRule::kCalendarYear, ValidityRule::kDays, ValidityRule::kMonths, ValidityRule::kYears,
                    ValidityRule::kFixed}) {
    if (ValidityRuleName(rule) == name) return rule;
  }
  return std::nullopt;
}

std::string_view CardStateName(CardState state) {
  switch (state) {
    case CardState::kActive:
      return "active";
    case CardState::kBlocked:
      return "blocked";
    case CardState::kReplaced:
      return "replaced";
  }
  return "active";
}

CardKeys::CardKeys(const crypto::SecretBox& box)
    : name_mac_(box.DeriveKey("cards/name-hash")), pseudonym_mac_(box.DeriveKey("checks/card-pseudonym")) {}

CardKeys::CardKeys(std::string name_key, std::string pseudonym_key)
    : name_mac_(std::move(name_key)), pseudonym_mac_(std::move(pseudonym_key)) {}

std::string CardKeys::NameMac(std::string_view card_number, std::string_view canonical_part) const {
  std::string message(card_number);
  message.push_back('|');
  message.append(canonical_part);
  return name_mac_.Mac(message);
}

std::string CardKeys::NameHash(std::string_view card_number, std::string_view canonical_part) const {
  return crypto::HexEncode(NameMac(card_number, canonical_part));
}

std::string CardKeys::Pseudonym(std::string_view card_number) const {
  return crypto::HexEncode(pseudonym_mac_.Mac(card_number).substr(0, 16));
}

Result<Scheme> SchemeIn(Tx& tx, int64_t scheme_id) { return LoadScheme(tx, scheme_id); }

std::pair<Date, Date> ValidityPeriod(const Scheme& scheme, const Date& from) {
  switch (scheme.rule) {
    case ValidityRule::kCalendarYear:
      return {from, Date{from.year, 12, 31}};
    case ValidityRule::kDays:
      return {from, AddDays(from, scheme.amount - 1)};
    case ValidityRule::kMonths:
      return {from, AddDays(AddMonths(from, scheme.amount), -1)};
    case ValidityRule::kYears:
      return {from, AddDays(AddMonths(from, 12 * scheme.amount), -1)};
    case ValidityRule::kFixed:
      return {scheme.fixed_from.value_or(from), scheme.fixed_until.value_or(from)};
  }
  return {from, from};
}

CardService::CardService(storage::Database& db, const Clock& clock, const crypto::SecretBox& box, const CardKeys& keys)
    : db_(db), clock_(clock), box_(box), keys_(keys) {}

Status CardService::WriteCards(const std::function<Status(Tx&)>& body) { return WriteCards(nullptr, Card{}, body); }

Status CardService::WriteCards(storage::Idempotent<Card>* idempotent, const Card& card,
                               const std::function<Status(Tx&)>& body) {
  // The answer names the card (and so its holder): sealed, beside the cards.
  const storage::AnswerStore answers{storage::Segment::kCards, &box_};
  Status status = storage::WriteIdempotently(db_, idempotent, answers, card, body);
  if (status.ok() && on_changed_) on_changed_();
  return status;
}

Status CardService::MayAct(const accounts::Actor& actor, accounts::Action action, const Scheme& scheme) {
  return accounts::Require(actor, action,
                           accounts::Resource::InDepartment(scheme.municipality_id, scheme.department_id));
}

Result<Scheme> CardService::CreateScheme(const accounts::Actor& actor, const NewScheme& input,
                                         storage::Idempotent<Scheme>* idempotent) {
  PW_RETURN_IF_ERROR(accounts::Require(actor, accounts::Action::kManageSchemes,
                                       accounts::Resource::InMunicipality(input.municipality_id)));
  if (input.slug.size() < 3 || input.slug.size() > 40 ||
      input.slug.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
    return InvalidArgument("the scheme id has 3 to 40 characters a-z, 0-9 and '-'", "slug");
  }
  if (input.name.empty() || input.name.size() > 200) return InvalidArgument("the name has 1 to 200 characters", "name");
  bool needs_amount =
      input.rule == ValidityRule::kDays || input.rule == ValidityRule::kMonths || input.rule == ValidityRule::kYears;
  if (needs_amount && (input.amount < 1 || input.amount > 3660)) {
    return InvalidArgument("the validity needs a number of days, months or years (1 to 3660)", "validity_amount");
  }
  if (input.rule == ValidityRule::kFixed &&
      (!input.fixed_from || !input.fixed_until || *input.fixed_until < *input.fixed_from)) {
    return InvalidArgument("fixed validity needs valid_from and valid_until, in that order", "fixed_valid_until");
  }
  if (input.discount_classes.empty() || input.discount_classes.size() > 20) {
    return InvalidArgument("name 1 to 20 discount classes", "discount_classes");
  }
  for (const std::string& c : input.discount_classes) {
    if (c.empty() || c.size() > 40 || c.find(',') != std::string::npos) {
      return InvalidArgument("a discount class has 1 to 40 characters and no comma", "discount_classes");
    }
  }
  if (input.name_part_letters < 2 || input.name_part_letters > 10) {
    return InvalidArgument("the name part has 2 to 10 letters", "name_part_letters");
  }
  std::string classes;
  for (const std::string& c : input.discount_classes) classes += (classes.empty() ? "" : ",") + c;
  Scheme scheme;
  // A scheme is public: the answer is kept in core, unsealed.
  const storage::AnswerStore answers{storage::Segment::kCore};
  Status status = storage::WriteIdempotently(db_, idempotent, answers, scheme, [&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows m, tx.Query("SELECT 1 FROM core.municipalities WHERE id = $1", {input.municipality_id}));
    if (m.empty()) return InvalidArgument("no such municipality", "municipality_id");
    PW_ASSIGN_OR_RETURN(Rows departments, tx.Query("SELECT id FROM core.departments WHERE municipality_id = $1",
                                                   {input.municipality_id}));
    int64_t department_id = 0;
    if (input.department_id) {
      for (const Row& d : departments) {
        if (d.Int(0) == *input.department_id) department_id = d.Int(0);
      }
      if (department_id == 0) return InvalidArgument("no such department in this municipality", "department");
    } else if (departments.empty()) {
      return FailedPrecondition("the municipality has no department yet");
    } else if (departments.size() > 1) {
      return InvalidArgument("the municipality has several departments: name the scheme's department", "department");
    } else {
      department_id = departments[0].Int(0);
    }
    // Scheme codes are handed out in order from 101; they prefix card numbers.
    PW_ASSIGN_OR_RETURN(Row next, tx.QueryOne("SELECT COALESCE(MAX(scheme_code), 100) + 1 FROM core.schemes"));
    if (next.Int(0) > 999) return ResourceExhausted("no scheme codes left in this installation");
    storage::Value from = std::monostate{}, until = std::monostate{};
    if (input.fixed_from) from = FormatIsoDate(*input.fixed_from);
    if (input.fixed_until) until = FormatIsoDate(*input.fixed_until);
    PW_ASSIGN_OR_RETURN(
        Row row,
        tx.QueryOne("INSERT INTO core.schemes (scheme_code, slug, municipality_id, kind, name, validity_rule, "
                    "validity_amount, fixed_valid_from, fixed_valid_until, discount_classes, name_part_letters, "
                    "partner_checks, created_at, department_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
                    "$11, $12, $13, $14) RETURNING " +
                        std::string(kSchemeColumns),
                    {next.Int(0), input.slug, input.municipality_id, std::string(SchemeKindName(input.kind)),
                     input.name, std::string(ValidityRuleName(input.rule)), int64_t{input.amount}, from, until, classes,
                     int64_t{input.name_part_letters}, int64_t{input.partner_checks ? 1 : 0}, clock_.NowUnix(),
                     department_id}));
    scheme = SchemeFromRow(row);
    return accounts::AuditAs(
        tx, clock_, actor, "scheme.create", "scheme:" + std::to_string(scheme.id),
        {{"slug", scheme.slug}, {"kind", SchemeKindName(scheme.kind)}, {"department", scheme.department_id}});
  });
  if (status.code() == ErrorCode::kAlreadyExists) return AlreadyExists("this scheme id is taken").WithField("slug");
  if (!status.ok()) return status;
  return scheme;
}

Result<std::vector<Scheme>> CardService::ListSchemes() {
  std::vector<Scheme> out;
  Status status = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows rows,
                        tx.Query("SELECT " + std::string(kSchemeColumns) + " FROM core.schemes ORDER BY id"));
    for (const Row& row : rows) out.push_back(SchemeFromRow(row));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return out;
}

Result<std::vector<Scheme>> CardService::ListSchemes(const accounts::Actor& actor, accounts::Action action) {
  PW_ASSIGN_OR_RETURN(std::vector<Scheme> all, ListSchemes());
  std::vector<Scheme> out;
  for (Scheme& s : all) {
    if (MayAct(actor, action, s).ok()) out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<Card>> CardService::CardsByIds(const std::vector<int64_t>& ids) {
  std::map<int64_t, Card> found;
  if (!ids.empty()) {
    std::vector<storage::Value> keys(ids.begin(), ids.end());
    PW_RETURN_IF_ERROR(db_.Read([&](Tx& tx) -> Status {
      return storage::QueryIn(tx, "SELECT " + std::string(kCardColumns) + " FROM cards.cards WHERE id IN ", keys,
                              [&](const Row& row) {
                                Card card = CardFromRow(row);
                                found.emplace(card.id, card);
                                return Status::Ok();
                              });
    }));
  }
  std::vector<Card> cards;
  for (int64_t id : ids) {
    if (auto it = found.find(id); it != found.end()) cards.push_back(it->second);
  }
  return cards;
}

Result<Scheme> CardService::GetScheme(int64_t id) {
  PW_ASSIGN_OR_RETURN(auto all, ListSchemes());
  for (const Scheme& s : all) {
    if (s.id == id) return s;
  }
  return NotFound("no such scheme");
}

Result<Scheme> CardService::FindScheme(const std::string& slug) {
  PW_ASSIGN_OR_RETURN(auto all, ListSchemes());
  for (const Scheme& s : all) {
    if (s.slug == slug) return s;
  }
  return NotFound("no such scheme");
}

Result<Card> CardService::IssueCard(const accounts::Actor& actor, const NewCard& input,
                                    storage::Idempotent<Card>* idempotent) {
  auto scheme = GetScheme(input.scheme_id);
  if (!scheme.ok()) {
    return scheme.status().code() == ErrorCode::kNotFound ? InvalidArgument("no such scheme", "scheme")
                                                          : scheme.status();
  }
  PW_RETURN_IF_ERROR(MayAct(actor, accounts::Action::kManageCards, *scheme));
  PW_RETURN_IF_ERROR(ValidateHolder(input.holder, Today()));
  std::string discount = input.discount_class.empty() ? scheme->discount_classes.front() : input.discount_class;
  if (std::find(scheme->discount_classes.begin(), scheme->discount_classes.end(), discount) ==
      scheme->discount_classes.end()) {
    return InvalidArgument("the scheme has no such discount class", "discount_class");
  }
  std::optional<std::string> requested;
  if (!input.card_number.empty()) {
    requested = NormalizeCardNumber(input.card_number);
    if (!requested) return InvalidArgument("the card number is not 12 digits with a valid check digit", "card_number");
  }
  auto [from, until] = ValidityPeriod(*scheme, input.valid_from.value_or(Today()));
  std::string holder_plain = HolderJson(input.holder).dump();
  std::string holder_enc = box_.Encrypt(holder_plain, kHolderContext);
  Card card;
  Status status;
  // A random serial can collide with an existing card: draw again (rarely more than once).
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string number;
    if (requested) {
      number = *requested;
    } else {
      number = RandomCardNumber(scheme->scheme_code);
    }
    std::vector<std::string> parts = AcceptedNameParts(input.holder.family_name, scheme->name_part_letters);
    std::string hash_a = keys_.NameHash(number, parts[0]);
    std::string hash_b = keys_.NameHash(number, parts.size() > 1 ? parts[1] : parts[0]);
    status = WriteCards(idempotent, card, [&](Tx& tx) -> Status {
      PW_ASSIGN_OR_RETURN(Rows existing, tx.Query("SELECT 1 FROM cards.cards WHERE card_number = $1", {number}));
      if (!existing.empty()) return AlreadyExists("card number taken");
      int64_t now = clock_.NowUnix();
      PW_ASSIGN_OR_RETURN(int64_t revision, NextRevision(tx));
      PW_ASSIGN_OR_RETURN(
          Row row,
          tx.QueryOne("INSERT INTO cards.cards (card_number, circulation_counter, scheme_id, card_type, "
                      "discount_class, state, valid_from, valid_until, holder_enc, name_hash_a, name_hash_b, "
                      "created_at, updated_at, revision) VALUES ($1, 1, $2, 'standard', $3, 'active', $4, $5, $6, $7, "
                      "$8, $9, $9, $10) RETURNING " +
                          std::string(kCardColumns),
                      {number, scheme->id, discount, FormatIsoDate(from), FormatIsoDate(until),
                       storage::Blob{holder_enc}, hash_a, hash_b, now, revision}));
      card = CardFromRow(row);
      PW_RETURN_IF_ERROR(AddEvent(tx, clock_, card.id, "issue",
                                  {{"valid_from", FormatIsoDate(from)}, {"valid_until", FormatIsoDate(until)}},
                                  actor.id));
      return accounts::AuditAs(tx, clock_, actor, "card.issue", "card:" + std::to_string(card.id),
                               {{"scheme", scheme->slug}, {"department", scheme->department_id}});
    });
    if (status.code() != ErrorCode::kAlreadyExists || requested) break;
  }
  if (status.code() == ErrorCode::kAlreadyExists) {
    return AlreadyExists("a card with this number exists").WithField("card_number");
  }
  if (!status.ok()) return status;
  return card;
}

Result<std::vector<Card>> CardService::IssueCards(const accounts::Actor& actor, const std::vector<NewCard>& inputs) {
  struct Prepared {
    Scheme scheme;
    std::string discount;
    std::optional<std::string> number;
    Date from, until;
    std::string holder_enc;
    std::vector<std::string> parts;
  };
  std::vector<Prepared> prepared;
  PW_ASSIGN_OR_RETURN(auto schemes, ListSchemes());
  auto row_error = [](size_t i, const Status& s) {
    Status out(s.code(), "row " + std::to_string(i + 1) + ": " + s.message(), s.detail());
    out.WithField(s.field());
    return out;
  };
  for (size_t i = 0; i < inputs.size(); ++i) {
    const NewCard& input = inputs[i];
    auto scheme =
        std::find_if(schemes.begin(), schemes.end(), [&](const Scheme& s) { return s.id == input.scheme_id; });
    if (scheme == schemes.end()) return row_error(i, InvalidArgument("no such scheme", "scheme"));
    PW_RETURN_IF_ERROR(MayAct(actor, accounts::Action::kManageCards, *scheme));
    Status valid = ValidateHolder(input.holder, Today());
    if (!valid.ok()) return row_error(i, valid);
    Prepared p;
    p.scheme = *scheme;
    p.discount = input.discount_class.empty() ? scheme->discount_classes.front() : input.discount_class;
    if (std::find(scheme->discount_classes.begin(), scheme->discount_classes.end(), p.discount) ==
        scheme->discount_classes.end()) {
      return row_error(i, InvalidArgument("the scheme has no such discount class", "discount_class"));
    }
    if (!input.card_number.empty()) {
      p.number = NormalizeCardNumber(input.card_number);
      if (!p.number) {
        return row_error(i,
                         InvalidArgument("the card number is not 12 digits with a valid check digit", "card_number"));
      }
    }
    std::tie(p.from, p.until) = ValidityPeriod(*scheme, input.valid_from.value_or(Today()));
    p.holder_enc = box_.Encrypt(HolderJson(input.holder).dump(), kHolderContext);
    p.parts = AcceptedNameParts(input.holder.family_name, scheme->name_part_letters);
    prepared.push_back(std::move(p));
  }
  std::vector<Card> issued;
  Status status = WriteCards([&](Tx& tx) -> Status {
    issued.clear();
    int64_t now = clock_.NowUnix();
    PW_ASSIGN_OR_RETURN(int64_t revision, NextRevision(tx));
    for (size_t i = 0; i < prepared.size(); ++i) {
      const Prepared& p = prepared[i];
      std::string number;
      for (int attempt = 0; attempt < 8 && number.empty(); ++attempt) {
        std::string candidate = p.number.value_or("");
        if (!p.number) {
          candidate = RandomCardNumber(p.scheme.scheme_code);
        }
        PW_ASSIGN_OR_RETURN(Rows taken, tx.Query("SELECT 1 FROM cards.cards WHERE card_number = $1", {candidate}));
        if (taken.empty()) {
          number = candidate;
        } else if (p.number) {
          return row_error(i, AlreadyExists("a card with this number exists").WithField("card_number"));
        }
      }
      if (number.empty()) return Unavailable("could not draw a free card number; retry");
      PW_ASSIGN_OR_RETURN(
          Row row,
          tx.QueryOne("INSERT INTO cards.cards (card_number, circulation_counter, scheme_id, card_type, "
                      "discount_class, state, valid_from, valid_until, holder_enc, name_hash_a, name_hash_b, "
                      "created_at, updated_at, revision) VALUES ($1, 1, $2, 'standard', $3, 'active', $4, $5, $6, $7, "
                      "$8, $9, $9, $10) RETURNING " +
                          std::string(kCardColumns),
                      {number, p.scheme.id, p.discount, FormatIsoDate(p.from), FormatIsoDate(p.until),
                       storage::Blob{p.holder_enc}, keys_.NameHash(number, p.parts[0]),
                       keys_.NameHash(number, p.parts.size() > 1 ? p.parts[1] : p.parts[0]), now, revision}));
      Card card = CardFromRow(row);
      PW_RETURN_IF_ERROR(AddEvent(tx, clock_, card.id, "issue", {{"import", true}}, actor.id));
      issued.push_back(std::move(card));
    }
    std::vector<int64_t> departments;
    for (const Prepared& p : prepared) {
      if (std::find(departments.begin(), departments.end(), p.scheme.department_id) == departments.end()) {
        departments.push_back(p.scheme.department_id);
      }
    }
    json detail = {{"cards", issued.size()}};
    if (departments.size() == 1) detail["department"] = departments[0];
    if (departments.size() > 1) detail["departments"] = departments;
    return accounts::AuditAs(tx, clock_, actor, "card.import", "cards", detail);
  });
  if (!status.ok()) return status;
  return issued;
}

Result<CardDetails> CardService::HolderCard(const std::vector<int64_t>& own_ids, const std::string& card_number) {
  CardDetails out;
  Status read = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Card card, LoadCard(tx, card_number));
    if (std::find(own_ids.begin(), own_ids.end(), card.id) == own_ids.end()) return NotFound("no such card");
    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT holder_enc FROM cards.cards WHERE id = $1", {card.id}));
    PW_ASSIGN_OR_RETURN(out.holder, DecryptHolder(box_, row.Text(0)));
    out.card = std::move(card);
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return out;
}

Result<CardDetails> CardService::GetCard(const accounts::Actor& actor, const std::string& card_number) {
  CardDetails details;
  Status status = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(details.card, LoadCard(tx, card_number));
    PW_ASSIGN_OR_RETURN(Scheme scheme, LoadScheme(tx, details.card.scheme_id));
    if (!MayAct(actor, accounts::Action::kReadCards, scheme).ok()) return NotFound("no such card");
    PW_ASSIGN_OR_RETURN(Row holder_row,
                        tx.QueryOne("SELECT holder_enc FROM cards.cards WHERE id = $1", {details.card.id}));
    PW_ASSIGN_OR_RETURN(details.holder, DecryptHolder(box_, holder_row.Text(0)));
    PW_ASSIGN_OR_RETURN(Rows events,
                        tx.Query("SELECT at, kind, detail, actor FROM cards.card_events WHERE card_id = $1 "
                                 "ORDER BY id",
                                 {details.card.id}));
    for (const Row& e : events) details.history.push_back({e.Int(0), e.Text(1), e.Text(2), e.Text(3)});
    return accounts::AuditAs(tx, clock_, actor, "card.view", "card:" + std::to_string(details.card.id),
                             {{"department", scheme.department_id}});
  });
  if (!status.ok()) return status;
  return details;
}

namespace {
// Loads a card the actor may manage and its scheme, or NotFound (never reveal
// the cards of other municipalities or departments).
Result<std::pair<Card, Scheme>> LoadManaged(Tx& tx, const std::string& card_number,
                                            const std::function<Status(const Scheme&)>& may_manage) {
  PW_ASSIGN_OR_RETURN(Card card, LoadCard(tx, card_number));
  PW_ASSIGN_OR_RETURN(Scheme scheme, LoadScheme(tx, card.scheme_id));
  Status allowed = may_manage(scheme);
  if (allowed.code() == ErrorCode::kPermissionDenied) return NotFound("no such card");
  PW_RETURN_IF_ERROR(allowed);
  return std::make_pair(std::move(card), std::move(scheme));
}
}  // namespace

std::string_view CardActionName(CardAction action) {
  switch (action) {
    case CardAction::kBlock:
      return "block";
    case CardAction::kUnblock:
      return "unblock";
    case CardAction::kReplace:
      return "replace";
    case CardAction::kRenew:
      return "renew";
  }
  return "renew";
}

Result<Card> CardService::Apply(const accounts::Actor& actor, const std::string& card_number, CardAction action,
                                const std::string& reason, storage::Idempotent<Card>* idempotent) {
  switch (action) {
    case CardAction::kReplace:
      return Replace(actor, card_number, reason, idempotent);
    case CardAction::kRenew:
      return Renew(actor, card_number, idempotent);
    case CardAction::kBlock:
    case CardAction::kUnblock:
      break;
  }
  PW_RETURN_IF_ERROR(action == CardAction::kBlock ? Block(actor, card_number, reason)
                                                  : Unblock(actor, card_number, reason));
  Card card;
  PW_RETURN_IF_ERROR(db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(card, LoadCard(tx, card_number));
    return Status::Ok();
  }));
  return card;
}

Status CardService::Block(const accounts::Actor& actor, const std::string& card_number, const std::string& reason) {
  auto manage = [&](const Scheme& scheme) { return MayAct(actor, accounts::Action::kManageCards, scheme); };
  if (reason.empty() || reason.size() > 500) return InvalidArgument("give a reason (1 to 500 characters)", "reason");
  return WriteCards([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(auto managed, LoadManaged(tx, card_number, manage));
    auto& [card, scheme] = managed;
    if (card.state != CardState::kActive) return FailedPrecondition("only an active card can be blocked");
    PW_ASSIGN_OR_RETURN(int64_t revision, NextRevision(tx));
    auto r = tx.Exec(
        "UPDATE cards.cards SET state = 'blocked', block_reason = $1, updated_at = $2, revision = $4 "
        "WHERE id = $3",
        {reason, clock_.NowUnix(), card.id, revision});
    if (!r.ok()) return r.status();
    PW_RETURN_IF_ERROR(AddEvent(tx, clock_, card.id, "block", {{"reason", reason}}, actor.id));
    return accounts::AuditAs(tx, clock_, actor, "card.block", "card:" + std::to_string(card.id),
                             {{"department", scheme.department_id}});
  });
}

Status CardService::Unblock(const accounts::Actor& actor, const std::string& card_number, const std::string& reason) {
  auto manage = [&](const Scheme& scheme) { return MayAct(actor, accounts::Action::kManageCards, scheme); };
  if (reason.empty() || reason.size() > 500) return InvalidArgument("give a reason (1 to 500 characters)", "reason");
  return WriteCards([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(auto managed, LoadManaged(tx, card_number, manage));
    auto& [card, scheme] = managed;
    if (card.state != CardState::kBlocked) return FailedPrecondition("only a blocked card can be unblocked");
    PW_ASSIGN_OR_RETURN(int64_t revision, NextRevision(tx));
    auto r = tx.Exec(
        "UPDATE cards.cards SET state = 'active', block_reason = NULL, updated_at = $1, revision = $3 "
        "WHERE id = $2",
        {clock_.NowUnix(), card.id, revision});
    if (!r.ok()) return r.status();
    PW_RETURN_IF_ERROR(AddEvent(tx, clock_, card.id, "unblock", {{"reason", reason}}, actor.id));
    return accounts::AuditAs(tx, clock_, actor, "card.unblock", "card:" + std::to_string(card.id),
                             {{"department", scheme.department_id}});
  });
}

Result<Card> CardService::Replace(const accounts::Actor& actor, const std::string& card_number,
                                  const std::string& reason, storage::Idempotent<Card>* idempotent) {
  auto manage = [&](const Scheme& scheme) { return MayAct(actor, accounts::Action::kManageCards, scheme); };
  if (reason.empty() || reason.size() > 500) return InvalidArgument("give a reason (1 to 500 characters)", "reason");
  Card replacement;
  Status status;
  for (int attempt = 0; attempt < 8; ++attempt) {
    status = WriteCards(idempotent, replacement, [&](Tx& tx) -> Status {
      PW_ASSIGN_OR_RETURN(auto managed, LoadManaged(tx, card_number, manage));
      const Card& old = managed.first;
      const Scheme& scheme = managed.second;
      if (old.state == CardState::kReplaced) return FailedPrecondition("this card was already replaced");
      PW_ASSIGN_OR_RETURN(Row holder_row, tx.QueryOne("SELECT holder_enc FROM cards.cards WHERE id = $1", {old.id}));
      PW_ASSIGN_OR_RETURN(Holder holder, DecryptHolder(box_, holder_row.Text(0)));
      std::string plain = HolderJson(holder).dump();
      std::string number = RandomCardNumber(scheme.scheme_code);
      PW_ASSIGN_OR_RETURN(Rows taken, tx.Query("SELECT 1 FROM cards.cards WHERE card_number = $1", {number}));
      if (!taken.empty()) return AlreadyExists("card number taken");
      std::vector<std::string> parts = AcceptedNameParts(holder.family_name, scheme.name_part_letters);
      int64_t now = clock_.NowUnix();
      PW_ASSIGN_OR_RETURN(int64_t revision, NextRevision(tx));
      PW_ASSIGN_OR_RETURN(
          Row row,
          tx.QueryOne("INSERT INTO cards.cards (card_number, circulation_counter, scheme_id, card_type, "
                      "discount_class, state, valid_from, valid_until, holder_enc, name_hash_a, name_hash_b, "
                      "created_at, updated_at, revision) VALUES ($1, 1, $2, $3, $4, 'active', $5, $6, $7, $8, $9, "
                      "$10, $10, $11) RETURNING " +
                          std::string(kCardColumns),
                      {number, scheme.id, old.card_type, old.discount_class, FormatIsoDate(old.valid_from),
                       FormatIsoDate(old.valid_until), storage::Blob{box_.Encrypt(plain, kHolderContext)},
                       keys_.NameHash(number, parts[0]), keys_.NameHash(number, parts.size() > 1 ? parts[1] : parts[0]),
                       now, revision}));
      replacement = CardFromRow(row);
      auto r = tx.Exec(
          "UPDATE cards.cards SET state = 'replaced', block_reason = $1, replaced_by = $2, updated_at = $3, "
          "revision = $5 WHERE id = $4",
          {reason, number, now, old.id, revision});
      if (!r.ok()) return r.status();
      PW_RETURN_IF_ERROR(
          AddEvent(tx, clock_, old.id, "replaced", {{"reason", reason}, {"replaced_by", number}}, actor.id));
      PW_RETURN_IF_ERROR(
          AddEvent(tx, clock_, replacement.id, "issue", {{"replaces", old.card_number}, {"reason", reason}}, actor.id));
      return accounts::AuditAs(
          tx, clock_, actor, "card.replace", "card:" + std::to_string(old.id),
          {{"replacement", "card:" + std::to_string(replacement.id)}, {"department", scheme.department_id}});
    });
    if (status.code() != ErrorCode::kAlreadyExists) break;
  }
  if (!status.ok()) return status;
  return replacement;
}

Result<Card> CardService::Renew(const accounts::Actor& actor, const std::string& card_number,
                                storage::Idempotent<Card>* idempotent) {
  auto manage = [&](const Scheme& scheme) { return MayAct(actor, accounts::Action::kManageCards, scheme); };
  Card renewed;
  Status status = WriteCards(idempotent, renewed, [&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(auto managed, LoadManaged(tx, card_number, manage));
    auto& [card, scheme] = managed;
    if (card.state == CardState::kReplaced) return FailedPrecondition("a replaced card cannot be renewed");
    if (scheme.rule == ValidityRule::kFixed) {
      return FailedPrecondition("cards of a scheme with fixed dates are not renewed; change the scheme instead");
    }
    Date today = Today();
    Date start = std::max(today, AddDays(card.valid_until, 1));
    auto [from, until] = ValidityPeriod(scheme, start);
    Date new_from = start > AddDays(card.valid_until, 1) ? from : card.valid_from;
    PW_ASSIGN_OR_RETURN(int64_t revision, NextRevision(tx));
    auto r = tx.Exec(
        "UPDATE cards.cards SET valid_from = $1, valid_until = $2, updated_at = $3, revision = $5 "
        "WHERE id = $4",
        {FormatIsoDate(new_from), FormatIsoDate(until), clock_.NowUnix(), card.id, revision});
    if (!r.ok()) return r.status();
    card.valid_from = new_from;
    card.valid_until = until;
    renewed = card;
    PW_RETURN_IF_ERROR(AddEvent(tx, clock_, card.id, "renew", {{"valid_until", FormatIsoDate(until)}}, actor.id));
    return accounts::AuditAs(tx, clock_, actor, "card.renew", "card:" + std::to_string(card.id),
                             {{"valid_until", FormatIsoDate(until)}, {"department", scheme.department_id}});
  });
  if (!status.ok()) return status;
  return renewed;
}

namespace {
// A calendar-year period begun in the last month of the year would be a card
// for a few days: it runs to the end of the next year instead (an office
// issues next year's pass in December).
Date EndOfUsefulPeriod(const Scheme& scheme, const Date& from, const Date& until) {
  if (scheme.rule == ValidityRule::kCalendarYear && DaysFromCivil(until) - DaysFromCivil(from) < 31) {
    return Date{until.year + 1, 12, 31};
  }
  return until;
}
}  // namespace

Result<Card> CardService::IssueCardIn(Tx& tx, const accounts::Actor& actor, const Scheme& scheme, const Holder& holder,
                                      std::optional<Date> not_after) {
  PW_RETURN_IF_ERROR(MayAct(actor, accounts::Action::kManageCards, scheme));
  const Date today = Today();
  PW_RETURN_IF_ERROR(ValidateHolder(holder, today));
  auto [from, until] = ValidityPeriod(scheme, today);
  until = EndOfUsefulPeriod(scheme, from, until);
  if (not_after && *not_after < until) until = *not_after;
  if (until < from) return FailedPrecondition("the card would end before it begins", "valid_until");
  const std::string holder_enc = box_.Encrypt(HolderJson(holder).dump(), kHolderContext);
  // A random serial can collide: draw again while the number is taken.
  for (int attempt = 0; attempt < 8; ++attempt) {
    const std::string number = RandomCardNumber(scheme.scheme_code);
    PW_ASSIGN_OR_RETURN(Rows existing, tx.Query("SELECT 1 FROM cards.cards WHERE card_number = $1", {number}));
    if (!existing.empty()) continue;
    std::vector<std::string> parts = AcceptedNameParts(holder.family_name, scheme.name_part_letters);
    const int64_t now = clock_.NowUnix();
    PW_ASSIGN_OR_RETURN(int64_t revision, NextRevision(tx));
    PW_ASSIGN_OR_RETURN(
        Row row,
        tx.QueryOne("INSERT INTO cards.cards (card_number, circulation_counter, scheme_id, card_type, "
                    "discount_class, state, valid_from, valid_until, holder_enc, name_hash_a, name_hash_b, "
                    "created_at, updated_at, revision) VALUES ($1, 1, $2, 'standard', $3, 'active', $4, $5, $6, $7, "
                    "$8, $9, $9, $10) RETURNING " +
                        std::string(kCardColumns),
                    {number, scheme.id, scheme.discount_classes.front(), FormatIsoDate(from), FormatIsoDate(until),
                     storage::Blob{holder_enc}, keys_.NameHash(number, parts[0]),
                     keys_.NameHash(number, parts.size() > 1 ? parts[1] : parts[0]), now, revision}));
    Card card = CardFromRow(row);
    PW_RETURN_IF_ERROR(AddEvent(tx, clock_, card.id, "issue",
                                {{"valid_from", FormatIsoDate(from)}, {"valid_until", FormatIsoDate(until)}},
                                actor.id));
    PW_RETURN_IF_ERROR(accounts::AuditAs(tx, clock_, actor, "card.issue", "card:" + std::to_string(card.id),
                                         {{"scheme", scheme.slug}, {"department", scheme.department_id}}));
    return card;
  }
  return Unavailable("no free card number found; try again");
}

Result<Card> CardService::RenewCardIn(Tx& tx, const accounts::Actor& actor, int64_t card_id, const Holder& holder,
                                      std::optional<Date> not_after) {
  PW_ASSIGN_OR_RETURN(Row number, tx.QueryOne("SELECT card_number FROM cards.cards WHERE id = $1", {card_id}));
  auto manage = [&](const Scheme& scheme) { return MayAct(actor, accounts::Action::kManageCards, scheme); };
  PW_ASSIGN_OR_RETURN(auto managed, LoadManaged(tx, number.Text(0), manage));
  auto& [card, scheme] = managed;
  if (card.state != CardState::kActive) return FailedPrecondition("only an active card is renewed", "card");
  const Date today = Today();
  PW_RETURN_IF_ERROR(ValidateHolder(holder, today));
  Date start = std::max(today, AddDays(card.valid_until, 1));
  auto [from, until] = ValidityPeriod(scheme, start);
  until = EndOfUsefulPeriod(scheme, start, until);
  if (not_after && *not_after < until) until = *not_after;
  if (until <= card.valid_until) return FailedPrecondition("the renewal would not extend the card", "valid_until");
  Date new_from = start > AddDays(card.valid_until, 1) ? from : card.valid_from;
  PW_ASSIGN_OR_RETURN(int64_t revision, NextRevision(tx));
  PW_RETURN_IF_ERROR(tx.Exec("UPDATE cards.cards SET valid_from = $1, valid_until = $2, holder_enc = $3, "
                             "updated_at = $4, revision = $5 WHERE id = $6",
                             {FormatIsoDate(new_from), FormatIsoDate(until),
                              storage::Blob{box_.Encrypt(HolderJson(holder).dump(), kHolderContext)},
                              clock_.NowUnix(), revision, card.id})
                         .status());
  card.valid_from = new_from;
  card.valid_until = until;
  PW_RETURN_IF_ERROR(AddEvent(tx, clock_, card.id, "renew", {{"valid_until", FormatIsoDate(until)}}, actor.id));
  PW_RETURN_IF_ERROR(accounts::AuditAs(tx, clock_, actor, "card.renew", "card:" + std::to_string(card.id),
                                       {{"valid_until", FormatIsoDate(until)}, {"department", scheme.department_id}}));
  return card;
}

Result<std::vector<CardDetails>> CardService::ExportCards(const accounts::Actor& actor, int64_t scheme_id) {
  PW_ASSIGN_OR_RETURN(Scheme scheme, GetScheme(scheme_id));
  PW_RETURN_IF_ERROR(MayAct(actor, accounts::Action::kManageCards, scheme));
  std::vector<CardDetails> out;
  Status status = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT " + std::string(kCardColumns) +
                                                ", holder_enc FROM cards.cards WHERE scheme_id = $1 ORDER BY id",
                                            {scheme_id}));
    for (const Row& row : rows) {
      CardDetails d;
      d.card = CardFromRow(row);
      PW_ASSIGN_OR_RETURN(d.holder, DecryptHolder(box_, row.Text(11)));
      out.push_back(std::move(d));
    }
    return accounts::AuditAs(tx, clock_, actor, "card.export", "scheme:" + std::to_string(scheme_id),
                             {{"cards", out.size()}, {"department", scheme.department_id}});
  });
  if (!status.ok()) return status;
  return out;
}

}  // namespace passwerk::cards
