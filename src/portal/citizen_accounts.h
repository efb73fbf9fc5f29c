// Citizen accounts and their sessions (segment `portal`). An account is keyed
// by a keyed hash of the sign-in pseudonym only: BundID's bPK2, an OpenID
// provider's `sub` with its issuer, or the test sign-in's name. It holds no
// name, address or birth date: what the identity provider said about the
// citizen stays in this process's memory for the session, to prefill forms,
// and is stored only as part of what the citizen submits.
//
// The portal's pages and its JSON API (/api/portal/v1) call these functions
// alike. Outstanding sign-ins (a SAML AuthnRequest, an OIDC authorization)
// and the ids of consumed assertions are kept here too, so that a response is
// accepted once, by the browser that started it, on any server process.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "accounts/citizen_policy.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/status.h"
#include "storage/database.h"

namespace passwerk::portal {

using accounts::Assurance;

enum class SignInMethod { kSaml, kOidc, kTest };
std::string_view MethodName(SignInMethod method);  // "saml", "oidc", "test"
std::optional<SignInMethod> ParseMethod(std::string_view name);

// What an identity provider told about the citizen. Kept in memory only.
struct Attributes {
  std::string given_name;
  std::string family_name;
  std::string email;
  std::string street;  // postalAddress
  std::string postal_code;
  std::string locality;
  std::string birth_date;  // as given (BundID: YYYY-MM-DD)
  bool empty() const;
};

// What a sign-in proved.
struct Identity {
  SignInMethod method = SignInMethod::kTest;
  // Unique per person and method: "saml:<bPK2>", "oidc:<issuer> <sub>", "test:<name>".
  std::string pseudonym;
  Assurance assurance = Assurance::kLow;
  Attributes attributes;
};

// The pseudonym of the test sign-in: "test:" and the name, each word in the
// partner check's canonical form (lower case, umlauts spelt out), single
// spaces. "  Erika  Müller " → "test:erika mueller". Empty when no letters.
std::string TestPseudonym(std::string_view name);

struct CitizenSession {
  std::string token;       // the cookie value; only known right after sign-in
  std::string public_id;   // names the session in lists, never a credential
  std::string account_id;  // the account's public id
  int64_t account = 0;     // the account's row
  Assurance assurance = Assurance::kLow;
  SignInMethod method = SignInMethod::kTest;
  std::string csrf_token;
  std::string device;  // "Firefox / Android", from the User-Agent
  int64_t created_at = 0;
  int64_t last_seen_at = 0;
  int64_t expires_at = 0;
};

// A sign-in that was started and not yet finished: the request id the answer
// must refer to (SAML InResponseTo, OIDC nonce), the browser that started it,
// the level asked for, and where to go afterwards.
struct PendingSignIn {
  std::string state;  // SAML RelayState, OIDC state: the key
  SignInMethod method = SignInMethod::kSaml;
  std::string request_id;
  std::string browser_token;  // the value of the browser-binding cookie
  Assurance assurance = Assurance::kLow;
  std::string return_to;  // a portal path
  std::string secret;     // OIDC: the PKCE verifier (stored encrypted)
  // The session cookie this browser had when it started (a step-up): that
  // session ends when the new one begins. The identity provider's cross-site
  // POST does not carry the SameSite=Lax session cookie, so the start keeps it.
  std::string replaces_token;
  std::string replaces_hash;  // what TakeSignIn gives back instead
};

// What another area says about deleting an account: whether deletion must
// wait (unpaid fees) and what deleting does there first (open applications
// are withdrawn). Later areas register theirs; each runs in the deleting
// transaction when `apply` is set.
struct DeletionFinding {
  std::string area;         // "payments", "applications"
  int64_t blocking = 0;     // items that prevent deletion
  int64_t to_withdraw = 0;  // items withdrawn before deletion
};
using DeletionParticipant =
    std::function<Result<DeletionFinding>(storage::Tx& tx, int64_t account, bool apply, const std::string& request_id)>;

struct DeletionPlan {
  std::vector<DeletionFinding> findings;
  bool blocked() const;
};

struct PortalOptions {
  int64_t session_idle_seconds = 30 * 60;
  int64_t session_max_seconds = 8 * 3600;
  int64_t sign_in_seconds = 15 * 60;  // how long a started sign-in may take
};

class CitizenAccounts {
 public:
  CitizenAccounts(storage::Database& db, const Clock& clock, const crypto::SecretBox& secrets, PortalOptions options);

