// The BundID service provider on liblasso. See saml_sp.h for what lasso
// checks and what this file adds.
//
// lasso/lasso.h wraps glib's headers in extern "C", which g++ rejects
// ("template with C linkage"): glib, libxml2 and xmlsec come first.
#include <glib-object.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <xmlsec/xmlsec.h>
// clang-format off
#include <lasso/lasso.h>
#include <lasso/xml/saml-2.0/samlp2_authn_request.h>
#include <lasso/xml/saml-2.0/samlp2_extensions.h>
#include <lasso/xml/saml-2.0/samlp2_name_id_policy.h>
#include <lasso/xml/saml-2.0/samlp2_requested_authn_context.h>
#include <lasso/xml/saml-2.0/samlp2_response.h>
#include <lasso/xml/saml-2.0/saml2_assertion.h>
// clang-format on

#include <algorithm>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/log.h"
#include "portal/saml_sp.h"

namespace passwerk::portal {
namespace {

constexpr std::string_view kSamlNs = "urn:oasis:names:tc:SAML:2.0:assertion";
constexpr std::string_view kDsigNs = "http://www.w3.org/2000/09/xmldsig#";
constexpr std::string_view kBearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
constexpr size_t kMaxResponseBytes = 512 * 1024;

// Lasso reports through glib's log. Its warnings (a refused signature, say)
// become the reasons we return and audit, so only its critical messages,
// which mean a bug, reach the log; nothing goes to stderr.
void LassoLog(const gchar* /*domain*/, GLogLevelFlags level, const gchar* message, gpointer /*data*/) {
  if ((level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)) != 0) {
    log::Warn("lasso", nlohmann::json{{"message", std::string(message ? message : "")}});
  }
}

void InitLassoOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    lasso_init();
    g_log_set_handler("Lasso", static_cast<GLogLevelFlags>(G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION),
                      LassoLog, nullptr);
  });
}

LassoServer* AsServer(void* p) { return static_cast<LassoServer*>(p); }

// One login profile per request, released with the request.
using LoginPtr = std::unique_ptr<LassoLogin, decltype(&g_object_unref)>;

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The base64 body of a PEM certificate, for <ds:X509Certificate>.
std::string CertificateBody(std::string_view pem) {
  std::string body;
  size_t begin = pem.find("-----BEGIN CERTIFICATE-----");
  size_t end = pem.find("-----END CERTIFICATE-----");
  if (begin == std::string_view::npos || end == std::string_view::npos) return body;
  for (char c : pem.substr(begin + 27, end - begin - 27)) {
    if (c != '\n' && c != '\r' && c != ' ') body += c;
  }
  return body;
}

struct RequestedAttribute {
  std::string_view oid;
  std::string_view name;
  bool required;
};
constexpr RequestedAttribute kRequestedAttributes[] = {
    {kOidBpk2, "bPK2", true},
    {kOidEidLevel, "EID-CITIZEN-QAA-LEVEL", true},
    {kOidGivenName, "givenName", false},
    {kOidSurname, "surname", false},
    {kOidMail, "mail", false},
    {kOidPostalAddress, "postalAddress", false},
    {kOidPostalCode, "postalCode", false},
    {kOidLocality, "localityName", false},
    {kOidBirthdate, "birthdate", false},
};

// BundID's extension: which attributes the service needs and what the
// sign-in page shows (organisation, online-service id, language).
std::string AkdbExtension(const SamlSpSettings& settings, std::string_view language) {
  std::string xml =
      "<akdb:AuthenticationRequest xmlns:akdb=\"https://www.akdb.de/request/2018/09\" Version=\"2\">"
      "<akdb:RequestedAttributes>";
  for (const RequestedAttribute& attribute : kRequestedAttributes) {
    xml += "<akdb:RequestedAttribute Name=\"" + std::string(attribute.oid) + "\" RequiredAttribute=\"" +
           (attribute.required ? "true" : "false") + "\"/>";
  }
  xml +=
      "</akdb:RequestedAttributes><akdb:DisplayInformation>"
      "<classic-ui:Version xmlns:classic-ui=\"https://www.akdb.de/request/2018/09/classic-ui/v1\">"
      "<classic-ui:OrganizationDisplayName>" +
      XmlEscape(settings.organisation_name) + "</classic-ui:OrganizationDisplayName><classic-ui:OnlineServiceId>" +
      XmlEscape(settings.online_service_id) + "</classic-ui:OnlineServiceId><classic-ui:Lang>" +
      std::string(language == "en" ? "en" : "de") +
      "</classic-ui:Lang></classic-ui:Version></akdb:DisplayInformation></akdb:AuthenticationRequest>";
  return xml;
}

