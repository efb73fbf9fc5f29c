// Citizen accounts, sessions, outstanding sign-ins and consumed assertions.
#include "portal/citizen_accounts.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "cards/name_match.h"

namespace passwerk::portal {
namespace {

using storage::Row;
using storage::Tx;

// A session is marked seen at most this often: reading a page must not cost a write.
constexpr int64_t kTouchSeconds = 60;

std::string TokenHash(std::string_view token) { return crypto::Sha256Hex(token); }

Status Audit(Tx& tx, const Clock& clock, const std::string& actor, const std::string& action, const std::string& object,
             const nlohmann::json& detail, const std::string& request_id) {
  auto seq = audit::Append(tx, clock, {actor, action, object, detail.dump(), request_id});
  return seq.ok() ? Status::Ok() : seq.status();
}

std::string CitizenActor(std::string_view account_public_id) { return "citizen:" + std::string(account_public_id); }

constexpr std::string_view kSessionColumns =
    "s.public_id, a.public_id, s.account_id, s.assurance, s.method, s.csrf_token, s.device, s.created_at, "
    "s.last_seen_at, s.expires_at";

CitizenSession SessionFromRow(const Row& row) {
  CitizenSession session;
  session.public_id = row.Text(0);
  session.account_id = row.Text(1);
  session.account = row.Int(2);
  session.assurance = accounts::ParseAssurance(row.Text(3)).value_or(Assurance::kLow);
  session.method = ParseMethod(row.Text(4)).value_or(SignInMethod::kTest);
  session.csrf_token = row.Text(5);
  session.device = row.Text(6);
  session.created_at = row.Int(7);
  session.last_seen_at = row.Int(8);
  session.expires_at = row.Int(9);
  return session;
}

}  // namespace

std::string_view MethodName(SignInMethod method) {
  switch (method) {
    case SignInMethod::kSaml:
      return "saml";
    case SignInMethod::kOidc:
      return "oidc";
    case SignInMethod::kTest:
      return "test";
  }
  return "test";
}

std::optional<SignInMethod> ParseMethod(std::string_view name) {
  for (SignInMethod method : {SignInMethod::kSaml, SignInMethod::kOidc, SignInMethod::kTest}) {
    if (MethodName(method) == name) return method;
  }
  return std::nullopt;
}

bool Attributes::empty() const {
  return given_name.empty() && family_name.empty() && email.empty() && street.empty() && postal_code.empty() &&
         locality.empty() && birth_date.empty();
}

std::string TestPseudonym(std::string_view name) {
  std::string normalised;
  size_t i = 0;
  while (i < name.size()) {
    while (i < name.size() && std::isspace(static_cast<unsigned char>(name[i]))) ++i;
    size_t start = i;
    while (i < name.size() && !std::isspace(static_cast<unsigned char>(name[i]))) ++i;
    std::string word = cards::CanonicalName(name.substr(start, i - start));
    if (word.empty()) continue;
    if (!normalised.empty()) normalised += ' ';
    normalised += word;
  }
  return normalised.empty() ? std::string() : "test:" + normalised;
}

bool DeletionPlan::blocked() const {
  return std::any_of(findings.begin(), findings.end(), [](const DeletionFinding& f) { return f.blocking > 0; });
}

CitizenAccounts::CitizenAccounts(storage::Database& db, const Clock& clock, const crypto::SecretBox& secrets,
                                 PortalOptions options)
    : db_(db),
      clock_(clock),
      secrets_(secrets),
      options_(options),
      pseudonym_key_(secrets.DeriveKey("portal.account_pseudonym")) {}

std::string CitizenAccounts::PseudonymHash(std::string_view pseudonym) const {
  return crypto::HexEncode(pseudonym_key_.Mac(pseudonym));
}

Result<CitizenSession> CitizenAccounts::SignIn(const Identity& identity, std::string_view device,
                                               const std::string& request_id) {
  if (identity.pseudonym.empty() || identity.pseudonym.size() > 1024) {
    return InvalidArgument("the sign-in gave no usable pseudonym");
  }
  const int64_t now = clock_.NowUnix();
  const std::string hash = PseudonymHash(identity.pseudonym);
  CitizenSession session;
  session.token = crypto::RandomToken(24);
  session.public_id = crypto::RandomToken(10);
  session.csrf_token = crypto::RandomToken(16);
  session.assurance = identity.assurance;
  session.method = identity.method;
  session.device = std::string(device.substr(0, 80));
  session.created_at = now;
  session.last_seen_at = now;
  session.expires_at = now + options_.session_max_seconds;
  Status written = db_.Write([&](Tx& tx) -> Status {
    auto existing = tx.Query("SELECT id, public_id FROM portal.accounts WHERE pseudonym_hash = $1", {hash});
    if (!existing.ok()) return existing.status();
    bool created = existing->empty();
    if (created) {
      session.account_id = crypto::RandomToken(10);
      PW_ASSIGN_OR_RETURN(Row row,
                          tx.QueryOne("INSERT INTO portal.accounts (public_id, pseudonym_hash, method, "
                                      "created_at, last_sign_in_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
                                      {session.account_id, hash, std::string(MethodName(identity.method)), now}));
      session.account = row.Int(0);
    } else {
      session.account = existing->front().Int(0);
      session.account_id = existing->front().Text(1);
      PW_RETURN_IF_ERROR(
          tx.Exec("UPDATE portal.accounts SET last_sign_in_at = $1 WHERE id = $2", {now, session.account}).status());
    }
    PW_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO portal.sessions (token_hash, public_id, account_id, assurance, method, "
                "csrf_token, device, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, "
                "$6, $7, $8, $8, $9)",
                {TokenHash(session.token), session.public_id, session.account,
                 std::string(accounts::AssuranceName(session.assurance)), std::string(MethodName(session.method)),
                 session.csrf_token, session.device, now, session.expires_at})
            .status());
    return Audit(tx, clock_, CitizenActor(session.account_id), created ? "citizen.account_create" : "citizen.sign_in",
                 "citizen:" + session.account_id,
                 {{"method", MethodName(session.method)},
                  {"assurance", accounts::AssuranceName(session.assurance)},
                  {"session", session.public_id}},
                 request_id);
  });
  if (!written.ok()) return written;
  if (!identity.attributes.empty()) {
    std::lock_guard lock(attributes_mutex_);
    attributes_[session.public_id] = {identity.attributes, session.expires_at};
  }
  return session;
}

