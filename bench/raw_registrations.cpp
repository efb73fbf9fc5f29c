// Baseline for scripts/bench registrations: the rows that
// POST /api/v1/registrations/batch writes for bench/registrations.mjs's mix,
// inserted "without Passwerk" — straight through the sqlite3 C API or libpq
// (bench/raw_engine.h), prepared statements, one database transaction per
// batch — so that the benchmark can report Passwerk's rate as a ratio of this
// one, measured in the same run.
//
//   passwerk_raw_registrations (--data DIR [--journal rollback|wal] | --database-url URL)
//       [--registrations 200000] [--batch 500] [--accommodation acc-…]
//   passwerk_raw_registrations (--data DIR | --database-url URL) --count
//
// Run `passwerk demo` on a fresh data directory / database first: the schema
// is then Passwerk's own, and the accommodation (default: the first one), its
// municipality and landlord number, the tariff versions, the guest-card scheme
// code and the landlord's API token are read from `core` before the clock
// starts.
//
// The mix is bench/registrations.mjs's: registration i has two guests (an
// adult born 1980, a child born 2015), each with a drawn guest card, arrives
// on day i % 350 of 2026 and stays 1 + i % 13 nights; every third
// (i % 3 == 0) consents to marketing. Per registration the statements of
// RegistrationService::RegisterIn (src/guestcards/registrations.cpp) for drawn
// cards:
//   logistics.cards               two rows, INSERT … ON CONFLICT DO NOTHING (a taken
//                                 number is drawn again, as Passwerk does)
//   spa_tax.registrations         one row; form_enc is the form JSON of the same shape,
//                                 encrypted like crypto::SecretBox (AES-256-GCM with
//                                 OpenSSL, key id, random nonce, the context as AAD)
//   spa_tax.registration_guests   two rows
//   marketing.contacts            one row with consent (the contact encrypted likewise)
//   card_link.links               two rows (EnrolCards)
//   card_usage.cycles             two rows
// and per batch the two audit entries RegisterAll appends (AuditLinkAccess
// "card_link.enrol_guest_data", then AuditAs "registration.create" naming the
// registration numbers), each as audit::Append writes it: UPDATE audit.head …
// RETURNING, INSERT audit.entries, UPDATE audit.head (the hash is a stand-in).
// Tax amounts, nights charged, reductions, season and origin are stand-ins of
// the same types and sizes as the demo tariff gives (the tariff is not computed). Not done here, because they
// are reads or CPU work outside the database: the accommodation, tariff and
// scheme lookups per batch, parsing and validating the request, the answer.
//
// --count prints how many rows the tables above hold (to compare Passwerk's
// database with this one).
//
// Prints one line: raw engine=… [journal=…] registrations=… batch=… seconds=…
// registrations_per_s=… rows=… rows_per_s=… statements=… card_redraws=… cpu_s=…
// registrations_per_cpu_s=… (the CPU time of this process: all of the work on
// SQLite, the client side on PostgreSQL) runqueue_wait_s=….
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "raw_engine.h"

namespace raw {
namespace {

constexpr char kUsage[] =
    "passwerk_raw_registrations (--data DIR [--journal rollback|wal] | --database-url URL)\n"
    "           [--registrations 200000] [--batch 500] [--accommodation acc-…]\n"
    "       passwerk_raw_registrations (--data DIR | --database-url URL) --count\n";

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) Die("RAND_bytes failed");
  return out;
}

std::string Hex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// "ABCD-EFGH-IJKL": twelve base32 letters of eight random bytes, as NewRegistrationNumber.
std::string RegistrationNumber() {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  uint64_t bits = 0;
  for (unsigned char c : RandomBytes(8)) bits = (bits << 8) | c;
  std::string out;
  for (int i = 0; i < 12; ++i) {
    if (i == 4 || i == 8) out.push_back('-');
    out.push_back(kAlphabet[(bits >> (59 - 5 * i)) & 31]);
  }
  return out;
}

