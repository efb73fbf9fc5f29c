// Registrations (Meldeschein) for spa-tax purposes: tariffs, accommodations,
// registering guests whole or not at all, listing and cancelling. The guest
// card's status, its replacement and consent withdrawal are guest_cards.cpp.
#include "guestcards/registrations.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "accounts/policy.h"
#include "audit/audit_log.h"
#include "cards/card_number.h"
#include "core/utf8.h"
#include "guestcards/annual_cards.h"
#include "guestcards/card_link.h"
#include "guestcards/logistics.h"
#include "guestcards/origin.h"
#include "guestcards/retention.h"

namespace passwerk::guestcards {
namespace {

using json = nlohmann::json;
using storage::Row;
using storage::Rows;
using storage::Tx;

constexpr std::string_view kContactContext = "marketing.contacts.contact";

// ---- Parsing -----------------------------------------------------------------

Status Field(const std::string& field, const std::string& message) { return InvalidArgument(message, field); }

Status CheckKeys(const json& object, const std::string& path, std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : object.items()) {
    if (std::find_if(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; }) == allowed.end()) {
      return Field(path + key, "unknown field " + path + key);
    }
  }
  return Status::Ok();
}

Status Text(const json& object, const char* key, const std::string& path, size_t max, std::string& out,
            bool required = true) {
  auto it = object.find(key);
  std::string field = path + key;
  if (it == object.end() || it->is_null()) {
    return required ? Field(field, field + " is required") : Status::Ok();
  }
  if (!it->is_string()) return Field(field, field + " must be a string");
  out = it->get<std::string>();
  // Trim surrounding spaces: forms and CSV files carry them.
  size_t first = out.find_first_not_of(" \t");
  size_t last = out.find_last_not_of(" \t");
  out = first == std::string::npos ? "" : out.substr(first, last - first + 1);
  if (required && out.empty()) return Field(field, field + " must not be empty");
  if (out.size() > max) return Field(field, field + " is too long (at most " + std::to_string(max) + " bytes)");
  for (unsigned char c : out) {
    if (c < 0x20) return Field(field, field + " must not contain control characters");
  }
  if (!utf8::IsValidUtf8(out)) return Field(field, field + " must be UTF-8 text");
  return Status::Ok();
}

Status IsoDate(const json& object, const char* key, const std::string& path, Date& out) {
  std::string text;
  PW_RETURN_IF_ERROR(Text(object, key, path, 10, text));
  auto parsed = ParseIsoDate(text);
  if (!parsed) return Field(path + key, path + key + " must be a date YYYY-MM-DD");
  out = *parsed;
  return Status::Ok();
}

Status Country(const json& object, const char* key, const std::string& path, std::string& out) {
  PW_RETURN_IF_ERROR(Text(object, key, path, 2, out));
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!IsCountryCode(out)) return Field(path + key, path + key + " must be a two-letter country code (ISO 3166-1)");
  return Status::Ok();
}

Status Bool(const json& object, const char* key, const std::string& path, bool& out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Status::Ok();
  if (!it->is_boolean()) return Field(path + key, path + key + " must be true or false");
  out = it->get<bool>();
  return Status::Ok();
}