Result<CitizenSession> CitizenAccounts::GetSession(std::string_view token) {
  if (token.empty() || token.size() > 128) return Unauthenticated("no citizen session");
  const int64_t now = clock_.NowUnix();
  const std::string hash = TokenHash(token);
  std::optional<CitizenSession> found;
  uint64_t generation = 0;
  {
    std::lock_guard lock(cache_mutex_);
    generation = cache_generation_;
    auto it = cache_.find(hash);
    if (it != cache_.end() && now - it->second.read_at < kSessionCacheSeconds && now >= it->second.read_at) {
      found = it->second.session;
    }
  }
  if (!found) {
    Status read = db_.Read([&](Tx& tx) -> Status {
      auto rows = tx.Query("SELECT " + std::string(kSessionColumns) +
                               " FROM portal.sessions s JOIN portal.accounts a ON a.id = s.account_id "
                               "WHERE s.token_hash = $1",
                           {hash});
      if (!rows.ok()) return rows.status();
      if (!rows->empty()) found = SessionFromRow(rows->front());
      return Status::Ok();
    });
    if (!read.ok()) return read;
    std::lock_guard lock(cache_mutex_);
    if (!found) {
      cache_.erase(hash);
    } else if (generation != cache_generation_) {
      // A session ended while we read: what we read may be from before.
    } else {
      if (cache_.size() >= 100000) cache_.clear();  // a bound; entries live seconds anyway
      cache_[hash] = {*found, now};
    }
  }
  if (!found || found->expires_at <= now || found->last_seen_at + options_.session_idle_seconds <= now) {
    return Unauthenticated("the citizen session has ended");
  }
  if (now - found->last_seen_at >= kTouchSeconds) {
    Status touched = db_.Write([&](Tx& tx) -> Status {
      return tx.Exec("UPDATE portal.sessions SET last_seen_at = $1 WHERE token_hash = $2", {now, hash}).status();
    });
    if (!touched.ok()) return touched;
    found->last_seen_at = now;
    std::lock_guard lock(cache_mutex_);
    if (auto it = cache_.find(hash); it != cache_.end()) it->second.session.last_seen_at = now;
  }
  return *found;
}

