// The one access policy: who may do what, decided here and nowhere else.
// Pure functions over the actor (role, municipality, departments, token
// scopes) and the resource (its municipality, department, owner); no storage.
// Handlers, pages and domain services ask `Can` or `Require`; none compares
// roles itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/actor.h"
#include "core/status.h"

namespace passwerk::accounts {

// Everything the policy decides. Keep kAllActions and the table in policy.cpp
// in step; policy_test.cpp lists every role and scope against each action.
enum class Action {
  kManageMunicipalities,  // create municipalities
  kManageDepartments,     // create departments, set memberships
  kReadUsers,
  kManageUsers,
  kReadAudit,
  kReadSchemes,
  kManageSchemes,
  kReadCards,    // look up a card and its holder (audited)
  kManageCards,  // issue, block, unblock, replace, renew
  kManagePartners,
  kSetTariffs,
  kManageAccommodations,
  kRegisterGuests,     // registration forms (landlords: for their own accommodations)
  kReadRegistrations,  // list and read registrations
  kHandOutCards,       // give a guest card from stock to a guest (landlords: in their municipality)
  kManageGuestCards,   // replace, reinitialise, annual cards, staff card status
  kReadCardStock,
  kImportCardStock,  // production files of new guest cards
  kReadStatistics,
  kReadCatalogue,
  kManageCatalogue,  // providers, services, packages
  kReadTerminals,
  kManageTerminals,
  kReadTerminalData,  // till totals and acceptance conflicts (card numbers)
  kReadSettlement,
  kRunSettlement,  // run and close settlement statements
  kReadThreads,    // the mailbox threads of a department (audited reads)
  kWriteThreads,   // answer, attach, assign, close
  kReadApplications,    // the queue and the applications of a department (audited reads)
  kDecideApplications,  // approve, reject, ask for information, notes
};
extern const std::vector<Action> kAllActions;
std::string_view ActionName(Action action);  // "cards.manage"

// How far a role reaches for an action.
enum class Reach {
  kNone,
  kOwnRecords,       // what the user owns: a landlord's accommodations
  kOwnDepartments,   // the user's departments within their municipality
  kOwnMunicipality,  // everything of the user's municipality
  kEverywhere,       // every municipality
};
std::string_view ReachName(Reach reach);
Reach RoleReach(Role role, Action action);

// What an access is about. Absent fields mean "some resource of this kind":
// `Can(actor, kManageCards)` asks whether the actor manages cards anywhere
// (menus, list endpoints that then filter per row).
struct Resource {
  std::optional<int64_t> municipality_id;
  std::optional<int64_t> department_id;
  std::optional<int64_t> owner_user_id;  // the landlord of an accommodation

  static Resource InMunicipality(int64_t id) { return {id, std::nullopt, std::nullopt}; }
  static Resource InDepartment(int64_t municipality_id, int64_t department_id) {
    return {municipality_id, department_id, std::nullopt};
  }
  static Resource OwnedBy(int64_t municipality_id, int64_t user_id) { return {municipality_id, std::nullopt, user_id}; }
};

// The token scope an action needs; empty: staff sessions and the command
// line only, never a token.
std::string_view ScopeFor(Action action);

// Scopes an API token can carry.
const std::vector<std::string>& KnownScopes();
// The scopes a token of a user with this role may hold: those of the actions
// the role may take, and what they include.
std::vector<std::string> ScopesForRole(Role role);

// Whether `actor` may act under `scope`: sessions and the command line always
// (their role decides); an API token only when it holds the scope or one that
// includes it: "x:write" includes "x:read", and "cards:read" includes
// "schemes:read" (issuing cards needs the schemes).
bool HasScope(const Actor& actor, std::string_view scope);

// The decision. The command line ("cli", no user) may do anything; a disabled
// user nothing; a token no more than its user's session, and only within its
// scopes.
bool Can(const Actor& actor, Action action, const Resource& resource = {});
// Can, or PermissionDenied saying what was missing.
Status Require(const Actor& actor, Action action, const Resource& resource = {});

// Whether `actor` is an API token without the scope `action` needs: to tell
// "your token lacks a scope" from "this is not yours" (which answers 404).
bool LacksScope(const Actor& actor, Action action);
// Can, as the user's own session would be answered: their role, municipality
// and departments, whatever a token's scopes. For "whose work is this"
// (which departments' counts a statistics token sees), not for access.
bool UserCan(const Actor& actor, Action action, const Resource& resource = {});

// Whether users of this role belong to a municipality (administrators,
// clerks, landlords) or act across all of them (operators, auditors).
bool RoleHasMunicipality(Role role);
// The roles of the users `actor` may create: every role for those who manage
// users everywhere; the municipality's roles for its administrators; none else.
std::vector<Role> AssignableRoles(const Actor& actor);

// The municipality a staff user's lists are limited to: nullopt when the
// actor reaches every municipality for `action`.
std::optional<int64_t> OnlyMunicipality(const Actor& actor, Action action);

}  // namespace passwerk::accounts