Result<GuestInput> ParseGuest(const json& g, const std::string& path) {
  if (!g.is_object()) return Field(path.substr(0, path.size() - 1), "a guest is an object");
  PW_RETURN_IF_ERROR(CheckKeys(g, path,
                               {"family_name", "given_name", "birth_date", "nationality", "gender", "address",
                                "reductions", "card", "card_barcode"}));
  GuestInput guest;
  PW_RETURN_IF_ERROR(Text(g, "family_name", path, 100, guest.family_name));
  PW_RETURN_IF_ERROR(Text(g, "given_name", path, 100, guest.given_name));
  PW_RETURN_IF_ERROR(IsoDate(g, "birth_date", path, guest.birth_date));
  PW_RETURN_IF_ERROR(Country(g, "nationality", path, guest.nationality));
  PW_RETURN_IF_ERROR(Text(g, "gender", path, 1, guest.gender));
  if (guest.gender != "f" && guest.gender != "m" && guest.gender != "d" && guest.gender != "x") {
    return Field(path + "gender", path + "gender must be f, m, d or x (not stated)");
  }
  auto address = g.find("address");
  if (address == g.end() || !address->is_object()) return Field(path + "address", path + "address is required");
  std::string apath = path + "address.";
  PW_RETURN_IF_ERROR(CheckKeys(*address, apath, {"street", "postal_code", "city", "country"}));
  PW_RETURN_IF_ERROR(Text(*address, "street", apath, 200, guest.address.street));
  PW_RETURN_IF_ERROR(Text(*address, "postal_code", apath, 16, guest.address.postal_code));
  PW_RETURN_IF_ERROR(Text(*address, "city", apath, 100, guest.address.city));
  PW_RETURN_IF_ERROR(Country(*address, "country", apath, guest.address.country));
  if (guest.address.country == "DE" && (guest.address.postal_code.size() != 5 ||
                                        !std::all_of(guest.address.postal_code.begin(), guest.address.postal_code.end(),
                                                     [](char c) { return c >= '0' && c <= '9'; }))) {
    return Field(apath + "postal_code", apath + "postal_code must have five digits in Germany");
  }
  if (auto reductions = g.find("reductions"); reductions != g.end() && !reductions->is_null()) {
    if (!reductions->is_array() || reductions->size() > 10) {
      return Field(path + "reductions", path + "reductions must be a list of reduction ids");
    }
    for (size_t i = 0; i < reductions->size(); ++i) {
      const json& r = (*reductions)[i];
      if (!r.is_string() || r.get<std::string>().empty() || r.get<std::string>().size() > 64) {
        return Field(path + "reductions[" + std::to_string(i) + "]", "a reduction id is a string");
      }
      guest.reductions.push_back(r.get<std::string>());
    }
  }
  PW_RETURN_IF_ERROR(Bool(g, "card", path, guest.card));
  // The sticker of a card from the stock, scanned by the landlord (001 §2.2.2).
  if (auto barcode = g.find("card_barcode"); barcode != g.end() && !barcode->is_null()) {
    if (!barcode->is_string()) return Field(path + "card_barcode", path + "card_barcode must be a string of 32 digits");
    std::string digits;
    for (char c : barcode->get<std::string>()) {
      if (c != ' ' && c != '-') digits += c;
    }
    auto parsed = ParseBarcode(digits);
    if (!parsed) return Field(path + "card_barcode", path + "card_barcode must be 32 digits (the card's sticker)");
    if (g.contains("card") && !guest.card) {
      return Field(path + "card", path + "card is false, but a card_barcode is given");
    }
    guest.card = true;
    guest.barcode = *parsed;
  }
  return guest;
}

// ---- Helpers -----------------------------------------------------------------

Accommodation AccommodationFromRow(const Row& r) {
  Accommodation a;
  a.id = r.Int(0);
  a.public_id = r.Text(1);
  a.municipality_id = r.Int(2);
  a.landlord_user_id = r.Int(3);
  a.landlord_number = r.Text(4);
  a.name = r.Text(5);
  a.street = r.Text(6);
  a.postal_code = r.Text(7);
  a.city = r.Text(8);
  return a;
}

constexpr const char* kAccommodationColumns =
    "id, public_id, municipality_id, landlord_user_id, landlord_number, name, street, postal_code, city";
constexpr const char* kSummaryColumns =
    "registration_number, accommodation_id, arrival, departure, adults, children, group_size, total_cents, state, "
    "created_at";

RegistrationSummary SummaryFromRow(const Row& r) {
  RegistrationSummary s;
  s.registration_number = r.Text(0);
  s.accommodation_id = std::to_string(r.Int(1));  // replaced by the public id by the caller
  s.arrival = r.Text(2);
  s.departure = r.Text(3);
  s.adults = r.Int(4);
  s.children = r.Int(5);
  if (!r.IsNull(6)) s.group_size = r.Int(6);
  s.total_cents = r.Int(7);
  s.state = r.Text(8);
  s.created_at = r.Int(9);
  return s;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

}  // namespace

// ---- Public helpers ------------------------------------------------------------

Result<GuestInput> ParseGuestInput(const json& guest, const std::string& path) { return ParseGuest(guest, path); }

Result<RegistrationInput> ParseRegistration(const json& body) {
  if (!body.is_object()) return InvalidArgument("the body must be a JSON object");
  PW_RETURN_IF_ERROR(
      CheckKeys(body, "", {"accommodation_id", "arrival", "departure", "guests", "group", "marketing_consent"}));
  RegistrationInput input;
  PW_RETURN_IF_ERROR(Text(body, "accommodation_id", "", 64, input.accommodation_id));
  PW_RETURN_IF_ERROR(IsoDate(body, "arrival", "", input.arrival));
  PW_RETURN_IF_ERROR(IsoDate(body, "departure", "", input.departure));
  if (input.departure < input.arrival) return Field("departure", "departure must not be before arrival");
  if (DaysFromCivil(input.departure) - DaysFromCivil(input.arrival) > 366) {
    return Field("departure", "a stay lasts at most 366 nights");
  }
  auto guests = body.find("guests");
  if (guests == body.end() || !guests->is_array() || guests->empty()) {
    return Field("guests", "guests must list at least one guest");
  }
  if (guests->size() > 50) return Field("guests", "at most 50 guests per registration");
  for (size_t i = 0; i < guests->size(); ++i) {
    std::string path = "guests[" + std::to_string(i) + "].";
    PW_ASSIGN_OR_RETURN(GuestInput guest, ParseGuest((*guests)[i], path));
    if (guest.birth_date > input.arrival) return Field(path + "birth_date", path + "birth_date lies after arrival");
    if (input.arrival.year - guest.birth_date.year > 125) {
      return Field(path + "birth_date", path + "birth_date is implausibly early");
    }
    input.guests.push_back(std::move(guest));
  }
  if (auto group = body.find("group"); group != body.end() && !group->is_null()) {
    if (!group->is_object()) return Field("group", "group is null or {\"size\": …, \"country\": …}");
    PW_RETURN_IF_ERROR(CheckKeys(*group, "group.", {"size", "country"}));
    GroupInput g;
    auto size = group->find("size");
    if (size == group->end() || !size->is_number_integer() || *size < 2 || *size > 10000) {
      return Field("group.size", "group.size must be a whole number of persons (2 to 10000)");
    }
    g.size = size->get<int>();
    PW_RETURN_IF_ERROR(Country(*group, "country", "group.", g.country));
    if (input.guests.size() != 1) return Field("guests", "a group registers its leader only: exactly one guest");
    input.group = g;
  }
  PW_RETURN_IF_ERROR(Bool(body, "marketing_consent", "", input.marketing_consent));
  return input;
}

