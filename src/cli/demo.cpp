// `passwerk demo`: a ready-to-try dataset with known logins. Idempotent: a
// second run finds what the first created and prints the same description.
// The demo passwords and TOTP secrets are public; never use them in production.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "cards/card_number.h"
#include "core/pdf.h"
#include "cli/commands.h"
#include "guestcards/tariff.h"
#include "terminals/terminal_key.h"
#include "web/assets.h"

namespace passwerk::cli {
namespace {

struct DemoUser {
  const char* username;
  const char* display_name;
  accounts::Role role;
  bool scoped;
  const char* password;
  const char* totp_secret;  // nullptr: enrols at first login
  // The one department of an office's own clerk; nullptr: administrators and
  // the older demo clerks belong to every department (landlords to none).
  const char* department = nullptr;
};

constexpr DemoUser kDemoUsers[] = {
    {"operator", "Olaf Betrieb", accounts::Role::kOperator, false, "Demo-Operator-2026", "JBSWY3DPEHPK3PXPJBSWY3DP"},
    {"admin", "Anna Verwaltung", accounts::Role::kMunicipalityAdmin, true, "Demo-Admin-2026",
     "KRSXG5CTMVRXEZLUKRSXG5CT"},
    {"clerk", "Klaus Sachbearbeitung", accounts::Role::kClerk, true, "Demo-Clerk-2026", "MFRGGZDFMZTWQ2LKMFRGGZDF"},
    {"auditor", "Petra Prüfung", accounts::Role::kAuditor, false, "Demo-Auditor-2026", "GEZDGNBVGY3TQOJQGEZDGNBV"},
    {"newclerk", "Nina Neu", accounts::Role::kClerk, true, "Demo-Newclerk-2026", nullptr},
    {"landlord", "Hanna Hafen (Pension Seeblick)", accounts::Role::kLandlord, true, "Demo-Landlord-2026",
     "ONSWG4TFOQYTEMZUONSWG4TF"},
    {"sozialamt", "Sofia Sozial", accounts::Role::kClerk, true, "Demo-Sozialamt-2026", "ONXXU2LBNRQW25BNMRSW23ZB",
     "Sozialamt"},
    {"ehrenamt", "Emil Ehrenamt", accounts::Role::kClerk, true, "Demo-Ehrenamt-2026", "MVUHEZLOMFWXILLEMVWW6LJR",
     "Ehrenamtsbüro"},
};

constexpr const char* kMunicipalityNumber = "01055021";
constexpr const char* kMunicipalityName = "Kellenhusen (Ostsee)";
constexpr const char* kDepartmentName = "Tourist-Information";
// The two offices that show the separation: each owns a scheme and has a clerk of its own.
constexpr const char* kSocialOffice = "Sozialamt";
constexpr const char* kVolunteerOffice = "Ehrenamtsbüro";
constexpr const char* kVolunteerSchemeSlug = "ehrenamt-kellenhusen";
constexpr const char* kSchemeSlug = "sozialpass-kellenhusen";
constexpr const char* kPartnerName = "Volkshochschule Ostholstein";
constexpr const char* kPartnerOrigin = "http://localhost:8081";
// Public demo keys, like the demo passwords: never in production.
constexpr const char* kDemoServerKey = "pwps_demo0001_servrkeyfordemoonlyservrkeyfordemo";
constexpr const char* kDemoPublishableKey = "pwpk_demo0002_publishablekeyfordemoonlypublishable";
constexpr const char* kGuestSchemeSlug = "gastkarte-kellenhusen";
constexpr const char* kAccommodationName = "Pension Seeblick";
constexpr const char* kTariffAsset = "/static/tariffs/kellenhusen-2022.json";

struct DemoCard {
  uint32_t serial;
  const char* family_name;
  const char* given_name;
  const char* birth_date;
  const char* name_part;  // what a partner form sends
  const char* expect;     // "valid", "expired", "blocked"
};

constexpr DemoCard kVolunteerCards[] = {
    {2001, "Hansen", "Birte", "1970-05-20", "Han", "valid"},
    {2002, "Yılmaz", "Deniz", "1994-09-09", "Yil", "valid"},
};

// The demo citizen's own social pass, linked to the account the test sign-in
// reaches with this name.
constexpr DemoCard kCitizenCard = {1005, "Mustermann", "Erika", "1964-08-12", "Mus", "valid"};
constexpr const char* kCitizenName = "Erika Mustermann";

constexpr DemoCard kDemoCards[] = {
    {1001, "Müller", "Erika", "1961-08-12", "Mül", "valid"},
    {1002, "Özdemir", "Ayşe", "1988-02-29", "Oez", "valid"},
    {1003, "Schröder", "Jan", "1975-11-03", "Sch", "expired"},
    {1004, "Weiß", "Lena", "1999-04-17", "wei", "blocked"},
};

struct DemoService {
  const char* number;
  const char* vu_number;
  const char* name;
  int64_t points;
};
struct DemoProvider {
  const char* vu_number;
  const char* name;
  const char* tid;
  const char* kind;
};
constexpr DemoProvider kDemoProviders[] = {
    {"100200", "Meerwasser-Hallenbad Kellenhusen", "T-BAD-01", "stationary"},
    {"100300", "Ostsee-Bus GmbH", "T-BUS-01", "mobile"},
};
constexpr DemoService kDemoServices[] = {
    {"201", "100200", "Hallenbad, Eintritt", 2},
    {"202", "100200", "Sauna", 3},
    {"301", "100300", "Bus Kellenhusen–Grömitz", 1},
};

// Writes a terminal key file readable only by its owner, atomically.
Status WriteKeyFile(const std::filesystem::path& path, const std::string& content) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return Unavailable("cannot create " + path.parent_path().string(), ec.message());
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Unavailable("cannot write " + tmp.string());
    out << content;
    if (!out.flush()) return Unavailable("cannot write " + tmp.string());
  }
  ::chmod(tmp.c_str(), 0600);
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Unavailable("cannot write " + path.string(), ec.message());
  return Status::Ok();
}

