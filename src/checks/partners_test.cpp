// Partners and their keys on every backend: who may manage them, the
// validation of names, schemes and origins, keys shown once and stored as
// hashes, revocation and reinstatement, each change audited.
#include "checks/partners.h"

#include <gtest/gtest.h>

#include "accounts/testing/actors.h"
#include "cards/cards.h"
#include "core/crypto.h"
#include "storage/testing/backends.h"

namespace passwerk::checks {
namespace {

TEST(PartnerOriginTest, AnOriginIsSchemeHostAndPortInLowerCase) {
  for (const char* good :
       {"https://vhs.example.de", "http://localhost:8080", "https://[::1]:8443", "https://musikschule-erlangen.de"}) {
    EXPECT_TRUE(IsValidOrigin(good)) << good;
  }
  for (const char* bad : {"", "vhs.example.de", "ftp://vhs.example.de", "https://", "https://VHS.example.de",
                          "https://vhs.example.de/", "https://vhs.example.de/buchung", "https://user@vhs.example.de",
                          "https://vhs.example.de?x=1", "https://vhs example.de", "HTTPS://vhs.example.de"}) {
    EXPECT_FALSE(IsValidOrigin(bad)) << bad;
  }
  EXPECT_TRUE(IsValidOrigin("https://" + std::string(253, 'a')));
  EXPECT_FALSE(IsValidOrigin("https://" + std::string(254, 'a')));
}

class PartnerServiceTest : public ::testing::TestWithParam<storage::testing::Backend> {
 protected:
  void SetUp() override {
    std::string reason;
    test_db_ = storage::testing::TestDatabase::Create(
        GetParam(),
        {storage::Segment::kCore, storage::Segment::kAudit, storage::Segment::kCards, storage::Segment::kChecks},
        &reason);
    if (!test_db_) GTEST_SKIP() << reason;
    accounts_ = std::make_unique<accounts::AccountService>(test_db_->db(), clock_, box_, throttle_);
    partners_ = std::make_unique<PartnerService>(test_db_->db(), clock_);
    cli_.id = "cli";
    erlangen_ = SchemeIn("09562000", "Erlangen", "erlangen-pass", &erlangen_id_);
    nuernberg_ = SchemeIn("09564000", "Nürnberg", "nuernberg-pass", &nuernberg_id_);
    admin_ = User("erlangen.admin", accounts::Role::kMunicipalityAdmin, erlangen_id_);
    clerk_ = User("erlangen.clerk", accounts::Role::kClerk, erlangen_id_);
    other_admin_ = User("nuernberg.admin", accounts::Role::kMunicipalityAdmin, nuernberg_id_);
  }

  int64_t SchemeIn(const std::string& number, const std::string& name, const std::string& slug,
                   int64_t* municipality_id) {
    auto m = accounts_->CreateMunicipality(cli_, number, name);
    EXPECT_TRUE(m.ok());
    *municipality_id = m->id;
    EXPECT_TRUE(accounts_->CreateDepartment(cli_, m->id, "Sozialamt").ok());
    cards::CardKeys keys(box_);
    cards::CardService cards(test_db_->db(), clock_, box_, keys);
    cards::NewScheme input;
    input.slug = slug;
    input.municipality_id = m->id;
    input.name = name + "-Pass";
    auto s = cards.CreateScheme(cli_, input);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? s->id : 0;
  }

  accounts::Actor User(const std::string& username, accounts::Role role, int64_t municipality_id) {
    return accounts::testing::CreateStaff(*accounts_, cli_, username, role, municipality_id);
  }

  std::vector<std::string> Column(const std::string& sql) {
    std::vector<std::string> out;
    EXPECT_TRUE(test_db_->db()
                    .Read([&](storage::Tx& tx) -> Status {
                      PW_ASSIGN_OR_RETURN(storage::Rows rows, tx.Query(sql));
                      for (const auto& row : rows) out.push_back(row.Text(0));
                      return Status::Ok();
                    })
                    .ok());
    return out;
  }