void CitizenAccounts::Uncache(const std::string& token_hash) {
  std::lock_guard lock(cache_mutex_);
  ++cache_generation_;
  cache_.erase(token_hash);
}

void CitizenAccounts::UncacheAccount(int64_t account) {
  std::lock_guard lock(cache_mutex_);
  ++cache_generation_;
  for (auto it = cache_.begin(); it != cache_.end();) {
    it = it->second.session.account == account ? cache_.erase(it) : std::next(it);
  }
}

Result<std::vector<CitizenSession>> CitizenAccounts::Sessions(const CitizenSession& session) {
  const int64_t now = clock_.NowUnix();
  std::vector<CitizenSession> sessions;
  Status read = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(storage::Rows rows,
                        tx.Query("SELECT " + std::string(kSessionColumns) +
                                     " FROM portal.sessions s JOIN portal.accounts a ON a.id = s.account_id "
                                     "WHERE s.account_id = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 "
                                     "ORDER BY s.created_at DESC, s.public_id",
                                 {session.account, now, now - options_.session_idle_seconds}));
    for (const Row& row : rows) sessions.push_back(SessionFromRow(row));
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return sessions;
}

Status CitizenAccounts::SignOut(std::string_view token, const std::string& request_id) {
  return SignOutByHash(TokenHash(token), request_id);
}

Status CitizenAccounts::SignOutByHash(const std::string& hash, const std::string& request_id) {
  Uncache(hash);
  std::vector<std::string> ended;
  Status written = db_.Write([&](Tx& tx) -> Status {
    ended.clear();
    PW_ASSIGN_OR_RETURN(storage::Rows rows,
                        tx.Query("SELECT s.public_id, a.public_id FROM portal.sessions s JOIN portal.accounts a ON "
                                 "a.id = s.account_id WHERE s.token_hash = $1",
                                 {hash}));
    if (rows.empty()) return Status::Ok();
    ended.push_back(rows.front().Text(0));
    PW_RETURN_IF_ERROR(tx.Exec("DELETE FROM portal.sessions WHERE token_hash = $1", {hash}).status());
    return Audit(tx, clock_, CitizenActor(rows.front().Text(1)), "citizen.sign_out", "citizen:" + rows.front().Text(1),
                 {{"session", rows.front().Text(0)}}, request_id);
  });
  Uncache(hash);  // again: a read between the first drop and the commit may have cached it
  if (written.ok()) ForgetAttributes(ended);
  return written;
}

Status CitizenAccounts::EndSession(const CitizenSession& session, std::string_view public_id,
                                   const std::string& request_id) {
  Status written = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(int64_t deleted, tx.Exec("DELETE FROM portal.sessions WHERE account_id = $1 AND public_id = $2",
                                                 {session.account, std::string(public_id)}));
    if (deleted == 0) return NotFound("no such session of this account");
    return Audit(tx, clock_, CitizenActor(session.account_id), "citizen.sign_out", "citizen:" + session.account_id,
                 {{"session", public_id}, {"by_session", session.public_id}}, request_id);
  });
  UncacheAccount(session.account);
  if (written.ok()) ForgetAttributes({std::string(public_id)});
  return written;
}

Result<int64_t> CitizenAccounts::SignOutEverywhere(const CitizenSession& session, const std::string& request_id) {
  std::vector<std::string> ended;
  Status written = db_.Write([&](Tx& tx) -> Status {
    ended.clear();
    PW_ASSIGN_OR_RETURN(storage::Rows rows,
                        tx.Query("SELECT public_id FROM portal.sessions WHERE account_id = $1", {session.account}));
    for (const Row& row : rows) ended.push_back(row.Text(0));
    PW_RETURN_IF_ERROR(tx.Exec("DELETE FROM portal.sessions WHERE account_id = $1", {session.account}).status());
    return Audit(tx, clock_, CitizenActor(session.account_id), "citizen.sign_out_everywhere",
                 "citizen:" + session.account_id, {{"sessions", static_cast<int64_t>(ended.size())}}, request_id);
  });
  if (!written.ok()) return written;
  UncacheAccount(session.account);
  ForgetAttributes(ended);
  return static_cast<int64_t>(ended.size());
}

