// Cryptographic building blocks on OpenSSL 3 and libargon2: random bytes,
// hashes, HMAC, constant-time comparison, base32/hex, Argon2id password
// hashes, and AES-256-GCM for personal data and secrets at rest.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace passwerk::crypto {

std::string RandomBytes(size_t n);
// URL-safe random token with `bytes` of entropy, base32 lower-case, no padding.
std::string RandomToken(size_t bytes = 20);

std::string Sha256(std::string_view data);  // raw 32 bytes
std::string Sha256Hex(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string HmacSha1(std::string_view key, std::string_view data);    // raw 20 bytes (TOTP)

bool ConstantTimeEquals(std::string_view a, std::string_view b);

// HMAC-SHA256 with a fixed key for hot paths: each thread keeps one keyed
// context per instance and re-initialises it per message, instead of looking
// the algorithm up and keying it on every call (OpenSSL 3's one-shot HMAC
// costs tens of microseconds; this costs well under one).
class PreparedHmac {
 public:
  explicit PreparedHmac(std::string key);
  std::string Mac(std::string_view data) const;  // raw 32 bytes
  const std::string& key() const { return key_; }

 private:
  std::string key_;
  uint64_t id_;
};

std::string HexEncode(std::string_view bytes);
Result<std::string> HexDecode(std::string_view hex);
std::string Base32Encode(std::string_view bytes);  // RFC 4648, upper-case, no padding
Result<std::string> Base32Decode(std::string_view text);  // case-insensitive, ignores spaces and '='
std::string Base64Encode(std::string_view bytes);
// Strict standard base64 with padding; anything else is kInvalidArgument.
Result<std::string> Base64Decode(std::string_view text);

// Argon2id with OWASP parameters (19 MiB, t=2, p=1): the encoded PHC string.
// Deliberately slow (~20 ms): never on a hot path.
Result<std::string> HashPassword(std::string_view password);
bool VerifyPassword(std::string_view password, const std::string& encoded);

// AES-256-GCM with versioned keys, so keys can be rotated: the ciphertext
// starts with the key id, then the 12-byte nonce, then the tag.
class SecretBox {
 public:
  // `keys`: id → 32-byte key; `current`: the id used to encrypt.
  SecretBox(std::vector<std::pair<uint8_t, std::string>> keys, uint8_t current);
  // Derives a key from configuration text (hex of 32 bytes).
  static Result<SecretBox> FromHexKeys(const std::vector<std::string>& hex_keys);

  // `context` is bound as associated data (e.g. "core.users.totp_secret").
  std::string Encrypt(std::string_view plaintext, std::string_view context) const;
  Result<std::string> Decrypt(std::string_view ciphertext, std::string_view context) const;
  uint8_t current_key_id() const { return current_; }
  // A 32-byte key for one purpose (keyed hashes, pseudonyms), derived from the
  // FIRST configured key so it survives rotation (HMAC-SHA256 as a KDF).
  std::string DeriveKey(std::string_view purpose) const;

 private:
  std::vector<std::pair<uint8_t, std::string>> keys_;
  uint8_t current_;
};

}  // namespace passwerk::crypto

namespace passwerk::crypto {

// A fresh RSA key (PKCS#8 PEM) and a self-signed X.509 certificate for it
// (PEM), valid from now for `days`: the SAML service provider's own key pair
// (identity providers pin the certificate from the metadata; no CA is involved).
struct KeyAndCertificate {
  std::string key_pem;
  std::string cert_pem;
};
Result<KeyAndCertificate> GenerateRsaKeyAndCertificate(std::string_view common_name, int bits = 3072,
                                                       int days = 3650);

}  // namespace passwerk::crypto