  ManualClock clock_{1795000000};
  crypto::SecretBox box_ = crypto::SecretBox::FromHexKeys({std::string(64, 'b')}).value();
  accounts::LoginThrottle throttle_{clock_};
  std::unique_ptr<storage::testing::TestDatabase> test_db_;
  std::unique_ptr<accounts::AccountService> accounts_;
  std::unique_ptr<PartnerService> partners_;
  accounts::Actor cli_, admin_, clerk_, other_admin_;
  int64_t erlangen_ = 0, nuernberg_ = 0, erlangen_id_ = 0, nuernberg_id_ = 0;
};

TEST_P(PartnerServiceTest, TheMunicipalitysAdministratorCreatesPartnersForItsOwnSchemes) {
  auto vhs = partners_->CreatePartner(admin_, erlangen_id_, "VHS Erlangen", {erlangen_},
                                      {"https://vhs-erlangen.de", "https://buchung.vhs-erlangen.de:8443"});
  ASSERT_TRUE(vhs.ok()) << vhs.status().ToString();
  auto listed = partners_->ListPartners();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, "VHS Erlangen");
  EXPECT_EQ((*listed)[0].municipality_id, erlangen_id_);
  EXPECT_EQ((*listed)[0].origins,
            (std::vector<std::string>{"https://vhs-erlangen.de", "https://buchung.vhs-erlangen.de:8443"}));
  EXPECT_EQ((*listed)[0].scheme_ids, std::vector<int64_t>{erlangen_});
  EXPECT_EQ(Column("SELECT actor || ' ' || action || ' ' || object FROM audit.entries WHERE action LIKE 'partner%'"),
            std::vector<std::string>{admin_.id + " partner.create partner:" + std::to_string(vhs->id)});

