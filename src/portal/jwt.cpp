// JOSE on OpenSSL's EVP interface. Keys are built from JWK parameters with
// EVP_PKEY_fromdata; nothing here throws (JSON is parsed with exceptions off
// and every value's type is checked before it is read).
#include "portal/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <array>
#include <cmath>

#include "core/crypto.h"

namespace passwerk::portal {
namespace {

constexpr std::string_view kBase64UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
// Deeper JSON than any ID token or key set needs is refused before parsing:
// nlohmann copies recursively, and claims are copied.
constexpr int kMaxJsonDepth = 32;
constexpr size_t kMaxSubjectLength = 255;

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ParamBuildPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG_free>>;

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// True if brackets and braces outside strings nest at most `limit` deep.
bool NestingWithin(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

// A JSON object, or nullopt for anything else (invalid JSON, other types).
std::optional<nlohmann::json> ParseObject(std::string_view text) {
  if (!NestingWithin(text, kMaxJsonDepth)) return std::nullopt;
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  return parsed;
}

// The string member `name`, "" if absent; nullopt if present but no string.
std::optional<std::string> OptionalString(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) return std::string();
  if (!it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// ---- Keys ----

EVP_PKEY* FromData(const char* algorithm, OSSL_PARAM_BLD* builder) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(builder));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) return nullptr;
  return key;
}

std::shared_ptr<EVP_PKEY> Share(EVP_PKEY* key) {
  if (key == nullptr) return nullptr;
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

// The decoded member `name`, or nullopt if absent or not base64url.
std::optional<std::string> KeyParameter(const nlohmann::json& jwk, const char* name) {
  auto text = OptionalString(jwk, name);
  if (!text || text->empty()) return std::nullopt;
  auto bytes = Base64UrlDecode(*text);
  if (!bytes.ok()) return std::nullopt;
  return std::move(bytes).value();
}

std::shared_ptr<EVP_PKEY> RsaKey(const nlohmann::json& jwk) {
  auto n_bytes = KeyParameter(jwk, "n");
  auto e_bytes = KeyParameter(jwk, "e");
  if (!n_bytes || !e_bytes || e_bytes->size() > 8) return nullptr;
  BignumPtr n(BN_bin2bn(Bytes(*n_bytes), static_cast<int>(n_bytes->size()), nullptr));
  BignumPtr e(BN_bin2bn(Bytes(*e_bytes), static_cast<int>(e_bytes->size()), nullptr));
  // Under 2048 bits is too weak; over 8192 only costs time.
  if (!n || !e || BN_num_bits(n.get()) < 2048 || BN_num_bits(n.get()) > 8192) return nullptr;
  if (!BN_is_odd(e.get()) || BN_is_one(e.get())) return nullptr;
  ParamBuildPtr builder(OSSL_PARAM_BLD_new());
  if (!builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return nullptr;
  }
  return Share(FromData("RSA", builder.get()));
}

std::shared_ptr<EVP_PKEY> EcP256Key(const nlohmann::json& jwk) {
  auto x = KeyParameter(jwk, "x");
  auto y = KeyParameter(jwk, "y");
  if (!x || !y || x->size() != 32 || y->size() != 32) return nullptr;
  std::string point = "\x04" + *x + *y;  // SEC 1 uncompressed point
  ParamBuildPtr builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, SN_X9_62_prime256v1, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return nullptr;
  }
  auto key = Share(FromData("EC", builder.get()));
  if (!key) return nullptr;
  // A point off the curve would open invalid-curve attacks; check explicitly.
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  return key;
}

std::shared_ptr<EVP_PKEY> Ed25519Key(const nlohmann::json& jwk) {
  auto x = KeyParameter(jwk, "x");
  if (!x || x->size() != 32) return nullptr;
  ParamBuildPtr builder(OSSL_PARAM_BLD_new());
  if (!builder || OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, x->data(), x->size()) != 1) {
    return nullptr;
  }
  return Share(FromData("ED25519", builder.get()));
}