  // Opens a session for the identity; creates the account at its first sign-in.
  Result<CitizenSession> SignIn(const Identity& identity, std::string_view device, const std::string& request_id);
  // The live session behind a cookie, or Unauthenticated. Marks it seen.
  Result<CitizenSession> GetSession(std::string_view token);
  Result<std::vector<CitizenSession>> Sessions(const CitizenSession& session);
  Status SignOut(std::string_view token, const std::string& request_id);
  // SignOut by the hash of the token (what a pending sign-in keeps).
  Status SignOutByHash(const std::string& token_hash, const std::string& request_id);
  // Ends one of the account's sessions by its public id (another device).
  Status EndSession(const CitizenSession& session, std::string_view public_id, const std::string& request_id);
  // Ends every session of the account, this one included; the number ended.
  Result<int64_t> SignOutEverywhere(const CitizenSession& session, const std::string& request_id);

  void AddDeletionParticipant(DeletionParticipant participant);
  Result<DeletionPlan> PlanDeletion(const CitizenSession& session);
  // FailedPrecondition (with the plan's reasons) while something blocks it;
  // otherwise withdraws what must be, deletes the account, its sessions and
  // card links, in one transaction.
  Status DeleteAccount(const CitizenSession& session, const std::string& request_id);

  Status BeginSignIn(const PendingSignIn& pending);
  // Takes (deletes) the pending sign-in of `state` when `browser_token` is the
  // browser that began it and it has not expired: once only.
  Result<PendingSignIn> TakeSignIn(std::string_view state, std::string_view browser_token);
  // Records a consumed assertion id until `until`; AlreadyExists when seen.
  Status MarkAssertionSeen(std::string_view issuer, std::string_view assertion_id, int64_t until);
  // Audits a refused sign-in (no personal data: the method and the reason).
  Status AuditRefusedSignIn(SignInMethod method, std::string_view reason, const std::string& request_id);

  // Cards the account holds (linked by an approved application, or added in
  // the wallet); their ids in the cards segment.
  Status LinkCard(int64_t account, int64_t card_id, const std::string& request_id);
  // The same within another area's write on this handle (an approval).
  Status LinkCard(storage::Tx& tx, int64_t account, int64_t card_id, const std::string& request_id);
  Result<std::vector<int64_t>> LinkedCards(int64_t account);
  // The account of a pseudonym, created when there is none yet (the demo
  // citizen): its row and public id.
  Result<std::pair<int64_t, std::string>> EnsureAccount(SignInMethod method, std::string_view pseudonym,
                                                        const std::string& request_id);
  // The account's row by its public id (the demo, the wallet).
  Result<int64_t> AccountByPublicId(std::string_view public_id);
  Result<int64_t> AccountByPseudonym(std::string_view pseudonym);

  // Attributes of a live session (in memory; gone at sign-out or restart).
  std::optional<Attributes> SessionAttributes(const CitizenSession& session) const;

  // Deletes expired sessions, sign-ins and assertion ids; the number deleted.
  Result<int64_t> DeleteExpired();

 private:
  std::string PseudonymHash(std::string_view pseudonym) const;
  void ForgetAttributes(const std::vector<std::string>& session_ids);
  // Drops cached sessions: by token hash, or all of an account.
  void Uncache(const std::string& token_hash);
  void UncacheAccount(int64_t account);

  storage::Database& db_;
  const Clock& clock_;
  const crypto::SecretBox& secrets_;
  PortalOptions options_;
  crypto::PreparedHmac pseudonym_key_;
  std::vector<DeletionParticipant> participants_;
  mutable std::mutex attributes_mutex_;
  std::map<std::string, std::pair<Attributes, int64_t>> attributes_;  // session public id → (attributes, expiry)
  // Sessions read in the last kSessionCacheSeconds, by token hash: a page or
  // /me costs no database read. Changes made by this process drop their
  // entries at once; a sign-out by another server process reaches this one
  // within kSessionCacheSeconds.
  struct CachedSession {
    CitizenSession session;
    int64_t read_at = 0;
  };
  mutable std::mutex cache_mutex_;
  std::unordered_map<std::string, CachedSession> cache_;
  // Counts the drops: a read that a drop overlapped is not cached.
  uint64_t cache_generation_ = 0;
};

// How long a server process trusts a citizen session it read (see CitizenAccounts).
inline constexpr int64_t kSessionCacheSeconds = 2;

// A short description of the browser for the session list ("Chrome /
// Android"); never the raw header.
std::string DeviceFromUserAgent(std::string_view user_agent);

}  // namespace passwerk::portal