std::string NewRegistrationNumber() {
  std::string raw = crypto::Base32Encode(crypto::RandomBytes(8)).substr(0, 12);
  return raw.substr(0, 4) + "-" + raw.substr(4, 4) + "-" + raw.substr(8, 4);
}

// ---- The service ---------------------------------------------------------------

struct RegistrationService::Context {
  std::map<std::string, Accommodation> accommodations;  // by public id, permission checked
  struct TariffVersion {
    int64_t id;
    Date valid_from;
    Tariff tariff;
  };
  std::map<int64_t, std::vector<TariffVersion>> tariffs;        // by municipality, oldest first
  size_t links = 0;                                             // card_link enrolments, audited once per batch
  std::vector<std::string> numbers;                             // registrations made
  std::map<int64_t, std::pair<int, std::string>> municipality;  // guest scheme code, municipality number
};

RegistrationService::RegistrationService(storage::Database& db, const Clock& clock, const crypto::SecretBox& box,
                                         RegistrationOptions options)
    : db_(db), clock_(clock), box_(box), options_(options) {}

Result<int64_t> RegistrationService::SetTariff(const accounts::Actor& actor, int64_t municipality_id,
                                               const Tariff& tariff) {
  PW_RETURN_IF_ERROR(
      accounts::Require(actor, accounts::Action::kSetTariffs, accounts::Resource::InMunicipality(municipality_id)));
  int64_t id = 0;
  Status done = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows m, tx.Query("SELECT 1 FROM core.municipalities WHERE id = $1", {municipality_id}));
    if (m.empty()) return NotFound("no such municipality", "municipality");
    std::string from = FormatIsoDate(tariff.valid_from);
    PW_RETURN_IF_ERROR(
        tx.Exec("DELETE FROM core.tariffs WHERE municipality_id = $1 AND valid_from = $2", {municipality_id, from})
            .status());
    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("INSERT INTO core.tariffs (municipality_id, valid_from, definition, "
                                             "created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                                             {municipality_id, from, TariffJson(tariff).dump(), clock_.NowUnix()}));
    id = row.Int(0);
    return accounts::AuditAs(tx, clock_, actor, "tariff.set", "municipality:" + std::to_string(municipality_id),
                             {{"valid_from", from}, {"name", tariff.name}});
  });
  if (!done.ok()) return done;
  return id;
}

namespace {
Result<std::pair<int64_t, Tariff>> LoadTariff(Tx& tx, int64_t municipality_id, const Date& day) {
  PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT id, definition FROM core.tariffs WHERE municipality_id = $1 AND "
                                          "valid_from <= $2 ORDER BY valid_from DESC LIMIT 1",
                                          {municipality_id, FormatIsoDate(day)}));
  if (rows.empty())
    return FailedPrecondition("the municipality has no spa-tax tariff for this arrival date", "arrival");
  PW_ASSIGN_OR_RETURN(Tariff tariff, ParseTariffText(rows[0].Text(1)));
  return std::make_pair(rows[0].Int(0), std::move(tariff));
}
}  // namespace

Result<Tariff> RegistrationService::TariffFor(int64_t municipality_id, const Date& day) {
  Tariff tariff;
  Status done = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(auto loaded, LoadTariff(tx, municipality_id, day));
    tariff = std::move(loaded.second);
    return Status::Ok();
  });
  if (!done.ok()) return done;
  return tariff;
}

