// The catalogue: every package field validated by name, who may manage it
// (operators and the municipality's administrators, never tokens), one base
// package on sale at a time, and staff reading only their municipality's.
#include "terminals/catalogue.h"

#include <gtest/gtest.h>

#include <functional>

#include "accounts/accounts.h"
#include "accounts/testing/actors.h"
#include "audit/audit_log.h"
#include "storage/testing/backends.h"

namespace passwerk::terminals {
namespace {

using accounts::Role;

NewPackage FlatRate() {
  NewPackage p;
  p.package_number = "9001";
  p.kind = "flat_rate";
  p.name = "Bäderkarte";
  p.price_cents = 2900;
  p.sale_from = "2026-01-01";
  p.sale_to = "2026-12-31";
  p.validity_days = 30;
  p.services = {"201", "301"};
  return p;
}

TEST(CatalogueValidationTest, AValidPackagePasses) {
  EXPECT_TRUE(ValidateNewPackage(FlatRate()).ok());
  NewPackage base = FlatRate();
  base.kind = "base";
  base.price_cents = 0;
  base.validity_days = 0;
  EXPECT_TRUE(ValidateNewPackage(base).ok()) << "the base package needs no validity";
  NewPackage days = FlatRate();
  days.kind = "days_of";
  days.days = 3;
  days.window_days = 3;
  EXPECT_TRUE(ValidateNewPackage(days).ok()) << "N may equal M";
  NewPackage shares = FlatRate();
  shares.shares = {{"100200", 999}, {"100300", 1}};
  EXPECT_TRUE(ValidateNewPackage(shares).ok());
  NewPackage edge = FlatRate();
  edge.price_cents = 10'000'000;
  edge.validity_days = 366;
  edge.sale_to = edge.sale_from;
  EXPECT_TRUE(ValidateNewPackage(edge).ok()) << "the upper bounds and a one-day sale";
}

TEST(CatalogueValidationTest, EachMistakeNamesItsField) {
  struct Case {
    std::function<void(NewPackage&)> change;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](NewPackage& p) { p.package_number = ""; }, "package_number"},
      {[](NewPackage& p) { p.package_number = "123456789"; }, "package_number"},
      {[](NewPackage& p) { p.package_number = "90a1"; }, "package_number"},
      {[](NewPackage& p) { p.kind = "voucher"; }, "kind"},
      {[](NewPackage& p) { p.name = ""; }, "name"},
      {[](NewPackage& p) { p.name = std::string(201, 'n'); }, "name"},
      {[](NewPackage& p) { p.price_cents = -1; }, "price_cents"},
      {[](NewPackage& p) { p.price_cents = 10'000'001; }, "price_cents"},
      {[](NewPackage& p) {
         p.kind = "base";
         p.price_cents = 1;
       },
       "price_cents"},
      {[](NewPackage& p) { p.sale_from = "2026-02-30"; }, "sale_from"},
      {[](NewPackage& p) { p.sale_to = "2025-12-31"; }, "sale_to"},
      {[](NewPackage& p) { p.sale_to = ""; }, "sale_to"},
      {[](NewPackage& p) { p.validity_days = 0; }, "validity_days"},
      {[](NewPackage& p) { p.validity_days = 367; }, "validity_days"},
      {[](NewPackage& p) {
         p.kind = "days_of";
         p.days = 4;
         p.window_days = 3;
       },
       "days"},
      {[](NewPackage& p) {
         p.kind = "days_of";
         p.days = 1;
         p.window_days = 367;
       },
       "window_days"},
      {[](NewPackage& p) { p.days = 2; }, "days"},
      {[](NewPackage& p) { p.kind = "points"; }, "points"},
      {[](NewPackage& p) {
         p.kind = "points";
         p.points = 10001;
       },
       "points"},
      {[](NewPackage& p) { p.points = 5; }, "points"},
      {[](NewPackage& p) { p.services.clear(); }, "services"},
      {[](NewPackage& p) { p.services = std::vector<std::string>(201, "1"); }, "services"},
      {[](NewPackage& p) { p.kind = "single"; }, "services"},
      {[](NewPackage& p) {
         p.services = {"201", "201"};
       },
       "services"},
      {[](NewPackage& p) {
         p.shares = {{"100200", 500}, {"100300", 499}};
       },
       "shares"},
      {[](NewPackage& p) {
         p.shares = {{"100200", 500}, {"100200", 500}};
       },
       "shares"},
      {[](NewPackage& p) {
         p.shares = {{"100200", 1001}, {"100300", -1}};
       },
       "shares"},
      {[](NewPackage& p) {
         p.shares = {{"100200", 0}, {"100300", 1000}};
       },
       "shares"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    NewPackage p = FlatRate();
    cases[i].change(p);
    Status status = ValidateNewPackage(p);
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << "case " << i;
    EXPECT_EQ(status.field(), cases[i].field) << "case " << i << ": " << status.message();
  }
}

TEST(CatalogueValidationTest, IsDigitsCountsDigitsOnly) {
  EXPECT_TRUE(IsDigits("1", 1, 8));
  EXPECT_TRUE(IsDigits("00000000", 1, 8));
  EXPECT_FALSE(IsDigits("", 1, 8));
  EXPECT_FALSE(IsDigits("123456789", 1, 8));
  EXPECT_FALSE(IsDigits("12 3", 1, 8));
  EXPECT_FALSE(IsDigits("-1", 1, 8));
  EXPECT_FALSE(IsDigits("١", 1, 8)) << "an Arabic-Indic digit is no digit here";
}

class CatalogueTest : public ::testing::TestWithParam<storage::testing::Backend> {
 protected:
  void SetUp() override {
    std::string reason;
    test_db_ = storage::testing::TestDatabase::Create(GetParam(), {storage::Segment::kCore, storage::Segment::kAudit},
                                                      &reason);
    if (!test_db_) GTEST_SKIP() << reason;
    accounts_ = std::make_unique<accounts::AccountService>(test_db_->db(), clock_, box_, throttle_);
    catalogue_ = std::make_unique<CatalogueService>(test_db_->db(), clock_);
    cli_.id = "cli";
    municipality_ = accounts_->CreateMunicipality(cli_, "01055021", "Kellenhusen").value().id;
    other_ = accounts_->CreateMunicipality(cli_, "01051056", "Büsum").value().id;
  }

