#include "terminals/terminals.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "core/crypto.h"
#include "core/log.h"
#include "terminals/catalogue.h"
#include "terminals/terminal_key.h"

namespace passwerk::terminals {
namespace {
using storage::Row;
using storage::Rows;
using storage::Tx;

constexpr size_t kChallengeBytes = 32;

constexpr const char* kTerminalColumns =
    "SELECT t.id, t.tid, t.provider_id, p.vu_number, p.municipality_id, m.municipality_number, t.kind, t.name, "
    "t.public_key, t.active FROM core.terminals t JOIN core.providers p ON p.id = t.provider_id "
    "JOIN core.municipalities m ON m.id = p.municipality_id";

Result<Terminal> TerminalFromRow(Tx& tx, const Row& r) {
  Terminal t;
  t.id = r.Int(0);
  t.tid = r.Text(1);
  t.provider_id = r.Int(2);
  t.vu_number = r.Text(3);
  t.municipality_id = r.Int(4);
  t.municipality_number = r.Text(5);
  t.kind = r.Text(6);
  t.name = r.Text(7);
  auto key = DecodePublicKey(r.Text(8));
  if (!key.ok()) return Internal("terminal " + t.tid + " has a damaged public key");
  t.public_key = *key;
  t.active = r.Int(9) == 1;
  PW_ASSIGN_OR_RETURN(Rows ops, tx.Query("SELECT operator_number FROM core.terminal_operators WHERE terminal_id = $1 "
                                         "ORDER BY operator_number",
                                         {t.id}));
  for (const Row& o : ops) t.operators.push_back(o.Text(0));
  return t;
}

Status MayManageTerminalOf(const accounts::Actor& actor, int64_t municipality_id) {
  return accounts::Require(actor, accounts::Action::kManageTerminals,
                           accounts::Resource::InMunicipality(municipality_id));
}

}  // namespace

const std::vector<std::string>& TerminalKinds() {
  static const std::vector<std::string> kKinds = {"mobile", "stationary", "kiosk", "office_pc", "landlord_web"};
  return kKinds;
}

bool IsValidTid(const std::string& tid) {
  if (tid.empty() || tid.size() > 32) return false;
  return std::all_of(tid.begin(), tid.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

TerminalService::TerminalService(storage::Database& db, const Clock& clock, TerminalAuthOptions options)
    : db_(db), clock_(clock), options_(options) {}

Result<Terminal> TerminalService::RegisterTerminal(const accounts::Actor& actor, const NewTerminal& input,
                                                   storage::Idempotent<Terminal>* idempotent) {
  if (!IsValidTid(input.tid)) return InvalidArgument("a TID has 1 to 32 of A-Z a-z 0-9 - _", "tid");
  if (std::find(TerminalKinds().begin(), TerminalKinds().end(), input.kind) == TerminalKinds().end()) {
    return InvalidArgument("kind is mobile, stationary, kiosk, office_pc or landlord_web", "kind");
  }
  if (input.name.size() > 200) return InvalidArgument("the name has at most 200 characters", "name");
  if (input.public_key.size() != 32) return InvalidArgument("public_key must be a 32-byte Ed25519 key", "public_key");
  for (const auto& op : input.operators) {
    if (!IsDigits(op, 1, 8)) return InvalidArgument("an operator number has 1 to 8 digits", "operators");
  }
  Terminal terminal;
  // A terminal is business data: the answer is kept in core, unsealed.
  const storage::AnswerStore answers{storage::Segment::kCore};
  Status status = storage::WriteIdempotently(db_, idempotent, answers, terminal, [&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(
        Rows p, tx.Query("SELECT id, municipality_id FROM core.providers WHERE vu_number = $1", {input.vu_number}));
    if (p.empty()) return NotFound("no provider with this VU number", "vu_number");
    PW_RETURN_IF_ERROR(MayManageTerminalOf(actor, p[0].Int(1)));
    PW_ASSIGN_OR_RETURN(Rows taken, tx.Query("SELECT id FROM core.terminals WHERE tid = $1", {input.tid}));
    if (!taken.empty()) return AlreadyExists("a terminal with this TID exists", "tid");
    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne("INSERT INTO core.terminals (tid, provider_id, kind, name, public_key, "
                                             "active, created_at) VALUES ($1, $2, $3, $4, $5, 1, $6) RETURNING id",
                                             {input.tid, p[0].Int(0), input.kind, input.name,
                                              crypto::Base64Encode(input.public_key), clock_.NowUnix()}));
    for (const auto& op : input.operators) {
      PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO core.terminal_operators (terminal_id, operator_number, name) VALUES "
                                 "($1, $2, '') ON CONFLICT DO NOTHING",
                                 {row.Int(0), op})
                             .status());
    }
    PW_ASSIGN_OR_RETURN(Row full, tx.QueryOne(std::string(kTerminalColumns) + " WHERE t.id = $1", {row.Int(0)}));
    PW_ASSIGN_OR_RETURN(terminal, TerminalFromRow(tx, full));
    return accounts::AuditAs(tx, clock_, actor, "terminal.register", "terminal:" + input.tid,
                             {{"vu_number", input.vu_number},
                              {"kind", input.kind},
                              {"key_sha256", crypto::Sha256Hex(input.public_key).substr(0, 16)}});
  });
  if (!status.ok()) return status;
  return terminal;
}

Result<std::vector<Terminal>> TerminalService::ListTerminals(const accounts::Actor& actor) {
  std::vector<Terminal> out;
  Status status = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query(std::string(kTerminalColumns) + " ORDER BY t.tid"));
    for (const Row& r : rows) {
      if (!accounts::Can(actor, accounts::Action::kReadTerminals, accounts::Resource::InMunicipality(r.Int(4)))) {
        continue;
      }
      PW_ASSIGN_OR_RETURN(Terminal t, TerminalFromRow(tx, r));
      out.push_back(std::move(t));
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return out;
}

