// The terminal registry and terminal login (docs/terminal-protocol.md §1):
// each terminal has a TID, belongs to a provider (VU number), has a kind
// (001 §5), operators, and an Ed25519 public key. Logins are challenge and
// response; sessions live in memory and expire.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "accounts/accounts.h"
#include "core/clock.h"
#include "core/status.h"
#include "storage/database.h"
#include "storage/idempotency.h"

namespace passwerk::terminals {

// 001 §5: mobile acceptance device, stationary terminal, self-service kiosk,
// PC service terminal in the office, internet terminal at a landlord.
const std::vector<std::string>& TerminalKinds();

struct Terminal {
  int64_t id = 0;
  std::string tid;
  int64_t provider_id = 0;
  std::string vu_number;
  int64_t municipality_id = 0;
  std::string municipality_number;
  std::string kind;
  std::string name;
  std::string public_key;  // raw 32 bytes
  bool active = true;
  std::vector<std::string> operators;
};

struct NewTerminal {
  std::string tid, vu_number, kind, name;
  std::string public_key;  // raw 32 bytes
  std::vector<std::string> operators;
};

// What a logged-in terminal may act as.
struct TerminalSession {
  int64_t terminal_id = 0;
  std::string tid;
  int64_t provider_id = 0;
  std::string vu_number;
  int64_t municipality_id = 0;
  std::string municipality_number;
  std::string kind;
  std::vector<std::string> operators;  // empty: any operator number is accepted
  int64_t expires_at = 0;
};

struct TerminalLogin {
  std::string session;  // shown once
  TerminalSession terminal;
};

struct TerminalAuthOptions {
  int challenge_seconds = 60;
  int session_seconds = 3600;
  size_t max_challenges = 10000;  // outstanding, server-wide (a flood cannot grow memory without bound)
};

class TerminalService {
 public:
  TerminalService(storage::Database& db, const Clock& clock, TerminalAuthOptions options = {});

  // With `idempotent`, the answer is kept in core (storage/idempotency.h).
  Result<Terminal> RegisterTerminal(const accounts::Actor& actor, const NewTerminal& input,
                                    storage::Idempotent<Terminal>* idempotent = nullptr);
  Result<std::vector<Terminal>> ListTerminals(const accounts::Actor& actor);
  Status SetActive(const accounts::Actor& actor, const std::string& tid, bool active);
  // A new key for a terminal (lost device, key rotation): ends its sessions.
  Status ReplaceKey(const accounts::Actor& actor, const std::string& tid, const std::string& public_key);
  Result<Terminal> Find(const std::string& tid);

  // Login step 1: a fresh single-use challenge (base64). Unknown TIDs get one too.
  Result<std::string> Challenge(const std::string& tid);
  // Login step 2: the signature over LoginMessage(tid, challenge).
  Result<TerminalLogin> Login(const std::string& tid, const std::string& challenge, const std::string& signature);
  Result<TerminalSession> Authenticate(const std::string& session_token);

 private:
  void ExpireLocked(int64_t now);
  storage::Database& db_;
  const Clock& clock_;
  TerminalAuthOptions options_;
  std::mutex mu_;
  struct PendingChallenge {
    std::string tid;
    int64_t expires_at = 0;
  };
  std::unordered_map<std::string, PendingChallenge> challenges_;  // by challenge
  std::unordered_map<std::string, TerminalSession> sessions_;     // by SHA-256 of the token
  int64_t last_expiry_ = 0;
};

bool IsValidTid(const std::string& tid);

}  // namespace passwerk::terminals
