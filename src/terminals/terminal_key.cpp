#include "terminals/terminal_key.h"

#include <openssl/evp.h>

#include <memory>

#include "core/crypto.h"

namespace passwerk::terminals {
namespace {

constexpr size_t kKeySize = 32;
constexpr size_t kSignatureSize = 64;
constexpr std::string_view kKeyFileMagic = "passwerk-terminal-key-v1";

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

TerminalKeyPair GenerateTerminalKey() {
  TerminalKeyPair pair;
  pair.private_key = crypto::RandomBytes(kKeySize);
  auto pub = PublicKeyOf(pair.private_key);
  pair.public_key = pub.ok() ? *pub : std::string();
  return pair;
}

Result<std::string> PublicKeyOf(std::string_view private_key) {
  if (private_key.size() != kKeySize) return InvalidArgument("a terminal key has 32 bytes");
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, Bytes(private_key), private_key.size()));
  if (!key) return Internal("cannot load the terminal key");
  std::string pub(kKeySize, '\0');
  size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(pub.data()), &len) != 1 ||
      len != kKeySize) {
    return Internal("cannot derive the public key");
  }
  return pub;
}

Result<std::string> SignMessage(std::string_view private_key, std::string_view message) {
  if (private_key.size() != kKeySize) return InvalidArgument("a terminal key has 32 bytes");
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, Bytes(private_key), private_key.size()));
  MdCtx ctx(EVP_MD_CTX_new());
  if (!key || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return Internal("cannot sign with the terminal key");
  }
  std::string signature(kSignatureSize, '\0');
  size_t len = signature.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len, Bytes(message),
                     message.size()) != 1 ||
      len != kSignatureSize) {
    return Internal("cannot sign with the terminal key");
  }
  return signature;
}

bool VerifySignature(std::string_view public_key, std::string_view message, std::string_view signature) {
  if (public_key.size() != kKeySize || signature.size() != kSignatureSize) return false;
  Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, Bytes(public_key), public_key.size()));
  MdCtx ctx(EVP_MD_CTX_new());
  if (!key || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(), Bytes(message), message.size()) == 1;
}

std::string LoginMessage(std::string_view tid, std::string_view challenge) {
  std::string message = "passwerk-terminal-login-v1\n";
  message += tid;
  message += '\n';
  message += challenge;
  return message;
}

std::string FormatKeyFile(std::string_view tid, std::string_view private_key) {
  return std::string(kKeyFileMagic) + "\n" + std::string(tid) + "\n" + crypto::Base64Encode(private_key) + "\n";
}

Result<KeyFile> ParseKeyFile(std::string_view text) {
  auto line = [&text]() {
    size_t end = text.find('\n');
    std::string_view out = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    return out;
  };
  if (line() != kKeyFileMagic) return InvalidArgument("not a Passwerk terminal key file");
  KeyFile file;
  file.tid = std::string(line());
  auto key = crypto::Base64Decode(line());
  if (file.tid.empty() || !key.ok() || key->size() != kKeySize) {
    return InvalidArgument("the terminal key file is damaged");
  }
  file.private_key = std::move(*key);
  return file;
}

Result<std::string> DecodePublicKey(std::string_view base64) {
  auto key = crypto::Base64Decode(base64);
  if (!key.ok() || key->size() != kKeySize) {
    return InvalidArgument("public_key must be the base64 of a 32-byte Ed25519 key", "public_key");
  }
  return *key;
}

}  // namespace passwerk::terminals
