// What the citizen's JSON API areas (mailbox_api.cpp, applications_api.cpp)
// share: the session behind the pw_citizen cookie, routes that need one (and
// the CSRF token on every write), the key of a citizen's Idempotency-Key, and
// how a stored file is handed out.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "accounts/actor.h"
#include "accounts/citizen_policy.h"
#include "core/status.h"
#include "http/context.h"
#include "http/message.h"
#include "http/router.h"
#include "portal/attachments.h"
#include "portal/citizen_accounts.h"

namespace passwerk::http {

// The citizen session behind the request's cookie, or Unauthenticated.
Result<portal::CitizenSession> CitizenOf(AppContext& app, const Request& request);

using CitizenHandler = std::function<Response(Request&, const portal::CitizenSession&)>;

// A route for the signed-in citizen whose session reaches `service`'s level
// (403 otherwise). Every method but GET needs the session's CSRF token in
// X-CSRF-Token: the cookie alone must not authorise a write that another
// site's form could send.
void AddCitizenRoute(Router& router, AppContext& app, std::string method, std::string pattern, std::string name,
                     accounts::CitizenService service, CitizenHandler handler);
// The same for a route whose level depends on what it reaches (an
// application's form sets its own): only a session and, on writes, the CSRF
// token are checked here; the handler checks the level.
void AddCitizenSessionRoute(Router& router, AppContext& app, std::string method, std::string pattern, std::string name,
                            CitizenHandler handler);

// The key of a citizen's Idempotency-Key: their account, like a staff user's id.
accounts::Actor IdempotencyActor(const portal::CitizenSession& session);

// A stored file to save (never shown inline, never cached).
Response DocumentResponse(const portal::Document& document);
Response NoContent();

}  // namespace passwerk::http
