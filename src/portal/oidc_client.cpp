// OpenID Connect relying party: discovery and keys are cached, and the lock
// is never held across a fetch, so a slow provider stalls only the sign-ins
// that wait for it.
#include "portal/oidc_client.h"

#include <algorithm>

#include "core/crypto.h"

namespace passwerk::portal {
namespace {

constexpr int64_t kMetadataLifetimeSeconds = 3600;
constexpr int64_t kKeysLifetimeSeconds = 3600;
// A token naming an unknown key makes us fetch the keys again (the provider
// rotated them), but no more often than this, so forged kids cannot make us
// hammer the provider.
constexpr int64_t kKeysRefetchIntervalSeconds = 60;
constexpr size_t kMaxCodeBytes = 4096;

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

std::string Encode(std::string_view text, bool space_as_plus) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (IsUnreserved(c)) {
      out += c;
    } else if (c == ' ' && space_as_plus) {
      out += '+';
    } else {
      auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
  }
  return out;
}

std::string JoinParameters(const std::vector<std::pair<std::string, std::string>>& parameters, bool form) {
  std::string out;
  for (const auto& [name, value] : parameters) {
    if (!out.empty()) out += '&';
    out += form ? FormUrlEncode(name) : PercentEncode(name);
    out += '=';
    out += form ? FormUrlEncode(value) : PercentEncode(value);
  }
  return out;
}

// The string member `name`, or "" if absent or of another type.
std::string StringMember(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// An absolute endpoint URL without fragment; plain http only when the issuer
// itself is (a provider on the developer's machine).
bool AcceptableEndpoint(std::string_view url, bool allow_http) {
  if (url.find('#') != std::string_view::npos) return false;
  return url.starts_with("https://") || (allow_http && url.starts_with("http://"));
}

bool ListContains(const nlohmann::json& object, const char* name, std::string_view wanted) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_array()) return false;
  return std::any_of(it->begin(), it->end(), [&](const nlohmann::json& entry) {
    return entry.is_string() && entry.get<std::string>() == wanted;
  });
}

bool IsPkceVerifier(std::string_view verifier) {
  return verifier.size() >= 43 && verifier.size() <= 128 && std::all_of(verifier.begin(), verifier.end(), IsUnreserved);
}

bool HasScopeOpenid(std::string_view scope) {
  while (!scope.empty()) {
    size_t space = scope.find(' ');
    if (scope.substr(0, space) == "openid") return true;
    if (space == std::string_view::npos) break;
    scope.remove_prefix(space + 1);
  }
  return false;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

std::optional<nlohmann::json> ParseObject(std::string_view text) {
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  return parsed;
}

// One exchange with the provider; transport failures and oversize answers are
// kUnavailable, any HTTP status is left to the caller.
Result<FetchResponse> Call(const Fetch& fetch, FetchRequest request) {
  Result<FetchResponse> response = fetch(request);
  if (!response.ok()) {
    return Unavailable("the identity provider cannot be reached", request.url + ": " + response.status().ToString());
  }
  if (response->body.size() > kMaxProviderBodyBytes) {
    return Unavailable("the identity provider's answer is too large", request.url);
  }
  return response;
}

// What the provider said, shortened for the log.
std::string Excerpt(std::string_view body) { return std::string(body.substr(0, 200)); }

}  // namespace

std::string FormUrlEncode(std::string_view text) { return Encode(text, /*space_as_plus=*/true); }
std::string PercentEncode(std::string_view text) { return Encode(text, /*space_as_plus=*/false); }

OidcClient::OidcClient(OidcSettings settings, Fetch fetch, const Clock& clock)
    : settings_(std::move(settings)), fetch_(std::move(fetch)), clock_(clock) {}

Status OidcClient::Discover() { return CurrentMetadata().status(); }

ProviderMetadata OidcClient::metadata() const {
  std::lock_guard lock(mutex_);
  return metadata_.value_or(ProviderMetadata{});
}