void AssignString(char*& field, std::string_view value) {
  g_free(field);
  field = g_strndup(value.data(), value.size());
}

std::string_view Str(const xmlChar* text) {
  return text == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(text));
}

bool Is(const xmlNode* node, std::string_view ns, std::string_view name) {
  return node != nullptr && node->type == XML_ELEMENT_NODE && node->ns != nullptr && Str(node->ns->href) == ns &&
         Str(node->name) == name;
}

// The element children of `parent` named {ns}name, direct children only: the
// signed assertion is read where the signature covered it, never by searching.
std::vector<xmlNode*> Children(const xmlNode* parent, std::string_view ns, std::string_view name) {
  std::vector<xmlNode*> out;
  if (parent == nullptr) return out;
  for (xmlNode* child = parent->children; child != nullptr; child = child->next) {
    if (Is(child, ns, name)) out.push_back(child);
  }
  return out;
}

xmlNode* OnlyChild(const xmlNode* parent, std::string_view ns, std::string_view name) {
  std::vector<xmlNode*> found = Children(parent, ns, name);
  return found.size() == 1 ? found.front() : nullptr;
}

std::string Attr(const xmlNode* node, const char* name) {
  xmlChar* value = xmlGetProp(node, reinterpret_cast<const xmlChar*>(name));
  std::string out(Str(value));
  xmlFree(value);
  return out;
}

bool HasAttr(const xmlNode* node, const char* name) {
  return xmlHasProp(node, reinterpret_cast<const xmlChar*>(name)) != nullptr;
}

std::string Text(const xmlNode* node) {
  xmlChar* content = xmlNodeGetContent(node);
  std::string out(Str(content));
  xmlFree(content);
  // Surrounding white space is layout.
  size_t begin = out.find_first_not_of(" \t\r\n");
  size_t end = out.find_last_not_of(" \t\r\n");
  return begin == std::string::npos ? std::string() : out.substr(begin, end - begin + 1);
}

Status Refuse(std::string reason) { return Unauthenticated(std::move(reason)); }

}  // namespace

Result<LevelMap> ParseLevelMap(const std::vector<std::string>& entries, std::string_view key) {
  LevelMap map;
  for (const std::string& entry : entries) {
    size_t eq = entry.rfind('=');
    std::optional<Assurance> level =
        eq == std::string::npos ? std::nullopt : accounts::ParseAssurance(entry.substr(eq + 1));
    if (!level || eq == 0) {
      return InvalidArgument(std::string(key) + ": \"" + entry + "\" is not CLASS=low|substantial|high",
                             std::string(key));
    }
    map.emplace_back(entry.substr(0, eq), *level);
  }
  if (map.empty()) return InvalidArgument(std::string(key) + " is empty", std::string(key));
  return map;
}

std::string ClassForLevel(const LevelMap& map, Assurance level) {
  for (const auto& [class_ref, mapped] : map) {
    if (mapped == level) return class_ref;
  }
  // No class maps exactly: the lowest that is at least as strong.
  for (const auto& [class_ref, mapped] : map) {
    if (mapped >= level) return class_ref;
  }
  return map.empty() ? std::string() : map.back().first;
}

std::optional<Assurance> LevelForClass(const LevelMap& map, std::string_view class_ref) {
  for (const auto& [known, level] : map) {
    if (known == class_ref) return level;
  }
  return std::nullopt;
}

Result<int64_t> ParseSamlInstant(std::string_view text) {
  // YYYY-MM-DDThh:mm:ss[.fraction]Z
  if (text.size() < 20 || text.size() > 40 || text.back() != 'Z') {
    return InvalidArgument("not a SAML instant");
  }
  auto digits = [&](size_t at, size_t n, int& out) {
    out = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int year, month, day, hour, minute, second;
  bool ok = digits(0, 4, year) && text[4] == '-' && digits(5, 2, month) && text[7] == '-' && digits(8, 2, day) &&
            text[10] == 'T' && digits(11, 2, hour) && text[13] == ':' && digits(14, 2, minute) && text[16] == ':' &&
            digits(17, 2, second);
  if (ok && text.size() > 20) {
    ok = text[19] == '.' && text.size() > 21;
    for (size_t i = 20; ok && i + 1 < text.size(); ++i) ok = text[i] >= '0' && text[i] <= '9';
  }
  if (!ok || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return InvalidArgument("not a SAML instant");
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm));
}

