// The SAML 2.0 service provider for BundID, on liblasso (the library under
// mod_auth_mellon): signature checks and decryption are lasso's; this file
// adds what lasso leaves to its caller (mellon does the same): exactly one
// encrypted and signed assertion, InResponseTo, audience, recipient and
// destination, the validity window, and the mapping of the authentication
// context to an assurance level. Outstanding requests and replay are kept in
// storage by the caller (sign_in.h), which hands in the request id expected.
//
// Lasso keeps global state and its server object is not documented as
// thread-safe: every call into it holds one mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "accounts/citizen_policy.h"
#include "core/status.h"
#include "portal/citizen_accounts.h"

namespace passwerk::portal {

// "STORK-QAA-Level-3=substantial" entries (configuration), in order.
using LevelMap = std::vector<std::pair<std::string, Assurance>>;
Result<LevelMap> ParseLevelMap(const std::vector<std::string>& entries, std::string_view key);
// The first class (the lowest, in the map's order) that maps to `level`.
std::string ClassForLevel(const LevelMap& map, Assurance level);
std::optional<Assurance> LevelForClass(const LevelMap& map, std::string_view class_ref);

// BundID's attribute names (urn:oid:…).
inline constexpr std::string_view kOidGivenName = "urn:oid:2.5.4.42";
inline constexpr std::string_view kOidSurname = "urn:oid:2.5.4.4";
inline constexpr std::string_view kOidMail = "urn:oid:0.9.2342.19200300.100.1.3";
inline constexpr std::string_view kOidPostalAddress = "urn:oid:2.5.4.16";
inline constexpr std::string_view kOidPostalCode = "urn:oid:2.5.4.17";
inline constexpr std::string_view kOidLocality = "urn:oid:2.5.4.7";
inline constexpr std::string_view kOidBirthdate = "urn:oid:1.2.40.0.10.2.1.1.55";
inline constexpr std::string_view kOidBpk2 = "urn:oid:1.3.6.1.4.1.25484.494450.3";
inline constexpr std::string_view kOidEidLevel = "urn:oid:1.2.40.0.10.2.1.1.261.94";

struct SamlSpSettings {
  std::string entity_id;
  std::string acs_url;
  std::string key_pem;   // signs requests, decrypts assertions
  std::string cert_pem;  // published in the metadata
  std::string idp_metadata_xml;
  LevelMap level_map;
  std::string organisation_name;
  std::string online_service_id;
  int64_t skew_seconds = 120;
};

struct SamlRequest {
  std::string sso_url;       // the IdP's SSO endpoint (HTTP-POST binding)
  std::string saml_request;  // base64 of the signed AuthnRequest
  std::string request_id;    // its ID, which the answer's InResponseTo must carry
};

// What a verified assertion says.
struct SamlAssertion {
  std::string issuer;
  std::string assertion_id;
  int64_t not_on_or_after = 0;  // of the assertion's conditions
  std::string class_ref;        // AuthnContextClassRef
  Assurance assurance = Assurance::kLow;
  std::string bpk2;
  Attributes attributes;
};

class SamlServiceProvider {
 public:
  static Result<std::unique_ptr<SamlServiceProvider>> Create(SamlSpSettings settings);
  ~SamlServiceProvider();
  SamlServiceProvider(const SamlServiceProvider&) = delete;
  SamlServiceProvider& operator=(const SamlServiceProvider&) = delete;

  const std::string& metadata() const { return metadata_; }
  const std::string& idp_entity_id() const { return idp_entity_id_; }

  // A signed AuthnRequest asking for at least `level`, in `language` ("de", "en").
  Result<SamlRequest> BuildAuthnRequest(Assurance level, std::string_view language);

  // Verifies a base64 SAMLResponse answering `request_id` at `now`.
  // Unauthenticated with a reason for the audit trail when anything is wrong.
  Result<SamlAssertion> ConsumeResponse(std::string_view saml_response, std::string_view request_id, int64_t now);

 private:
  explicit SamlServiceProvider(SamlSpSettings settings);

  SamlSpSettings settings_;
  std::string metadata_;
  std::string idp_entity_id_;
  void* server_ = nullptr;  // LassoServer*; lasso's headers stay in the .cpp
  std::mutex mutex_;
};

// The SP's metadata document (also what lasso is given as its own).
std::string SpMetadata(const SamlSpSettings& settings);

// An ISO 8601 UTC instant as SAML writes it ("2026-12-07T10:00:00Z", with or
// without fractional seconds); InvalidArgument otherwise.
Result<int64_t> ParseSamlInstant(std::string_view text);

}  // namespace passwerk::portal