Result<Accommodation> RegistrationService::CreateAccommodation(const accounts::Actor& actor,
                                                               const NewAccommodation& input) {
  PW_RETURN_IF_ERROR(accounts::Require(actor, accounts::Action::kManageAccommodations,
                                       accounts::Resource::InMunicipality(input.municipality_id)));
  if (input.landlord_number.empty() || input.landlord_number.size() > 6 ||
      !std::all_of(input.landlord_number.begin(), input.landlord_number.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return InvalidArgument("the landlord number has 1 to 6 digits", "landlord_number");
  }
  for (auto [value, field] : {std::pair{&input.name, "name"},
                              {&input.street, "street"},
                              {&input.postal_code, "postal_code"},
                              {&input.city, "city"}}) {
    if (value->empty() || value->size() > 200) return InvalidArgument(std::string(field) + " is required", field);
  }
  Accommodation created;
  Status done = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(
        Rows user, tx.Query("SELECT role, municipality_id FROM core.users WHERE id = $1", {input.landlord_user_id}));
    if (user.empty() || user[0].Text(0) != "landlord" || user[0].IsNull(1) || user[0].Int(1) != input.municipality_id) {
      return InvalidArgument("the landlord must be a user with role landlord in this municipality", "landlord");
    }
    std::string public_id = "acc-" + crypto::HexEncode(crypto::RandomBytes(6));
    PW_ASSIGN_OR_RETURN(
        Row row, tx.QueryOne("INSERT INTO core.accommodations (public_id, municipality_id, landlord_user_id, "
                             "landlord_number, name, street, postal_code, city, created_at) VALUES ($1, $2, $3, $4, "
                             "$5, $6, $7, $8, $9) RETURNING " +
                                 std::string(kAccommodationColumns),
                             {public_id, input.municipality_id, input.landlord_user_id, input.landlord_number,
                              input.name, input.street, input.postal_code, input.city, clock_.NowUnix()}));
    created = AccommodationFromRow(row);
    return accounts::AuditAs(tx, clock_, actor, "accommodation.create", "accommodation:" + created.public_id,
                             {{"landlord_user", input.landlord_user_id}});
  });
  if (!done.ok()) return done;
  return created;
}

Result<std::vector<Accommodation>> RegistrationService::ListAccommodations(const accounts::Actor& actor) {
  std::vector<Accommodation> out;
  Status done = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(
        Rows rows, tx.Query("SELECT " + std::string(kAccommodationColumns) + " FROM core.accommodations ORDER BY id"));
    for (const Row& row : rows) {
      Accommodation a = AccommodationFromRow(row);
      bool visible = accounts::Can(actor, accounts::Action::kReadRegistrations,
                                   accounts::Resource::OwnedBy(a.municipality_id, a.landlord_user_id));
      if (visible) out.push_back(std::move(a));
    }
    return Status::Ok();
  });
  if (!done.ok()) return done;
  return out;
}

void RegistrationService::LabelAccommodations(const accounts::Actor& actor, SpaTaxStatistics& statistics,
                                              bool by_name) {
  if (statistics.by != StatisticsBy::kAccommodation) return;
  auto accommodations = ListAccommodations(actor);
  if (!accommodations.ok()) return;
  for (auto& cell : statistics.cells) {
    for (const auto& a : *accommodations) {
      if (std::to_string(a.id) == cell.key) cell.key = by_name ? a.name : a.public_id;
    }
  }
}

Result<Accommodation> RegistrationService::LoadAccommodationFor(Tx& tx, const accounts::Actor& actor,
                                                                const std::string& public_id) {
  PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT " + std::string(kAccommodationColumns) +
                                              " FROM core.accommodations WHERE public_id = $1",
                                          {public_id}));
  // Someone else's accommodation looks exactly like an unknown one.
  if (rows.empty()) return NotFound("no such accommodation", "accommodation_id");
  Accommodation a = AccommodationFromRow(rows[0]);
  bool allowed = accounts::Can(actor, accounts::Action::kReadRegistrations,
                               accounts::Resource::OwnedBy(a.municipality_id, a.landlord_user_id));
  if (!allowed) return NotFound("no such accommodation", "accommodation_id");
  return a;
}

Result<RegistrationResult> RegistrationService::Register(
    const accounts::Actor& actor, const RegistrationInput& input,
    storage::Idempotent<std::vector<RegistrationResult>>* idempotent) {
  PW_ASSIGN_OR_RETURN(auto all, RegisterAll(actor, {input}, idempotent));
  return std::move(all.front());
}

Result<std::vector<RegistrationResult>> RegistrationService::RegisterAll(
    const accounts::Actor& actor, const std::vector<RegistrationInput>& inputs,
    storage::Idempotent<std::vector<RegistrationResult>>* idempotent) {
  PW_RETURN_IF_ERROR(accounts::Require(actor, accounts::Action::kRegisterGuests));
  std::vector<RegistrationResult> results;
  // The answer holds card and registration numbers: sealed, beside the registrations.
  const storage::AnswerStore answers{storage::Segment::kSpaTax, &box_};
  Status status = storage::WriteIdempotently(db_, idempotent, answers, results, [&](Tx& tx) -> Status {
    results.clear();
    Context context;
    for (size_t i = 0; i < inputs.size(); ++i) {
      auto result = RegisterIn(tx, actor, inputs[i], context);
      if (!result.ok()) {
        if (inputs.size() == 1) return result.status();
        // Name the registration in a batch: "registrations[3].guests[0].birth_date".
        Status s = result.status();
        std::string field = "registrations[" + std::to_string(i) + "]" + (s.field().empty() ? "" : "." + s.field());
        return Status(s.code(), s.message()).WithField(field);
      }
      results.push_back(std::move(*result));
    }
    // One audited access per batch: the registrations made, and the card links enrolled for them.
    std::string object = inputs.size() == 1 ? "registration:" + context.numbers.front()
                                            : "registrations:" + std::to_string(inputs.size());
    if (context.links > 0) {
      LinkAccess access{actor.id, actor.request_id, object};
      PW_RETURN_IF_ERROR(AuditLinkAccess(tx, clock_, LinkPurpose::kEnrolGuestData, access, context.links));
    }
    return accounts::AuditAs(tx, clock_, actor, "registration.create", object, {{"registrations", context.numbers}});
  });
  if (!status.ok()) return status;
  return results;
}

