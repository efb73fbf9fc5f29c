// Bench-only seeder: puts N applications straight into
// applications.applications (SQLite under --data, or PostgreSQL via
// PASSWERK_DATABASE_URL / --database-url), for the clerk's queue benchmark
// (scripts/bench applications).
//
//   passwerk_seed_applications --data DIR [--count 100000] [--database-url URL]
//                              [--batch 5000] [--rows-per-insert 200] [--volunteer-percent 30]
//
// Run `passwerk demo --data DIR` first (same DIR and database): the schemes
// `sozialpass-kellenhusen` (the social office) and `ehrenamt-kellenhusen` (the
// volunteer office) and their application forms must exist. Rows are written
// like ApplicationService writes them — every column of the table, status and
// queue_rank (0 for submitted, else 1) together, a random public_id, a unique
// reference PREFIX-YYYY-NNNNNN (the year of submission, numbered on from
// applications.references_issued, which is moved on past the seeded numbers),
// answers_enc, applicant_enc, events_enc (and reason_enc of rejections and
// requests for information) sealed with the server's SecretBox under
// "applications.answers:<public_id>", "applications.applicant:<public_id>",
// "applications.events:<public_id>", "applications.reason:<public_id>" — with
// these bench shortcuts:
//   * no mailbox thread (thread_id NULL), no documents, no notes, no
//     organisation confirmation rows, no audit entries;
//   * approvals issue no cards (card_ids NULL; valid_until set as a decision would);
//   * no renewals (renews_id NULL);
//   * every application belongs to the demo citizen (the first portal account;
//     0 when there is none).
// The mix: --volunteer-percent of the rows (default 30) belong to the volunteer
// card (its department), the rest to the social pass. Statuses per 1000:
//   social pass:    submitted 50, in_review 30, needs_information 10, withdrawn 30,
//                   rejected 230, approved 650;
//   volunteer card: submitted 50, awaiting_confirmation 15, in_review 25,
//                   needs_information 10, pending_second_approval 10,
//                   withdrawn 30, rejected 200, approved 660.
// Undecided applications were submitted in the last 6 weeks, decided ones over
// the last 2 years (decided 1 hour to 3 weeks later). Rows go in in the order
// they were created, as they would have (ids and reference numbers follow the
// dates, recent applications lie together at the table's end). One transaction
// per --batch rows, multi-row INSERTs of --rows-per-insert; on PostgreSQL then
// ANALYZE applications.applications. If the table already holds --count or
// more non-draft applications, nothing is inserted.
//
// Prints one line: seed applications: engine=… count=… social=… volunteer=…
// submitted_social=… account_id=… inserted=yes|no insert_s=… total_s=…
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "cards/cards.h"
#include "cli/app.h"
#include "core/crypto.h"
#include "core/dates.h"

using namespace passwerk;