std::string SpMetadata(const SamlSpSettings& settings) {
  const std::string cert = CertificateBody(settings.cert_pem);
  auto key_descriptor = [&](std::string_view use) {
    return "<md:KeyDescriptor use=\"" + std::string(use) + "\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>" + cert +
           "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n";
  };
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
      "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"" +
      XmlEscape(settings.entity_id) +
      "\">\n"
      "<md:SPSSODescriptor AuthnRequestsSigned=\"true\" WantAssertionsSigned=\"true\" "
      "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\n";
  xml += key_descriptor("signing");
  xml += key_descriptor("encryption");
  xml +=
      "<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>\n"
      "<md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"" +
      XmlEscape(settings.acs_url) + "\" index=\"0\" isDefault=\"true\"/>\n";
  xml += "<md:AttributeConsumingService index=\"0\" isDefault=\"true\"><md:ServiceName xml:lang=\"de\">" +
         XmlEscape(settings.organisation_name) + "</md:ServiceName>\n";
  for (const RequestedAttribute& attribute : kRequestedAttributes) {
    xml += "<md:RequestedAttribute Name=\"" + std::string(attribute.oid) + "\" FriendlyName=\"" +
           std::string(attribute.name) +
           "\" NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:uri\" isRequired=\"" +
           (attribute.required ? "true" : "false") + "\"/>\n";
  }
  xml += "</md:AttributeConsumingService>\n</md:SPSSODescriptor>\n";
  xml += "<md:Organization><md:OrganizationName xml:lang=\"de\">" + XmlEscape(settings.organisation_name) +
         "</md:OrganizationName><md:OrganizationDisplayName xml:lang=\"de\">" + XmlEscape(settings.organisation_name) +
         "</md:OrganizationDisplayName><md:OrganizationURL xml:lang=\"de\">" + XmlEscape(settings.entity_id) +
         "</md:OrganizationURL></md:Organization>\n";
  xml += "</md:EntityDescriptor>\n";
  return xml;
}

SamlServiceProvider::SamlServiceProvider(SamlSpSettings settings) : settings_(std::move(settings)) {}

SamlServiceProvider::~SamlServiceProvider() {
  if (server_ != nullptr) g_object_unref(AsServer(server_));
}

Result<std::unique_ptr<SamlServiceProvider>> SamlServiceProvider::Create(SamlSpSettings settings) {
  InitLassoOnce();
  if (CertificateBody(settings.cert_pem).empty()) {
    return InvalidArgument("the SAML service provider certificate is not a PEM certificate");
  }
  std::unique_ptr<SamlServiceProvider> sp(new SamlServiceProvider(std::move(settings)));
  sp->metadata_ = SpMetadata(sp->settings_);
  // No certificate for lasso: it would attach it to every signature by
  // loading it anew each time (and xmlsec leaks when that load is given a
  // buffer rather than a file). The IdP knows it from our metadata.
  LassoServer* server =
      lasso_server_new_from_buffers(sp->metadata_.c_str(), sp->settings_.key_pem.c_str(), nullptr, nullptr);
  if (server == nullptr) return InvalidArgument("the SAML service provider key or certificate cannot be loaded");
  sp->server_ = server;
  server->signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA256;
  if (lasso_server_set_encryption_private_key_with_password(server, sp->settings_.key_pem.c_str(), nullptr) != 0) {
    return InvalidArgument("the SAML service provider key cannot decrypt");
  }
  int rc = lasso_server_add_provider_from_buffer(server, LASSO_PROVIDER_ROLE_IDP,
                                                 sp->settings_.idp_metadata_xml.c_str(), nullptr, nullptr);
  if (rc != 0) {
    return InvalidArgument(std::string("the identity provider's SAML metadata cannot be used: ") + lasso_strerror(rc));
  }
  GList* ids = g_hash_table_get_keys(server->providers);
  if (g_list_length(ids) != 1) {
    g_list_free(ids);
    return InvalidArgument("the identity provider's metadata must describe exactly one identity provider");
  }
  sp->idp_entity_id_ = static_cast<const char*>(ids->data);
  g_list_free(ids);
  return sp;
}