void CitizenAccounts::AddDeletionParticipant(DeletionParticipant participant) {
  participants_.push_back(std::move(participant));
}

Result<DeletionPlan> CitizenAccounts::PlanDeletion(const CitizenSession& session) {
  DeletionPlan plan;
  Status read = db_.Read([&](Tx& tx) -> Status {
    plan.findings.clear();
    for (const DeletionParticipant& participant : participants_) {
      PW_ASSIGN_OR_RETURN(DeletionFinding finding, participant(tx, session.account, false, ""));
      plan.findings.push_back(std::move(finding));
    }
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return plan;
}

Status CitizenAccounts::DeleteAccount(const CitizenSession& session, const std::string& request_id) {
  std::vector<std::string> ended;
  Status written = db_.Write([&](Tx& tx) -> Status {
    ended.clear();
    nlohmann::json withdrawn = nlohmann::json::object();
    for (const DeletionParticipant& participant : participants_) {
      // Checked again inside the deleting transaction: a fee raised since the
      // citizen saw the plan blocks it still.
      PW_ASSIGN_OR_RETURN(DeletionFinding finding, participant(tx, session.account, false, request_id));
      if (finding.blocking > 0) {
        return FailedPrecondition("the account cannot be deleted yet", finding.area);
      }
    }
    for (const DeletionParticipant& participant : participants_) {
      PW_ASSIGN_OR_RETURN(DeletionFinding finding, participant(tx, session.account, true, request_id));
      if (finding.to_withdraw > 0) withdrawn[finding.area] = finding.to_withdraw;
    }
    PW_ASSIGN_OR_RETURN(storage::Rows rows,
                        tx.Query("SELECT public_id FROM portal.sessions WHERE account_id = $1", {session.account}));
    for (const Row& row : rows) ended.push_back(row.Text(0));
    PW_RETURN_IF_ERROR(tx.Exec("DELETE FROM portal.sessions WHERE account_id = $1", {session.account}).status());
    PW_RETURN_IF_ERROR(tx.Exec("DELETE FROM portal.account_cards WHERE account_id = $1", {session.account}).status());
    PW_ASSIGN_OR_RETURN(int64_t deleted, tx.Exec("DELETE FROM portal.accounts WHERE id = $1", {session.account}));
    if (deleted == 0) return NotFound("the account no longer exists");
    return Audit(tx, clock_, CitizenActor(session.account_id), "citizen.account_delete",
                 "citizen:" + session.account_id, {{"withdrawn", withdrawn}}, request_id);
  });
  UncacheAccount(session.account);
  if (written.ok()) ForgetAttributes(ended);
  return written;
}

Status CitizenAccounts::BeginSignIn(const PendingSignIn& pending) {
  if (pending.state.empty() || pending.request_id.empty() || pending.browser_token.empty()) {
    return InvalidArgument("an incomplete sign-in");
  }
  const int64_t now = clock_.NowUnix();
  storage::Value secret = std::monostate{};
  if (!pending.secret.empty()) secret = storage::Blob{secrets_.Encrypt(pending.secret, "portal.sign_ins.secret")};
  storage::Value replaces = std::monostate{};
  if (!pending.replaces_token.empty()) replaces = TokenHash(pending.replaces_token);
  return db_.Write([&](Tx& tx) -> Status {
    return tx
        .Exec(
            "INSERT INTO portal.sign_ins (state_hash, method, request_id, browser_hash, assurance, return_to, "
            "secret_enc, replaces_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            {TokenHash(pending.state), std::string(MethodName(pending.method)), pending.request_id,
             TokenHash(pending.browser_token), std::string(accounts::AssuranceName(pending.assurance)),
             pending.return_to, secret, replaces, now, now + options_.sign_in_seconds})
        .status();
  });
}

Result<PendingSignIn> CitizenAccounts::TakeSignIn(std::string_view state, std::string_view browser_token) {
  if (state.empty() || state.size() > 256) return Unauthenticated("no sign-in was started for this answer");
  const int64_t now = clock_.NowUnix();
  const std::string hash = TokenHash(state);
  std::optional<Row> row;
  Status written = db_.Write([&](Tx& tx) -> Status {
    row.reset();
    // Once only, whatever the outcome: the row deleted is the row used, so two
    // concurrent answers to one request cannot both take it.
    PW_ASSIGN_OR_RETURN(storage::Rows rows,
                        tx.Query("DELETE FROM portal.sign_ins WHERE state_hash = $1 RETURNING method, request_id, "
                                 "browser_hash, assurance, return_to, secret_enc, expires_at, replaces_hash",
                                 {hash}));
    if (!rows.empty()) row = rows.front();
    return Status::Ok();
  });
  if (!written.ok()) return written;
  if (!row) return Unauthenticated("no sign-in was started for this answer, or it was already used");
  if (row->Int(6) <= now) return Unauthenticated("the sign-in took too long; please start again");
  if (!crypto::ConstantTimeEquals(row->Text(2), TokenHash(browser_token))) {
    return Unauthenticated("the sign-in was started in another browser");
  }
  PendingSignIn pending;
  pending.state = std::string(state);
  pending.method = ParseMethod(row->Text(0)).value_or(SignInMethod::kSaml);
  pending.request_id = row->Text(1);
  pending.browser_token = std::string(browser_token);
  pending.assurance = accounts::ParseAssurance(row->Text(3)).value_or(Assurance::kLow);
  pending.return_to = row->Text(4);
  if (!row->IsNull(5)) {
    PW_ASSIGN_OR_RETURN(pending.secret, secrets_.Decrypt(row->Text(5), "portal.sign_ins.secret"));
  }
  // The hash only: the token itself was never stored.
  pending.replaces_hash = row->Text(7);
  return pending;
}

Status CitizenAccounts::MarkAssertionSeen(std::string_view issuer, std::string_view assertion_id, int64_t until) {
  std::string hash = crypto::Sha256Hex(std::string(issuer) + "\n" + std::string(assertion_id));
  return db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(int64_t inserted,
                        tx.Exec("INSERT INTO portal.seen_assertions (id_hash, expires_at) VALUES ($1, $2) "
                                "ON CONFLICT (id_hash) DO NOTHING",
                                {hash, until}));
    if (inserted == 0) return AlreadyExists("this assertion was already used");
    return Status::Ok();
  });
}