// Providers, services, packages and one terminal per provider, with key files
// under <data_dir>/terminals/ (a real terminal keeps its key itself).
// 2026-01-01 00:00 Europe/Berlin: when the demo catalogue's packages go on sale.
constexpr int64_t kDemoSeasonStart = 1767222000;

Result<nlohmann::json> CreateDemoTerminals(Services& s, const accounts::Actor& actor, int64_t municipality_id) {
  auto& catalogue = *s.catalogue;
  PW_ASSIGN_OR_RETURN(auto providers, catalogue.ListProviders(actor));
  for (const DemoProvider& p : kDemoProviders) {
    bool exists =
        std::any_of(providers.begin(), providers.end(), [&](const auto& x) { return x.vu_number == p.vu_number; });
    if (!exists) PW_RETURN_IF_ERROR(catalogue.CreateProvider(actor, municipality_id, p.vu_number, p.name).status());
  }
  PW_ASSIGN_OR_RETURN(terminals::CatalogueSnapshot snapshot, catalogue.Load(municipality_id));
  for (const DemoService& d : kDemoServices) {
    if (snapshot.services.count(d.number)) continue;
    PW_RETURN_IF_ERROR(
        catalogue.CreateService(actor, municipality_id, {d.number, d.vu_number, d.name, d.points}).status());
  }
  std::vector<terminals::NewPackage> packages = {
      {"9000", "base", "Basispaket Tourismusbeitrag", 0, "2026-01-01", "2027-12-31", 0, 0, 0, 0, {"301"}, {}},
      {"9001",
       "days_of",
       "3 aus 7: Bad, Sauna und Bus",
       2900,
       "2026-01-01",
       "2027-12-31",
       30,
       3,
       7,
       0,
       {"201", "202", "301"},
       {}},
      {"9002", "single", "Saunaticket", 1200, "2026-01-01", "2027-12-31", 14, 0, 0, 0, {"202"}, {}},
      {"9003",
       "points",
       "Punktekarte 10",
       2500,
       "2026-01-01",
       "2027-12-31",
       60,
       0,
       0,
       10,
       {"201", "202", "301"},
       {{"100200", 700}, {"100300", 300}}},
  };
  nlohmann::json package_list = nlohmann::json::array();
  for (const auto& p : packages) {
    if (!snapshot.packages.count(p.package_number)) {
      PW_RETURN_IF_ERROR(catalogue.CreatePackage(actor, municipality_id, p).status());
    }
    package_list.push_back(
        {{"id", p.package_number}, {"name", p.name}, {"kind", p.kind}, {"price_cents", p.price_cents}});
  }
  nlohmann::json terminal_list = nlohmann::json::array();
  std::filesystem::path dir = std::filesystem::absolute(std::filesystem::path(s.config.data_dir) / "terminals");
  for (const DemoProvider& p : kDemoProviders) {
    std::filesystem::path key_path = dir / (std::string(p.tid) + ".key");
    std::optional<std::string> public_key;
    if (std::ifstream in(key_path, std::ios::binary); in) {
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      auto file = terminals::ParseKeyFile(text);
      if (file.ok() && file->tid == p.tid) {
        auto derived = terminals::PublicKeyOf(file->private_key);
        if (derived.ok()) public_key = *derived;
      }
    }
    bool fresh_key = !public_key || public_key->empty();
    if (fresh_key) {
      terminals::TerminalKeyPair pair = terminals::GenerateTerminalKey();
      PW_RETURN_IF_ERROR(WriteKeyFile(key_path, terminals::FormatKeyFile(p.tid, pair.private_key)));
      public_key = pair.public_key;
    }
    auto existing = s.terminals->Find(p.tid);
    if (existing.ok()) {
      if (existing->public_key != *public_key) PW_RETURN_IF_ERROR(s.terminals->ReplaceKey(actor, p.tid, *public_key));
    } else if (existing.status().code() == ErrorCode::kNotFound) {
      PW_ASSIGN_OR_RETURN(
          terminals::Terminal registered,
          s.terminals->RegisterTerminal(actor, {p.tid, p.vu_number, p.kind, p.name, *public_key, {"1", "2"}}));
      // In service since the demo catalogue's season began, so that the demo's
      // past months (July 2026 in the settlement examples) lie within the
      // terminals' registration: transactions before it are refused.
      PW_RETURN_IF_ERROR(s.guest_db->Write([&](storage::Tx& tx) {
        return tx
            .Exec("UPDATE core.terminals SET created_at = $1 WHERE id = $2 AND created_at > $1",
                  {kDemoSeasonStart, registered.id})
            .status();
      }));
    } else {
      return existing.status();
    }
    nlohmann::json services = nlohmann::json::array();
    for (const DemoService& d : kDemoServices) {
      if (std::string(d.vu_number) == p.vu_number) services.push_back(d.number);
    }
    terminal_list.push_back({{"tid", p.tid},
                             {"key_file", key_path.string()},
                             {"provider", p.vu_number},
                             {"provider_name", p.name},
                             {"services", services}});
  }
  return nlohmann::json{{"terminals", terminal_list}, {"packages", package_list}};
}