Result<SamlRequest> SamlServiceProvider::BuildAuthnRequest(Assurance level, std::string_view language) {
  std::lock_guard lock(mutex_);
  LoginPtr owned(lasso_login_new(AsServer(server_)), g_object_unref);
  if (!owned) return Internal("lasso_login_new failed");
  LassoLogin* login = owned.get();
  LassoProfile* profile = LASSO_PROFILE(login);
  int rc = lasso_login_init_authn_request(login, const_cast<char*>(idp_entity_id_.c_str()), LASSO_HTTP_METHOD_POST);
  if (rc != 0) return Internal(std::string("the SAML request cannot be started: ") + lasso_strerror(rc));
  LassoSamlp2AuthnRequest* request = LASSO_SAMLP2_AUTHN_REQUEST(profile->request);
  AssignString(request->NameIDPolicy->Format, LASSO_SAML2_NAME_IDENTIFIER_FORMAT_PERSISTENT);
  request->NameIDPolicy->AllowCreate = TRUE;
  AssignString(request->ProtocolBinding, LASSO_SAML2_METADATA_BINDING_POST);
  AssignString(request->AssertionConsumerServiceURL, settings_.acs_url);
  request->AssertionConsumerServiceIndex = -1;

  LassoSamlp2RequestedAuthnContext* context =
      LASSO_SAMLP2_REQUESTED_AUTHN_CONTEXT(lasso_samlp2_requested_authn_context_new());
  context->AuthnContextClassRef = g_list_append(nullptr, g_strdup(ClassForLevel(settings_.level_map, level).c_str()));
  AssignString(context->Comparison, "minimum");
  if (request->RequestedAuthnContext != nullptr) g_object_unref(request->RequestedAuthnContext);
  request->RequestedAuthnContext = context;

  std::string extension = AkdbExtension(settings_, language);
  xmlDoc* doc = xmlReadMemory(extension.data(), static_cast<int>(extension.size()), nullptr, nullptr, XML_PARSE_NONET);
  if (doc == nullptr) return Internal("the BundID request extension is not XML");
  LassoSamlp2Extensions* extensions = LASSO_SAMLP2_EXTENSIONS(lasso_samlp2_extensions_new());
  GList* any = g_list_append(nullptr, xmlDocGetRootElement(doc));
  lasso_samlp2_extensions_set_any(extensions, any);  // copies the nodes
  g_list_free(any);
  xmlFreeDoc(doc);
  LassoSamlp2RequestAbstract* abstract = LASSO_SAMLP2_REQUEST_ABSTRACT(request);
  if (abstract->Extensions != nullptr) g_object_unref(abstract->Extensions);
  abstract->Extensions = extensions;

  rc = lasso_login_build_authn_request_msg(login);
  if (rc != 0) return Internal(std::string("the SAML request cannot be built: ") + lasso_strerror(rc));
  if (profile->msg_url == nullptr || profile->msg_body == nullptr || abstract->ID == nullptr) {
    return Internal("the SAML request has no destination");
  }
  return SamlRequest{profile->msg_url, profile->msg_body, abstract->ID};
}

