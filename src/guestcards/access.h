// Who may do what with guest-card data, and the audit entry every change
// leaves: shared by registrations, card logistics and retention.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "accounts/accounts.h"
#include "core/clock.h"
#include "core/status.h"
#include "storage/database.h"

namespace passwerk::guestcards {

// The token scope for registrations and the office's guest-card work.
inline constexpr const char* kRegistrationsScope = "registrations:write";

bool IsLandlord(const accounts::Actor& actor);
// Office staff of the municipality (its administrators and clerks), operators
// and the command line.
bool IsOfficeFor(const accounts::Actor& actor, int64_t municipality_id);
// kPermissionDenied for a token without registrations:write.
Status RequireRegistrationsScope(const accounts::Actor& actor);
// The scope for reading them, and the card stock (registrations:write includes it).
inline constexpr const char* kRegistrationsReadScope = "registrations:read";
// kPermissionDenied for a token without registrations:read (or :write).
Status RequireRegistrationsReadScope(const accounts::Actor& actor);

}  // namespace passwerk::guestcards