// The demo card's number in `scheme`, issued (and blocked or back-dated as
// `demo.expect` says) unless it exists already: the demo is re-run.
Result<std::string> EnsureDemoCard(Services& s, const accounts::Actor& actor, const cards::Scheme& scheme,
                                   const DemoCard& demo, const char* street, const char* discount_class) {
  std::string number = cards::MakeCardNumber(scheme.scheme_code, demo.serial);
  auto existing = s.cards->GetCard(actor, number);
  if (existing.ok()) return number;
  if (existing.status().code() != ErrorCode::kNotFound) return existing.status();
  cards::NewCard input;
  input.scheme_id = scheme.id;
  input.card_number = number;
  input.holder = {demo.family_name, demo.given_name, demo.birth_date, street, "23746", "Kellenhusen"};
  if (discount_class != nullptr) input.discount_class = discount_class;
  const std::string expect = demo.expect;
  if (expect == "expired") input.valid_from = Date{BerlinDate(s.clock.NowUnix()).year - 1, 1, 1};
  PW_ASSIGN_OR_RETURN(auto card, s.cards->IssueCard(actor, input));
  if (expect == "blocked") PW_RETURN_IF_ERROR(s.cards->Block(actor, card.card_number, "reported lost"));
  return number;
}

}  // namespace