Result<SamlAssertion> SamlServiceProvider::ConsumeResponse(std::string_view saml_response, std::string_view request_id,
                                                           int64_t now) {
  if (saml_response.empty()) return Refuse("the answer carries no SAMLResponse");
  if (saml_response.size() > kMaxResponseBytes) return Refuse("the SAMLResponse is too large");
  std::lock_guard lock(mutex_);
  LoginPtr owned(lasso_login_new(AsServer(server_)), g_object_unref);
  if (!owned) return Internal("lasso_login_new failed");
  LassoLogin* login = owned.get();
  LassoProfile* profile = LASSO_PROFILE(login);
  // MAYBE: a signed response is checked; each assertion's signature is checked
  // when present and required when the response is unsigned. That an
  // assertion is always signed is checked below.
  lasso_profile_set_signature_verify_hint(profile, LASSO_PROFILE_SIGNATURE_VERIFY_HINT_MAYBE);
  std::string message(saml_response);
  int rc = lasso_login_process_authn_response_msg(login, message.data());
  if (rc != 0) return Refuse(std::string("the SAML response was refused: ") + lasso_strerror(rc));
  if (!LASSO_IS_SAMLP2_RESPONSE(profile->response)) return Refuse("the answer is not a SAML response");
  LassoSamlp2Response* response = LASSO_SAMLP2_RESPONSE(profile->response);
  LassoSamlp2StatusResponse* status = LASSO_SAMLP2_STATUS_RESPONSE(response);

  // Exactly one assertion, and it came encrypted: lasso adds decrypted
  // assertions to the clear ones, so one of each means no clear assertion.
  if (g_list_length(response->EncryptedAssertion) != 1 || g_list_length(response->Assertion) != 1) {
    return Refuse("the response must carry exactly one encrypted assertion");
  }
  if (status->Issuer == nullptr || Str(reinterpret_cast<const xmlChar*>(status->Issuer->content)) != idp_entity_id_) {
    return Refuse("the response comes from another identity provider");
  }
  if (status->InResponseTo == nullptr || std::string_view(status->InResponseTo) != request_id) {
    return Refuse("the response does not answer the request this browser made");
  }
  if (status->Destination != nullptr && std::string_view(status->Destination) != settings_.acs_url) {
    return Refuse("the response is addressed to another service");
  }

  auto* assertion = static_cast<LassoSaml2Assertion*>(response->Assertion->data);
  xmlNode* node =
      LASSO_IS_SAML2_ASSERTION(assertion) ? lasso_node_get_original_xmlnode(LASSO_NODE(assertion)) : nullptr;
  if (node == nullptr || !Is(node, kSamlNs, "Assertion")) return Refuse("the assertion cannot be read");
  // The assertion must have come encrypted: a clear one sits in the Response
  // itself (lasso keeps it beside the decrypted ones and skips an
  // EncryptedAssertion it cannot decrypt, so the counts above are not enough).
  if (node->parent != nullptr && Is(node->parent, "urn:oasis:names:tc:SAML:2.0:protocol", "Response")) {
    return Refuse("the response must carry exactly one encrypted assertion");
  }
  // Signed by the IdP itself, over this very node: lasso skips this check when
  // the Response is signed, and a signature on the Response alone is not enough.
  LassoProvider* idp = lasso_server_get_provider(AsServer(server_), idp_entity_id_.c_str());
  if (idp == nullptr || OnlyChild(node, kDsigNs, "Signature") == nullptr ||
      lasso_provider_verify_single_node_signature(idp, LASSO_NODE(assertion), "ID") != 0) {
    return Refuse("the assertion is not signed by the identity provider");
  }

  SamlAssertion result;
  result.assertion_id = Attr(node, "ID");
  if (result.assertion_id.empty() || assertion->ID == nullptr || result.assertion_id != assertion->ID) {
    return Refuse("the assertion has no usable ID");
  }
  xmlNode* issuer = OnlyChild(node, kSamlNs, "Issuer");
  if (issuer == nullptr || Text(issuer) != idp_entity_id_) return Refuse("the assertion comes from another issuer");
  result.issuer = idp_entity_id_;
  const int64_t skew = settings_.skew_seconds;

  // Conditions: the validity window and the audience.
  xmlNode* conditions = OnlyChild(node, kSamlNs, "Conditions");
  if (conditions == nullptr) return Refuse("the assertion has no conditions");
  if (HasAttr(conditions, "NotBefore")) {
    auto not_before = ParseSamlInstant(Attr(conditions, "NotBefore"));
    if (!not_before.ok()) return Refuse("the assertion's NotBefore is malformed");
    if (*not_before > now + skew) return Refuse("the assertion is not yet valid");
  }
  auto not_on_or_after = ParseSamlInstant(Attr(conditions, "NotOnOrAfter"));
  if (!not_on_or_after.ok()) return Refuse("the assertion has no valid NotOnOrAfter");
  if (*not_on_or_after <= now - skew) return Refuse("the assertion has expired");
  result.not_on_or_after = *not_on_or_after;
  std::vector<xmlNode*> restrictions = Children(conditions, kSamlNs, "AudienceRestriction");
  if (restrictions.empty()) return Refuse("the assertion names no audience");
  for (xmlNode* restriction : restrictions) {
    // Every restriction must admit us (SAML core §2.5.1.4).
    bool admitted = false;
    for (xmlNode* audience : Children(restriction, kSamlNs, "Audience")) {
      admitted = admitted || Text(audience) == settings_.entity_id;
    }
    if (!admitted) return Refuse("the assertion is meant for another service");
  }

  // Subject: a bearer confirmation for our ACS, our request, still valid.
  xmlNode* subject = OnlyChild(node, kSamlNs, "Subject");
  if (subject == nullptr) return Refuse("the assertion has no subject");
  bool confirmed = false;
  std::string confirmation_problem = "the assertion has no bearer confirmation";
  for (xmlNode* confirmation : Children(subject, kSamlNs, "SubjectConfirmation")) {
    if (Attr(confirmation, "Method") != kBearer) continue;
    xmlNode* data = OnlyChild(confirmation, kSamlNs, "SubjectConfirmationData");
    if (data == nullptr) continue;
    auto until = ParseSamlInstant(Attr(data, "NotOnOrAfter"));
    if (Attr(data, "Recipient") != settings_.acs_url) {
      confirmation_problem = "the assertion is addressed to another recipient";
    } else if (Attr(data, "InResponseTo") != request_id) {
      confirmation_problem = "the assertion does not answer the request this browser made";
    } else if (!until.ok() || *until <= now - skew) {
      confirmation_problem = "the assertion has expired";
    } else if (HasAttr(data, "NotBefore")) {
      confirmation_problem =
          "the assertion's confirmation carries a NotBefore";  // forbidden for bearer (profiles §4.1.4.2)
    } else {
      confirmed = true;
      break;
    }
  }
  if (!confirmed) return Refuse(confirmation_problem);

  // The level: what the authentication context says, lowered where the
  // EID-CITIZEN-QAA-LEVEL attribute says less; never what was asked for.
  std::vector<xmlNode*> statements = Children(node, kSamlNs, "AuthnStatement");
  if (statements.size() != 1) return Refuse("the assertion must carry one authentication statement");
  xmlNode* context = OnlyChild(statements.front(), kSamlNs, "AuthnContext");
  xmlNode* class_ref = context == nullptr ? nullptr : OnlyChild(context, kSamlNs, "AuthnContextClassRef");
  if (class_ref == nullptr) return Refuse("the assertion names no authentication context");
  result.class_ref = Text(class_ref);
  std::optional<Assurance> level = LevelForClass(settings_.level_map, result.class_ref);
  if (!level) return Refuse("the authentication context is not mapped to an assurance level");
  result.assurance = *level;

  std::map<std::string, std::string> values;
  for (xmlNode* statement : Children(node, kSamlNs, "AttributeStatement")) {
    for (xmlNode* attribute : Children(statement, kSamlNs, "Attribute")) {
      std::vector<xmlNode*> attribute_values = Children(attribute, kSamlNs, "AttributeValue");
      if (attribute_values.empty()) continue;
      std::string name = Attr(attribute, "Name");
      if (values.count(name) != 0) return Refuse("the assertion names an attribute twice");
      values[name] = Text(attribute_values.front()).substr(0, 512);
    }
  }
  if (auto eid = values.find(std::string(kOidEidLevel)); eid != values.end()) {
    std::optional<Assurance> eid_level = LevelForClass(settings_.level_map, eid->second);
    if (!eid_level) return Refuse("the EID-CITIZEN-QAA-LEVEL attribute is not mapped to an assurance level");
    result.assurance = std::min(result.assurance, *eid_level);
  }
  result.bpk2 = values[std::string(kOidBpk2)];
  if (result.bpk2.empty()) return Refuse("the assertion carries no bPK2");
  Attributes& a = result.attributes;
  a.given_name = values[std::string(kOidGivenName)];
  a.family_name = values[std::string(kOidSurname)];
  a.email = values[std::string(kOidMail)];
  a.street = values[std::string(kOidPostalAddress)];
  a.postal_code = values[std::string(kOidPostalCode)];
  a.locality = values[std::string(kOidLocality)];
  a.birth_date = values[std::string(kOidBirthdate)];
  return result;
}

}  // namespace passwerk::portal