// A card number as cards::RandomCardNumber draws it: scheme code, eight random digits, Luhn digit.
std::string CardNumber(int scheme_code) {
  uint32_t serial = 0;
  for (unsigned char c : RandomBytes(4)) serial = (serial << 8) | c;
  char body[16];
  std::snprintf(body, sizeof body, "%03d%08u", scheme_code, serial % 100000000u);
  std::string number(body);
  int sum = 0;
  for (size_t k = 0; k < number.size(); ++k) {  // doubling from the rightmost digit of the body
    int d = number[number.size() - 1 - k] - '0';
    if (k % 2 == 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  number.push_back(static_cast<char>('0' + (10 - sum % 10) % 10));
  return number;
}

// crypto::SecretBox::Encrypt: key id, 12-byte nonce, AES-256-GCM body, 16-byte tag.
class Box {
 public:
  Box() : key_(RandomBytes(32)) {}
  std::string Encrypt(const std::string& plain, const std::string& context) const {
    const std::string nonce = RandomBytes(12);
    std::string out(1, '\1');
    out += nonce;
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
    int len = 0;
    std::string body(plain.size(), '\0');
    EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, reinterpret_cast<const unsigned char*>(key_.data()),
                       reinterpret_cast<const unsigned char*>(nonce.data()));
    EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(context.data()),
                      static_cast<int>(context.size()));
    EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(body.data()), &len,
                      reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
    EVP_EncryptFinal_ex(ctx.get(), nullptr, &len);
    std::string tag(16, '\0');
    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, tag.data());
    return out + body + tag;
  }

 private:
  std::string key_;
};

// ---- The mix (bench/registrations.mjs) -----------------------------------------

struct Guest {
  const char* given_name;
  const char* birth_date;
  int birth_year, birth_month, birth_day;
};
const Guest kGuests[2] = {{"Erika", "1980-05-01", 1980, 5, 1}, {"Max", "2015-06-01", 2015, 6, 1}};

int AgeOn(const Guest& g, const std::string& day) {
  int y = 0, m = 0, d = 0;
  std::sscanf(day.c_str(), "%d-%d-%d", &y, &m, &d);
  return y - g.birth_year - (m < g.birth_month || (m == g.birth_month && d < g.birth_day) ? 1 : 0);
}

std::string AgeBand(int age) {  // AgeBandLabel
  if (age < 18) return "0-17";
  if (age >= 83) return "83+";
  int start = 18 + (age - 18) / 5 * 5;
  return std::to_string(start) + "-" + std::to_string(start + 4);
}

// A stand-in for OriginOf: the federal state by the postal code's first digit.
std::string Origin(const std::string& postal_code) {
  static const char* kStates[] = {"SN", "BE", "HH", "NI", "NW", "NW", "HE", "BW", "BY", "TH"};
  return std::string("DE-") + kStates[postal_code[0] - '0'];
}

std::string AddressJson(const std::string& postal_code) {
  return R"({"city":"Musterstadt","country":"DE","postal_code":")" + postal_code + R"(","street":"Hauptstraße 5"})";
}

// The form as RegisterIn encrypts it (nlohmann::json: keys in order, compact).
std::string FormJson(int64_t i, const std::string& accommodation, const std::string& arrival,
                     const std::string& departure, const std::string& gender, const std::string& postal_code,
                     const std::string (&card_numbers)[2], bool consent) {
  std::string out = R"({"accommodation_id":")" + accommodation + R"(","arrival":")" + arrival + R"(","departure":")" +
                    departure + R"(","guests":[)";
  for (int g = 0; g < 2; ++g) {
    out += std::string(g ? "," : "") + R"({"address":)" + AddressJson(postal_code) + R"(,"birth_date":")" +
           kGuests[g].birth_date + R"(","card_number":")" + card_numbers[g] + R"(","family_name":"Gast)" +
           std::to_string(i) + R"(","gender":")" + gender + R"(","given_name":")" + kGuests[g].given_name +
           R"(","nationality":"DE","reductions":[]})";
  }
  return out + R"(],"marketing_consent":)" + (consent ? "true" : "false") + "}";
}