Result<RegistrationResult> RegistrationService::RegisterIn(Tx& tx, const accounts::Actor& actor,
                                                           const RegistrationInput& input, Context& context) {
  // The accommodation, checked once per batch.
  auto cached = context.accommodations.find(input.accommodation_id);
  if (cached == context.accommodations.end()) {
    PW_ASSIGN_OR_RETURN(Accommodation a, LoadAccommodationFor(tx, actor, input.accommodation_id));
    cached = context.accommodations.emplace(input.accommodation_id, std::move(a)).first;
  }
  const Accommodation& acc = cached->second;

  auto versions = context.tariffs.find(acc.municipality_id);
  if (versions == context.tariffs.end()) {
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT id, valid_from, definition FROM core.tariffs WHERE "
                                            "municipality_id = $1 ORDER BY valid_from",
                                            {acc.municipality_id}));
    std::vector<Context::TariffVersion> loaded;
    for (const Row& row : rows) {
      auto from = ParseIsoDate(row.Text(1));
      PW_ASSIGN_OR_RETURN(Tariff t, ParseTariffText(row.Text(2)));
      if (from) loaded.push_back({row.Int(0), *from, std::move(t)});
    }
    versions = context.tariffs.emplace(acc.municipality_id, std::move(loaded)).first;
  }
  const Context::TariffVersion* version = nullptr;
  for (const auto& v : versions->second) {
    if (v.valid_from <= input.arrival) version = &v;
  }
  if (version == nullptr) {
    return FailedPrecondition("the municipality has no spa-tax tariff for this arrival date", "arrival");
  }
  const int64_t tariff_id = version->id;
  const Tariff& tariff = version->tariff;

  if (input.group && input.group->size < tariff.group_min_size) {
    return InvalidArgument("a group has at least " + std::to_string(tariff.group_min_size) +
                               " persons; register smaller parties with every guest",
                           "group.size");
  }

  auto muni = context.municipality.find(acc.municipality_id);
  if (muni == context.municipality.end()) {
    PW_ASSIGN_OR_RETURN(Row number, tx.QueryOne("SELECT municipality_number FROM core.municipalities WHERE id = $1",
                                                {acc.municipality_id}));
    PW_ASSIGN_OR_RETURN(Rows scheme, tx.Query("SELECT scheme_code FROM core.schemes WHERE municipality_id = $1 AND "
                                              "kind = 'guest_card' ORDER BY id LIMIT 1",
                                              {acc.municipality_id}));
    int code = scheme.empty() ? 0 : static_cast<int>(scheme[0].Int(0));
    muni = context.municipality.emplace(acc.municipality_id, std::make_pair(code, number.Text(0))).first;
  }
  const auto& [scheme_code, municipality_number] = muni->second;

  RegistrationResult result;
  result.registration_number = NewRegistrationNumber();
  const std::string registration_ref = crypto::HexEncode(crypto::RandomBytes(16));
  int64_t now = clock_.NowUnix();
  const std::string today = FormatIsoDate(BerlinDate(now));
  int64_t adults = 0, children = 0;
  json form_guests = json::array();
  std::vector<std::string> card_numbers;
  std::vector<std::string> card_types;  // as produced for stock cards, else by age
  std::vector<bool> card_provisional;   // handed out before: the cycle exists (001 §4.3)
  std::vector<size_t> card_guests;

  for (size_t i = 0; i < input.guests.size(); ++i) {
    const GuestInput& g = input.guests[i];
    auto tax = ComputeGuestTax(tariff, input.arrival, input.departure, g.birth_date, g.reductions);
    if (!tax.ok()) {
      std::string field = tax.status().field();
      return Status(tax.status().code(), tax.status().message())
          .WithField("guests[" + std::to_string(i) + "]." + (field.empty() ? "reductions" : field));
    }
    int age = AgeOn(g.birth_date, input.arrival);
    (age < 18 ? children : adults) += 1;
    result.guests.push_back({tax->charged_days, tax->amount_cents, tax->applied});
    result.total_cents += tax->amount_cents;
    json form_guest = {{"family_name", g.family_name},
                       {"given_name", g.given_name},
                       {"birth_date", FormatIsoDate(g.birth_date)},
                       {"nationality", g.nationality},
                       {"gender", g.gender},
                       {"address",
                        {{"street", g.address.street},
                         {"postal_code", g.address.postal_code},
                         {"city", g.address.city},
                         {"country", g.address.country}}},
                       {"reductions", g.reductions}};
    if (g.card) {
      if (scheme_code == 0) {
        return FailedPrecondition("the municipality has no guest-card scheme; cards cannot be issued",
                                  "guests[" + std::to_string(i) + "].card");
      }
      std::string number;
      std::string card_type = age < 18 ? "2.0" : "1.0";
      bool provisional = false;
      if (g.barcode) {
        StockClaim claim{acc.municipality_id, municipality_number, acc.landlord_number, input.arrival, input.departure};
        PW_ASSIGN_OR_RETURN(ClaimedCard claimed, ClaimStockCard(tx, clock_, claim, *g.barcode,
                                                                "guests[" + std::to_string(i) + "].card_barcode"));
        card_type = claimed.card_type;
        provisional = claimed.provisional;
        number = g.barcode->card_number;
      }
      // The logistics row claims a drawn number; a taken one is drawn again.
      for (int attempt = 0; attempt < 8 && number.empty(); ++attempt) {
        std::string candidate = cards::RandomCardNumber(scheme_code);
        PW_ASSIGN_OR_RETURN(
            int64_t claimed,
            tx.Exec("INSERT INTO logistics.cards (card_number, circulation_counter, card_type, municipality_id, "
                    "part_number, issuing_office, status, in_service_on, departure_on, sales_point, updated_on) "
                    "VALUES ($1, 1, $2, $3, '00', $4, 'in_service', $5, $6, $4, $7) "
                    "ON CONFLICT (card_number) DO NOTHING",
                    {candidate, card_type, acc.municipality_id, acc.landlord_number, FormatIsoDate(input.arrival),
                     FormatIsoDate(input.departure), today}));
        if (claimed == 1) number = candidate;
      }
      if (number.empty()) return Unavailable("could not draw a free card number; retry");
      card_types.push_back(card_type);
      card_provisional.push_back(provisional);
      form_guest["card_number"] = number;
      card_numbers.push_back(number);
      card_guests.push_back(i);
    }
    form_guests.push_back(std::move(form_guest));
  }
  if (input.group) {
    GuestTax members = ComputeMemberTax(tariff, input.arrival, input.departure);
    result.group_members = input.group->size - 1;
    result.group_members_cents = members.amount_cents * result.group_members;
    result.total_cents += result.group_members_cents;
    adults += result.group_members;
  }
  const GuestInput& signer = input.guests.front();
  std::string origin =
      input.group ? input.group->country : OriginOf(signer.address.country, signer.address.postal_code);

  // spa_tax: the registration without names; the form itself encrypted.
  json form = {{"accommodation_id", input.accommodation_id},
               {"arrival", FormatIsoDate(input.arrival)},
               {"departure", FormatIsoDate(input.departure)},
               {"guests", form_guests},
               {"marketing_consent", input.marketing_consent}};
  if (input.group) form["group"] = {{"size", input.group->size}, {"country", input.group->country}};
  storage::Value group_size = std::monostate{};
  if (input.group) group_size = static_cast<int64_t>(input.group->size);
  PW_RETURN_IF_ERROR(
      tx.Exec(
            "INSERT INTO spa_tax.registrations (registration_number, municipality_id, accommodation_id, "
            "landlord_number, arrival, departure, adults, children, group_size, origin, total_cents, tariff_id, "
            "state, form_enc, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'active', $13, "
            "$14)",
            {result.registration_number, acc.municipality_id, acc.id, acc.landlord_number, FormatIsoDate(input.arrival),
             FormatIsoDate(input.departure), adults, children, group_size, origin, result.total_cents, tariff_id,
             storage::Blob{
                 box_.Encrypt(form.dump(-1, ' ', false, json::error_handler_t::replace), kRegistrationFormContext)},
             now})
          .status());
  for (size_t i = 0; i < input.guests.size(); ++i) {
    const GuestInput& g = input.guests[i];
    int age = AgeOn(g.birth_date, input.arrival);
    PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO spa_tax.registration_guests (registration_number, guest_index, adult, "
                               "age_band, reductions, nights, amount_cents) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                               {result.registration_number, static_cast<int64_t>(i), int64_t{age >= 18 ? 1 : 0},
                                AgeBandLabel(age), Join(result.guests[i].reductions),
                                static_cast<int64_t>(result.guests[i].nights), result.guests[i].amount_cents})
                           .status());
  }

  // marketing: only with consent.
  if (input.marketing_consent) {
    result.consent_id = crypto::HexEncode(crypto::RandomBytes(16));
    json contact = {{"family_name", signer.family_name},
                    {"given_name", signer.given_name},
                    {"address",
                     {{"street", signer.address.street},
                      {"postal_code", signer.address.postal_code},
                      {"city", signer.address.city},
                      {"country", signer.address.country}}}};
    std::string season = SeasonOf(tariff, input.arrival);
    PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO marketing.contacts (consent_id, municipality_id, contact_enc, nights, "
                               "season, adults, children) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                               {result.consent_id, acc.municipality_id,
                                storage::Blob{box_.Encrypt(contact.dump(-1, ' ', false, json::error_handler_t::replace),
                                                           kContactContext)},
                                DaysFromCivil(input.departure) - DaysFromCivil(input.arrival),
                                season.empty() ? std::string("none") : season, adults, children})
                           .status());
  }

  // The cards: logistics, the link, and the usage under the cycle id.
  if (!card_numbers.empty()) {
    LinkAccess access{actor.id, actor.request_id, "registration:" + result.registration_number};
    // New cycles for cards from the stock or drawn; the cycles of cards handed out before.
    std::vector<std::string> fresh, handed_out;
    for (size_t c = 0; c < card_numbers.size(); ++c)
      (card_provisional[c] ? handed_out : fresh).push_back(card_numbers[c]);
    PW_ASSIGN_OR_RETURN(std::vector<std::string> fresh_cycles, EnrolCards(tx, clock_, access, fresh, /*audit=*/false));
    std::vector<std::optional<std::string>> handed_out_cycles;
    if (!handed_out.empty()) {
      PW_ASSIGN_OR_RETURN(handed_out_cycles, CyclesOf(tx, clock_, LinkPurpose::kEnrolGuestData, access, handed_out));
    }
    context.links += fresh.size();
    size_t next_fresh = 0, next_handed_out = 0;
    for (size_t c = 0; c < card_numbers.size(); ++c) {
      const GuestInput& g = input.guests[card_guests[c]];
      int age = AgeOn(g.birth_date, input.arrival);
      const std::string& card_type = card_types[c];
      storage::Params values = {registration_ref,
                                card_type,
                                g.gender,
                                AgeBandLabel(age),
                                g.address.postal_code,
                                OriginOf(g.address.country, g.address.postal_code),
                                result.guests[card_guests[c]].amount_cents,
                                FormatIsoDate(input.arrival),
                                FormatIsoDate(input.departure)};
      if (card_provisional[c]) {
        // 4.3: the registered stay takes the place of the 28 days; what the card did keeps its cycle.
        const auto& cycle = handed_out_cycles[next_handed_out++];
        if (!cycle) return Internal("a handed-out card without its cycle: " + card_numbers[c]);
        values.insert(values.begin(), *cycle);
        PW_RETURN_IF_ERROR(tx.Exec("UPDATE card_usage.cycles SET registration_ref = $2, card_type = $3, gender = $4, "
                                   "age_band = $5, postal_code = $6, origin = $7, spa_tax_cents = $8, arrival = $9, "
                                   "departure = $10, provisional_days = NULL WHERE cycle_id = $1",
                                   values)
                               .status());
      } else {
        values.insert(values.begin(), fresh_cycles[next_fresh++]);
        PW_RETURN_IF_ERROR(
            tx.Exec("INSERT INTO card_usage.cycles (cycle_id, registration_ref, card_type, gender, age_band, "
                    "postal_code, origin, spa_tax_cents, arrival, departure) VALUES ($1, $2, $3, $4, $5, "
                    "$6, $7, $8, $9, $10)",
                    values)
                .status());
      }
      const auto& scanned = input.guests[card_guests[c]].barcode;
      result.cards.push_back({static_cast<int>(card_guests[c]), card_numbers[c],
                              scanned
                                  ? FormatBarcode(*scanned)
                                  : FormatBarcode({municipality_number, acc.landlord_number, 1, card_numbers[c], 1})});
    }
  }
  context.numbers.push_back(result.registration_number);
  return result;
}