Status CitizenAccounts::AuditRefusedSignIn(SignInMethod method, std::string_view reason,
                                           const std::string& request_id) {
  return db_.Write([&](Tx& tx) -> Status {
    return Audit(tx, clock_, "anonymous", "citizen.sign_in_refused",
                 std::string("sign_in:") + std::string(MethodName(method)),
                 {{"method", MethodName(method)}, {"reason", reason}}, request_id);
  });
}

Status CitizenAccounts::LinkCard(int64_t account, int64_t card_id, const std::string& request_id) {
  return db_.Write([&](Tx& tx) -> Status { return LinkCard(tx, account, card_id, request_id); });
}

Status CitizenAccounts::LinkCard(Tx& tx, int64_t account, int64_t card_id, const std::string& request_id) {
  const int64_t now = clock_.NowUnix();
  PW_ASSIGN_OR_RETURN(Row owner, tx.QueryOne("SELECT public_id FROM portal.accounts WHERE id = $1", {account}));
  PW_ASSIGN_OR_RETURN(int64_t inserted,
                      tx.Exec("INSERT INTO portal.account_cards (account_id, card_id, linked_at) VALUES ($1, $2, $3) "
                              "ON CONFLICT (account_id, card_id) DO NOTHING",
                              {account, card_id, now}));
  if (inserted == 0) return Status::Ok();
  return Audit(tx, clock_, "system", "citizen.card_link", "citizen:" + owner.Text(0), {{"card_id", card_id}},
               request_id);
}

Result<std::vector<int64_t>> CitizenAccounts::LinkedCards(int64_t account) {
  std::vector<int64_t> ids;
  Status read = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(storage::Rows rows,
                        tx.Query("SELECT card_id FROM portal.account_cards WHERE account_id = $1 ORDER BY linked_at, "
                                 "card_id",
                                 {account}));
    for (const Row& row : rows) ids.push_back(row.Int(0));
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return ids;
}