struct Args {
  std::string accommodation;
  int64_t registrations = 200'000, batch = 500;
};

void Count(Engine& db) {
  std::cout << "count engine=" << db.name() << " logistics_cards=" << db.Scalar("SELECT COUNT(*) FROM logistics.cards")
            << " registrations=" << db.Scalar("SELECT COUNT(*) FROM spa_tax.registrations")
            << " registration_guests=" << db.Scalar("SELECT COUNT(*) FROM spa_tax.registration_guests")
            << " contacts=" << db.Scalar("SELECT COUNT(*) FROM marketing.contacts")
            << " links=" << db.Scalar("SELECT COUNT(*) FROM card_link.links")
            << " cycles=" << db.Scalar("SELECT COUNT(*) FROM card_usage.cycles") << " audit_card_link="
            << db.Scalar("SELECT COUNT(*) FROM audit.entries WHERE action = 'card_link.enrol_guest_data'")
            << " audit_registration="
            << db.Scalar("SELECT COUNT(*) FROM audit.entries WHERE action = 'registration.create'") << "\n";
}

// The SQL of RegisterIn and EnrolCards, word for word, prepared once.
struct Statements {
  explicit Statements(Engine& db)
      : card(db.Prepare("INSERT INTO logistics.cards (card_number, circulation_counter, card_type, municipality_id, "
                        "part_number, issuing_office, status, in_service_on, departure_on, sales_point, updated_on) "
                        "VALUES ($1, 1, $2, $3, '00', $4, 'in_service', $5, $6, $4, $7) "
                        "ON CONFLICT (card_number) DO NOTHING")),
        registration(db.Prepare(
            "INSERT INTO spa_tax.registrations (registration_number, municipality_id, accommodation_id, "
            "landlord_number, arrival, departure, adults, children, group_size, origin, total_cents, tariff_id, "
            "state, form_enc, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'active', $13, "
            "$14)")),
        guest(db.Prepare("INSERT INTO spa_tax.registration_guests (registration_number, guest_index, adult, "
                         "age_band, reductions, nights, amount_cents) VALUES ($1, $2, $3, $4, $5, $6, $7)")),
        contact(db.Prepare("INSERT INTO marketing.contacts (consent_id, municipality_id, contact_enc, nights, "
                           "season, adults, children) VALUES ($1, $2, $3, $4, $5, $6, $7)")),
        link(db.Prepare("INSERT INTO card_link.links (card_number, cycle_id) VALUES ($1, $2) ON CONFLICT (card_number) "
                        "DO NOTHING")),
        cycle(db.Prepare("INSERT INTO card_usage.cycles (cycle_id, registration_ref, card_type, gender, age_band, "
                         "postal_code, origin, spa_tax_cents, arrival, departure) VALUES ($1, $2, $3, $4, $5, "
                         "$6, $7, $8, $9, $10)")) {}
  int card, registration, guest, contact, link, cycle;
};

