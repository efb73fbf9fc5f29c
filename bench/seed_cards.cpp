// Bench-only seeder: puts N cards of the demo scheme straight into
// cards.cards (SQLite under --data, or PostgreSQL via PASSWERK_DATABASE_URL /
// --database-url), far faster than issuing them through the API, and writes a
// sample file for the load scripts (bench/check_mix.lua, check_timing).
//
//   passwerk_seed_cards --data DIR --count N --samples FILE [--database-url URL]
//                       [--batch 50000] [--rows-per-insert 200] [--samples-per-kind 10000]
//
// Run `passwerk demo --data DIR` first (same DIR and database): the scheme
// `sozialpass-kellenhusen` must exist. Rows are written like
// CardService::IssueCard writes them — same columns, name_hash_a/b from
// CardKeys over AcceptedNameParts, holder_enc sealed with the SecretBox under
// context "cards.cards.holder" — with these bench shortcuts:
//   * one encrypted holder blob is reused for 1000 consecutive cards (the
//     check never reads holder_enc; sealing 1M blobs would dominate the time);
//   * no card_events "issue" row and no audit entry per card;
//   * the rows keep revision 0 (no cards.revision bump): a server started
//     afterwards loads them into its card index, a running one would not;
//   * serials are kSerialBase + 0 … N-1 (kSerialBase = 10'000'000), so they
//     never collide with the demo's own cards (serials 1001–1004, 99999).
// Validity: the whole current calendar year (1 January to 31 December, Berlin).
// If the last serial already exists the inserts are skipped (re-runs only
// rewrite the sample file).
//
// Sample file: one line per sample, tab-separated: kind, card number, name part.
//   valid       an existing card and an accepted name part
//   unknown     a 12-digit number with a valid Luhn digit that no card has
//   wrong_name  an existing card and a name part it does not accept
//   luhn        a number whose check digit is wrong
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "cards/card_number.h"
#include "cards/cards.h"
#include "cards/name_match.h"
#include "cli/app.h"
#include "core/dates.h"

using namespace passwerk;

namespace {

constexpr uint32_t kSerialBase = 10'000'000;
constexpr std::string_view kSchemeSlug = "sozialpass-kellenhusen";
constexpr std::string_view kHolderContext = "cards.cards.holder";
constexpr int kColumns = 13;

const std::vector<std::string> kFamilyNames = {
    "Müller", "Schmidt",  "Fischer",   "Weber",  "Meyer",  "Wagner",   "Becker",  "Hoffmann",   "Schäfer",
    "Koch",   "Bauer",    "Richter",   "Klein",  "Wolf",   "Schröder", "Neumann", "Zimmermann", "Braun",
    "Krüger", "Hartmann", "Lange",     "Werner", "Krause", "Lehmann",  "Özdemir", "Weiß",       "Jäger",
    "Groß",   "Yılmaz",   "Dąbrowski", "Ahrens", "Peters", "Jansen",   "Otto",    "Vogel",      "Frank"};
const std::vector<std::string> kGivenNames = {"Erika", "Jan", "Lena", "Ayşe", "Max", "Sophie", "Paul", "Marie"};

struct Args {
  std::string data_dir;
  std::string database_url;
  std::string samples;
  int64_t count = 1'000'000;
  int64_t batch = 50'000;
  int rows_per_insert = 200;
  int samples_per_kind = 10'000;
};

[[noreturn]] void Usage(const std::string& error) {
  std::cerr << "passwerk_seed_cards: " << error << "\n"
            << "usage: passwerk_seed_cards --data DIR --count N --samples FILE [--database-url URL]\n"
               "                           [--batch 50000] [--rows-per-insert 200] [--samples-per-kind 10000]\n";
  std::exit(2);
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) Usage("missing value for " + flag);
    std::string value = argv[++i];
    try {
      if (flag == "--data")
        a.data_dir = value;
      else if (flag == "--database-url")
        a.database_url = value;
      else if (flag == "--samples")
        a.samples = value;
      else if (flag == "--count")
        a.count = std::stoll(value);
      else if (flag == "--batch")
        a.batch = std::stoll(value);
      else if (flag == "--rows-per-insert")
        a.rows_per_insert = std::stoi(value);
      else if (flag == "--samples-per-kind")
        a.samples_per_kind = std::stoi(value);
      else
        Usage("unknown flag " + flag);
    } catch (const std::exception&) {
      Usage("bad value for " + flag);
    }
  }
  if (a.data_dir.empty() || a.samples.empty()) Usage("--data and --samples are required");
  if (a.count < 1 || a.count > 50'000'000) Usage("--count must be 1 … 50000000");
  if (a.batch < 1 || a.rows_per_insert < 1 || a.rows_per_insert > 1000 || a.samples_per_kind < 1) {
    Usage("bad --batch, --rows-per-insert or --samples-per-kind");
  }
  return a;
}

