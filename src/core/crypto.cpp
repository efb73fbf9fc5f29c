// OpenSSL 3 and libargon2 behind small value-in, value-out functions.
#include "core/crypto.h"

#include <argon2.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <atomic>
#include <cctype>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <unordered_map>

namespace passwerk::crypto {

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    // Without randomness nothing secure can continue; this is not input-dependent.
    throw std::runtime_error("RAND_bytes failed");
  }
  return out;
}

std::string RandomToken(size_t bytes) {
  std::string token = Base32Encode(RandomBytes(bytes));
  for (char& c : token) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return token;
}

std::string Sha256(std::string_view data) {
  // The algorithm is fetched once; each thread reuses one digest context.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct Context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Context context;
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  unsigned int len = 0;
  EVP_DigestInit_ex2(context.ctx, kSha256, nullptr);
  EVP_DigestUpdate(context.ctx, data.data(), data.size());
  EVP_DigestFinal_ex(context.ctx, reinterpret_cast<unsigned char*>(out.data()), &len);
  return out;
}

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

namespace {
std::string Hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}
}  // namespace

std::string HmacSha256(std::string_view key, std::string_view data) { return Hmac(EVP_sha256(), key, data); }
std::string HmacSha1(std::string_view key, std::string_view data) { return Hmac(EVP_sha1(), key, data); }

namespace {
std::atomic<uint64_t> next_hmac_id{1};

struct ThreadHmacContexts {
  std::unordered_map<uint64_t, EVP_MAC_CTX*> contexts;
  ~ThreadHmacContexts() {
    for (auto& [id, ctx] : contexts) EVP_MAC_CTX_free(ctx);
  }
};
}  // namespace

PreparedHmac::PreparedHmac(std::string key) : key_(std::move(key)), id_(next_hmac_id++) {}

std::string PreparedHmac::Mac(std::string_view data) const {
  static EVP_MAC* const kHmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  thread_local ThreadHmacContexts cache;
  EVP_MAC_CTX*& ctx = cache.contexts[id_];
  if (ctx == nullptr) {
    ctx = EVP_MAC_CTX_new(kHmac);
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
    EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key_.data()), key_.size(), params);
  } else {
    EVP_MAC_init(ctx, nullptr, 0, nullptr);  // same key, fresh message
  }
  EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  std::string out(32, '\0');
  size_t len = 0;
  EVP_MAC_final(ctx, reinterpret_cast<unsigned char*>(out.data()), &len, out.size());
  out.resize(len);
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  // Sized once and written by index: push_back's capacity check per digit
  // showed in the partner check's profile (a key hash and a pseudonym per check).
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[c >> 4];
    out[2 * i + 1] = kDigits[c & 0xf];
  }
  return out;
}

Result<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return InvalidArgument("hex text has an odd length");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]);
    int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgument("not a hex digit");
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string Base32Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

Result<std::string> Base32Decode(std::string_view text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char raw : text) {
    if (raw == ' ' || raw == '=' || raw == '-') continue;
    char c = static_cast<char>(std::toupper(static_cast<unsigned char>(raw)));
    int value;
    if (c >= 'A' && c <= 'Z') {
      value = c - 'A';
    } else if (c >= '2' && c <= '7') {
      value = c - '2' + 26;
    } else {
      return InvalidArgument("not a base32 character");
    }
    buffer = (buffer << 5) | static_cast<uint32_t>(value);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return InvalidArgument("not base64");
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    bool pad = c == '=' && i >= text.size() - 2 && (i == text.size() - 1 || text.back() == '=');
    if (!alnum && !pad) return InvalidArgument("not base64");
  }
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return InvalidArgument("not base64");
  size_t padding = text.back() == '=' ? (text[text.size() - 2] == '=' ? 2 : 1) : 0;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

namespace {
constexpr uint32_t kArgonTime = 2;
constexpr uint32_t kArgonMemoryKib = 19 * 1024;
constexpr uint32_t kArgonParallelism = 1;
constexpr size_t kArgonHashLen = 32;
constexpr size_t kArgonSaltLen = 16;
}  // namespace