  EXPECT_EQ(partners_->CreatePartner(clerk_, erlangen_id_, "Museum", {erlangen_}, {}).status().code(),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(partners_->CreatePartner(other_admin_, erlangen_id_, "Museum", {erlangen_}, {}).status().code(),
            ErrorCode::kPermissionDenied);
  accounts::Actor token = admin_;
  token.via_token = true;
  EXPECT_EQ(partners_->CreatePartner(token, erlangen_id_, "Museum", {erlangen_}, {}).status().code(),
            ErrorCode::kPermissionDenied);
  auto field_of = [&](const std::string& name, const std::vector<int64_t>& schemes,
                      const std::vector<std::string>& origins) {
    return partners_->CreatePartner(admin_, erlangen_id_, name, schemes, origins).status().field();
  };
  EXPECT_EQ(field_of("", {erlangen_}, {}), "name");
  EXPECT_EQ(field_of(std::string(201, 'x'), {erlangen_}, {}), "name");
  EXPECT_EQ(field_of("Museum", {}, {}), "schemes");
  EXPECT_EQ(field_of("Museum", {nuernberg_}, {}), "schemes") << "another municipality's scheme";
  EXPECT_EQ(field_of("Museum", {erlangen_, 999999}, {}), "schemes");
  EXPECT_EQ(field_of("Museum", {erlangen_}, {"https://museum.de/"}), "origins");
  auto twice = partners_->CreatePartner(admin_, erlangen_id_, "VHS Erlangen", {erlangen_}, {});
  EXPECT_EQ(twice.status().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(twice.status().field(), "name");
  EXPECT_EQ(partners_->ListPartners()->size(), 1u) << "nothing of the refused ones was stored";
  EXPECT_TRUE(partners_->CreatePartner(other_admin_, nuernberg_id_, "VHS Erlangen", {nuernberg_}, {}).ok())
      << "the name is unique per municipality";
}

TEST_P(PartnerServiceTest, KeysAreShownOnceStoredAsHashesRevokedAndReinstated) {
  auto vhs = partners_->CreatePartner(admin_, erlangen_id_, "VHS Erlangen", {erlangen_}, {});
  ASSERT_TRUE(vhs.ok());
  auto server = partners_->CreateKey(admin_, vhs->id, "server");
  auto widget = partners_->CreateKey(admin_, vhs->id, "publishable");
  ASSERT_TRUE(server.ok() && widget.ok());
  EXPECT_EQ(server->secret.rfind("pwps_" + server->key.prefix + "_", 0), 0u) << server->secret;
  EXPECT_EQ(widget->secret.rfind("pwpk_" + widget->key.prefix + "_", 0), 0u) << widget->secret;
  EXPECT_EQ(server->key.prefix.size(), 8u);
  EXPECT_GE(server->secret.size(), 5u + 8u + 1u + 50u) << "32 random bytes after the prefix";
  EXPECT_EQ(server->key.created_at, 1795000000);
  // Only the hash is stored: the secret is nowhere in the database.
  EXPECT_EQ(Column("SELECT key_hash FROM core.partner_keys WHERE id = " + std::to_string(server->key.id)),
            std::vector<std::string>{crypto::Sha256Hex(server->secret)});
  for (const std::string& row : Column("SELECT kind || prefix || key_hash FROM core.partner_keys")) {
    EXPECT_EQ(row.find(server->secret), std::string::npos);
  }
  for (const std::string& row : Column("SELECT object || detail FROM audit.entries")) {
    EXPECT_EQ(row.find(server->secret), std::string::npos);
  }

  EXPECT_EQ(partners_->CreateKey(admin_, vhs->id, "admin").status().field(), "kind");
  EXPECT_EQ(partners_->CreateKey(admin_, 999999, "server").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(partners_->CreateKey(other_admin_, vhs->id, "server").status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(partners_->CreateKey(admin_, vhs->id, "server", "pwps_short").status().field(), "key");
  auto preset = partners_->CreateKey(cli_, vhs->id, "server", "pwps_demo1234_0123456789abcdef");
  ASSERT_TRUE(preset.ok());
  EXPECT_EQ(preset->key.prefix, "demo1234");
  EXPECT_EQ(preset->secret, "pwps_demo1234_0123456789abcdef");

  EXPECT_EQ(partners_->RevokeKey(other_admin_, server->key.id).code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(partners_->RevokeKey(admin_, 999999).code(), ErrorCode::kNotFound);
  ASSERT_TRUE(partners_->RevokeKey(admin_, server->key.id).ok());
  clock_.Advance(60);
  ASSERT_TRUE(partners_->RevokeKey(admin_, server->key.id).ok());
  auto keys = partners_->ListKeys(vhs->id);
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 3u);
  EXPECT_EQ((*keys)[0].revoked_at, 1795000000) << "a second revocation keeps the first date";
  EXPECT_FALSE((*keys)[1].revoked_at.has_value());
  EXPECT_EQ((*keys)[1].kind, "publishable");

  // The enumeration defence suspends a key; an administrator lifts the suspension.
  ASSERT_TRUE(test_db_->db()
                  .Write([&](storage::Tx& tx) {
                    return tx
                        .Exec("UPDATE core.partner_keys SET suspended_at = 1795000000 WHERE id = $1", {widget->key.id})
                        .status();
                  })
                  .ok());
  EXPECT_EQ(partners_->ReinstateKey(clerk_, widget->key.id).code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(partners_->ListKeys(vhs->id)->at(1).suspended_at, 1795000000);
  ASSERT_TRUE(partners_->ReinstateKey(admin_, widget->key.id).ok());
  EXPECT_FALSE(partners_->ListKeys(vhs->id)->at(1).suspended_at.has_value());
  EXPECT_EQ(Column("SELECT action FROM audit.entries WHERE action LIKE 'partner_key.%' ORDER BY seq"),
            (std::vector<std::string>{"partner_key.create", "partner_key.create", "partner_key.create",
                                      "partner_key.revoke", "partner_key.revoke", "partner_key.reinstate"}));
  EXPECT_TRUE(partners_->ListKeys(999999)->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, PartnerServiceTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::checks