std::string InsertSql(int rows) {
  std::string sql =
      "INSERT INTO cards.cards (card_number, circulation_counter, scheme_id, card_type, discount_class, state, "
      "valid_from, valid_until, holder_enc, name_hash_a, name_hash_b, created_at, updated_at) VALUES ";
  int p = 1;
  for (int r = 0; r < rows; ++r) {
    sql += r ? ",(" : "(";
    for (int c = 0; c < kColumns; ++c) {
      if (c) sql += ',';
      sql += '$' + std::to_string(p++);
    }
    sql += ')';
  }
  return sql;
}

const std::string& FamilyOf(int64_t index) { return kFamilyNames[static_cast<size_t>(index) % kFamilyNames.size()]; }

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int Fail(const std::string& what, const Status& status) {
  std::cerr << "passwerk_seed_cards: " << what << ": " << status.ToString() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args args = ParseArgs(argc, argv);
  auto t_start = std::chrono::steady_clock::now();

  cli::CommonOptions common;
  common.data_dir = args.data_dir;
  auto config = cli::LoadEffectiveConfig(common);
  if (!config.ok()) return Fail("configuration", config.status());
  if (!args.database_url.empty()) config->database_url = args.database_url;
  bool postgres = !config->database_url.empty();
  auto opened = cli::OpenServices(*config);
  if (!opened.ok()) return Fail("opening the database", opened.status());
  cli::Services& s = **opened;

  auto scheme = s.cards->FindScheme(std::string(kSchemeSlug));
  if (!scheme.ok()) return Fail("scheme " + std::string(kSchemeSlug) + " (run `passwerk demo` first)", scheme.status());
  const int code = scheme->scheme_code;
  const int letters = scheme->name_part_letters;
  const std::string discount = scheme->discount_classes.front();
  const int64_t now = s.clock.NowUnix();
  const Date today = BerlinDate(now);
  const Date from{today.year, 1, 1};
  const Date until{today.year, 12, 31};
  const std::string from_iso = FormatIsoDate(from), until_iso = FormatIsoDate(until);

  // Accepted name parts per family name, computed once.
  std::vector<std::vector<std::string>> parts_of;
  for (const auto& family : kFamilyNames) parts_of.push_back(cards::AcceptedNameParts(family, letters));

  auto number_of = [&](int64_t index) {
    return cards::MakeCardNumber(code, kSerialBase + static_cast<uint32_t>(index));
  };

  bool already = false;
  {
    Status st = s.db->Read([&](storage::Tx& tx) -> Status {
      PW_ASSIGN_OR_RETURN(storage::Rows rows,
                          tx.Query("SELECT 1 FROM cards.cards WHERE card_number = $1", {number_of(args.count - 1)}));
      already = !rows.empty();
      return Status::Ok();
    });
    if (!st.ok()) return Fail("probing for earlier seeds", st);
  }

  if (already) {
    std::cerr << "passwerk_seed_cards: " << args.count << " cards already present, inserts skipped\n";
  } else {
    const std::string full_sql = InsertSql(args.rows_per_insert);
    std::string holder_enc;
    storage::Params params;
    params.reserve(static_cast<size_t>(args.rows_per_insert) * kColumns);
    for (int64_t start = 0; start < args.count; start += args.batch) {
      int64_t end = std::min(args.count, start + args.batch);
      Status st = s.db->Write([&](storage::Tx& tx) -> Status {
        for (int64_t chunk = start; chunk < end; chunk += args.rows_per_insert) {
          int64_t chunk_end = std::min(end, chunk + args.rows_per_insert);
          params.clear();
          for (int64_t i = chunk; i < chunk_end; ++i) {
            if (i % 1000 == 0 || holder_enc.empty()) {
              nlohmann::json holder = {{"family_name", FamilyOf(i)},
                                       {"given_name", kGivenNames[static_cast<size_t>(i) % kGivenNames.size()]},
                                       {"birth_date", "1970-01-01"},
                                       {"street", "Strandstraße 1"},
                                       {"postal_code", "23743"},
                                       {"city", "Kellenhusen"}};
              holder_enc = s.secrets->Encrypt(holder.dump(), kHolderContext);
            }
            std::string number = number_of(i);
            const auto& parts = parts_of[static_cast<size_t>(i) % parts_of.size()];
            std::string hash_a = s.card_keys->NameHash(number, parts[0]);
            std::string hash_b = s.card_keys->NameHash(number, parts.size() > 1 ? parts[1] : parts[0]);
            params.emplace_back(std::move(number));
            params.emplace_back(int64_t{1});
            params.emplace_back(scheme->id);
            params.emplace_back(std::string("standard"));
            params.emplace_back(discount);
            params.emplace_back(std::string("active"));
            params.emplace_back(from_iso);
            params.emplace_back(until_iso);
            params.emplace_back(storage::Blob{holder_enc});
            params.emplace_back(std::move(hash_a));
            params.emplace_back(std::move(hash_b));
            params.emplace_back(now);
            params.emplace_back(now);
          }
          int rows = static_cast<int>(chunk_end - chunk);
          auto done = tx.Exec(rows == args.rows_per_insert ? full_sql : InsertSql(rows), params);
          if (!done.ok()) return done.status();
        }
        return Status::Ok();
      });
      if (!st.ok()) return Fail("inserting cards " + std::to_string(start) + "…" + std::to_string(end), st);
      if ((end / args.batch) % 5 == 0 || end == args.count) {
        std::cerr << "passwerk_seed_cards: " << end << "/" << args.count << " cards, " << SecondsSince(t_start)
                  << " s\n";
      }
    }
  }
  double insert_s = SecondsSince(t_start);

  // Samples for the load scripts.
  std::mt19937_64 rng(20261122);
  std::uniform_int_distribution<int64_t> existing(0, args.count - 1);
  std::uniform_int_distribution<uint32_t> unknown_serial(60'000'000, 99'999'999);
  std::ofstream out(args.samples, std::ios::trunc);
  if (!out) {
    std::cerr << "passwerk_seed_cards: cannot write " << args.samples << "\n";
    return 1;
  }
  auto any_part = [&](int64_t i) {
    const auto& parts = parts_of[static_cast<size_t>(i) % parts_of.size()];
    return parts[static_cast<size_t>(i / static_cast<int64_t>(parts_of.size())) % parts.size()];
  };
  for (int k = 0; k < args.samples_per_kind; ++k) {
    int64_t i = existing(rng);
    out << "valid\t" << number_of(i) << '\t' << any_part(i) << '\n';
  }
  for (int k = 0; k < args.samples_per_kind; ++k) {
    uint32_t serial = unknown_serial(rng);  // above kSerialBase + count (count <= 50M)
    out << "unknown\t" << cards::MakeCardNumber(code, serial) << '\t' << any_part(k) << '\n';
  }
  for (int k = 0; k < args.samples_per_kind; ++k) {
    int64_t i = existing(rng);
    const auto& own = parts_of[static_cast<size_t>(i) % parts_of.size()];
    // The first family name (from a random offset) none of whose parts this card accepts.
    size_t offset = static_cast<size_t>(rng() % kFamilyNames.size());
    std::string wrong;
    for (size_t j = 0; j < kFamilyNames.size() && wrong.empty(); ++j) {
      const auto& other = parts_of[(offset + j) % parts_of.size()];
      bool overlap = false;
      for (const auto& p : other) overlap |= std::find(own.begin(), own.end(), p) != own.end();
      if (!overlap) wrong = other[0];
    }
    out << "wrong_name\t" << number_of(i) << '\t' << wrong << '\n';
  }
  for (int k = 0; k < args.samples_per_kind; ++k) {
    // Half from existing cards, half from unknown serials; then a wrong check digit.
    std::string number = (k % 2) ? number_of(existing(rng)) : cards::MakeCardNumber(code, unknown_serial(rng));
    int check = number.back() - '0';
    number.back() = static_cast<char>('0' + (check + 1 + static_cast<int>(rng() % 9)) % 10);
    out << "luhn\t" << number << '\t' << any_part(k) << '\n';
  }
  out.close();
  if (!out) {
    std::cerr << "passwerk_seed_cards: writing " << args.samples << " failed\n";
    return 1;
  }
  std::printf("seed cards: engine=%s count=%lld scheme_code=%d inserted=%s insert_s=%.1f total_s=%.1f samples=%s\n",
              postgres ? "postgres" : "sqlite", static_cast<long long>(args.count), code, already ? "no" : "yes",
              insert_s, SecondsSince(t_start), args.samples.c_str());
  return 0;
}