namespace {

// The demo citizen's question to the social office and its answer, once:
// a later run finds the thread by its subject.
constexpr const char* kDemoThreadSubject = "Frage zur Verlängerung meines Sozialpasses";

Result<std::string> EnsureDemoThread(Services& s, int64_t account, const std::string& account_id,
                                     int64_t social_office) {
  portal::CitizenSession citizen;
  citizen.account = account;
  citizen.account_id = account_id;
  citizen.assurance = accounts::Assurance::kSubstantial;
  PW_ASSIGN_OR_RETURN(auto threads, s.mailbox->CitizenThreads(citizen));
  for (const auto& thread : threads) {
    if (thread.subject == kDemoThreadSubject) return thread.id;
  }
  PW_ASSIGN_OR_RETURN(
      portal::ThreadSummary thread,
      s.mailbox->StartQuestion(citizen, social_office, kDemoThreadSubject,
                               "Guten Tag,\nmein Sozialpass läuft Ende des Monats ab. Muss ich einen neuen Antrag "
                               "stellen, oder wird er verlängert?\nMit freundlichen Grüßen\nErika Mustermann",
                               {}));
  PW_ASSIGN_OR_RETURN(accounts::User clerk, s.accounts->FindUser("sozialamt"));
  accounts::Actor staff;
  staff.id = "user:" + std::to_string(clerk.id);
  staff.user = clerk;
  staff.request_id = "demo";
  PW_RETURN_IF_ERROR(s.mailbox
                         ->StaffPost(staff, thread.id,
                                     "Guten Tag Frau Mustermann,\nbitte stellen Sie rechtzeitig einen Folgeantrag "
                                     "im Portal. Ihren aktuellen Bescheid laden Sie dabei einfach hoch.\nFreundliche "
                                     "Grüße\nIhr Sozialamt",
                                     {})
                         .status());
  return thread.id;
}

// The demo's application forms and, for each, one application of the demo
// citizen in every status the form can reach (the social pass has no
// organisation step and no second approval).
constexpr const char* kFormAssets[] = {"/static/forms/sozialpass-kellenhusen.json",
                                       "/static/forms/ehrenamt-kellenhusen.json"};

using applications::ApplicationStatus;

nlohmann::json DemoAnswers(bool volunteer) {
  nlohmann::json answers = {{"given_name", "Erika"},   {"family_name", "Mustermann"}, {"birth_date", "1964-08-12"},
                            {"street", "Strandstraße 5"}, {"postal_code", "23746"},    {"city", "Kellenhusen"}};
  if (!volunteer) {
    answers["benefit"] = "wohngeld";
    answers["notice_authority"] = "Wohngeldstelle Amt Grube";
    answers["notice_valid_until"] = std::to_string(BerlinDate(std::time(nullptr)).year + 1) + "-06-30";
    answers["household_members"] = nlohmann::json::array(
        {{{"given_name", "Max"}, {"family_name", "Mustermann"}, {"birth_date", "2012-03-04"}}});
  } else {
    answers["basis"] = "volunteering";
    answers["activity"] = "Übungsleiterin im Kinderturnen des TSV Kellenhusen";
    answers["since"] = "2019-09-01";
    answers["hours_per_week"] = 6;
    answers["unpaid"] = true;
    answers["organisation_name"] = "TSV Kellenhusen e. V.";
    answers["organisation_contact"] = "Jörg Vorstand";
    answers["organisation_email"] = "vorstand@tsv-kellenhusen.example";
  }
  return answers;
}

Result<std::string> DemoNotice() {
  return pdf::Render(210, 297, "Bescheid", "the demo notice", [](cairo_t* cr) -> Status {
    pdf::UseUnhintedFonts(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 5);
    cairo_move_to(cr, 20, 30);
    cairo_show_text(cr, "Wohngeldbescheid (Demo) – Erika Mustermann");
    cairo_show_page(cr);
    return Status::Ok();
  });
}

Result<nlohmann::json> EnsureDemoApplications(Services& s, const accounts::Actor& actor, int64_t municipality,
                                              int64_t account, const std::string& account_id) {
  for (const char* path : kFormAssets) {
    const web::Asset* asset = web::FindAsset(path);
    if (asset == nullptr) return Internal(std::string("the demo form is not embedded: ") + path);
    PW_RETURN_IF_ERROR(s.applications->LoadForm(actor, municipality, asset->data).status());
  }
  portal::CitizenSession citizen;
  citizen.account = account;
  citizen.account_id = account_id;
  citizen.assurance = accounts::Assurance::kSubstantial;
  auto staff = [&](const char* username) -> Result<accounts::Actor> {
    PW_ASSIGN_OR_RETURN(accounts::User user, s.accounts->FindUser(username));
    accounts::Actor a;
    a.id = "user:" + std::to_string(user.id);
    a.user = user;
    a.request_id = "demo";
    return a;
  };
  PW_ASSIGN_OR_RETURN(auto existing, s.applications->CitizenApplications(citizen));
  PW_ASSIGN_OR_RETURN(std::string notice, DemoNotice());
  nlohmann::json items = nlohmann::json::array();
  std::string organisation_url;
  struct Plan {
    const char* scheme;
    const char* clerk;
    bool volunteer;
    std::vector<ApplicationStatus> statuses;
  };
  const Plan plans[] = {
      {kSchemeSlug, "sozialamt", false,
       {ApplicationStatus::kDraft, ApplicationStatus::kSubmitted, ApplicationStatus::kInReview,
        ApplicationStatus::kNeedsInformation, ApplicationStatus::kApproved, ApplicationStatus::kRejected,
        ApplicationStatus::kWithdrawn}},
      {kVolunteerSchemeSlug, "ehrenamt", true,
       {ApplicationStatus::kDraft, ApplicationStatus::kSubmitted, ApplicationStatus::kAwaitingConfirmation,
        ApplicationStatus::kInReview, ApplicationStatus::kNeedsInformation, ApplicationStatus::kPendingSecondApproval,
        ApplicationStatus::kApproved, ApplicationStatus::kRejected, ApplicationStatus::kWithdrawn}},
  };
  for (const Plan& plan : plans) {
    PW_ASSIGN_OR_RETURN(accounts::Actor clerk, staff(plan.clerk));
    PW_ASSIGN_OR_RETURN(accounts::Actor second, staff("admin"));
    for (ApplicationStatus status : plan.statuses) {
      std::optional<applications::Application> found;
      for (const auto& a : existing) {
        if (a.scheme == plan.scheme && a.status == status && !a.renewal) found = a;
      }
      if (!found) {
        PW_ASSIGN_OR_RETURN(auto draft, s.applications->CreateDraft(citizen, plan.scheme));
        nlohmann::json answers = DemoAnswers(plan.volunteer);
        if (!plan.volunteer && status == ApplicationStatus::kApproved) {
          // Its notice ends in three weeks: the card is due for renewal, the portal shows the banner.
          answers["notice_valid_until"] = FormatIsoDate(AddDays(BerlinDate(std::time(nullptr)), 21));
        }
        PW_RETURN_IF_ERROR(s.applications->UpdateAnswers(citizen, draft.id, answers).status());
        if (!plan.volunteer) {
          PW_RETURN_IF_ERROR(
              s.applications->AddDocument(citizen, draft.id, "notice", {"Wohngeldbescheid.pdf", notice}).status());
        }
        const std::string id = draft.id;
        auto decide = [&](const accounts::Actor& who, applications::Decision d, const char* reason) {
          return s.applications->Decide(who, id, d, reason).status();
        };
        if (status != ApplicationStatus::kDraft) {
          std::string link;
          PW_RETURN_IF_ERROR(s.applications->Submit(citizen, id, nullptr, nullptr, &link).status());
          const bool waits = status == ApplicationStatus::kAwaitingConfirmation;
          if (plan.volunteer && !waits) {
            const std::string token = link.substr(link.find("token=") + 6);
            PW_RETURN_IF_ERROR(s.applications->AnswerConfirmation(token, true, "", "demo"));
          }
          const bool reviewed = status != ApplicationStatus::kSubmitted && !waits &&
                                status != ApplicationStatus::kWithdrawn;
          if (reviewed) PW_RETURN_IF_ERROR(s.applications->StaffApplication(clerk, id).status());
          if (status == ApplicationStatus::kNeedsInformation) {
            PW_RETURN_IF_ERROR(decide(clerk, applications::Decision::kRequestInformation,
                                      "Bitte laden Sie noch eine Bescheinigung über die geleisteten Stunden hoch."));
          } else if (status == ApplicationStatus::kPendingSecondApproval) {
            PW_RETURN_IF_ERROR(decide(clerk, applications::Decision::kApprove, ""));
          } else if (status == ApplicationStatus::kApproved) {
            PW_RETURN_IF_ERROR(decide(clerk, applications::Decision::kApprove, ""));
            if (plan.volunteer) PW_RETURN_IF_ERROR(decide(second, applications::Decision::kApprove, ""));
          } else if (status == ApplicationStatus::kRejected) {
            PW_RETURN_IF_ERROR(decide(clerk, applications::Decision::kReject,
                                      "Der Bescheid ist abgelaufen. Bitte reichen Sie einen gültigen Bescheid ein."));
          } else if (status == ApplicationStatus::kWithdrawn) {
            PW_RETURN_IF_ERROR(s.applications->Withdraw(citizen, id).status());
          }
        }
        PW_ASSIGN_OR_RETURN(found, s.applications->CitizenApplication(citizen, id));
      }
      if (status == ApplicationStatus::kAwaitingConfirmation) {
        // The link is stored only as a hash: a fresh one on every run.
        PW_ASSIGN_OR_RETURN(std::string path, s.applications->ReissueConfirmation(clerk, found->id));
        organisation_url = path;
      }
      items.push_back({{"id", found->id},
                       {"scheme", found->scheme},
                       {"department_id", found->department_id},
                       {"status", applications::StatusName(found->status)}});
    }
  }
  return nlohmann::json{{"items", items}, {"organisation_confirmation_url", organisation_url}};
}

}  // namespace