  void Services() {
    ASSERT_TRUE(catalogue_->CreateProvider(cli_, municipality_, "100200", "Hallenbad").ok());
    ASSERT_TRUE(catalogue_->CreateProvider(cli_, municipality_, "100300", "Fähre").ok());
    for (auto [number, vu] : {std::pair{"201", "100200"}, std::pair{"301", "100300"}}) {
      NewService s;
      s.service_number = number;
      s.vu_number = vu;
      s.name = "Leistung " + std::string(number);
      auto created = catalogue_->CreateService(cli_, municipality_, s);
      ASSERT_TRUE(created.ok()) << created.status().ToString();
    }
  }

  ManualClock clock_{1782900000};
  crypto::SecretBox box_ = crypto::SecretBox::FromHexKeys({std::string(64, 'b')}).value();
  accounts::LoginThrottle throttle_{clock_};
  std::unique_ptr<storage::testing::TestDatabase> test_db_;
  std::unique_ptr<accounts::AccountService> accounts_;
  std::unique_ptr<CatalogueService> catalogue_;
  accounts::Actor cli_;
  int64_t municipality_ = 0;
  int64_t other_ = 0;
};

TEST_P(CatalogueTest, OperatorsAndTheMunicipalitysAdminsManageNeverTokens) {
  EXPECT_TRUE(catalogue_->MayManage(cli_, municipality_).ok()) << "the command line";
  EXPECT_TRUE(
      catalogue_->MayManage(accounts::testing::InMemoryStaff(1, Role::kOperator, std::nullopt), municipality_).ok());
  EXPECT_TRUE(
      catalogue_->MayManage(accounts::testing::InMemoryStaff(2, Role::kMunicipalityAdmin, municipality_), municipality_)
          .ok());
  for (const accounts::Actor& denied :
       {accounts::testing::InMemoryStaff(2, Role::kMunicipalityAdmin, other_),
        accounts::testing::InMemoryStaff(3, Role::kClerk, municipality_),
        accounts::testing::InMemoryStaff(4, Role::kAuditor, std::nullopt),
        accounts::testing::InMemoryStaff(1, Role::kOperator, std::nullopt, true),
        accounts::testing::InMemoryStaff(2, Role::kMunicipalityAdmin, municipality_, true)}) {
    EXPECT_EQ(catalogue_->MayManage(denied, municipality_).code(), ErrorCode::kPermissionDenied) << denied.id;
    EXPECT_EQ(catalogue_->CreateProvider(denied, municipality_, "100900", "X").status().code(),
              ErrorCode::kPermissionDenied)
        << denied.id;
  }
  auto providers = catalogue_->ListProviders(cli_);
  ASSERT_TRUE(providers.ok());
  EXPECT_TRUE(providers->empty()) << "nothing was created by those refused";
}

TEST_P(CatalogueTest, ProvidersAndServicesAreUniqueAndBelongToTheMunicipality) {
  Services();
  auto dup = catalogue_->CreateProvider(cli_, other_, "100200", "Elsewhere");
  EXPECT_EQ(dup.status().code(), ErrorCode::kAlreadyExists) << "VU numbers are unique system-wide";
  EXPECT_EQ(dup.status().field(), "vu_number");
  EXPECT_EQ(catalogue_->CreateProvider(cli_, other_ + 100, "100400", "Nowhere").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(catalogue_->CreateProvider(cli_, municipality_, "1002001", "").status().field(), "name");
  NewService s;
  s.service_number = "201";
  s.vu_number = "100200";
  s.name = "again";
  EXPECT_EQ(catalogue_->CreateService(cli_, municipality_, s).status().code(), ErrorCode::kAlreadyExists);
  s.service_number = "202";
  auto foreign = catalogue_->CreateService(cli_, other_, s);
  EXPECT_EQ(foreign.status().code(), ErrorCode::kNotFound) << "the provider is another municipality's";
  EXPECT_EQ(foreign.status().field(), "vu_number");
  s.points = 0;
  EXPECT_EQ(catalogue_->CreateService(cli_, municipality_, s).status().field(), "points");
}

TEST_P(CatalogueTest, OneBasePackageOnSaleAtATime) {
  Services();
  NewPackage base = FlatRate();
  base.package_number = "9000";
  base.kind = "base";
  base.price_cents = 0;
  base.validity_days = 0;
  ASSERT_TRUE(catalogue_->CreatePackage(cli_, municipality_, base).ok());
  NewPackage second = base;
  second.package_number = "9100";
  auto refused = catalogue_->CreatePackage(cli_, municipality_, second);
  EXPECT_EQ(refused.status().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(refused.status().field(), "kind");
  ASSERT_TRUE(catalogue_->SetPackageActive(cli_, municipality_, "9000", false).ok());
  ASSERT_TRUE(catalogue_->CreatePackage(cli_, municipality_, second).ok()) << "the first one is stopped";
  EXPECT_EQ(catalogue_->SetPackageActive(cli_, municipality_, "9000", true).code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(catalogue_->SetPackageActive(cli_, municipality_, "4711", true).code(), ErrorCode::kNotFound);

  auto snapshot = catalogue_->Load(municipality_);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ(snapshot->base_package, std::optional<std::string>("9100"));
  EXPECT_EQ(snapshot->services.size(), 2u);

  audit::AuditFilter filter;
  filter.action_prefix = "package.";
  auto entries = audit::List(test_db_->db(), filter);
  ASSERT_TRUE(entries.ok());
  std::vector<std::string> actions;
  for (const auto& e : *entries) actions.push_back(e.event.action + " " + e.event.object);
  EXPECT_EQ(actions, (std::vector<std::string>{"package.create package:9100", "package.stop package:9000",
                                               "package.create package:9000"}))
      << "newest first; refused changes leave no entry";
}

TEST_P(CatalogueTest, PackagesReferToServicesAndProvidersOfTheMunicipality) {
  Services();
  NewPackage unknown_service = FlatRate();
  unknown_service.services = {"201", "999"};
  auto refused = catalogue_->CreatePackage(cli_, municipality_, unknown_service);
  EXPECT_EQ(refused.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(refused.status().field(), "services");
  NewPackage unknown_share = FlatRate();
  unknown_share.shares = {{"100200", 500}, {"999999", 500}};
  EXPECT_EQ(catalogue_->CreatePackage(cli_, municipality_, unknown_share).status().field(), "shares");
  ASSERT_TRUE(catalogue_->CreatePackage(cli_, municipality_, FlatRate()).ok());
  EXPECT_EQ(catalogue_->CreatePackage(cli_, municipality_, FlatRate()).status().code(), ErrorCode::kAlreadyExists);
  auto snapshot = catalogue_->Load(municipality_);
  ASSERT_TRUE(snapshot.ok());
  ASSERT_EQ(snapshot->packages.size(), 1u);
  EXPECT_FALSE(snapshot->base_package.has_value());
}

TEST_P(CatalogueTest, StaffReadOnlyTheirMunicipalitysCatalogue) {
  Services();
  EXPECT_TRUE(
      catalogue_->Snapshot(accounts::testing::InMemoryStaff(3, Role::kClerk, municipality_), municipality_).ok());
  EXPECT_TRUE(
      catalogue_->Snapshot(accounts::testing::InMemoryStaff(1, Role::kOperator, std::nullopt), municipality_).ok());
  EXPECT_EQ(
      catalogue_->Snapshot(accounts::testing::InMemoryStaff(3, Role::kClerk, other_), municipality_).status().code(),
      ErrorCode::kPermissionDenied);
  EXPECT_EQ(catalogue_->Snapshot(accounts::testing::InMemoryStaff(4, Role::kAuditor, std::nullopt), municipality_)
                .status()
                .code(),
            ErrorCode::kPermissionDenied);
}

INSTANTIATE_TEST_SUITE_P(Backends, CatalogueTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::terminals