Result<ProviderMetadata> OidcClient::CurrentMetadata() {
  const int64_t now = clock_.NowUnix();
  {
    std::lock_guard lock(mutex_);
    if (metadata_ && now - metadata_fetched_at_ < kMetadataLifetimeSeconds) return *metadata_;
  }
  std::string_view issuer = settings_.issuer;
  while (issuer.ends_with('/')) issuer.remove_suffix(1);
  std::string url = std::string(issuer) + "/.well-known/openid-configuration";
  PW_ASSIGN_OR_RETURN(FetchResponse response, Call(fetch_, {"GET", url, {{"Accept", "application/json"}}, ""}));
  if (response.status != 200) {
    return Unavailable("the identity provider's configuration cannot be read",
                       "HTTP " + std::to_string(response.status) + " from " + url);
  }
  auto document = ParseObject(response.body);
  if (!document)
    return Unavailable("the identity provider's configuration cannot be read", url + ": not a JSON object");

  // OpenID Connect Discovery §4.3: the document must name the very issuer we
  // asked, or tokens of one provider could pass as another's.
  if (StringMember(*document, "issuer") != settings_.issuer) {
    return FailedPrecondition("the identity provider's configuration names another issuer than configured");
  }
  ProviderMetadata metadata;
  metadata.authorization_endpoint = StringMember(*document, "authorization_endpoint");
  metadata.token_endpoint = StringMember(*document, "token_endpoint");
  metadata.jwks_uri = StringMember(*document, "jwks_uri");
  const bool allow_http = settings_.issuer.starts_with("http://");
  for (const std::string* endpoint : {&metadata.authorization_endpoint, &metadata.token_endpoint, &metadata.jwks_uri}) {
    if (!AcceptableEndpoint(*endpoint, allow_http)) {
      return FailedPrecondition("the identity provider's configuration lacks a usable endpoint");
    }
  }
  // Without the list, RFC 8414 and Discovery §3 default to client_secret_basic.
  if (document->contains("token_endpoint_auth_methods_supported")) {
    if (ListContains(*document, "token_endpoint_auth_methods_supported", "client_secret_basic")) {
      metadata.client_secret_basic = true;
    } else if (ListContains(*document, "token_endpoint_auth_methods_supported", "client_secret_post")) {
      metadata.client_secret_basic = false;
    } else {
      return FailedPrecondition("the identity provider accepts no client secret at its token endpoint");
    }
  }
  if (document->contains("code_challenge_methods_supported") &&
      !ListContains(*document, "code_challenge_methods_supported", "S256")) {
    return FailedPrecondition("the identity provider does not support PKCE with S256");
  }

  std::lock_guard lock(mutex_);
  metadata_ = metadata;
  metadata_fetched_at_ = now;
  return metadata;
}

Result<std::string> OidcClient::AuthorizationUrl(const AuthRequest& request) {
  if (request.state.empty() || request.nonce.empty()) return InvalidArgument("state and nonce are required");
  if (!IsPkceVerifier(request.code_verifier)) {
    return InvalidArgument("the PKCE code verifier must be 43 to 128 unreserved characters");
  }
  if (!HasScopeOpenid(request.scope)) return InvalidArgument("the scope must include openid");
  PW_ASSIGN_OR_RETURN(ProviderMetadata metadata, CurrentMetadata());

  std::vector<std::pair<std::string, std::string>> parameters = {
      {"response_type", "code"},
      {"client_id", settings_.client_id},
      {"redirect_uri", settings_.redirect_uri},
      {"scope", request.scope},
      {"state", request.state},
      {"nonce", request.nonce},
      {"code_challenge", PkceChallengeS256(request.code_verifier)},
      {"code_challenge_method", "S256"},
  };
  if (!request.acr_values.empty()) {
    std::string acr_values;
    for (const std::string& acr : request.acr_values) {
      if (!acr_values.empty()) acr_values += ' ';
      acr_values += acr;
    }
    parameters.emplace_back("acr_values", std::move(acr_values));
  }
  if (!request.ui_locales.empty()) parameters.emplace_back("ui_locales", request.ui_locales);

  std::string url = metadata.authorization_endpoint;
  // The endpoint may carry a query of its own (RFC 6749 §3.1), which we keep.
  if (url.find('?') == std::string::npos) {
    url += '?';
  } else if (!url.ends_with('?') && !url.ends_with('&')) {
    url += '&';
  }
  return url + JoinParameters(parameters, /*form=*/false);
}

Result<JwkSet> OidcClient::FetchKeys(const std::string& jwks_uri) {
  PW_ASSIGN_OR_RETURN(FetchResponse response, Call(fetch_, {"GET", jwks_uri, {{"Accept", "application/json"}}, ""}));
  if (response.status != 200) {
    return Unavailable("the identity provider's keys cannot be read",
                       "HTTP " + std::to_string(response.status) + " from " + jwks_uri);
  }
  auto keys = JwkSet::Parse(response.body);
  if (!keys.ok()) {
    return Unavailable("the identity provider's keys cannot be read", jwks_uri + ": " + keys.status().message());
  }
  return keys;
}

