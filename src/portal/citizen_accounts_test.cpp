#include "portal/citizen_accounts.h"

#include <gtest/gtest.h>

#include "audit/audit_log.h"
#include "portal/saml_sp.h"
#include "portal/sign_in.h"
#include "storage/testing/backends.h"

namespace passwerk::portal {
namespace {

using storage::Segment;

TEST(TestPseudonymTest, NormalisesCaseSpacesAndUmlauts) {
  EXPECT_EQ(TestPseudonym("Erika Mustermann"), "test:erika mustermann");
  EXPECT_EQ(TestPseudonym("  erika   MUSTERMANN "), "test:erika mustermann");
  EXPECT_EQ(TestPseudonym("Jürgen Müller"), "test:juergen mueller");
  EXPECT_EQ(TestPseudonym("Jürgen Müller"), TestPseudonym("Juergen Mueller"));
  EXPECT_NE(TestPseudonym("Erika Mustermann"), TestPseudonym("Erik Amustermann"));
  EXPECT_EQ(TestPseudonym(" 123 -- "), "");
  EXPECT_EQ(TestPseudonym(""), "");
}

TEST(SafeReturnToTest, OnlyPortalPathsOnThisHost) {
  EXPECT_EQ(SafeReturnTo("/portal/cards"), "/portal/cards");
  EXPECT_EQ(SafeReturnTo("/portal?x=1"), "/portal?x=1");
  EXPECT_EQ(SafeReturnTo("/portal"), "/portal");
  for (std::string_view bad : {"https://evil.example/portal", "//evil.example/portal", "/portal//evil.example",
                               "/portalx", "/dashboard", "/portal/\\evil", "", "/portal/a\r\nSet-Cookie: x=1"}) {
    EXPECT_EQ(SafeReturnTo(bad), "/portal") << bad;
  }
}

TEST(DeviceTest, NamesBrowserAndSystemOnly) {
  EXPECT_EQ(DeviceFromUserAgent("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                                "Chrome/120.0 Mobile Safari/537.36"),
            "Chrome / Android");
  EXPECT_EQ(DeviceFromUserAgent("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
            "Firefox / Linux");
  EXPECT_EQ(DeviceFromUserAgent("curl/8.1"), "curl");
  EXPECT_EQ(DeviceFromUserAgent("<script>"), "");
}

TEST(LevelMapTest, ParsesMapsAndPicksTheLowestClass) {
  auto map = ParseLevelMap(
      {"STORK-QAA-Level-1=low", "STORK-QAA-Level-2=low", "STORK-QAA-Level-3=substantial", "STORK-QAA-Level-4=high"},
      "saml_level_map");
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(ClassForLevel(*map, Assurance::kLow), "STORK-QAA-Level-1");
  EXPECT_EQ(ClassForLevel(*map, Assurance::kSubstantial), "STORK-QAA-Level-3");
  EXPECT_EQ(ClassForLevel(*map, Assurance::kHigh), "STORK-QAA-Level-4");
  EXPECT_EQ(LevelForClass(*map, "STORK-QAA-Level-2"), Assurance::kLow);
  EXPECT_EQ(LevelForClass(*map, "STORK-QAA-Level-5"), std::nullopt);
  // Without an exact class, the lowest one that is at least as strong.
  auto sparse = ParseLevelMap({"a=low", "b=high"}, "oidc_acr_map");
  ASSERT_TRUE(sparse.ok());
  EXPECT_EQ(ClassForLevel(*sparse, Assurance::kSubstantial), "b");
  for (auto bad : std::vector<std::vector<std::string>>{{"x"}, {"=low"}, {"x=medium"}, {}}) {
    auto parsed = ParseLevelMap(bad, "saml_level_map");
    EXPECT_EQ(parsed.status().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(SamlInstantTest, ParsesUtcWithAndWithoutFractions) {
  EXPECT_EQ(*ParseSamlInstant("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseSamlInstant("2026-12-07T10:00:00Z"), 1796637600);
  EXPECT_EQ(*ParseSamlInstant("2026-12-07T10:00:00.123456Z"), 1796637600);
  for (std::string_view bad :
       {"", "2026-12-07T10:00:00", "2026-12-07 10:00:00Z", "2026-13-07T10:00:00Z", "2026-12-07T10:00:00+01:00",
        "2026-12-07T10:00:00.Z", "x026-12-07T10:00:00Z", "2026-12-07T10:00:00.12a4Z"}) {
    EXPECT_FALSE(ParseSamlInstant(bad).ok()) << bad;
  }
}

TEST(SpMetadataTest, PublishesTheCertificateTwiceAndThePostAcs) {
  SamlSpSettings settings;
  settings.entity_id = "https://portal.example/portal/saml/metadata";
  settings.acs_url = "https://portal.example/portal/saml/acs";
  settings.cert_pem = "-----BEGIN CERTIFICATE-----\nMIIBcert\nbody==\n-----END CERTIFICATE-----\n";
  settings.organisation_name = "Stadt <Beispiel> & Co";
  std::string xml = SpMetadata(settings);
  EXPECT_NE(xml.find("entityID=\"https://portal.example/portal/saml/metadata\""), std::string::npos);
  EXPECT_NE(xml.find("<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>MIIBcertbody=="),
            std::string::npos);
  EXPECT_NE(xml.find("<md:KeyDescriptor use=\"encryption\">"), std::string::npos);
  EXPECT_NE(xml.find("Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
                     "Location=\"https://portal.example/portal/saml/acs\""),
            std::string::npos);
  EXPECT_NE(xml.find("Stadt &lt;Beispiel&gt; &amp; Co"), std::string::npos) << "escaped";
  EXPECT_NE(xml.find("urn:oid:1.3.6.1.4.1.25484.494450.3"), std::string::npos);
}

TEST(SamlServiceProviderTest, RefusesUnusableKeysAndMetadata) {
  SamlSpSettings settings;
  settings.entity_id = "https://portal.example/portal/saml/metadata";
  settings.acs_url = "https://portal.example/portal/saml/acs";
  settings.cert_pem = "not a certificate";
  EXPECT_EQ(SamlServiceProvider::Create(settings).status().code(), ErrorCode::kInvalidArgument);
  auto pair = crypto::GenerateRsaKeyAndCertificate("Test SP", 2048, 1);
  ASSERT_TRUE(pair.ok());
  settings.cert_pem = pair->cert_pem;
  settings.key_pem = pair->key_pem;
  settings.idp_metadata_xml = "<not-metadata/>";
  EXPECT_EQ(SamlServiceProvider::Create(settings).status().code(), ErrorCode::kInvalidArgument);
}

// ------------------------------------------------------------ on every backend

class CitizenAccountsTest : public ::testing::TestWithParam<storage::testing::Backend> {
 protected:
  void SetUp() override {
    std::string reason;
    test_db_ = storage::testing::TestDatabase::Create(
        GetParam(), {Segment::kCore, Segment::kAudit, Segment::kCards, Segment::kPortal}, &reason);
    if (!test_db_) GTEST_SKIP() << reason;
    auto box = crypto::SecretBox::FromHexKeys({std::string(64, 'a')});
    ASSERT_TRUE(box.ok());
    box_ = std::make_unique<crypto::SecretBox>(std::move(*box));
    MakeAccounts();
  }

  void MakeAccounts() {
    PortalOptions options;
    options.session_idle_seconds = 600;
    options.session_max_seconds = 3600;
    options.sign_in_seconds = 300;
    accounts_ = std::make_unique<CitizenAccounts>(test_db_->db(), clock_, *box_, options);
  }

  // Closes and opens the storage (on disk: what a restart finds); the
  // service is made anew on the new handle.
  void Reopen() {
    accounts_.reset();
    ASSERT_TRUE(test_db_->Reopen().ok());
    MakeAccounts();
  }

  Identity Erika(Assurance level = Assurance::kLow) {
    Identity identity;
    identity.method = SignInMethod::kSaml;
    identity.pseudonym = "saml:bpk2-of-erika";
    identity.assurance = level;
    identity.attributes.given_name = "Erika";
    identity.attributes.family_name = "Mustermann";
    return identity;
  }

  std::vector<std::string> AuditActions() {
    std::vector<std::string> actions;
    audit::AuditFilter filter;
    filter.action_prefix = "citizen.";
    filter.limit = 100;
    auto entries = audit::List(test_db_->db(), filter);
    EXPECT_TRUE(entries.ok());
    if (entries.ok()) {
      for (auto it = entries->rbegin(); it != entries->rend(); ++it) actions.push_back(it->event.action);
    }
    return actions;
  }

  ManualClock clock_{1'800'000'000};
  std::unique_ptr<storage::testing::TestDatabase> test_db_;
  std::unique_ptr<crypto::SecretBox> box_;
  std::unique_ptr<CitizenAccounts> accounts_;
};

TEST_P(CitizenAccountsTest, OnePseudonymOneAccountAndNoNameStored) {
  auto first = accounts_->SignIn(Erika(), "Chrome / Android", "r1");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = accounts_->SignIn(Erika(Assurance::kHigh), "Firefox / Linux", "r2");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->account_id, second->account_id);
  EXPECT_NE(first->token, second->token);
  EXPECT_EQ(second->assurance, Assurance::kHigh);
  Identity other = Erika();
  other.pseudonym = "saml:bpk2-of-someone-else";
  auto third = accounts_->SignIn(other, "", "r3");
  ASSERT_TRUE(third.ok());
  EXPECT_NE(third->account_id, first->account_id);
  // The attributes are in memory for the session, in no table.
  EXPECT_EQ(accounts_->SessionAttributes(*first)->family_name, "Mustermann");
  Reopen();
  ASSERT_TRUE(test_db_->db()
                  .Read([&](storage::Tx& tx) -> Status {
                    for (std::string_view table : {"portal.accounts", "portal.sessions"}) {
                      PW_ASSIGN_OR_RETURN(storage::Rows rows, tx.Query("SELECT * FROM " + std::string(table)));
                      for (const storage::Row& row : rows) {
                        for (size_t i = 0; i < row.size(); ++i) {
                          if (std::holds_alternative<std::string>(row.at(i))) {
                            const std::string& text = std::get<std::string>(row.at(i));
                            EXPECT_EQ(text.find("Mustermann"), std::string::npos) << table;
                            EXPECT_EQ(text.find("bpk2-of-erika"), std::string::npos) << table;
                          }
                        }
                      }
                    }
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(AuditActions(),
            (std::vector<std::string>{"citizen.account_create", "citizen.sign_in", "citizen.account_create"}));
}

TEST_P(CitizenAccountsTest, SessionsEndWhenIdleAtTheirLimitAndOnSignOut) {
  auto session = accounts_->SignIn(Erika(), "", "r");
  ASSERT_TRUE(session.ok());
  auto found = accounts_->GetSession(session->token);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->account_id, session->account_id);
  EXPECT_EQ(found->token, "") << "the token is never read back";
  EXPECT_EQ(accounts_->GetSession("wrong").status().code(), ErrorCode::kUnauthenticated);
  // Active every 9 minutes: alive until the one-hour limit.
  for (int i = 0; i < 6; ++i) {
    clock_.Advance(9 * 60);
    EXPECT_TRUE(accounts_->GetSession(session->token).ok()) << i;
  }
  clock_.Advance(7 * 60);
  EXPECT_EQ(accounts_->GetSession(session->token).status().code(), ErrorCode::kUnauthenticated);
  // Idle for longer than ten minutes.
  auto idle = accounts_->SignIn(Erika(), "", "r");
  ASSERT_TRUE(idle.ok());
  clock_.Advance(601);
  EXPECT_EQ(accounts_->GetSession(idle->token).status().code(), ErrorCode::kUnauthenticated);
  auto current = accounts_->SignIn(Erika(), "", "r");
  ASSERT_TRUE(current.ok());
  ASSERT_TRUE(accounts_->SignOut(current->token, "r").ok());
  EXPECT_EQ(accounts_->GetSession(current->token).status().code(), ErrorCode::kUnauthenticated);
  EXPECT_FALSE(accounts_->SessionAttributes(*current).has_value());
  auto deleted = accounts_->DeleteExpired();
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 2);
}

TEST_P(CitizenAccountsTest, ASignOutElsewhereReachesThisProcessWithinTheCacheTime) {
  auto session = accounts_->SignIn(Erika(), "", "r");
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE(accounts_->GetSession(session->token).ok());  // cached here
  // Another server process on the same storage signs it out.
  CitizenAccounts other(test_db_->db(), clock_, *box_, PortalOptions{});
  ASSERT_TRUE(other.SignOut(session->token, "r").ok());
  EXPECT_TRUE(accounts_->GetSession(session->token).ok()) << "trusted for the cache time";
  clock_.Advance(kSessionCacheSeconds);
  EXPECT_EQ(accounts_->GetSession(session->token).status().code(), ErrorCode::kUnauthenticated);
  // In this process, a sign-out takes effect at once.
  auto local = accounts_->SignIn(Erika(), "", "r");
  ASSERT_TRUE(local.ok());
  ASSERT_TRUE(accounts_->GetSession(local->token).ok());
  ASSERT_TRUE(accounts_->SignOut(local->token, "r").ok());
  EXPECT_EQ(accounts_->GetSession(local->token).status().code(), ErrorCode::kUnauthenticated);
}

TEST_P(CitizenAccountsTest, SignOutEverywhereAndEndingOneSessionOfTheSameAccountOnly) {
  auto a = accounts_->SignIn(Erika(), "phone", "r");
  auto b = accounts_->SignIn(Erika(), "laptop", "r");
  Identity other = Erika();
  other.pseudonym = "oidc:https://idp.example other";
  auto c = accounts_->SignIn(other, "", "r");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  auto listed = accounts_->Sessions(*a);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ(accounts_->EndSession(*a, c->public_id, "r").code(), ErrorCode::kNotFound) << "another account's";
  ASSERT_TRUE(accounts_->EndSession(*a, b->public_id, "r").ok());
  EXPECT_FALSE(accounts_->GetSession(b->token).ok());
  auto b2 = accounts_->SignIn(Erika(), "laptop", "r");
  ASSERT_TRUE(b2.ok());
  auto ended = accounts_->SignOutEverywhere(*a, "r");
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ(*ended, 2);
  EXPECT_FALSE(accounts_->GetSession(a->token).ok());
  EXPECT_FALSE(accounts_->GetSession(b2->token).ok());
  EXPECT_TRUE(accounts_->GetSession(c->token).ok());
}

TEST_P(CitizenAccountsTest, PendingSignInsAreTakenOnceByTheBrowserThatStartedThem) {
  PendingSignIn pending;
  pending.state = "relay-state-1";
  pending.method = SignInMethod::kOidc;
  pending.request_id = "nonce-1";
  pending.browser_token = "browser-a";
  pending.assurance = Assurance::kSubstantial;
  pending.return_to = "/portal/cards";
  pending.secret = "pkce-verifier";
  ASSERT_TRUE(accounts_->BeginSignIn(pending).ok());
  Reopen();
  EXPECT_EQ(accounts_->TakeSignIn("relay-state-1", "browser-b").status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(accounts_->TakeSignIn("relay-state-1", "browser-a").status().code(), ErrorCode::kUnauthenticated)
      << "a wrong browser used it up";
  pending.state = "relay-state-2";
  ASSERT_TRUE(accounts_->BeginSignIn(pending).ok());
  auto taken = accounts_->TakeSignIn("relay-state-2", "browser-a");
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  EXPECT_EQ(taken->request_id, "nonce-1");
  EXPECT_EQ(taken->secret, "pkce-verifier");
  EXPECT_EQ(taken->assurance, Assurance::kSubstantial);
  EXPECT_EQ(taken->return_to, "/portal/cards");
  EXPECT_EQ(accounts_->TakeSignIn("relay-state-2", "browser-a").status().code(), ErrorCode::kUnauthenticated);
  pending.state = "relay-state-3";
  ASSERT_TRUE(accounts_->BeginSignIn(pending).ok());
  clock_.Advance(301);
  EXPECT_EQ(accounts_->TakeSignIn("relay-state-3", "browser-a").status().code(), ErrorCode::kUnauthenticated);
}

TEST_P(CitizenAccountsTest, AnAssertionIsAcceptedOnce) {
  EXPECT_TRUE(accounts_->MarkAssertionSeen("https://idp", "_a1", 1'800'000'600).ok());
  EXPECT_EQ(accounts_->MarkAssertionSeen("https://idp", "_a1", 1'800'000'600).code(), ErrorCode::kAlreadyExists);
  EXPECT_TRUE(accounts_->MarkAssertionSeen("https://other-idp", "_a1", 1'800'000'600).ok());
}

TEST_P(CitizenAccountsTest, DeletionWaitsForBlockersAndWithdrawsFirst) {
  auto session = accounts_->SignIn(Erika(), "", "r");
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE(accounts_->LinkCard(session->account, 42, "r").ok());
  ASSERT_TRUE(accounts_->LinkCard(session->account, 42, "r").ok()) << "idempotent";
  EXPECT_EQ(*accounts_->LinkedCards(session->account), std::vector<int64_t>{42});
  int64_t unpaid = 1;
  int withdrawn = 0;
  accounts_->AddDeletionParticipant([&](storage::Tx&, int64_t, bool, const std::string&) {
    return Result<DeletionFinding>(DeletionFinding{"payments", unpaid, 0});
  });
  accounts_->AddDeletionParticipant([&](storage::Tx&, int64_t, bool apply, const std::string&) {
    if (apply) ++withdrawn;
    return Result<DeletionFinding>(DeletionFinding{"applications", 0, 2});
  });
  auto plan = accounts_->PlanDeletion(*session);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->blocked());
  EXPECT_EQ(accounts_->DeleteAccount(*session, "r").code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(withdrawn, 0);
  EXPECT_TRUE(accounts_->GetSession(session->token).ok());
  unpaid = 0;
  ASSERT_TRUE(accounts_->DeleteAccount(*session, "r").ok());
  EXPECT_EQ(withdrawn, 1);
  EXPECT_FALSE(accounts_->GetSession(session->token).ok());
  EXPECT_EQ(accounts_->AccountByPseudonym("saml:bpk2-of-erika").status().code(), ErrorCode::kNotFound);
  auto again = accounts_->SignIn(Erika(), "", "r");
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->account_id, session->account_id);
  EXPECT_TRUE(accounts_->LinkedCards(again->account)->empty());
}

TEST_P(CitizenAccountsTest, TheTestSignInIsOffUnlessSwitchedOnAndNeedsLetters) {
  SignInFlows off(*accounts_, clock_, nullptr, nullptr, SignInSettings{});
  EXPECT_EQ(off.TestSignIn("Erika Mustermann", Assurance::kHigh, "", "r").status().code(),
            ErrorCode::kFailedPrecondition);
  SignInSettings settings;
  settings.test_login = true;
  SignInFlows on(*accounts_, clock_, nullptr, nullptr, settings);
  EXPECT_EQ(on.TestSignIn("  --  ", Assurance::kLow, "", "r").status().code(), ErrorCode::kInvalidArgument);
  auto session = on.TestSignIn(" Erika  Mustermann ", Assurance::kSubstantial, "", "r");
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(session->method, SignInMethod::kTest);
  EXPECT_EQ(session->assurance, Assurance::kSubstantial);
  EXPECT_EQ(*accounts_->AccountByPseudonym("test:erika mustermann"), session->account);
  EXPECT_EQ(accounts_->SessionAttributes(*session)->given_name, "Erika");
  EXPECT_FALSE(on.saml_enabled());
  EXPECT_EQ(on.StartSaml(Assurance::kLow, "/portal", "de", "b").status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(on.SpMetadata().status().code(), ErrorCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Backends, CitizenAccountsTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::portal