Result<std::string> HashPassword(std::string_view password) {
  std::string salt = RandomBytes(kArgonSaltLen);
  size_t encoded_len =
      argon2_encodedlen(kArgonTime, kArgonMemoryKib, kArgonParallelism, kArgonSaltLen, kArgonHashLen, Argon2_id);
  std::string encoded(encoded_len, '\0');
  int rc = argon2id_hash_encoded(kArgonTime, kArgonMemoryKib, kArgonParallelism, password.data(), password.size(),
                                 salt.data(), salt.size(), kArgonHashLen, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return Internal(std::string("argon2: ") + argon2_error_message(rc));
  encoded.resize(std::strlen(encoded.c_str()));
  return encoded;
}

bool VerifyPassword(std::string_view password, const std::string& encoded) {
  if (encoded.rfind("$argon2id$", 0) != 0) return false;
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

SecretBox::SecretBox(std::vector<std::pair<uint8_t, std::string>> keys, uint8_t current)
    : keys_(std::move(keys)), current_(current) {}

Result<SecretBox> SecretBox::FromHexKeys(const std::vector<std::string>& hex_keys) {
  if (hex_keys.empty()) return InvalidArgument("no data key configured", "data_keys");
  if (hex_keys.size() > 255) return InvalidArgument("at most 255 data keys", "data_keys");
  std::vector<std::pair<uint8_t, std::string>> keys;
  for (size_t i = 0; i < hex_keys.size(); ++i) {
    auto key = HexDecode(hex_keys[i]);
    if (!key.ok() || key->size() != 32) {
      return InvalidArgument("data key " + std::to_string(i + 1) + " is not 64 hex digits (32 bytes)", "data_keys");
    }
    keys.emplace_back(static_cast<uint8_t>(i + 1), std::move(key).value());
  }
  uint8_t current = keys.back().first;
  return SecretBox(std::move(keys), current);
}

namespace {
constexpr size_t kNonceLen = 12;
constexpr size_t kTagLen = 16;

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;
}  // namespace

std::string SecretBox::DeriveKey(std::string_view purpose) const {
  return HmacSha256(keys_.front().second, std::string("passwerk/derive/v1/") + std::string(purpose));
}

std::string SecretBox::Encrypt(std::string_view plaintext, std::string_view context) const {
  const std::string* key = nullptr;
  for (const auto& [id, k] : keys_) {
    if (id == current_) key = &k;
  }
  std::string nonce = RandomBytes(kNonceLen);
  std::string out;
  out.reserve(1 + kNonceLen + plaintext.size() + kTagLen);
  out.push_back(static_cast<char>(current_));
  out += nonce;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  std::string body(plaintext.size(), '\0');
  auto* k = reinterpret_cast<const unsigned char*>(key->data());
  auto* iv = reinterpret_cast<const unsigned char*>(nonce.data());
  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, k, iv);
  EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(context.data()),
                    static_cast<int>(context.size()));
  if (!plaintext.empty()) {
    EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(body.data()), &len,
                      reinterpret_cast<const unsigned char*>(plaintext.data()), static_cast<int>(plaintext.size()));
  }
  EVP_EncryptFinal_ex(ctx.get(), nullptr, &len);
  std::string tag(kTagLen, '\0');
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagLen), tag.data());
  out += body;
  out += tag;
  return out;
}

Result<std::string> SecretBox::Decrypt(std::string_view ciphertext, std::string_view context) const {
  if (ciphertext.size() < 1 + kNonceLen + kTagLen) return InvalidArgument("ciphertext too short");
  auto key_id = static_cast<uint8_t>(ciphertext[0]);
  const std::string* key = nullptr;
  for (const auto& [id, k] : keys_) {
    if (id == key_id) key = &k;
  }
  if (key == nullptr) return FailedPrecondition("data was encrypted with a key that is not configured");
  std::string_view nonce = ciphertext.substr(1, kNonceLen);
  std::string_view body = ciphertext.substr(1 + kNonceLen, ciphertext.size() - 1 - kNonceLen - kTagLen);
  std::string tag(ciphertext.substr(ciphertext.size() - kTagLen));
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  std::string out(body.size(), '\0');
  EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, reinterpret_cast<const unsigned char*>(key->data()),
                     reinterpret_cast<const unsigned char*>(nonce.data()));
  EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(context.data()),
                    static_cast<int>(context.size()));
  if (!body.empty()) {
    EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                      reinterpret_cast<const unsigned char*>(body.data()), static_cast<int>(body.size()));
  }
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagLen), tag.data());
  if (EVP_DecryptFinal_ex(ctx.get(), nullptr, &len) != 1) {
    return InvalidArgument("ciphertext failed authentication");
  }
  return out;
}

}  // namespace passwerk::crypto

namespace passwerk::crypto {

Result<KeyAndCertificate> GenerateRsaKeyAndCertificate(std::string_view common_name, int bits, int days) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(static_cast<unsigned>(bits)), EVP_PKEY_free);
  if (!key) return Internal("RSA key generation failed");
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!cert) return Internal("X509_new failed");
  std::string serial = RandomBytes(16);
  serial[0] = static_cast<char>(serial[0] & 0x7f);  // a positive serial number
  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial_bn(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(serial.data()), static_cast<int>(serial.size()), nullptr),
      BN_free);
  std::string name(common_name);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  bool ok =
      X509_set_version(cert.get(), 2) == 1 && serial_bn &&
      BN_to_ASN1_INTEGER(serial_bn.get(), X509_get_serialNumber(cert.get())) != nullptr &&
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400) != nullptr &&
      X509_set_pubkey(cert.get(), key.get()) == 1 &&
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(name.data()),
                                 static_cast<int>(name.size()), -1, 0) == 1 &&
      X509_set_issuer_name(cert.get(), subject) == 1 && X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) return Internal("the self-signed certificate could not be made");
  auto to_pem = [](auto write) -> std::string {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    if (!bio || write(bio.get()) != 1) return {};
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(size));
  };
  KeyAndCertificate out;
  out.key_pem =
      to_pem([&](BIO* bio) { return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr); });
  out.cert_pem = to_pem([&](BIO* bio) { return PEM_write_bio_X509(bio, cert.get()); });
  if (out.key_pem.empty() || out.cert_pem.empty()) return Internal("PEM encoding failed");
  return out;
}

}  // namespace passwerk::crypto