Result<std::pair<int64_t, std::string>> CitizenAccounts::EnsureAccount(SignInMethod method, std::string_view pseudonym,
                                                                       const std::string& request_id) {
  if (pseudonym.empty()) return InvalidArgument("no pseudonym");
  const int64_t now = clock_.NowUnix();
  const std::string hash = PseudonymHash(pseudonym);
  std::pair<int64_t, std::string> account;
  Status written = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(storage::Rows rows,
                        tx.Query("SELECT id, public_id FROM portal.accounts WHERE pseudonym_hash = $1", {hash}));
    if (!rows.empty()) {
      account = {rows.front().Int(0), rows.front().Text(1)};
      return Status::Ok();
    }
    std::string public_id = crypto::RandomToken(10);
    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("INSERT INTO portal.accounts (public_id, pseudonym_hash, method, "
                                             "created_at, last_sign_in_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
                                             {public_id, hash, std::string(MethodName(method)), now}));
    account = {row.Int(0), public_id};
    return Audit(tx, clock_, "system", "citizen.account_create", "citizen:" + public_id,
                 {{"method", MethodName(method)}}, request_id);
  });
  if (!written.ok()) return written;
  return account;
}

Result<int64_t> CitizenAccounts::AccountByPublicId(std::string_view public_id) {
  int64_t id = 0;
  Status read = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Row row,
                        tx.QueryOne("SELECT id FROM portal.accounts WHERE public_id = $1", {std::string(public_id)}));
    id = row.Int(0);
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return id;
}

Result<int64_t> CitizenAccounts::AccountByPseudonym(std::string_view pseudonym) {
  int64_t id = 0;
  const std::string hash = PseudonymHash(pseudonym);
  Status read = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT id FROM portal.accounts WHERE pseudonym_hash = $1", {hash}));
    id = row.Int(0);
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return id;
}

std::optional<Attributes> CitizenAccounts::SessionAttributes(const CitizenSession& session) const {
  std::lock_guard lock(attributes_mutex_);
  auto it = attributes_.find(session.public_id);
  if (it == attributes_.end()) return std::nullopt;
  return it->second.first;
}

void CitizenAccounts::ForgetAttributes(const std::vector<std::string>& session_ids) {
  std::lock_guard lock(attributes_mutex_);
  for (const std::string& id : session_ids) attributes_.erase(id);
}

Result<int64_t> CitizenAccounts::DeleteExpired() {
  const int64_t now = clock_.NowUnix();
  int64_t deleted = 0;
  Status written = db_.Write([&](Tx& tx) -> Status {
    deleted = 0;
    PW_ASSIGN_OR_RETURN(int64_t sessions,
                        tx.Exec("DELETE FROM portal.sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
                                {now, now - options_.session_idle_seconds}));
    PW_ASSIGN_OR_RETURN(int64_t sign_ins, tx.Exec("DELETE FROM portal.sign_ins WHERE expires_at <= $1", {now}));
    PW_ASSIGN_OR_RETURN(int64_t seen, tx.Exec("DELETE FROM portal.seen_assertions WHERE expires_at <= $1", {now}));
    deleted = sessions + sign_ins + seen;
    return Status::Ok();
  });
  if (!written.ok()) return written;
  std::lock_guard lock(attributes_mutex_);
  for (auto it = attributes_.begin(); it != attributes_.end();) {
    it = it->second.second <= now ? attributes_.erase(it) : std::next(it);
  }
  return deleted;
}

std::string DeviceFromUserAgent(std::string_view ua) {
  auto has = [&](std::string_view s) { return ua.find(s) != std::string_view::npos; };
  std::string browser = has("Firefox/")                      ? "Firefox"
                        : has("Edg/")                        ? "Edge"
                        : has("OPR/")                        ? "Opera"
                        : has("Chrome/") || has("Chromium/") ? "Chrome"
                        : has("Safari/")                     ? "Safari"
                        : has("curl/")                       ? "curl"
                                                             : "";
  std::string system = has("Android")                        ? "Android"
                       : has("iPhone") || has("iPad")        ? "iOS"
                       : has("Windows")                      ? "Windows"
                       : has("Mac OS X") || has("Macintosh") ? "macOS"
                       : has("Linux")                        ? "Linux"
                                                             : "";
  if (browser.empty() && system.empty()) return "";
  if (system.empty()) return browser;
  if (browser.empty()) return system;
  return browser + " / " + system;
}

}  // namespace passwerk::portal
