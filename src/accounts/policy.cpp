// The access table and the decision over it. Data first: one row per action
// with its scope, each role's reach and the sentence a refused user reads.
#include "accounts/policy.h"

#include <algorithm>
#include <array>

namespace passwerk::accounts {
namespace {

constexpr Reach N = Reach::kNone;
constexpr Reach Own = Reach::kOwnRecords;
constexpr Reach Dep = Reach::kOwnDepartments;
constexpr Reach Mun = Reach::kOwnMunicipality;
constexpr Reach All = Reach::kEverywhere;

struct Rule {
  Action action;
  std::string_view name;
  std::string_view scope;
  // operator, municipality_admin, clerk, auditor, landlord (the order of Role)
  std::array<Reach, 5> reach;
  std::string_view refusal;
};

// clang-format off
constexpr Rule kRules[] = {
  {Action::kManageMunicipalities, "municipalities.manage", "",                {All, N,   N,   N,   N  }, "only operators create municipalities"},
  {Action::kReadUsers,            "users.read",            "users:read",      {All, Mun, N,   All, N  }, "only operators, administrators and auditors list users"},
  {Action::kManageUsers,          "users.manage",          "users:write",     {All, Mun, N,   N,   N  }, "only operators and the municipality's administrators manage its users"},
  {Action::kManageDepartments,    "departments.manage",    "users:write",     {All, Mun, N,   N,   N  }, "only operators and the municipality's administrators manage departments"},
  {Action::kReadAudit,            "audit.read",            "audit:read",      {All, N,   N,   All, N  }, "reading the audit trail needs the auditor or operator role"},
  {Action::kReadSchemes,          "schemes.read",          "schemes:read",    {All, Mun, Dep, All, N  }, "only staff read the card schemes"},
  {Action::kManageSchemes,        "schemes.manage",        "schemes:write",   {All, Mun, N,   N,   N  }, "only operators and the municipality's administrators create schemes"},
  {Action::kReadCards,            "cards.read",            "cards:read",      {All, Mun, Dep, N,   N  }, "you may see the cards of your own municipality and departments only"},
  {Action::kManageCards,          "cards.manage",          "cards:write",     {All, Mun, Dep, N,   N  }, "you may manage the cards of your own municipality and departments only"},
  {Action::kManagePartners,       "partners.manage",       "",                {All, Mun, N,   N,   N  }, "only operators and the municipality's administrators manage partners"},
  {Action::kSetTariffs,           "tariffs.manage",        "",                {All, Mun, N,   N,   N  }, "only the municipality's administrators set its tariffs"},
  {Action::kManageAccommodations, "accommodations.manage", "",                {All, Mun, N,   N,   N  }, "only the municipality's administrators register accommodations"},
  {Action::kReadRegistrations,    "registrations.read",    "registrations:read",  {All, Mun, Mun, N, Own}, "you may read the registrations of your own accommodations or municipality only"},
  {Action::kRegisterGuests,       "registrations.write",   "registrations:write", {All, Mun, Mun, N, Own}, "you may register guests for your own accommodations or municipality only"},
  {Action::kHandOutCards,        "guest_cards.hand_out",  "registrations:write", {All, Mun, Mun, N, Mun}, "you may hand out the cards of your own municipality only"},
  {Action::kManageGuestCards,     "guest_cards.manage",    "registrations:write", {All, Mun, Mun, N, N  }, "guest cards are handled by the municipality's office"},
  {Action::kReadCardStock,        "card_stock.read",       "registrations:read",  {All, Mun, Mun, N, N  }, "the card stock is seen by the municipality's office"},
  {Action::kImportCardStock,      "card_stock.import",     "registrations:write", {All, Mun, N,   N, N  }, "only operators and the municipality's administrators import card batches"},
  {Action::kReadStatistics,       "statistics.read",       "statistics:read", {All, Mun, Mun, All, N  }, "statistics are read by the municipality's office, operators and auditors"},
  {Action::kReadCatalogue,        "catalogue.read",        "catalogue:read",  {All, Mun, Mun, N,   N  }, "staff see the catalogue of their own municipality"},
  {Action::kManageCatalogue,      "catalogue.manage",      "catalogue:write", {All, Mun, N,   N,   N  }, "only operators and the municipality's administrators manage the catalogue"},
  {Action::kReadTerminals,        "terminals.read",        "terminals:read",  {All, Mun, Mun, N,   N  }, "staff see the terminals of their own municipality"},
  {Action::kManageTerminals,      "terminals.manage",      "terminals:write", {All, Mun, N,   N,   N  }, "only operators and the municipality's administrators manage terminals"},
  {Action::kReadTerminalData,     "terminal_data.read",    "terminals:read",  {All, Mun, Mun, N  , N  }, "till totals and acceptance conflicts are seen by office staff of the terminal's municipality"},
  {Action::kReadSettlement,       "settlement.read",       "settlement:read", {All, Mun, N,   All, N  }, "settlements are read by operators, the municipality's administrators and auditors"},
  {Action::kRunSettlement,        "settlement.run",        "settlement:write",{All, Mun, N,   N,   N  }, "only operators and the municipality's administrators settle a period"},
  {Action::kReadThreads,          "threads.read",          "threads:read",    {N,   Dep, Dep, N,   N  }, "a department's mailbox is read by the staff of that department only"},
  {Action::kWriteThreads,         "threads.write",         "threads:write",   {N,   Dep, Dep, N,   N  }, "a department's mailbox is answered by the staff of that department only"},
  {Action::kReadApplications,     "applications.read",     "applications:read",   {N, Dep, Dep, N, N}, "applications are seen by the staff of the responsible department only"},
  {Action::kDecideApplications,   "applications.decide",   "applications:decide", {N, Dep, Dep, N, N}, "applications are decided by the staff of the responsible department only"},
};
// clang-format on

const Rule& RuleFor(Action action) {
  for (const Rule& rule : kRules) {
    if (rule.action == action) return rule;
  }
  return kRules[0];  // unreachable: every action has a rule (policy_test)
}

size_t RoleIndex(Role role) { return static_cast<size_t>(role); }

bool Holds(const std::vector<std::string>& scopes, std::string_view scope) {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

// The scopes that include `scope` besides itself.
std::vector<std::string> Including(std::string_view scope) {
  std::vector<std::string> out;
  constexpr std::string_view kRead = ":read";
  if (scope.size() > kRead.size() && scope.substr(scope.size() - kRead.size()) == kRead) {
    out.push_back(std::string(scope.substr(0, scope.size() - kRead.size())) + ":write");
  }
  if (scope == "applications:read") out.push_back("applications:decide");
  if (scope == "schemes:read") {
    out.push_back("cards:read");
    out.push_back("cards:write");
  }
  return out;
}

bool WithinReach(const User& user, Reach reach, const Resource& resource) {
  switch (reach) {
    case Reach::kNone:
      return false;
    case Reach::kEverywhere:
      return true;
    case Reach::kOwnMunicipality:
      return !resource.municipality_id || (user.municipality_id && *user.municipality_id == *resource.municipality_id);
    case Reach::kOwnDepartments:
      if (resource.municipality_id && !(user.municipality_id && *user.municipality_id == *resource.municipality_id)) {
        return false;
      }
      return !resource.department_id || std::find(user.department_ids.begin(), user.department_ids.end(),
                                                  *resource.department_id) != user.department_ids.end();
    case Reach::kOwnRecords:
      if (resource.owner_user_id) return *resource.owner_user_id == user.id;
      // Something in a municipality but owned by nobody in particular is not theirs.
      return !resource.municipality_id;
  }
  return false;
}

}  // namespace

const std::vector<Action> kAllActions = [] {
  std::vector<Action> all;
  for (const Rule& rule : kRules) all.push_back(rule.action);
  return all;
}();

std::string_view ActionName(Action action) { return RuleFor(action).name; }

std::string_view ReachName(Reach reach) {
  switch (reach) {
    case Reach::kNone:
      return "-";
    case Reach::kOwnRecords:
      return "own";
    case Reach::kOwnDepartments:
      return "departments";
    case Reach::kOwnMunicipality:
      return "municipality";
    case Reach::kEverywhere:
      return "all";
  }
  return "-";
}

Reach RoleReach(Role role, Action action) { return RuleFor(action).reach[RoleIndex(role)]; }

std::string_view ScopeFor(Action action) { return RuleFor(action).scope; }

const std::vector<std::string>& KnownScopes() {
  static const std::vector<std::string> kScopes = [] {
    std::vector<std::string> scopes;
    for (const Rule& rule : kRules) {
      if (!rule.scope.empty() && !Holds(scopes, rule.scope)) scopes.emplace_back(rule.scope);
    }
    return scopes;
  }();
  return kScopes;
}

std::vector<std::string> ScopesForRole(Role role) {
  std::vector<std::string> scopes;
  for (const Rule& rule : kRules) {
    if (rule.scope.empty() || rule.reach[RoleIndex(role)] == Reach::kNone || Holds(scopes, rule.scope)) continue;
    scopes.emplace_back(rule.scope);
  }
  // A token may carry a write scope only if its read half is usable too, and a
  // write scope implies reading: both are the role's when the write is.
  std::vector<std::string> implied;
  for (const std::string& scope : KnownScopes()) {
    if (Holds(scopes, scope)) continue;
    for (const std::string& wider : Including(scope)) {
      if (Holds(scopes, wider)) {
        implied.push_back(scope);
        break;
      }
    }
  }
  scopes.insert(scopes.end(), implied.begin(), implied.end());
  std::sort(scopes.begin(), scopes.end(), [](const std::string& a, const std::string& b) {
    auto index = [](const std::string& s) {
      return std::find(KnownScopes().begin(), KnownScopes().end(), s) - KnownScopes().begin();
    };
    return index(a) < index(b);
  });
  return scopes;
}

bool HasScope(const Actor& actor, std::string_view scope) {
  if (!actor.via_token) return true;
  if (Holds(actor.scopes, scope)) return true;
  for (const std::string& wider : Including(scope)) {
    if (HasScope(actor, wider)) return true;
  }
  return false;
}

bool Can(const Actor& actor, Action action, const Resource& resource) { return Require(actor, action, resource).ok(); }

bool LacksScope(const Actor& actor, Action action) {
  return actor.via_token && !HasScope(actor, ScopeFor(action));
}

bool UserCan(const Actor& actor, Action action, const Resource& resource) {
  Actor session = actor;
  session.via_token = false;
  session.scopes.clear();
  return Can(session, action, resource);
}

Status Require(const Actor& actor, Action action, const Resource& resource) {
  if (!actor.user) return Status::Ok();  // the command line
  const Rule& rule = RuleFor(action);
  if (actor.user->disabled) return PermissionDenied("this account is disabled");
  if (actor.via_token) {
    if (rule.scope.empty()) return PermissionDenied("this is done by staff in the web interface, not with a token");
    if (!HasScope(actor, rule.scope)) return PermissionDenied("the token lacks the scope " + std::string(rule.scope));
  }
  if (!WithinReach(*actor.user, rule.reach[RoleIndex(actor.user->role)], resource)) {
    return PermissionDenied(std::string(rule.refusal));
  }
  return Status::Ok();
}

bool RoleHasMunicipality(Role role) {
  return role == Role::kMunicipalityAdmin || role == Role::kClerk || role == Role::kLandlord;
}

std::vector<Role> AssignableRoles(const Actor& actor) {
  static constexpr Role kAll[] = {Role::kOperator, Role::kMunicipalityAdmin, Role::kClerk, Role::kAuditor,
                                  Role::kLandlord};
  std::vector<Role> out;
  if (!Can(actor, Action::kManageUsers)) return out;
  const bool everywhere = !OnlyMunicipality(actor, Action::kManageUsers);
  for (Role role : kAll) {
    if (everywhere || RoleHasMunicipality(role)) out.push_back(role);
  }
  return out;
}

std::optional<int64_t> OnlyMunicipality(const Actor& actor, Action action) {
  if (!actor.user) return std::nullopt;
  Reach reach = RoleReach(actor.user->role, action);
  if (reach == Reach::kEverywhere) return std::nullopt;
  // Users without a municipality reach none: -1 matches no row.
  return actor.user->municipality_id.value_or(-1);
}

}  // namespace passwerk::accounts