Result<std::vector<RegistrationSummary>> RegistrationService::ListRegistrations(const accounts::Actor& actor,
                                                                                int limit) {
  PW_RETURN_IF_ERROR(accounts::Require(actor, accounts::Action::kReadRegistrations));
  limit = std::clamp(limit, 1, 1000);
  std::vector<RegistrationSummary> out;
  Status done = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows accommodations,
                        tx.Query("SELECT " + std::string(kAccommodationColumns) + " FROM core.accommodations"));
    std::map<int64_t, Accommodation> visible;
    for (const Row& row : accommodations) {
      Accommodation a = AccommodationFromRow(row);
      bool allowed = accounts::Can(actor, accounts::Action::kReadRegistrations,
                                   accounts::Resource::OwnedBy(a.municipality_id, a.landlord_user_id));
      if (allowed) visible.emplace(a.id, std::move(a));
    }
    for (const auto& [id, a] : visible) {
      PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT " + std::string(kSummaryColumns) +
                                                  " FROM spa_tax.registrations WHERE accommodation_id = $1 "
                                                  "ORDER BY created_at DESC LIMIT $2",
                                              {id, static_cast<int64_t>(limit)}));
      for (const Row& row : rows) {
        RegistrationSummary s = SummaryFromRow(row);
        s.accommodation_id = a.public_id;
        out.push_back(std::move(s));
      }
    }
    return Status::Ok();
  });
  if (!done.ok()) return done;
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.created_at != b.created_at ? a.created_at > b.created_at : a.registration_number < b.registration_number;
  });
  if (out.size() > static_cast<size_t>(limit)) out.resize(static_cast<size_t>(limit));
  return out;
}