namespace {

constexpr std::string_view kSocialSlug = "sozialpass-kellenhusen";
constexpr std::string_view kVolunteerSlug = "ehrenamt-kellenhusen";
constexpr int kColumns = 24;
constexpr int64_t kDay = 86400;

const std::vector<std::string> kFamilyNames = {
    "Müller", "Schmidt",  "Fischer",   "Weber",  "Meyer",  "Wagner",   "Becker",  "Hoffmann",   "Schäfer",
    "Koch",   "Bauer",    "Richter",   "Klein",  "Wolf",   "Schröder", "Neumann", "Zimmermann", "Braun",
    "Krüger", "Hartmann", "Lange",     "Werner", "Krause", "Lehmann",  "Özdemir", "Weiß",       "Jäger",
    "Groß",   "Yılmaz",   "Dąbrowski", "Ahrens", "Peters", "Jansen",   "Otto",    "Vogel",      "Frank"};
const std::vector<std::string> kGivenNames = {"Erika", "Jan", "Lena", "Ayşe", "Max", "Sophie", "Paul", "Marie"};
const std::vector<std::string> kBenefits = {"buergergeld", "sozialhilfe",    "grundsicherung",
                                            "wohngeld",    "kinderzuschlag", "asylblg"};

struct Args {
  std::string data_dir;
  std::string database_url;
  int64_t count = 100'000;
  int64_t batch = 5'000;
  int rows_per_insert = 200;
  int volunteer_percent = 30;
};

[[noreturn]] void Usage(const std::string& error) {
  std::cerr << "passwerk_seed_applications: " << error << "\n"
            << "usage: passwerk_seed_applications --data DIR [--count 100000] [--database-url URL]\n"
               "                                  [--batch 5000] [--rows-per-insert 200] [--volunteer-percent 30]\n";
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
      else if (flag == "--count")
        a.count = std::stoll(value);
      else if (flag == "--batch")
        a.batch = std::stoll(value);
      else if (flag == "--rows-per-insert")
        a.rows_per_insert = std::stoi(value);
      else if (flag == "--volunteer-percent")
        a.volunteer_percent = std::stoi(value);
      else
        Usage("unknown flag " + flag);
    } catch (const std::exception&) {
      Usage("bad value for " + flag);
    }
  }
  if (a.data_dir.empty()) Usage("--data is required");
  if (a.count < 1 || a.count > 10'000'000) Usage("--count must be 1 … 10000000");
  // 200 rows × 24 columns stay below SQLite's 32766 and PostgreSQL's 65535 parameters.
  if (a.batch < 1 || a.rows_per_insert < 1 || a.rows_per_insert > 1000) Usage("bad --batch or --rows-per-insert");
  if (a.volunteer_percent < 0 || a.volunteer_percent > 100) Usage("--volunteer-percent must be 0 … 100");
  return a;
}