int Main(int argc, char** argv) {
  Args a;
  const Options flags = ParseFlags(argc, argv, kUsage, [&a](const std::string& flag, const std::string& value) {
    if (flag == "--registrations")
      a.registrations = ToInt(value);
    else if (flag == "--batch")
      a.batch = ToInt(value);
    else if (flag == "--accommodation")
      a.accommodation = value;
    else
      return false;
    return true;
  });
  std::unique_ptr<Engine> db = flags.target.Open(flags.count);
  if (flags.count) {
    Count(*db);
    return 0;
  }
  if (a.registrations < 1 || a.batch < 1) Usage("bad arguments", kUsage);

  // Ids as the server has them, read before the clock starts.
  const std::string columns = "SELECT id, public_id, municipality_id, landlord_user_id, landlord_number FROM ";
  auto accommodation =
      a.accommodation.empty()
          ? db->Run(db->Prepare(columns + "core.accommodations ORDER BY id LIMIT 1"), {})
          : db->Run(db->Prepare(columns + "core.accommodations WHERE public_id = $1"), {a.accommodation});
  if (accommodation.empty()) Die("no accommodation " + a.accommodation + ": run `passwerk demo` on this data first");
  const int64_t accommodation_id = ToInt(accommodation[0][0]);
  const std::string public_id = accommodation[0][1];
  const int64_t municipality_id = ToInt(accommodation[0][2]);
  const std::string landlord_number = accommodation[0][4];
  auto token = db->Run(db->Prepare("SELECT id FROM core.api_tokens WHERE user_id = $1 ORDER BY id LIMIT 1"),
                       {ToInt(accommodation[0][3])});
  if (token.empty()) Die("the landlord of " + public_id + " has no API token: run `passwerk demo` first");
  const std::string actor = "token:" + token[0][0];
  std::vector<std::pair<std::string, int64_t>> tariffs;  // valid_from, id; oldest first
  for (const Row& r : db->Run(db->Prepare("SELECT valid_from, id FROM core.tariffs WHERE municipality_id = $1 "
                                          "ORDER BY valid_from"),
                              {municipality_id})) {
    tariffs.emplace_back(r[0], ToInt(r[1]));
  }
  auto scheme = db->Run(db->Prepare("SELECT scheme_code FROM core.schemes WHERE municipality_id = $1 AND "
                                    "kind = 'guest_card' ORDER BY id LIMIT 1"),
                        {municipality_id});
  if (tariffs.empty() || scheme.empty()) Die("no tariff or guest-card scheme: run `passwerk demo` on this data first");
  const int scheme_code = static_cast<int>(ToInt(scheme[0][0]));

  const Statements sql(*db);
  AuditTrail audit(*db);

  const Box box;
  int64_t rows = 0, statements = 0, redraws = 0;
  auto append = [&](int64_t at, const std::string& action, const std::string& object, const std::string& detail,
                    const std::string& request_id) {
    audit.Append(at, actor, action, object, detail, request_id);
    rows += AuditTrail::kRows;
    statements += AuditTrail::kStatements;
  };

  const Stopwatch clock;
  for (int64_t done = 0; done < a.registrations;) {
    db->Begin();
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    const std::string today = CivilFromDays(now / 86400);
    const int64_t end = std::min(a.registrations, done + a.batch);
    std::vector<std::string> numbers;
    int64_t links = 0;
    for (int64_t i = done; i < end; ++i) {
      const std::string arrival = AddDays("2026-01-01", i % 350);
      const int64_t nights = 1 + i % 13;
      const std::string departure = AddDays(arrival, nights);
      const std::string gender = i % 2 ? "f" : "m";
      const std::string postal_code = std::to_string(10000 + (i * 7919) % 89999);
      const std::string origin = Origin(postal_code);
      const bool consent = i % 3 == 0;
      int64_t tariff_id = tariffs.front().second;
      for (const auto& [from, id] : tariffs) {
        if (from <= arrival) tariff_id = id;
      }
      const std::string number = RegistrationNumber();
      const std::string registration_ref = Hex(RandomBytes(16));
      int ages[2];
      int64_t amounts[2];
      std::string card_numbers[2];
      for (int g = 0; g < 2; ++g) {
        ages[g] = AgeOn(kGuests[g], arrival);
        amounts[g] = ages[g] < 18 ? 0 : nights * 300;  // the demo tariff: 3 € a night, children free
        const std::string card_type = ages[g] < 18 ? "2.0" : "1.0";
        for (int attempt = 0; card_numbers[g].empty(); ++attempt) {
          if (attempt == 8) Die("could not draw a free card number");
          const std::string candidate = CardNumber(scheme_code);
          db->Run(sql.card, {candidate, card_type, municipality_id, landlord_number, arrival, departure, today});
          ++statements;
          if (db->Changes() == 1) {
            card_numbers[g] = candidate;
          } else {
            ++redraws;
          }
        }
      }
      const std::string form = FormJson(i, public_id, arrival, departure, gender, postal_code, card_numbers, consent);
      db->Run(sql.registration,
              {number, municipality_id, accommodation_id, landlord_number, arrival, departure, 1, 1, kNull, origin,
               amounts[0] + amounts[1], tariff_id, Param::Blob(box.Encrypt(form, "spa_tax.registrations.form")), now});
      for (int g = 0; g < 2; ++g) {
        db->Run(sql.guest, {number, g, ages[g] >= 18 ? 1 : 0, AgeBand(ages[g]), ages[g] < 18 ? "under_18" : "", nights,
                            amounts[g]});
      }
      rows += 5;
      statements += 3;
      if (consent) {
        const std::string contact = R"({"address":)" + AddressJson(postal_code) + R"(,"family_name":"Gast)" +
                                    std::to_string(i) + R"(","given_name":"Erika"})";
        const int month = std::stoi(arrival.substr(5, 2));
        db->Run(sql.contact,
                {Hex(RandomBytes(16)), municipality_id, Param::Blob(box.Encrypt(contact, "marketing.contacts.contact")),
                 nights, month >= 5 && month <= 9 ? "Hauptsaison" : "Nebensaison", 1, 1});
        ++rows;
        ++statements;
      }
      std::string cycles[2];
      for (int g = 0; g < 2; ++g) {
        cycles[g] = Hex(RandomBytes(16));
        db->Run(sql.link, {card_numbers[g], cycles[g]});
        if (db->Changes() != 1) Die("card " + card_numbers[g] + " is still linked");
      }
      links += 2;
      for (int g = 0; g < 2; ++g) {
        db->Run(sql.cycle, {cycles[g], registration_ref, ages[g] < 18 ? "2.0" : "1.0", gender, AgeBand(ages[g]),
                            postal_code, origin, amounts[g], arrival, departure});
      }
      rows += 4;
      statements += 4;
      numbers.push_back(number);
    }
    // RegisterAll: one audited card_link access per batch, then the registrations made.
    const std::string object =
        numbers.size() == 1 ? "registration:" + numbers.front() : "registrations:" + std::to_string(numbers.size());
    const std::string request_id = "raw-" + std::to_string(done);
    append(now, "card_link.enrol_guest_data", object, "{\"links\":" + std::to_string(links) + "}", request_id);
    std::string detail = "{\"registrations\":[";
    for (size_t k = 0; k < numbers.size(); ++k) detail += (k ? ",\"" : "\"") + numbers[k] + "\"";
    append(now, "registration.create", object, detail + "]}", request_id);
    db->Commit();
    done = end;
  }
  const double seconds = clock.seconds();
  const double cpu = clock.cpu_seconds();
  std::printf(
      "raw engine=%s%s registrations=%lld batch=%lld seconds=%.2f registrations_per_s=%.0f rows=%lld "
      "rows_per_s=%.0f statements=%lld card_redraws=%lld cpu_s=%.2f registrations_per_cpu_s=%.0f "
      "runqueue_wait_s=%.2f\n",
      db->name(), flags.target.JournalField().c_str(), static_cast<long long>(a.registrations),
      static_cast<long long>(a.batch), seconds, static_cast<double>(a.registrations) / seconds,
      static_cast<long long>(rows), static_cast<double>(rows) / seconds, static_cast<long long>(statements),
      static_cast<long long>(redraws), cpu, static_cast<double>(a.registrations) / cpu, clock.runqueue_seconds());
  return 0;
}

}  // namespace
}  // namespace raw

int main(int argc, char** argv) { return raw::Main(argc, argv); }
