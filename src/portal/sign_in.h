// The sign-in flows of the portal: BundID (SAML 2.0), the municipality's
// OpenID provider, and the test sign-in of demonstrations. Each start keeps
// the outstanding request server-side (CitizenAccounts::BeginSignIn), tied to
// the browser that started it by a cookie value the caller sets; each finish
// takes it back once, verifies the answer, records refusals in the audit
// trail, and opens a citizen session at the level the answer proves.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "portal/citizen_accounts.h"
#include "portal/oidc_client.h"
#include "portal/saml_sp.h"

namespace passwerk::portal {

// What the browser is sent on to: a form posted to the identity provider
// (SAML's HTTP-POST binding) or a redirect (OIDC).
struct SignInStart {
  std::string form_action;
  std::map<std::string, std::string> form_fields;
  std::string redirect_url;
};

struct SignInSettings {
  bool test_login = false;
  LevelMap oidc_acr_map;
  int64_t skew_seconds = 120;
};

class SignInFlows {
 public:
  // `saml` and `oidc` may be null: that method is not offered.
  // `sp_metadata`: makes the SP metadata when `saml` is null (may be empty).
  SignInFlows(CitizenAccounts& accounts, const Clock& clock, std::unique_ptr<SamlServiceProvider> saml,
              std::unique_ptr<OidcClient> oidc, SignInSettings settings,
              std::function<Result<std::string>()> sp_metadata = {});

  bool saml_enabled() const { return saml_ != nullptr; }
  bool oidc_enabled() const { return oidc_ != nullptr; }
  bool test_enabled() const { return settings_.test_login; }
  // The SP metadata to give BundID: also before its metadata is configured
  // (onboarding needs ours first), then made on first request.
  Result<std::string> SpMetadata();

  // `browser_token`: the value of the browser-binding cookie (the caller
  // creates it when the browser has none). `return_to` must be a portal path.
  // `current_session`: the session cookie of a signed-in browser (a step-up),
  // ended when the new session begins; empty otherwise.
  Result<SignInStart> StartSaml(Assurance level, std::string_view return_to, std::string_view language,
                                std::string_view browser_token, std::string_view current_session = {});
  // The session, or Unauthenticated with the reason (audited).
  Result<CitizenSession> FinishSaml(std::string_view saml_response, std::string_view relay_state,
                                    std::string_view browser_token, std::string_view device,
                                    const std::string& request_id, std::string* return_to);

  Result<SignInStart> StartOidc(Assurance level, std::string_view return_to, std::string_view language,
                                std::string_view browser_token, std::string_view current_session = {});
  // `error`: the provider's error parameter, when it sent one instead of a code.
  Result<CitizenSession> FinishOidc(std::string_view code, std::string_view state, std::string_view error,
                                    std::string_view browser_token, std::string_view device,
                                    const std::string& request_id, std::string* return_to);

  // The test sign-in: FailedPrecondition unless `portal_test_login` is on.
  Result<CitizenSession> TestSignIn(std::string_view name, Assurance level, std::string_view device,
                                    const std::string& request_id);

 private:
  Status Refused(SignInMethod method, const Status& why, const std::string& request_id);
  Result<CitizenSession> Open(const Identity& identity, const PendingSignIn& pending, std::string_view device,
                              const std::string& request_id);

  CitizenAccounts& accounts_;
  const Clock& clock_;
  std::unique_ptr<SamlServiceProvider> saml_;
  std::unique_ptr<OidcClient> oidc_;
  SignInSettings settings_;
  std::function<Result<std::string>()> sp_metadata_source_;
  std::mutex sp_metadata_mutex_;
  std::string sp_metadata_;
};

// A portal path to return to after sign-in: "/portal…" without a scheme,
// host or "//"; anything else becomes "/portal".
std::string SafeReturnTo(std::string_view path);

}  // namespace passwerk::portal
