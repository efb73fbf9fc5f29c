// Tests for the OpenID Connect client against a fake provider that serves
// discovery, keys and a token endpoint from keys generated in the test.
#include "portal/oidc_client.h"

#include <gtest/gtest.h>

#include <map>

#include "core/crypto.h"
#include "portal/testing/test_keys.h"

namespace passwerk::portal {
namespace {

using nlohmann::json;
using testing::KeyAlg;
using testing::TestKey;

constexpr int64_t kStart = 1'800'000'000;
constexpr char kIssuer[] = "https://id.example.org";
const std::string kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

std::map<std::string, std::string> ParseForm(std::string_view body) {
  std::map<std::string, std::string> out;
  auto decode = [](std::string_view text) {
    std::string decoded;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '+') {
        decoded += ' ';
      } else if (text[i] == '%' && i + 2 < text.size()) {
        decoded += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        decoded += text[i];
      }
    }
    return decoded;
  };
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    size_t eq = pair.find('=');
    out[decode(pair.substr(0, eq))] = decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return out;
}

AuthRequest Request(std::string state, std::string nonce, std::string verifier) {
  AuthRequest request;
  request.state = std::move(state);
  request.nonce = std::move(nonce);
  request.code_verifier = std::move(verifier);
  return request;
}

std::string Header(const FetchRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "";
}

// Just enough of an identity provider.
class FakeProvider {
 public:
  explicit FakeProvider(const Clock& clock) : clock_(clock) {
    discovery = {{"issuer", kIssuer},
                 {"authorization_endpoint", "https://id.example.org/auth"},
                 {"token_endpoint", "https://id.example.org/token"},
                 {"jwks_uri", "https://id.example.org/jwks"},
                 {"token_endpoint_auth_methods_supported", {"client_secret_basic", "client_secret_post"}},
                 {"code_challenge_methods_supported", {"plain", "S256"}}};
  }

  static const TestKey& Key1() {
    static const TestKey key = testing::MakeKey(KeyAlg::kEs256, "k1");
    return key;
  }
  static const TestKey& Key2() {
    static const TestKey key = testing::MakeKey(KeyAlg::kEdDsa, "k2");
    return key;
  }

  json discovery;
  const TestKey* signing_key = &Key1();
  std::vector<const TestKey*> published = {&Key1()};
  bool down = false;
  int token_status = 200;  // 0: answer normally
  std::string token_body;  // if set, answered instead of a token
  std::string expected_nonce = "nonce-1";
  std::string expected_code = "code-1";
  std::map<std::string, int> hits;  // by URL
  FetchRequest last_token_request;

  Result<FetchResponse> operator()(const FetchRequest& request) {
    if (down) return Unavailable("the server cannot be reached", "connection refused");
    ++hits[request.url];
    if (request.method == "GET" && request.url == "https://id.example.org/.well-known/openid-configuration") {
      return FetchResponse{200, discovery.dump()};
    }
    if (request.method == "GET" && request.url == "https://id.example.org/jwks") {
      return FetchResponse{200, testing::JwksOf(published)};
    }
    if (request.method == "POST" && request.url == "https://id.example.org/token") {
      last_token_request = request;
      if (token_status != 200 || !token_body.empty()) return FetchResponse{token_status, token_body};
      auto form = ParseForm(request.body);
      if (form["code"] != expected_code || PkceChallengeS256(form["code_verifier"]) != PkceChallengeS256(kVerifier)) {
        return FetchResponse{400, R"({"error":"invalid_grant"})"};
      }
      json claims = {{"iss", kIssuer},          {"aud", "passwerk"},       {"sub", "citizen-7"},
                     {"nonce", expected_nonce}, {"iat", clock_.NowUnix()}, {"exp", clock_.NowUnix() + 300},
                     {"acr", "substantial"}};
      json answer = {{"access_token", "at"},
                     {"token_type", "Bearer"},
                     {"expires_in", 300},
                     {"id_token", testing::SignToken(*signing_key, claims)}};
      return FetchResponse{200, answer.dump()};
    }
    return FetchResponse{404, "not found"};
  }