Result<nlohmann::json> CreateDemo(Services& s) {
  accounts::Actor actor = CliActor();
  actor.id = "cli:demo";
  std::optional<accounts::Municipality> municipality;
  PW_ASSIGN_OR_RETURN(auto municipalities, s.accounts->ListMunicipalities());
  for (const auto& m : municipalities) {
    if (m.municipality_number == kMunicipalityNumber) municipality = m;
  }
  if (!municipality) {
    PW_ASSIGN_OR_RETURN(municipality, s.accounts->CreateMunicipality(actor, kMunicipalityNumber, kMunicipalityName));
  }
  PW_ASSIGN_OR_RETURN(auto departments, s.accounts->ListDepartments(municipality->id));
  auto find_or_create_department = [&](const char* name) -> Result<accounts::Department> {
    for (const auto& d : departments) {
      if (d.name == name) return d;
    }
    return s.accounts->CreateDepartment(actor, municipality->id, name);
  };
  PW_ASSIGN_OR_RETURN(accounts::Department department, find_or_create_department(kDepartmentName));
  PW_ASSIGN_OR_RETURN(accounts::Department social_office, find_or_create_department(kSocialOffice));
  PW_ASSIGN_OR_RETURN(accounts::Department volunteer_office, find_or_create_department(kVolunteerOffice));
  const std::vector<int64_t> all_departments = {department.id, social_office.id, volunteer_office.id};
  nlohmann::json users = nlohmann::json::array();
  for (const DemoUser& demo : kDemoUsers) {
    auto existing = s.accounts->FindUser(demo.username);
    if (!existing.ok() && existing.status().code() != ErrorCode::kNotFound) return existing.status();
    if (!existing.ok()) {
      accounts::NewUser input;
      input.username = demo.username;
      input.display_name = demo.display_name;
      input.role = demo.role;
      if (demo.scoped) {
        input.municipality_id = municipality->id;
        if (demo.department != nullptr) {
          input.department_ids = {std::string(demo.department) == kSocialOffice ? social_office.id
                                                                                : volunteer_office.id};
        } else if (accounts::HasDepartments(demo.role)) {
          input.department_ids = all_departments;
        }
      }
      input.password = demo.password;
      input.totp_secret_base32 = demo.totp_secret == nullptr ? "" : demo.totp_secret;
      PW_ASSIGN_OR_RETURN(auto created, s.accounts->CreateUser(actor, input));
      (void)created;
    }
    users.push_back(
        {{"username", demo.username},
         {"display_name", demo.display_name},
         {"password", demo.password},
         {"role", accounts::RoleName(demo.role)},
         {"totp_secret", demo.totp_secret == nullptr ? nlohmann::json(nullptr) : nlohmann::json(demo.totp_secret)}});
  }
  // The social-pass scheme, a partner with keys, and sample cards for the partner check.
  std::optional<cards::Scheme> scheme;
  auto found_scheme = s.cards->FindScheme(kSchemeSlug);
  if (found_scheme.ok()) {
    scheme = *found_scheme;
  } else {
    cards::NewScheme input;
    input.slug = kSchemeSlug;
    input.municipality_id = municipality->id;
    input.department_id = social_office.id;
    input.kind = cards::SchemeKind::kSocialPass;
    input.name = "Sozialpass Kellenhusen";
    input.rule = cards::ValidityRule::kCalendarYear;
    input.discount_classes = {"50_percent", "free"};
    PW_ASSIGN_OR_RETURN(scheme, s.cards->CreateScheme(actor, input));
  }
  PW_ASSIGN_OR_RETURN(auto partners, s.partners->ListPartners());
  bool has_partner = false;
  for (const auto& p : partners) has_partner = has_partner || p.name == kPartnerName;
  if (!has_partner) {
    PW_ASSIGN_OR_RETURN(
        auto partner, s.partners->CreatePartner(actor, municipality->id, kPartnerName, {scheme->id}, {kPartnerOrigin}));
    PW_ASSIGN_OR_RETURN(auto server_key, s.partners->CreateKey(actor, partner.id, "server", kDemoServerKey));
    PW_ASSIGN_OR_RETURN(auto publishable_key,
                        s.partners->CreateKey(actor, partner.id, "publishable", kDemoPublishableKey));
    (void)server_key;
    (void)publishable_key;
  }
  nlohmann::json sample_cards = nlohmann::json::array();
  for (const DemoCard& demo : kDemoCards) {
    PW_ASSIGN_OR_RETURN(std::string number, EnsureDemoCard(s, actor, *scheme, demo, "Strandstraße 1", "50_percent"));
    nlohmann::json expect = {{"valid", std::string(demo.expect) == "valid"}};
    if (std::string(demo.expect) != "valid") expect["reason"] = demo.expect;
    sample_cards.push_back({{"card_number", number}, {"name", demo.name_part}, {"expect", expect}});
  }
  nlohmann::json sample_cards_numbers = nlohmann::json::array();
  for (const auto& card : sample_cards) sample_cards_numbers.push_back(card["card_number"]);
  // And one that does not exist: the answer is the same as for a wrong name.
  sample_cards.push_back({{"card_number", cards::MakeCardNumber(scheme->scheme_code, 99999)},
                          {"name", "Mül"},
                          {"expect", {{"valid", false}, {"reason", "no_match"}}}});

  // Guest cards: the guest-card scheme, the 2022 tariff, a landlord's accommodation and token.
  if (!s.cards->FindScheme(kGuestSchemeSlug).ok()) {
    cards::NewScheme input;
    input.slug = kGuestSchemeSlug;
    input.municipality_id = municipality->id;
    input.department_id = department.id;
    input.kind = cards::SchemeKind::kGuestCard;
    input.name = "Gästekarte Kellenhusen";
    input.rule = cards::ValidityRule::kCalendarYear;
    input.partner_checks = false;
    PW_ASSIGN_OR_RETURN(auto guest_scheme, s.cards->CreateScheme(actor, input));
    (void)guest_scheme;
  }
  // The volunteer office's own scheme, with two cards: the social office's clerk sees neither.
  std::optional<cards::Scheme> volunteer_scheme;
  if (auto found = s.cards->FindScheme(kVolunteerSchemeSlug); found.ok()) {
    volunteer_scheme = *found;
  } else {
    cards::NewScheme input;
    input.slug = kVolunteerSchemeSlug;
    input.municipality_id = municipality->id;
    input.department_id = volunteer_office.id;
    input.kind = cards::SchemeKind::kVolunteerCard;
    input.name = "Ehrenamtskarte Kellenhusen";
    input.rule = cards::ValidityRule::kYears;
    input.amount = 3;
    PW_ASSIGN_OR_RETURN(volunteer_scheme, s.cards->CreateScheme(actor, input));
  }
  nlohmann::json volunteer_cards = nlohmann::json::array();
  for (const DemoCard& demo : kVolunteerCards) {
    PW_ASSIGN_OR_RETURN(std::string number, EnsureDemoCard(s, actor, *volunteer_scheme, demo, "Deichweg 3", nullptr));
    volunteer_cards.push_back(number);
  }
  const web::Asset* tariff_file = web::FindAsset(kTariffAsset);
  if (tariff_file == nullptr) return Internal("the Kellenhusen tariff is not embedded");
  PW_ASSIGN_OR_RETURN(guestcards::Tariff tariff, guestcards::ParseTariffText(tariff_file->data));
  PW_RETURN_IF_ERROR(s.registrations->SetTariff(actor, municipality->id, tariff).status());
  PW_ASSIGN_OR_RETURN(accounts::User landlord, s.accounts->FindUser("landlord"));
  std::optional<guestcards::Accommodation> accommodation;
  PW_ASSIGN_OR_RETURN(auto accommodations, s.registrations->ListAccommodations(actor));
  for (const auto& a : accommodations) {
    if (a.name == kAccommodationName && a.landlord_user_id == landlord.id) accommodation = a;
  }
  if (!accommodation) {
    guestcards::NewAccommodation input;
    input.municipality_id = municipality->id;
    input.landlord_user_id = landlord.id;
    input.landlord_number = "4711";
    input.name = kAccommodationName;
    input.street = "Strandstraße 12";
    input.postal_code = "23746";
    input.city = "Kellenhusen";
    PW_ASSIGN_OR_RETURN(accommodation, s.registrations->CreateAccommodation(actor, input));
  }
  // A fresh token on every run: tokens are stored hashed, an old one cannot be shown again.
  PW_ASSIGN_OR_RETURN(auto landlord_token, s.accounts->CreateToken(actor, landlord.id, "demo landlord software",
                                                                   {"registrations:write"}, 365 * 24 * 3600));

  PW_ASSIGN_OR_RETURN(nlohmann::json terminal_demo, CreateDemoTerminals(s, actor, municipality->id));
  PW_ASSIGN_OR_RETURN(accounts::User admin, s.accounts->FindUser("admin"));
  PW_ASSIGN_OR_RETURN(auto admin_token, s.accounts->CreateToken(actor, admin.id, "demo terminal reports",
                                                                {"terminals:read"}, 365 * 24 * 3600));

  // The demo citizen: the test sign-in's account for kCitizenName, with a card.
  PW_ASSIGN_OR_RETURN(std::string citizen_card_number,
                      EnsureDemoCard(s, actor, *scheme, kCitizenCard, "Strandstraße 5", "50_percent"));
  PW_ASSIGN_OR_RETURN(cards::CardDetails citizen_card, s.cards->GetCard(actor, citizen_card_number));
  PW_ASSIGN_OR_RETURN(auto citizen, s.citizens->EnsureAccount(portal::SignInMethod::kTest,
                                                              portal::TestPseudonym(kCitizenName), actor.request_id));
  PW_RETURN_IF_ERROR(s.citizens->LinkCard(citizen.first, citizen_card.card.id, actor.request_id));
  PW_ASSIGN_OR_RETURN(std::string demo_thread, EnsureDemoThread(s, citizen.first, citizen.second, social_office.id));
  const std::string base_url = "http://" + s.config.listen;
  PW_ASSIGN_OR_RETURN(nlohmann::json demo_applications,
                      EnsureDemoApplications(s, actor, municipality->id, citizen.first, citizen.second));
  demo_applications["organisation_confirmation_url"] =
      base_url + demo_applications["organisation_confirmation_url"].get<std::string>();

  return nlohmann::json{
      {"portal",
       {{"url", base_url + "/portal"},
        {"test_login", true},
        {"sp_metadata", base_url + "/portal/saml/metadata"},
        {"citizen", {{"name", kCitizenName}, {"account_id", citizen.second}, {"card", citizen_card_number}}}}},
      {"mailbox", {{"department_id", social_office.id}, {"thread_id", demo_thread}}},
      {"applications", demo_applications},
      {"terminals", terminal_demo["terminals"]},
      {"packages", terminal_demo["packages"]},
      {"terminals_token", admin_token.secret},
      {"guest_cards",
       {{"municipality", municipality->municipality_number},
        {"landlord_token", landlord_token.secret},
        {"accommodation_id", accommodation->public_id},
        {"tariff", tariff.name}}},
      {"partner_check",
       {{"server_key", kDemoServerKey},
        {"publishable_key", kDemoPublishableKey},
        {"origin", kPartnerOrigin},
        {"scheme", kSchemeSlug},
        {"cards", sample_cards}}},
      {"notice", "demo data: these passwords and TOTP secrets are public, never use them in production"},
      {"url", "http://" + s.config.listen + "/login"},
      {"municipality",
       {{"id", municipality->id}, {"number", municipality->municipality_number}, {"name", municipality->name}}},
      {"department", {{"id", department.id}, {"name", department.name}}},
      {"departments",
       {{{"id", social_office.id},
         {"name", social_office.name},
         {"clerk", "sozialamt"},
         {"scheme", kSchemeSlug},
         {"cards", sample_cards_numbers}},
        {{"id", volunteer_office.id},
         {"name", volunteer_office.name},
         {"clerk", "ehrenamt"},
         {"scheme", kVolunteerSchemeSlug},
         {"cards", volunteer_cards}}}},
      {"users", users}};
}

}  // namespace passwerk::cli
