#include "guestcards/access.h"

#include <algorithm>

#include "audit/audit_log.h"

namespace passwerk::guestcards {

bool IsLandlord(const accounts::Actor& actor) { return actor.user && actor.user->role == accounts::Role::kLandlord; }

bool IsOfficeFor(const accounts::Actor& actor, int64_t municipality_id) {
  if (!actor.user) return true;
  using accounts::Role;
  const accounts::User& u = *actor.user;
  if (u.role == Role::kOperator) return true;
  return (u.role == Role::kMunicipalityAdmin || u.role == Role::kClerk) && u.municipality_id == municipality_id;
}

Status RequireRegistrationsScope(const accounts::Actor& actor) {
  if (!accounts::HasScope(actor, kRegistrationsScope)) {
    return PermissionDenied("this token may not work with registrations (scope registrations:write)");
  }
  return Status::Ok();
}

Status RequireRegistrationsReadScope(const accounts::Actor& actor) {
  if (!accounts::HasScope(actor, kRegistrationsReadScope)) {
    return PermissionDenied("this token may not read registrations or the card stock (scope registrations:read)");
  }
  return Status::Ok();
}

}  // namespace passwerk::guestcards