Status TerminalService::SetActive(const accounts::Actor& actor, const std::string& tid, bool active) {
  Status status = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query(std::string(kTerminalColumns) + " WHERE t.tid = $1", {tid}));
    if (rows.empty()) return NotFound("no such terminal", "tid");
    PW_RETURN_IF_ERROR(MayManageTerminalOf(actor, rows[0].Int(4)));
    PW_RETURN_IF_ERROR(
        tx.Exec("UPDATE core.terminals SET active = $1 WHERE tid = $2", {int64_t{active ? 1 : 0}, tid}).status());
    return accounts::AuditAs(tx, clock_, actor, active ? "terminal.enable" : "terminal.disable", "terminal:" + tid, {});
  });
  if (status.ok() && !active) {
    std::lock_guard lock(mu_);
    std::erase_if(sessions_, [&](const auto& entry) { return entry.second.tid == tid; });
  }
  return status;
}

Status TerminalService::ReplaceKey(const accounts::Actor& actor, const std::string& tid,
                                   const std::string& public_key) {
  if (public_key.size() != 32) return InvalidArgument("public_key must be a 32-byte Ed25519 key", "public_key");
  Status status = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query(std::string(kTerminalColumns) + " WHERE t.tid = $1", {tid}));
    if (rows.empty()) return NotFound("no such terminal", "tid");
    PW_RETURN_IF_ERROR(MayManageTerminalOf(actor, rows[0].Int(4)));
    PW_RETURN_IF_ERROR(
        tx.Exec("UPDATE core.terminals SET public_key = $1 WHERE tid = $2", {crypto::Base64Encode(public_key), tid})
            .status());
    return accounts::AuditAs(tx, clock_, actor, "terminal.rekey", "terminal:" + tid,
                             {{"key_sha256", crypto::Sha256Hex(public_key).substr(0, 16)}});
  });
  if (status.ok()) {
    std::lock_guard lock(mu_);
    std::erase_if(sessions_, [&](const auto& entry) { return entry.second.tid == tid; });
  }
  return status;
}

Result<Terminal> TerminalService::Find(const std::string& tid) {
  Terminal terminal;
  Status status = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query(std::string(kTerminalColumns) + " WHERE t.tid = $1", {tid}));
    if (rows.empty()) return NotFound("no such terminal", "tid");
    PW_ASSIGN_OR_RETURN(terminal, TerminalFromRow(tx, rows[0]));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return terminal;
}

void TerminalService::ExpireLocked(int64_t now) {
  if (now == last_expiry_) return;
  last_expiry_ = now;
  std::erase_if(challenges_, [now](const auto& entry) { return entry.second.expires_at <= now; });
  std::erase_if(sessions_, [now](const auto& entry) { return entry.second.expires_at <= now; });
}

Result<std::string> TerminalService::Challenge(const std::string& tid) {
  if (!IsValidTid(tid)) return InvalidArgument("a TID has 1 to 32 of A-Z a-z 0-9 - _", "tid");
  int64_t now = clock_.NowUnix();
  std::string challenge = crypto::Base64Encode(crypto::RandomBytes(kChallengeBytes));
  std::lock_guard lock(mu_);
  ExpireLocked(now);
  if (challenges_.size() >= options_.max_challenges) {
    return Unavailable("too many logins in progress; try again in a minute");
  }
  challenges_[challenge] = {tid, now + options_.challenge_seconds};
  return challenge;
}

Result<TerminalLogin> TerminalService::Login(const std::string& tid, const std::string& challenge,
                                             const std::string& signature) {
  const Status denied = Unauthenticated("terminal login failed");
  int64_t now = clock_.NowUnix();
  {
    // The challenge is spent by this attempt, whatever its outcome.
    std::lock_guard lock(mu_);
    ExpireLocked(now);
    auto it = challenges_.find(challenge);
    if (it == challenges_.end()) return denied;
    bool same_tid = it->second.tid == tid;
    challenges_.erase(it);
    if (!same_tid) return denied;
  }
  auto terminal = Find(tid);
  if (!terminal.ok()) {
    if (terminal.status().code() == ErrorCode::kNotFound) return denied;
    return terminal.status();
  }
  auto raw_signature = crypto::Base64Decode(signature);
  if (!raw_signature.ok() || !VerifySignature(terminal->public_key, LoginMessage(tid, challenge), *raw_signature)) {
    log::Warn("terminal login with a bad signature", {{"tid", tid}});
    return denied;
  }
  if (!terminal->active) return PermissionDenied("this terminal is disabled");
  TerminalLogin login;
  login.session = crypto::RandomToken(32);
  login.terminal = {terminal->id,
                    terminal->tid,
                    terminal->provider_id,
                    terminal->vu_number,
                    terminal->municipality_id,
                    terminal->municipality_number,
                    terminal->kind,
                    terminal->operators,
                    now + options_.session_seconds};
  std::lock_guard lock(mu_);
  sessions_[crypto::Sha256(login.session)] = login.terminal;
  return login;
}

Result<TerminalSession> TerminalService::Authenticate(const std::string& session_token) {
  int64_t now = clock_.NowUnix();
  std::string key = crypto::Sha256(session_token);
  std::lock_guard lock(mu_);
  ExpireLocked(now);
  auto it = sessions_.find(key);
  if (it == sessions_.end() || it->second.expires_at <= now) {
    return Unauthenticated("no or expired terminal session; log in again");
  }
  return it->second;
}

}  // namespace passwerk::terminals
