// Terminal keys: each terminal holds an Ed25519 private key; the server
// keeps only the public key. At login the terminal signs a single-use
// challenge from the server (docs/terminal-protocol.md), so no secret ever
// crosses the wire and a recorded login cannot be replayed.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace passwerk::terminals {

struct TerminalKeyPair {
  std::string private_key;  // raw 32-byte seed
  std::string public_key;   // raw 32 bytes
};

TerminalKeyPair GenerateTerminalKey();
// The public key of a private key.
Result<std::string> PublicKeyOf(std::string_view private_key);
Result<std::string> SignMessage(std::string_view private_key, std::string_view message);
bool VerifySignature(std::string_view public_key, std::string_view message, std::string_view signature);

// The message a terminal signs at login.
std::string LoginMessage(std::string_view tid, std::string_view challenge);

// The key file: "passwerk-terminal-key-v1\n<tid>\n<base64 private key>\n".
std::string FormatKeyFile(std::string_view tid, std::string_view private_key);
struct KeyFile {
  std::string tid;
  std::string private_key;
};
Result<KeyFile> ParseKeyFile(std::string_view text);

// Public keys travel and are stored as base64 of the raw 32 bytes.
Result<std::string> DecodePublicKey(std::string_view base64);

}  // namespace passwerk::terminals