Result<RegistrationSummary> RegistrationService::LoadOwnRegistration(Tx& tx, const accounts::Actor& actor,
                                                                     const std::string& number) {
  PW_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT " + std::string(kSummaryColumns) +
                                              " FROM spa_tax.registrations WHERE registration_number = $1",
                                          {number}));
  if (rows.empty()) return NotFound("no such registration");
  RegistrationSummary s = SummaryFromRow(rows[0]);
  PW_ASSIGN_OR_RETURN(
      Row acc, tx.QueryOne("SELECT " + std::string(kAccommodationColumns) + " FROM core.accommodations WHERE id = $1",
                           {rows[0].Int(1)}));
  Accommodation a = AccommodationFromRow(acc);
  bool allowed = accounts::Can(actor, accounts::Action::kReadRegistrations,
                               accounts::Resource::OwnedBy(a.municipality_id, a.landlord_user_id));
  if (!allowed) return NotFound("no such registration");
  s.accommodation_id = a.public_id;
  return s;
}

Result<RegistrationDetails> RegistrationService::GetRegistration(const accounts::Actor& actor,
                                                                 const std::string& number) {
  PW_RETURN_IF_ERROR(accounts::Require(actor, accounts::Action::kRegisterGuests));
  RegistrationDetails details;
  // A write: reading the form (personal data) is audited.
  Status done = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(details.summary, LoadOwnRegistration(tx, actor, number));
    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT form_enc FROM spa_tax.registrations WHERE registration_number = "
                                             "$1",
                                             {number}));
    if (!row.IsNull(0)) {
      PW_ASSIGN_OR_RETURN(std::string plain, box_.Decrypt(row.Text(0), kRegistrationFormContext));
      details.form = json::parse(plain, nullptr, false);
    }
    return accounts::AuditAs(tx, clock_, actor, "registration.view", "registration:" + number, json::object());
  });
  if (!done.ok()) return done;
  return details;
}