// The usable key `jwk` describes, or nullopt.
std::optional<Jwk> ParseKey(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return std::nullopt;
  auto kty = OptionalString(jwk, "kty");
  auto use = OptionalString(jwk, "use");
  auto kid = OptionalString(jwk, "kid");
  auto alg = OptionalString(jwk, "alg");
  auto crv = OptionalString(jwk, "crv");
  if (!kty || !use || !kid || !alg || !crv) return std::nullopt;
  if (!use->empty() && *use != "sig") return std::nullopt;
  Jwk out;
  out.kid = std::move(*kid);
  out.alg = std::move(*alg);
  if (*kty == "RSA") {
    out.type = KeyType::kRsa;
    out.key = RsaKey(jwk);
  } else if (*kty == "EC" && *crv == "P-256") {
    out.type = KeyType::kEcP256;
    out.key = EcP256Key(jwk);
  } else if (*kty == "OKP" && *crv == "Ed25519") {
    out.type = KeyType::kEd25519;
    out.key = Ed25519Key(jwk);
  }
  if (!out.key) return std::nullopt;
  return out;
}

// ---- Signatures ----

// The key type an algorithm needs; nullopt for algorithms not accepted. HS*
// is refused on purpose: with a public key as the shared secret, anyone
// could sign.
std::optional<KeyType> KeyTypeFor(std::string_view alg) {
  if (alg == "RS256" || alg == "PS256") return KeyType::kRsa;
  if (alg == "ES256") return KeyType::kEcP256;
  if (alg == "EdDSA") return KeyType::kEd25519;
  return std::nullopt;
}

// JOSE carries ECDSA signatures as r||s; OpenSSL wants DER.
std::optional<std::string> EcdsaRawToDer(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(Bytes(raw), 32, nullptr);
  BIGNUM* s = BN_bin2bn(Bytes(raw) + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) return std::nullopt;
  std::string der(static_cast<size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != length) return std::nullopt;
  return der;
}

bool VerifySignature(const Jwk& jwk, std::string_view alg, std::string_view input, std::string_view signature) {
  std::string der;
  if (alg == "ES256") {
    auto converted = EcdsaRawToDer(signature);
    if (!converted) return false;
    der = std::move(*converted);
    signature = der;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return false;
  EVP_PKEY_CTX* pkey_ctx = nullptr;
  // Ed25519 hashes internally and takes no digest.
  const EVP_MD* md = alg == "EdDSA" ? nullptr : EVP_sha256();
  if (EVP_DigestVerifyInit(ctx.get(), &pkey_ctx, md, nullptr, jwk.key.get()) != 1) return false;
  if (alg == "PS256") {
    // RFC 7518 §3.5: MGF1 with SHA-256 and a salt as long as the hash.
    if (EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pkey_ctx, EVP_sha256()) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_ctx, RSA_PSS_SALTLEN_DIGEST) != 1) {
      return false;
    }
  } else if (alg == "RS256") {
    if (EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING) != 1) return false;
  }
  return EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(), Bytes(input), input.size()) == 1;
}

// ---- Tokens ----

struct ParsedToken {
  std::string_view signing_input;  // header.payload, as signed
  std::string signature;
  nlohmann::json header;
  nlohmann::json payload;
  std::string alg;
  std::string kid;
};

Result<ParsedToken> ParseToken(std::string_view compact) {
  if (compact.size() > kMaxIdTokenBytes) return InvalidArgument("the ID token is too large");
  size_t first = compact.find('.');
  size_t second = first == std::string_view::npos ? first : compact.find('.', first + 1);
  if (second == std::string_view::npos || compact.find('.', second + 1) != std::string_view::npos) {
    return InvalidArgument("the ID token is not a compact JWS of three parts");
  }
  ParsedToken out;
  out.signing_input = compact.substr(0, second);
  auto header_text = Base64UrlDecode(compact.substr(0, first));
  auto payload_text = Base64UrlDecode(compact.substr(first + 1, second - first - 1));
  auto signature = Base64UrlDecode(compact.substr(second + 1));
  if (!header_text.ok() || !payload_text.ok() || !signature.ok()) {
    return InvalidArgument("the ID token is not valid base64url");
  }
  auto header = ParseObject(*header_text);
  if (!header) return InvalidArgument("the ID token's header is not a JSON object");
  auto payload = ParseObject(*payload_text);
  if (!payload) return InvalidArgument("the ID token's payload is not a JSON object");
  auto alg = OptionalString(*header, "alg");
  auto kid = OptionalString(*header, "kid");
  if (!alg || alg->empty() || !kid) return InvalidArgument("the ID token's header lacks a valid alg or kid");
  out.signature = std::move(signature).value();
  out.header = std::move(*header);
  out.payload = std::move(*payload);
  out.alg = std::move(*alg);
  out.kid = std::move(*kid);
  return out;
}