std::string InsertSql(int rows) {
  std::string sql =
      "INSERT INTO applications.applications (public_id, reference, account_id, scheme_id, form_version, "
      "municipality_id, department_id, renews_id, status, queue_rank, answers_enc, applicant_enc, reason_enc, "
      "events_enc, thread_id, first_approver_id, card_ids, valid_until, reminded_at, created_at, updated_at, "
      "submitted_at, decided_at, documents_deleted_at) VALUES ";
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

struct Target {
  std::string slug;
  std::string prefix;  // the form's reference_prefix
  int64_t scheme_id = 0;
  int64_t municipality_id = 0;
  int64_t department_id = 0;
  int form_version = 0;
  bool volunteer = false;
  // Status per 1000 rows: cumulative thresholds.
  std::vector<std::pair<int, std::string>> mix;
};

const std::string& StatusFor(const Target& t, int roll) {
  static const std::string kApproved = "approved";
  for (const auto& [upto, status] : t.mix) {
    if (roll < upto) return status;
  }
  return kApproved;
}

bool Undecided(const std::string& status) {
  return status != "approved" && status != "rejected" && status != "withdrawn";
}

// One application's scheme, status and dates, drawn before the rows are written.
struct Planned {
  const Target* target = nullptr;
  const std::string* status = nullptr;
  int64_t created_at = 0;
  int64_t submitted_at = 0;
  int64_t decided_at = 0;  // 0: undecided
};

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int Fail(const std::string& what, const Status& status) {
  std::cerr << "passwerk_seed_applications: " << what << ": " << status.ToString() << "\n";
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
  const bool postgres = !config->database_url.empty();
  auto opened = cli::OpenServices(*config);
  if (!opened.ok()) return Fail("opening the database", opened.status());
  cli::Services& s = **opened;
  // The citizen side's handle holds segment applications (and core, for the schemes).
  storage::Database& db = *s.portal_db;
  const crypto::SecretBox& box = *s.secrets;

  Target social{
      .slug = std::string(kSocialSlug),
      .prefix = "SP",
      .mix = {{50, "submitted"}, {80, "in_review"}, {90, "needs_information"}, {120, "withdrawn"}, {350, "rejected"}}};
  Target volunteer{.slug = std::string(kVolunteerSlug),
                   .prefix = "EA",
                   .volunteer = true,
                   .mix = {{50, "submitted"},
                           {65, "awaiting_confirmation"},
                           {90, "in_review"},
                           {100, "needs_information"},
                           {110, "pending_second_approval"},
                           {140, "withdrawn"},
                           {340, "rejected"}}};
  int64_t account = 0;
  int64_t already = 0;
  for (Target* t : {&social, &volunteer}) {
    auto scheme = s.cards->FindScheme(t->slug);
    if (!scheme.ok()) return Fail("scheme " + t->slug + " (run `passwerk demo` first)", scheme.status());
    t->scheme_id = scheme->id;
    t->municipality_id = scheme->municipality_id;
    t->department_id = scheme->department_id;
  }
  {
    Status st = db.Read([&](storage::Tx& tx) -> Status {
      for (Target* t : {&social, &volunteer}) {
        PW_ASSIGN_OR_RETURN(storage::Row v, tx.QueryOne("SELECT COALESCE(MAX(version), 0) FROM applications.forms "
                                                        "WHERE scheme_id = $1",
                                                        {t->scheme_id}));
        t->form_version = static_cast<int>(v.Int(0));
        if (t->form_version == 0) return NotFound("no application form for " + t->slug + " (run `passwerk demo`)");
      }
      PW_ASSIGN_OR_RETURN(storage::Rows accounts, tx.Query("SELECT id FROM portal.accounts ORDER BY id LIMIT 1"));
      if (!accounts.empty()) account = accounts[0].Int(0);
      PW_ASSIGN_OR_RETURN(storage::Row n,
                          tx.QueryOne("SELECT COUNT(*) FROM applications.applications WHERE status <> 'draft'"));
      already = n.Int(0);
      return Status::Ok();
    });
    if (!st.ok()) return Fail("reading the demo data", st);
  }

  std::mt19937_64 rng(20261207);
  const int64_t now = s.clock.NowUnix();
  int64_t n_social = 0, n_volunteer = 0, submitted_social = 0;
  const bool skip = already >= args.count;
  if (skip) {
    std::cerr << "passwerk_seed_applications: " << already << " applications already present, inserts skipped\n";
  } else {
    // Reference numbers per (prefix, year), continuing after those already issued.
    std::map<std::pair<std::string, int64_t>, int64_t> last_number;
    Status st = db.Read([&](storage::Tx& tx) -> Status {
      PW_ASSIGN_OR_RETURN(storage::Rows rows,
                          tx.Query("SELECT prefix, year, last_number FROM applications.references_issued"));
      for (const auto& r : rows) last_number[{r.Text(0), r.Int(1)}] = r.Int(2);
      return Status::Ok();
    });
    if (!st.ok()) return Fail("reading applications.references_issued", st);

    // Scheme, status and dates of every row first, then the rows in the order of creation.
    std::uniform_int_distribution<int> percent(0, 99), permille(0, 999);
    std::uniform_int_distribution<int64_t> recent(0, 42 * kDay), two_years(0, 730 * kDay),
        decision_delay(3600, 21 * kDay), editing(120, 3 * kDay);
    std::vector<Planned> plan(static_cast<size_t>(args.count));
    for (Planned& p : plan) {
      p.target = percent(rng) < args.volunteer_percent ? &volunteer : &social;
      p.status = &StatusFor(*p.target, permille(rng));
      const bool open = Undecided(*p.status);
      p.submitted_at = now - (open ? recent(rng) : two_years(rng));
      p.created_at = p.submitted_at - editing(rng);
      if (!open) p.decided_at = std::min(now, p.submitted_at + decision_delay(rng));
      (p.target->volunteer ? n_volunteer : n_social)++;
      if (!p.target->volunteer && *p.status == "submitted") ++submitted_social;
    }
    std::stable_sort(plan.begin(), plan.end(),
                     [](const Planned& a, const Planned& b) { return a.created_at < b.created_at; });

    const std::string full_sql = InsertSql(args.rows_per_insert);
    storage::Params params;
    params.reserve(static_cast<size_t>(args.rows_per_insert) * kColumns);
    for (int64_t start = 0; start < args.count; start += args.batch) {
      const int64_t end = std::min(args.count, start + args.batch);
      const auto numbers_before = last_number;
      std::mt19937_64 rng_before = rng;
      st = db.Write([&](storage::Tx& tx) -> Status {
        // A retried transaction starts again from the same state.
        last_number = numbers_before;
        rng = rng_before;
        for (int64_t chunk = start; chunk < end; chunk += args.rows_per_insert) {
          const int64_t chunk_end = std::min(end, chunk + args.rows_per_insert);
          params.clear();
          for (int64_t i = chunk; i < chunk_end; ++i) {
            const Planned& p = plan[static_cast<size_t>(i)];
            const Target& t = *p.target;
            const std::string& status = *p.status;
            const int64_t submitted_at = p.submitted_at;
            const int64_t created_at = p.created_at;
            std::optional<int64_t> decided_at;
            if (p.decided_at != 0) decided_at = p.decided_at;
            const int64_t updated_at =
                decided_at.value_or(status == "submitted" ? submitted_at : std::min(now, submitted_at + kDay));
            const std::string public_id = crypto::RandomToken(12);
            const int64_t year = BerlinDate(submitted_at).year;
            const int64_t number = ++last_number[{t.prefix, year}];
            std::string digits = std::to_string(number);
            if (digits.size() < 6) digits.insert(0, 6 - digits.size(), '0');
            const std::string reference = t.prefix + "-" + std::to_string(year) + "-" + digits;

            const std::string& family = kFamilyNames[rng() % kFamilyNames.size()];
            const std::string& given = kGivenNames[rng() % kGivenNames.size()];
            const Date birth{static_cast<int>(1940 + rng() % 65), static_cast<int>(1 + rng() % 12),
                             static_cast<int>(1 + rng() % 28)};
            nlohmann::json answers = {{"given_name", given},
                                      {"family_name", family},
                                      {"birth_date", FormatIsoDate(birth)},
                                      {"street", "Strandstraße " + std::to_string(1 + rng() % 120)},
                                      {"postal_code", "23746"},
                                      {"city", "Kellenhusen"}};
            if (t.volunteer) {
              answers["basis"] = "volunteering";
              answers["activity"] = "Übungsleitung im Sportverein";
              answers["since"] = "2019-09-01";
              answers["hours_per_week"] = 5 + static_cast<int>(rng() % 10);
              answers["unpaid"] = true;
              answers["organisation_name"] = "TSV Kellenhusen e. V.";
              answers["organisation_contact"] = "Jörg Vorstand";
              answers["organisation_email"] = "vorstand@tsv-kellenhusen.example";
            } else {
              answers["benefit"] = kBenefits[rng() % kBenefits.size()];
              answers["notice_authority"] = "Jobcenter Ostholstein";
              answers["notice_valid_until"] = std::to_string(BerlinDate(submitted_at).year + 1) + "-06-30";
              answers["household_members"] = nlohmann::json::array();
            }
            nlohmann::json events = nlohmann::json::array();
            events.push_back({{"at", created_at}, {"kind", "created"}});
            events.push_back({{"at", submitted_at}, {"kind", "submitted"}});
            if (status != "submitted" && status != "awaiting_confirmation" && status != "withdrawn") {
              if (t.volunteer) events.push_back({{"at", submitted_at + 3600}, {"kind", "confirmed"}});
              events.push_back({{"at", std::min(now, submitted_at + 7200)}, {"kind", "review_started"}});
            }
            std::string reason;
            if (status == "needs_information") {
              events.push_back({{"at", updated_at}, {"kind", "information_requested"}});
              reason = "Bitte reichen Sie den vollständigen Bescheid ein.";
            } else if (status == "pending_second_approval") {
              events.push_back({{"at", updated_at}, {"kind", "first_approval"}});
            } else if (status == "approved" || status == "rejected" || status == "withdrawn") {
              events.push_back({{"at", *decided_at}, {"kind", status}});
              if (status == "rejected") reason = "Der Bescheid ist abgelaufen.";
            }
            std::optional<std::string> valid_until;
            if (status == "approved") {
              const int year_end = BerlinDate(*decided_at).year + (t.volunteer ? 2 : 0);
              valid_until = FormatIsoDate(Date{year_end, 12, 31});
            }

            params.emplace_back(public_id);
            params.emplace_back(reference);
            params.emplace_back(account);
            params.emplace_back(t.scheme_id);
            params.emplace_back(int64_t{t.form_version});
            params.emplace_back(t.municipality_id);
            params.emplace_back(t.department_id);
            params.emplace_back(storage::Value());  // renews_id
            params.emplace_back(status);
            params.emplace_back(int64_t{status == "submitted" ? 0 : 1});
            params.emplace_back(storage::Blob{box.Encrypt(answers.dump(), "applications.answers:" + public_id)});
            params.emplace_back(
                storage::Blob{box.Encrypt(given + " " + family, "applications.applicant:" + public_id)});
            params.emplace_back(reason.empty() ? storage::Value()
                                               : storage::Value(storage::Blob{
                                                     box.Encrypt(reason, "applications.reason:" + public_id)}));
            params.emplace_back(storage::Blob{box.Encrypt(events.dump(), "applications.events:" + public_id)});
            params.emplace_back(storage::Value());  // thread_id
            params.emplace_back(storage::Value());  // first_approver_id
            params.emplace_back(storage::Value());  // card_ids
            params.emplace_back(valid_until ? storage::Value(*valid_until) : storage::Value());
            params.emplace_back(storage::Value());  // reminded_at
            params.emplace_back(created_at);
            params.emplace_back(updated_at);
            params.emplace_back(submitted_at);
            params.emplace_back(decided_at ? storage::Value(*decided_at) : storage::Value());
            params.emplace_back(storage::Value());  // documents_deleted_at
          }
          const int rows = static_cast<int>(chunk_end - chunk);
          PW_RETURN_IF_ERROR(tx.Exec(rows == args.rows_per_insert ? full_sql : InsertSql(rows), params).status());
        }
        // Later submissions continue after the seeded reference numbers.
        for (const auto& [key, last] : last_number) {
          PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO applications.references_issued (prefix, year, last_number) "
                                     "VALUES ($1, $2, $3) ON CONFLICT (prefix, year) DO UPDATE SET last_number = "
                                     "excluded.last_number",
                                     {key.first, key.second, last})
                                 .status());
        }
        return Status::Ok();
      });
      if (!st.ok()) return Fail("inserting applications " + std::to_string(start) + "…" + std::to_string(end), st);
      if ((end / args.batch) % 4 == 0 || end == args.count) {
        std::cerr << "passwerk_seed_applications: " << end << "/" << args.count << " applications, "
                  << SecondsSince(t_start) << " s\n";
      }
    }
    if (postgres) {
      // A table that grew to this size over two years has statistics (autovacuum's
      // ANALYZE); without them the planner would hash-join all submitted applications
      // for the first minute of the run. SQLite: none, the server never runs ANALYZE.
      Status analyzed =
          db.Write([](storage::Tx& tx) -> Status { return tx.Exec("ANALYZE applications.applications").status(); });
      if (!analyzed.ok()) return Fail("ANALYZE applications.applications", analyzed);
    }
  }
  const double insert_s = SecondsSince(t_start);
  std::printf(
      "seed applications: engine=%s count=%lld social=%lld volunteer=%lld submitted_social=%lld account_id=%lld "
      "inserted=%s insert_s=%.1f total_s=%.1f\n",
      postgres ? "postgres" : "sqlite", static_cast<long long>(args.count), static_cast<long long>(n_social),
      static_cast<long long>(n_volunteer), static_cast<long long>(submitted_social), static_cast<long long>(account),
      skip ? "no" : "yes", insert_s, SecondsSince(t_start));
  return 0;
}