Status RegistrationService::CancelRegistration(const accounts::Actor& actor, const std::string& number) {
  PW_RETURN_IF_ERROR(accounts::Require(actor, accounts::Action::kRegisterGuests));
  return db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(RegistrationSummary s, LoadOwnRegistration(tx, actor, number));
    if (s.state != "active") return FailedPrecondition("the registration is already cancelled");
    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT form_enc FROM spa_tax.registrations WHERE registration_number = "
                                             "$1",
                                             {number}));
    std::vector<std::string> card_numbers;
    if (!row.IsNull(0)) {
      PW_ASSIGN_OR_RETURN(std::string plain, box_.Decrypt(row.Text(0), kRegistrationFormContext));
      json form = json::parse(plain, nullptr, false);
      if (form.is_object() && form.contains("guests") && form["guests"].is_array()) {
        for (const json& g : form["guests"]) {
          if (g.is_object() && g.contains("card_number") && g["card_number"].is_string()) {
            card_numbers.push_back(g["card_number"].get<std::string>());
          }
        }
      }
    }
    int64_t now = clock_.NowUnix();
    PW_RETURN_IF_ERROR(tx.Exec("UPDATE spa_tax.registrations SET state = 'cancelled', cancelled_at = $1 WHERE "
                               "registration_number = $2",
                               {now, number})
                           .status());
    if (!card_numbers.empty()) {
      for (const std::string& card : card_numbers) {
        PW_RETURN_IF_ERROR(tx.Exec("UPDATE logistics.cards SET status = 'blocked', blocked_reason = "
                                   "'registration cancelled', updated_on = $1 WHERE card_number = $2",
                                   {FormatIsoDate(BerlinDate(now)), card})
                               .status());
      }
      LinkAccess access{actor.id, actor.request_id, "registration:" + number};
      PW_ASSIGN_OR_RETURN(auto cycles, CyclesOf(tx, clock_, LinkPurpose::kUpdateCard, access, card_numbers));
      std::vector<std::string> linked;
      for (const auto& cycle : cycles) {
        if (cycle) linked.push_back(*cycle);
      }
      for (const std::string& cycle : linked) PW_RETURN_IF_ERROR(DeleteCycleUsage(tx, cycle));
      PW_RETURN_IF_ERROR(UnlinkCycles(tx, clock_, access, linked).status());
    }
    return accounts::AuditAs(tx, clock_, actor, "registration.cancel", "registration:" + number,
                             {{"cards", card_numbers.size()}});
  });
}

}  // namespace passwerk::guestcards