// The key to verify `token` with, chosen by kid and algorithm.
Result<const Jwk*> SelectKey(const ParsedToken& token, KeyType type, const JwkSet& keys) {
  const Jwk* found = nullptr;
  int usable = 0;
  bool kid_known = false;
  for (const Jwk& jwk : keys.keys()) {
    if (!token.kid.empty() && jwk.kid != token.kid) continue;
    kid_known = true;
    if (jwk.type != type || (!jwk.alg.empty() && jwk.alg != token.alg)) continue;
    if (found == nullptr) found = &jwk;
    ++usable;
  }
  if (!token.kid.empty() && !kid_known) return Unauthenticated("the ID token is signed with an unknown key");
  if (found == nullptr) return Unauthenticated("no key of the provider fits the ID token's algorithm");
  // Without a kid, guessing among several keys would be ambiguous.
  if (token.kid.empty() && usable > 1) return Unauthenticated("the ID token names no key and several would fit");
  return found;
}

// A NumericDate claim: nullopt if absent, error if not a number.
Result<std::optional<int64_t>> NumericDate(const nlohmann::json& payload, const char* name) {
  auto it = payload.find(name);
  if (it == payload.end()) return std::optional<int64_t>();
  if (it->is_number_integer()) return std::optional<int64_t>(it->get<int64_t>());
  if (it->is_number_unsigned()) {
    uint64_t value = it->get<uint64_t>();
    if (value > static_cast<uint64_t>(INT64_MAX))
      return InvalidArgument(std::string("the ID token's ") + name + " is out of range");
    return std::optional<int64_t>(static_cast<int64_t>(value));
  }
  // RFC 7519 allows fractional seconds.
  if (it->is_number_float()) {
    double value = it->get<double>();
    if (!std::isfinite(value) || value < -9e15 || value > 9e15) {
      return InvalidArgument(std::string("the ID token's ") + name + " is out of range");
    }
    return std::optional<int64_t>(static_cast<int64_t>(std::floor(value)));
  }
  return InvalidArgument(std::string("the ID token's ") + name + " is not a number");
}

Status CheckAudience(const nlohmann::json& payload, const std::string& client_id) {
  auto aud = payload.find("aud");
  if (aud == payload.end()) return Unauthenticated("the ID token names no audience");
  size_t audiences = 0;
  bool ours = false;
  if (aud->is_string()) {
    audiences = 1;
    ours = aud->get<std::string>() == client_id;
  } else if (aud->is_array()) {
    for (const auto& entry : *aud) {
      if (!entry.is_string()) return InvalidArgument("the ID token's aud holds a value that is not a string");
      ++audiences;
      if (entry.get<std::string>() == client_id) ours = true;
    }
  } else {
    return InvalidArgument("the ID token's aud is neither a string nor an array");
  }
  if (!ours) return Unauthenticated("the ID token is for another client");
  auto azp = OptionalString(payload, "azp");
  if (!azp) return InvalidArgument("the ID token's azp is not a string");
  // OpenID Connect Core §3.1.3.7: with several audiences, the authorized
  // party must be us; if it is named at all, it must be us anyway.
  if ((audiences > 1 && azp->empty()) || (!azp->empty() && *azp != client_id)) {
    return Unauthenticated("the ID token was issued to another client (azp)");
  }
  return Status::Ok();
}

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                 (uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) | static_cast<unsigned char>(bytes[i + 2]);
    out += kBase64UrlAlphabet[(v >> 18) & 63];
    out += kBase64UrlAlphabet[(v >> 12) & 63];
    out += kBase64UrlAlphabet[(v >> 6) & 63];
    out += kBase64UrlAlphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (rest == 2) v |= uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out += kBase64UrlAlphabet[(v >> 18) & 63];
    out += kBase64UrlAlphabet[(v >> 12) & 63];
    if (rest == 2) out += kBase64UrlAlphabet[(v >> 6) & 63];
  }
  return out;
}

Result<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return InvalidArgument("not base64url: bad length");
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    size_t value = kBase64UrlAlphabet.find(c);
    if (value == std::string_view::npos) return InvalidArgument("not base64url: invalid character");
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  if ((buffer & ((1u << bits) - 1)) != 0) return InvalidArgument("not base64url: non-zero trailing bits");
  return out;
}

bool JwkSet::HasKeyId(std::string_view kid) const {
  for (const Jwk& jwk : keys_) {
    if (jwk.kid == kid) return true;
  }
  return false;
}

