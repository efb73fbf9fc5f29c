// The sign-in flows: start, finish, refuse.
#include "portal/sign_in.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace passwerk::portal {

std::string SafeReturnTo(std::string_view path) {
  bool ok = path.size() <= 512 &&
            (path == "/portal" || path.rfind("/portal/", 0) == 0 || path.rfind("/portal?", 0) == 0) &&
            path.find("//") == std::string_view::npos && path.find('\\') == std::string_view::npos &&
            std::none_of(path.begin(), path.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
  return ok ? std::string(path) : std::string("/portal");
}

SignInFlows::SignInFlows(CitizenAccounts& accounts, const Clock& clock, std::unique_ptr<SamlServiceProvider> saml,
                         std::unique_ptr<OidcClient> oidc, SignInSettings settings,
                         std::function<Result<std::string>()> sp_metadata)
    : accounts_(accounts),
      clock_(clock),
      saml_(std::move(saml)),
      oidc_(std::move(oidc)),
      settings_(std::move(settings)),
      sp_metadata_source_(std::move(sp_metadata)) {}

Result<std::string> SignInFlows::SpMetadata() {
  if (saml_) return saml_->metadata();
  std::lock_guard lock(sp_metadata_mutex_);
  if (sp_metadata_.empty()) {
    if (!sp_metadata_source_) return NotFound("no SAML service provider");
    PW_ASSIGN_OR_RETURN(sp_metadata_, sp_metadata_source_());
  }
  return sp_metadata_;
}

Result<CitizenSession> SignInFlows::Open(const Identity& identity, const PendingSignIn& pending,
                                         std::string_view device, const std::string& request_id) {
  PW_ASSIGN_OR_RETURN(CitizenSession session, accounts_.SignIn(identity, device, request_id));
  if (!pending.replaces_hash.empty()) PW_RETURN_IF_ERROR(accounts_.SignOutByHash(pending.replaces_hash, request_id));
  return session;
}

Status SignInFlows::Refused(SignInMethod method, const Status& why, const std::string& request_id) {
  Status audited = accounts_.AuditRefusedSignIn(method, why.message(), request_id);
  if (!audited.ok()) return audited;  // no session either way; the storage error is the news
  return why;
}

Result<SignInStart> SignInFlows::StartSaml(Assurance level, std::string_view return_to, std::string_view language,
                                           std::string_view browser_token, std::string_view current_session) {
  if (!saml_) return FailedPrecondition("BundID sign-in is not configured");
  PW_ASSIGN_OR_RETURN(SamlRequest request, saml_->BuildAuthnRequest(level, language));
  PendingSignIn pending;
  pending.state = crypto::RandomToken(20);
  pending.method = SignInMethod::kSaml;
  pending.request_id = request.request_id;
  pending.browser_token = std::string(browser_token);
  pending.assurance = level;
  pending.return_to = SafeReturnTo(return_to);
  pending.replaces_token = std::string(current_session);
  PW_RETURN_IF_ERROR(accounts_.BeginSignIn(pending));
  SignInStart start;
  start.form_action = request.sso_url;
  start.form_fields = {{"SAMLRequest", request.saml_request}, {"RelayState", pending.state}};
  return start;
}

Result<CitizenSession> SignInFlows::FinishSaml(std::string_view saml_response, std::string_view relay_state,
                                               std::string_view browser_token, std::string_view device,
                                               const std::string& request_id, std::string* return_to) {
  if (!saml_) return FailedPrecondition("BundID sign-in is not configured");
  auto pending = accounts_.TakeSignIn(relay_state, browser_token);
  if (!pending.ok()) return Refused(SignInMethod::kSaml, pending.status(), request_id);
  if (pending->method != SignInMethod::kSaml) {
    return Refused(SignInMethod::kSaml, Unauthenticated("the answer does not match the sign-in started"), request_id);
  }
  if (return_to != nullptr) *return_to = pending->return_to;
  auto assertion = saml_->ConsumeResponse(saml_response, pending->request_id, clock_.NowUnix());
  if (!assertion.ok()) return Refused(SignInMethod::kSaml, assertion.status(), request_id);
  Status fresh = accounts_.MarkAssertionSeen(assertion->issuer, assertion->assertion_id,
                                             assertion->not_on_or_after + settings_.skew_seconds);
  if (fresh.code() == ErrorCode::kAlreadyExists) {
    return Refused(SignInMethod::kSaml, Unauthenticated("the assertion was already used (replay)"), request_id);
  }
  PW_RETURN_IF_ERROR(fresh);
  Identity identity;
  identity.method = SignInMethod::kSaml;
  identity.pseudonym = "saml:" + assertion->bpk2;
  identity.assurance = assertion->assurance;
  identity.attributes = assertion->attributes;
  return Open(identity, *pending, device, request_id);
}

Result<SignInStart> SignInFlows::StartOidc(Assurance level, std::string_view return_to, std::string_view language,
                                           std::string_view browser_token, std::string_view current_session) {
  if (!oidc_) return FailedPrecondition("OpenID Connect sign-in is not configured");
  AuthRequest request;
  request.state = crypto::RandomToken(20);
  request.nonce = crypto::RandomToken(20);
  request.code_verifier = NewPkceVerifier();
  request.acr_values = {ClassForLevel(settings_.oidc_acr_map, level)};
  request.ui_locales = language == "en" ? "en" : "de";
  PW_ASSIGN_OR_RETURN(std::string url, oidc_->AuthorizationUrl(request));
  PendingSignIn pending;
  pending.state = request.state;
  pending.method = SignInMethod::kOidc;
  pending.request_id = request.nonce;
  pending.browser_token = std::string(browser_token);
  pending.assurance = level;
  pending.return_to = SafeReturnTo(return_to);
  pending.secret = request.code_verifier;
  pending.replaces_token = std::string(current_session);
  PW_RETURN_IF_ERROR(accounts_.BeginSignIn(pending));
  SignInStart start;
  start.redirect_url = url;
  return start;
}

Result<CitizenSession> SignInFlows::FinishOidc(std::string_view code, std::string_view state, std::string_view error,
                                               std::string_view browser_token, std::string_view device,
                                               const std::string& request_id, std::string* return_to) {
  if (!oidc_) return FailedPrecondition("OpenID Connect sign-in is not configured");
  auto pending = accounts_.TakeSignIn(state, browser_token);
  if (!pending.ok()) return Refused(SignInMethod::kOidc, pending.status(), request_id);
  if (pending->method != SignInMethod::kOidc) {
    return Refused(SignInMethod::kOidc, Unauthenticated("the answer does not match the sign-in started"), request_id);
  }
  if (return_to != nullptr) *return_to = pending->return_to;
  if (!error.empty()) {
    std::string reason = "the provider ended the sign-in: " + std::string(error.substr(0, 64));
    return Refused(SignInMethod::kOidc, Unauthenticated(reason), request_id);
  }
  if (code.empty() || code.size() > 2048) {
    return Refused(SignInMethod::kOidc, Unauthenticated("the provider sent no code"), request_id);
  }
  auto token = oidc_->ExchangeCode(code, pending->secret, pending->request_id);
  if (!token.ok()) {
    if (token.status().code() == ErrorCode::kUnavailable) return token.status();
    return Refused(SignInMethod::kOidc, token.status(), request_id);
  }
  std::optional<Assurance> level = LevelForClass(settings_.oidc_acr_map, token->acr);
  if (!level) {
    return Refused(SignInMethod::kOidc, Unauthenticated("the ID token's acr is not mapped to an assurance level"),
                   request_id);
  }
  Identity identity;
  identity.method = SignInMethod::kOidc;
  identity.pseudonym = "oidc:" + token->issuer + " " + token->sub;
  identity.assurance = *level;
  auto claim = [&](std::string_view name) -> std::string {
    auto it = token->claims.find(std::string(name));
    return it != token->claims.end() && it->is_string() ? it->get<std::string>().substr(0, 512) : std::string();
  };
  Attributes& a = identity.attributes;
  a.given_name = claim("given_name");
  a.family_name = claim("family_name");
  a.email = claim("email");
  a.birth_date = claim("birthdate");
  if (auto address = token->claims.find("address"); address != token->claims.end() && address->is_object()) {
    auto part = [&](const char* name) {
      auto it = address->find(name);
      return it != address->end() && it->is_string() ? it->get<std::string>().substr(0, 512) : std::string();
    };
    a.street = part("street_address");
    a.postal_code = part("postal_code");
    a.locality = part("locality");
  }
  return Open(identity, *pending, device, request_id);
}

Result<CitizenSession> SignInFlows::TestSignIn(std::string_view name, Assurance level, std::string_view device,
                                               const std::string& request_id) {
  if (!settings_.test_login) return FailedPrecondition("the test sign-in is switched off");
  std::string pseudonym = TestPseudonym(name);
  if (pseudonym.empty() || name.size() > 200) return InvalidArgument("a name with letters is needed", "name");
  Identity identity;
  identity.method = SignInMethod::kTest;
  identity.pseudonym = pseudonym;
  identity.assurance = level;
  // The name typed prefills forms like an identity provider's attributes
  // would: the last word the family name, the words before it the given names.
  std::vector<std::string> words;
  for (size_t i = 0; i < name.size();) {
    while (i < name.size() && std::isspace(static_cast<unsigned char>(name[i]))) ++i;
    size_t start = i;
    while (i < name.size() && !std::isspace(static_cast<unsigned char>(name[i]))) ++i;
    if (i > start) words.emplace_back(name.substr(start, i - start));
  }
  if (!words.empty()) {
    identity.attributes.family_name = words.back();
    words.pop_back();
  }
  for (const std::string& word : words) {
    identity.attributes.given_name += (identity.attributes.given_name.empty() ? "" : " ") + word;
  }
  return accounts_.SignIn(identity, device, request_id);
}

}  // namespace passwerk::portal