 private:
  const Clock& clock_;
};

class OidcClientTest : public ::testing::Test {
 protected:
  OidcSettings Settings() const { return {kIssuer, "passwerk", "secret", "https://portal.example.org/callback", 60}; }
  OidcClient MakeClient(OidcSettings settings) {
    return OidcClient(
        std::move(settings), [this](const FetchRequest& r) { return provider_(r); }, clock_);
  }
  int Hits(const std::string& path) { return provider_.hits["https://id.example.org" + path]; }

  ManualClock clock_{kStart};
  FakeProvider provider_{clock_};
};

TEST_F(OidcClientTest, SignsInOnTheHappyPath) {
  OidcClient client = MakeClient(Settings());
  ASSERT_TRUE(client.Discover().ok());
  EXPECT_EQ(client.metadata().token_endpoint, "https://id.example.org/token");
  EXPECT_TRUE(client.metadata().client_secret_basic);
  auto url = client.AuthorizationUrl(Request("state-1", "nonce-1", kVerifier));
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_TRUE(url->starts_with("https://id.example.org/auth?response_type=code&client_id=passwerk&"));

  auto token = client.ExchangeCode("code-1", kVerifier, "nonce-1");
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->sub, "citizen-7");
  EXPECT_EQ(token->acr, "substantial");

  const FetchRequest& request = provider_.last_token_request;
  EXPECT_EQ(Header(request, "Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(Header(request, "Authorization"), "Basic " + crypto::Base64Encode("passwerk:secret"));
  auto form = ParseForm(request.body);
  EXPECT_EQ(form["grant_type"], "authorization_code");
  EXPECT_EQ(form["code"], "code-1");
  EXPECT_EQ(form["redirect_uri"], "https://portal.example.org/callback");
  EXPECT_EQ(form["code_verifier"], kVerifier);
  EXPECT_EQ(form.count("client_secret"), 0u);
  EXPECT_NE(request.body.find("redirect_uri=https%3A%2F%2Fportal.example.org%2Fcallback"), std::string::npos);
}

TEST_F(OidcClientTest, CachesDiscoveryForAnHour) {
  OidcClient client = MakeClient(Settings());
  ASSERT_TRUE(client.Discover().ok());
  clock_.Advance(3599);
  ASSERT_TRUE(client.Discover().ok());
  EXPECT_EQ(Hits("/.well-known/openid-configuration"), 1);
  clock_.Advance(1);
  ASSERT_TRUE(client.Discover().ok());
  EXPECT_EQ(Hits("/.well-known/openid-configuration"), 2);
}

TEST_F(OidcClientTest, DiscoveryRefusesAnotherIssuer) {
  provider_.discovery["issuer"] = "https://evil.example.org";
  OidcClient client = MakeClient(Settings());
  Status status = client.Discover();
  EXPECT_EQ(status.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("another issuer"), std::string::npos);

  // A configured trailing slash is not doubled in the URL, but the issuer
  // must still match exactly.
  OidcSettings slash = Settings();
  slash.issuer = "https://id.example.org/";
  provider_.discovery["issuer"] = "https://id.example.org";
  EXPECT_EQ(MakeClient(slash).Discover().code(), ErrorCode::kFailedPrecondition);
  provider_.discovery["issuer"] = "https://id.example.org/";
  EXPECT_TRUE(MakeClient(slash).Discover().ok());
}

TEST_F(OidcClientTest, DiscoveryRefusesWhatDoesNotFit) {
  provider_.discovery["code_challenge_methods_supported"] = {"plain"};
  EXPECT_EQ(MakeClient(Settings()).Discover().code(), ErrorCode::kFailedPrecondition);
  provider_.discovery.erase("code_challenge_methods_supported");
  provider_.discovery["token_endpoint_auth_methods_supported"] = {"private_key_jwt"};
  EXPECT_EQ(MakeClient(Settings()).Discover().code(), ErrorCode::kFailedPrecondition);
  provider_.discovery.erase("token_endpoint_auth_methods_supported");
  provider_.discovery["token_endpoint"] = "http://id.example.org/token";  // plain http for an https issuer
  EXPECT_EQ(MakeClient(Settings()).Discover().code(), ErrorCode::kFailedPrecondition);
  provider_.discovery["token_endpoint"] = 7;
  EXPECT_EQ(MakeClient(Settings()).Discover().code(), ErrorCode::kFailedPrecondition);
}

TEST_F(OidcClientTest, UsesClientSecretPostWhenBasicIsNotOffered) {
  provider_.discovery["token_endpoint_auth_methods_supported"] = {"client_secret_post"};
  OidcClient client = MakeClient(Settings());
  ASSERT_TRUE(client.ExchangeCode("code-1", kVerifier, "nonce-1").ok());
  auto form = ParseForm(provider_.last_token_request.body);
  EXPECT_EQ(form["client_id"], "passwerk");
  EXPECT_EQ(form["client_secret"], "secret");
  EXPECT_EQ(Header(provider_.last_token_request, "Authorization"), "");
}

TEST_F(OidcClientTest, EncodesBasicCredentialsAsRfc6749Asks) {
  OidcSettings settings = Settings();
  settings.client_id = "pass werk:1";
  settings.client_secret =
      "s\xE2\x82\xAC"
      "cret+/%";
  OidcClient client = MakeClient(settings);
  (void)client.ExchangeCode("code-1", kVerifier, "nonce-1");  // the token's audience differs; only the header counts
  EXPECT_EQ(Header(provider_.last_token_request, "Authorization"),
            "Basic " + crypto::Base64Encode("pass+werk%3A1:s%E2%82%ACcret%2B%2F%25"));
}

TEST_F(OidcClientTest, EncodesTheAuthorizationUrl) {
  provider_.discovery["authorization_endpoint"] = "https://id.example.org/auth?tenant=bonn";
  OidcSettings settings = Settings();
  settings.redirect_uri = "https://portal.example.org/callback?x=1&y=ä";
  OidcClient client = MakeClient(settings);
  AuthRequest request = Request("st ate/+", "n&nce=", kVerifier);
  request.acr_values = {"urn:a:substantial", "urn:a:high"};
  request.ui_locales = "de en";
  auto url = client.AuthorizationUrl(request);
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(*url,
            "https://id.example.org/auth?tenant=bonn&response_type=code&client_id=passwerk"
            "&redirect_uri=https%3A%2F%2Fportal.example.org%2Fcallback%3Fx%3D1%26y%3D%C3%A4"
            "&scope=openid%20profile%20email%20address&state=st%20ate%2F%2B&nonce=n%26nce%3D"
            "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
            "&acr_values=urn%3Aa%3Asubstantial%20urn%3Aa%3Ahigh&ui_locales=de%20en");
}

TEST_F(OidcClientTest, AuthorizationUrlNeedsACompleteRequest) {
  OidcClient client = MakeClient(Settings());
  EXPECT_EQ(client.AuthorizationUrl(Request("", "n", kVerifier)).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(client.AuthorizationUrl(Request("s", "n", "short")).status().code(), ErrorCode::kInvalidArgument);
  AuthRequest no_openid = Request("s", "n", kVerifier);
  no_openid.scope = "profile openidx";
  EXPECT_EQ(client.AuthorizationUrl(no_openid).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Hits("/.well-known/openid-configuration"), 0);
}

TEST_F(OidcClientTest, RefusedCodeIsUnauthenticated) {
  OidcClient client = MakeClient(Settings());
  auto token = client.ExchangeCode("code-2", kVerifier, "nonce-1");
  EXPECT_EQ(token.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(token.status().detail().find("invalid_grant"), std::string::npos);
  provider_.token_status = 401;
  EXPECT_EQ(client.ExchangeCode("code-1", kVerifier, "nonce-1").status().code(), ErrorCode::kUnauthenticated);
}

TEST_F(OidcClientTest, ProviderTroubleIsUnavailable) {
  OidcClient client = MakeClient(Settings());
  provider_.token_status = 500;
  EXPECT_EQ(client.ExchangeCode("code-1", kVerifier, "nonce-1").status().code(), ErrorCode::kUnavailable);
  provider_.token_status = 200;
  provider_.token_body = std::string(kMaxProviderBodyBytes + 1, ' ');
  EXPECT_EQ(client.ExchangeCode("code-1", kVerifier, "nonce-1").status().code(), ErrorCode::kUnavailable);
  provider_.token_body = "<html>";
  EXPECT_EQ(client.ExchangeCode("code-1", kVerifier, "nonce-1").status().code(), ErrorCode::kUnavailable);
  provider_.down = true;
  EXPECT_EQ(client.ExchangeCode("code-1", kVerifier, "nonce-1").status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(MakeClient(Settings()).Discover().code(), ErrorCode::kUnavailable);
}

TEST_F(OidcClientTest, BadTokenAnswersAreUnauthenticated) {
  OidcClient client = MakeClient(Settings());
  auto wrong_nonce = client.ExchangeCode("code-1", kVerifier, "nonce-2");
  EXPECT_EQ(wrong_nonce.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(wrong_nonce.status().message().find("nonce"), std::string::npos);
  provider_.token_body = R"({"token_type":"Bearer","access_token":"at"})";
  EXPECT_EQ(client.ExchangeCode("code-1", kVerifier, "nonce-1").status().code(), ErrorCode::kUnauthenticated);
  provider_.token_body = R"({"token_type":"mac","id_token":"a.b.c"})";
  EXPECT_EQ(client.ExchangeCode("code-1", kVerifier, "nonce-1").status().code(), ErrorCode::kUnauthenticated);
  provider_.token_body = R"({"token_type":"bearer","id_token":"a.b.c"})";  // malformed token
  EXPECT_EQ(client.ExchangeCode("code-1", kVerifier, "nonce-1").status().code(), ErrorCode::kUnauthenticated);
}

TEST_F(OidcClientTest, FetchesKeysAgainWhenTheProviderRotatesThem) {
  OidcClient client = MakeClient(Settings());
  ASSERT_TRUE(client.ExchangeCode("code-1", kVerifier, "nonce-1").ok());
  ASSERT_TRUE(client.ExchangeCode("code-1", kVerifier, "nonce-1").ok());
  EXPECT_EQ(Hits("/jwks"), 1);

  provider_.published = {&FakeProvider::Key2()};
  provider_.signing_key = &FakeProvider::Key2();
  // Within a minute of the last fetch an unknown kid does not fetch again...
  clock_.Advance(30);
  auto early = client.ExchangeCode("code-1", kVerifier, "nonce-1");
  EXPECT_EQ(early.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(early.status().message().find("unknown key"), std::string::npos);
  EXPECT_EQ(Hits("/jwks"), 1);
  // ...after it, it does, once.
  clock_.Advance(30);
  auto token = client.ExchangeCode("code-1", kVerifier, "nonce-1");
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  ASSERT_TRUE(client.ExchangeCode("code-1", kVerifier, "nonce-1").ok());
  EXPECT_EQ(Hits("/jwks"), 2);
}

TEST_F(OidcClientTest, KeepsOldKeysWhenTheKeySetCannotBeFetched) {
  OidcClient client = MakeClient(Settings());
  ASSERT_TRUE(client.ExchangeCode("code-1", kVerifier, "nonce-1").ok());
  clock_.Advance(3600);      // keys and discovery stale
  provider_.published = {};  // an empty set is no key set
  auto token = client.ExchangeCode("code-1", kVerifier, "nonce-1");
  EXPECT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(Hits("/jwks"), 2);
}

}  // namespace
}  // namespace passwerk::portal