Result<JwkSet> JwkSet::Parse(std::string_view json) {
  if (json.size() > kMaxJwksBytes) return InvalidArgument("the provider's key set is too large");
  auto document = ParseObject(json);
  if (!document) return InvalidArgument("the provider's key set is not a JSON object");
  auto keys = document->find("keys");
  if (keys == document->end() || !keys->is_array()) return InvalidArgument("the provider's key set has no keys array");
  JwkSet out;
  for (const auto& entry : *keys) {
    if (auto jwk = ParseKey(entry)) out.keys_.push_back(std::move(*jwk));
  }
  if (out.keys_.empty()) return InvalidArgument("the provider's key set holds no usable signing key");
  return out;
}

Result<std::string> IdTokenKeyId(std::string_view compact_jws) {
  PW_ASSIGN_OR_RETURN(ParsedToken token, ParseToken(compact_jws));
  return token.kid;
}

Result<IdToken> VerifyIdToken(std::string_view compact_jws, const JwkSet& keys, const IdTokenExpectations& expect) {
  PW_ASSIGN_OR_RETURN(ParsedToken token, ParseToken(compact_jws));
  // RFC 7515 §4.1.11: extensions we do not understand must not be ignored.
  if (token.header.contains("crit")) return Unauthenticated("the ID token demands header extensions not supported");
  auto type = KeyTypeFor(token.alg);
  if (!type) return Unauthenticated("the ID token's signing algorithm is not accepted: " + token.alg);
  PW_ASSIGN_OR_RETURN(const Jwk* key, SelectKey(token, *type, keys));
  if (!VerifySignature(*key, token.alg, token.signing_input, token.signature)) {
    return Unauthenticated("the ID token's signature does not verify");
  }

  // Only a token with a valid signature has its claims looked at.
  const nlohmann::json& claims = token.payload;
  IdToken out;
  auto iss = OptionalString(claims, "iss");
  if (!iss) return InvalidArgument("the ID token's iss is not a string");
  if (*iss != expect.issuer) return Unauthenticated("the ID token comes from another issuer");
  PW_RETURN_IF_ERROR(CheckAudience(claims, expect.client_id));

  PW_ASSIGN_OR_RETURN(std::optional<int64_t> exp, NumericDate(claims, "exp"));
  PW_ASSIGN_OR_RETURN(std::optional<int64_t> iat, NumericDate(claims, "iat"));
  PW_ASSIGN_OR_RETURN(std::optional<int64_t> nbf, NumericDate(claims, "nbf"));
  PW_ASSIGN_OR_RETURN(out.auth_time, NumericDate(claims, "auth_time"));
  if (!exp) return Unauthenticated("the ID token has no expiry");
  // Compared as exp + skew > now, rearranged so that no sum can overflow.
  if (*exp <= expect.now_unix - expect.skew_seconds) return Unauthenticated("the ID token has expired");
  if (!iat) return Unauthenticated("the ID token has no issue time");
  if (*iat > expect.now_unix + expect.skew_seconds) return Unauthenticated("the ID token was issued in the future");
  if (nbf && *nbf > expect.now_unix + expect.skew_seconds) return Unauthenticated("the ID token is not valid yet");

  auto nonce = OptionalString(claims, "nonce");
  if (!nonce) return InvalidArgument("the ID token's nonce is not a string");
  // An empty expected nonce would match a token without one: never accept that.
  if (expect.nonce.empty() || !crypto::ConstantTimeEquals(*nonce, expect.nonce)) {
    return Unauthenticated("the ID token's nonce does not match");
  }

  auto sub = OptionalString(claims, "sub");
  if (!sub) return InvalidArgument("the ID token's sub is not a string");
  if (sub->empty() || sub->size() > kMaxSubjectLength) {
    return Unauthenticated("the ID token's subject is empty or too long");
  }
  auto acr = OptionalString(claims, "acr");
  if (!acr) return InvalidArgument("the ID token's acr is not a string");

  out.sub = std::move(*sub);
  out.acr = std::move(*acr);
  out.issuer = std::move(*iss);
  out.exp = *exp;
  out.iat = *iat;
  out.claims = std::move(token.payload);
  return out;
}

std::string PkceChallengeS256(std::string_view verifier) { return Base64UrlEncode(crypto::Sha256(verifier)); }

std::string NewPkceVerifier() { return Base64UrlEncode(crypto::RandomBytes(32)); }

}  // namespace passwerk::portal
