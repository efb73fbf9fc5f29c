// `passwerk demo`: a ready-to-try dataset with known logins. Idempotent: a
// second run finds what the first created and prints the same description.
// The demo passwords and TOTP secrets are public; never use them in production.
#include "cli/commands.h"

namespace passwerk::cli {
namespace {

struct DemoUser {
  const char* username;
  const char* display_name;
  accounts::Role role;
  bool scoped;
  const char* password;
  const char* totp_secret;  // nullptr: enrols at first login
};

constexpr DemoUser kDemoUsers[] = {
    {"operator", "Olaf Betrieb", accounts::Role::kOperator, false, "Demo-Operator-2026", "JBSWY3DPEHPK3PXPJBSWY3DP"},
    {"admin", "Anna Verwaltung", accounts::Role::kMunicipalityAdmin, true, "Demo-Admin-2026",
     "KRSXG5CTMVRXEZLUKRSXG5CT"},
    {"clerk", "Klaus Sachbearbeitung", accounts::Role::kClerk, true, "Demo-Clerk-2026", "MFRGGZDFMZTWQ2LKMFRGGZDF"},
    {"auditor", "Petra Prüfung", accounts::Role::kAuditor, false, "Demo-Auditor-2026", "GEZDGNBVGY3TQOJQGEZDGNBV"},
    {"newclerk", "Nina Neu", accounts::Role::kClerk, true, "Demo-Newclerk-2026", nullptr},
};

constexpr const char* kMunicipalityNumber = "01055021";
constexpr const char* kMunicipalityName = "Kellenhusen (Ostsee)";
constexpr const char* kDepartmentName = "Tourist-Information";

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
  std::optional<accounts::Department> department;
  PW_ASSIGN_OR_RETURN(auto departments, s.accounts->ListDepartments(municipality->id));
  for (const auto& d : departments) {
    if (d.name == kDepartmentName) department = d;
  }
  if (!department) {
    PW_ASSIGN_OR_RETURN(department, s.accounts->CreateDepartment(actor, municipality->id, kDepartmentName));
  }
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
        input.department_id = department->id;
      }
      input.password = demo.password;
      input.totp_secret_base32 = demo.totp_secret == nullptr ? "" : demo.totp_secret;
      PW_ASSIGN_OR_RETURN(auto created, s.accounts->CreateUser(actor, input));
      (void)created;
    }
    users.push_back({{"username", demo.username},
                     {"display_name", demo.display_name},
                     {"password", demo.password},
                     {"role", accounts::RoleName(demo.role)},
                     {"totp_secret", demo.totp_secret == nullptr ? nlohmann::json(nullptr)
                                                                 : nlohmann::json(demo.totp_secret)}});
  }
  return nlohmann::json{
      {"notice", "demo data: these passwords and TOTP secrets are public, never use them in production"},
      {"url", "http://" + s.config.listen + "/login"},
      {"municipality", {{"id", municipality->id}, {"number", municipality->municipality_number},
                        {"name", municipality->name}}},
      {"department", {{"id", department->id}, {"name", department->name}}},
      {"users", users}};
}

}  // namespace passwerk::cli