Result<JwkSet> OidcClient::KeysFor(const std::string& kid) {
  const int64_t now = clock_.NowUnix();
  std::optional<JwkSet> cached;
  int64_t age = 0;
  {
    std::lock_guard lock(mutex_);
    cached = keys_;
    age = now - keys_fetched_at_;
  }
  if (cached && age < kKeysLifetimeSeconds) {
    bool kid_known = kid.empty() || cached->HasKeyId(kid);
    if (kid_known || age < kKeysRefetchIntervalSeconds) return *cached;
  }
  PW_ASSIGN_OR_RETURN(ProviderMetadata metadata, CurrentMetadata());
  Result<JwkSet> fresh = FetchKeys(metadata.jwks_uri);
  if (!fresh.ok()) {
    // Old keys still verify what was signed before a rotation.
    if (cached) return *cached;
    return fresh.status();
  }
  std::lock_guard lock(mutex_);
  keys_ = *fresh;
  keys_fetched_at_ = now;
  return fresh;
}

Result<IdToken> OidcClient::ExchangeCode(std::string_view code, std::string_view code_verifier,
                                         std::string_view nonce) {
  if (code.empty() || code.size() > kMaxCodeBytes)
    return InvalidArgument("the authorization code is missing or too long");
  if (!IsPkceVerifier(code_verifier)) {
    return InvalidArgument("the PKCE code verifier must be 43 to 128 unreserved characters");
  }
  PW_ASSIGN_OR_RETURN(ProviderMetadata metadata, CurrentMetadata());

  FetchRequest request{"POST", metadata.token_endpoint, {}, ""};
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
  std::vector<std::pair<std::string, std::string>> form = {{"grant_type", "authorization_code"},
                                                           {"code", std::string(code)},
                                                           {"redirect_uri", settings_.redirect_uri},
                                                           {"code_verifier", std::string(code_verifier)}};
  if (metadata.client_secret_basic) {
    // RFC 6749 §2.3.1: id and secret are form-encoded before base64.
    std::string credentials = FormUrlEncode(settings_.client_id) + ":" + FormUrlEncode(settings_.client_secret);
    request.headers.emplace_back("Authorization", "Basic " + crypto::Base64Encode(credentials));
  } else {
    form.emplace_back("client_id", settings_.client_id);
    form.emplace_back("client_secret", settings_.client_secret);
  }
  request.body = JoinParameters(form, /*form=*/true);

  PW_ASSIGN_OR_RETURN(FetchResponse response, Call(fetch_, std::move(request)));
  const std::string where = "HTTP " + std::to_string(response.status) + " from the token endpoint: ";
  if (response.status >= 400 && response.status < 500) {
    // RFC 6749 §5.2: invalid_grant and friends; the code was refused.
    return Status(ErrorCode::kUnauthenticated, "the identity provider refused the sign-in",
                  where + Excerpt(response.body));
  }
  if (response.status != 200) return Unavailable("the identity provider failed", where + Excerpt(response.body));
  auto answer = ParseObject(response.body);
  if (!answer) return Unavailable("the identity provider's answer cannot be read", where + "not a JSON object");
  std::string id_token = StringMember(*answer, "id_token");
  if (id_token.empty()) return Unauthenticated("the identity provider's answer holds no ID token");
  if (answer->contains("token_type") && !EqualsIgnoringCase(StringMember(*answer, "token_type"), "Bearer")) {
    return Unauthenticated("the identity provider's answer has an unexpected token type");
  }

  // A well-formed answer with a malformed token is a refusal for the citizen.
  auto as_refusal = [](const Status& status) {
    return status.code() == ErrorCode::kInvalidArgument ? Unauthenticated(status.message()) : status;
  };
  Result<std::string> kid = IdTokenKeyId(id_token);
  if (!kid.ok()) return as_refusal(kid.status());
  PW_ASSIGN_OR_RETURN(JwkSet keys, KeysFor(*kid));
  IdTokenExpectations expect{settings_.issuer, settings_.client_id, std::string(nonce), clock_.NowUnix(),
                             settings_.skew_seconds};
  Result<IdToken> token = VerifyIdToken(id_token, keys, expect);
  if (!token.ok()) return as_refusal(token.status());
  return token;
}

}  // namespace passwerk::portal
