// The relying party's side of OpenID Connect's Authorization Code flow with
// PKCE: provider discovery, the authorization URL, and the exchange of a code
// for a verified ID token. Web pages, cookies and sessions live elsewhere; the
// network is injected as a Fetch, so all of this is tested without one.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "portal/jwt.h"

namespace passwerk::portal {

struct FetchRequest {
  std::string method;
  std::string url;  // absolute
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};
struct FetchResponse {
  int status = 0;
  std::string body;
};
// kUnavailable when no answer arrived; any HTTP answer is a response. Called
// from several threads at once.
using Fetch = std::function<Result<FetchResponse>(const FetchRequest&)>;

struct OidcSettings {
  std::string issuer;  // exactly as the provider spells it in its tokens
  std::string client_id;
  std::string client_secret;
  std::string redirect_uri;
  int64_t skew_seconds = 60;
};

struct AuthRequest {
  std::string state;
  std::string nonce;
  std::string code_verifier;
  std::vector<std::string> acr_values;
  std::string scope = "openid profile email address";
  std::string ui_locales;  // empty: not sent
};

// What discovery found out about the provider.
struct ProviderMetadata {
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  bool client_secret_basic = true;  // false: client_secret_post
};

inline constexpr size_t kMaxProviderBodyBytes = 1024 * 1024;

class OidcClient {
 public:
  OidcClient(OidcSettings settings, Fetch fetch, const Clock& clock);

  // Reads {issuer}/.well-known/openid-configuration unless read within the
  // last hour. kUnavailable if the provider cannot be reached, answers with
  // an error or with a document that is no provider configuration;
  // kFailedPrecondition if the document does not fit the settings (another
  // issuer, no S256 PKCE, no client authentication by secret).
  Status Discover();
  ProviderMetadata metadata() const;  // empty before Discover succeeded

  // Where to send the citizen's browser. kInvalidArgument for an incomplete
  // request; discovery errors as above.
  Result<std::string> AuthorizationUrl(const AuthRequest& request);

  // Redeems the code at the token endpoint and verifies the ID token.
  // kUnauthenticated if the provider refuses the code or the token does not
  // verify; kUnavailable if the provider cannot be reached or fails.
  Result<IdToken> ExchangeCode(std::string_view code, std::string_view code_verifier, std::string_view nonce);

 private:
  Result<ProviderMetadata> CurrentMetadata();
  // The provider's keys, fetched again if `kid` is not among them.
  Result<JwkSet> KeysFor(const std::string& kid);
  Result<JwkSet> FetchKeys(const std::string& jwks_uri);

  const OidcSettings settings_;
  const Fetch fetch_;
  const Clock& clock_;

  mutable std::mutex mutex_;  // guards the caches below; never held while fetching
  std::optional<ProviderMetadata> metadata_;
  int64_t metadata_fetched_at_ = 0;
  std::optional<JwkSet> keys_;
  int64_t keys_fetched_at_ = 0;
};

// application/x-www-form-urlencoded (space as '+'), as RFC 6749 Appendix B
// asks for form bodies and for the client's id and secret in HTTP Basic.
std::string FormUrlEncode(std::string_view text);
// Percent-encoding of all but RFC 3986's unreserved characters (space as %20).
std::string PercentEncode(std::string_view text);

}  // namespace passwerk::portal
