// Settlement on every backend: distribution by shares and by acceptances to
// the cent, unallocated revenue, credits, the terminal reconciliation, closed
// statements that never change, corrections as new versions, permissions,
// audit entries, reports — and the invariant "lines + unallocated = revenue"
// on randomized months. Long because the cases share one fixture of catalogue,
// terminals and uploads on every backend; each TEST_P reads on its own.
#include "settlement/settlement.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <regex>
#include <thread>
#include <type_traits>
#include <variant>

#include "accounts/accounts.h"
#include "settlement/settlement_report.h"
#include "storage/testing/backends.h"
#include "storage/testing/faulty_database.h"
#include "terminals/catalogue.h"
#include "terminals/terminals.h"
#include "terminals/transaction_parsing.h"
#include "terminals/transactions.h"

namespace passwerk::settlement {
namespace {

using terminals::CardRef;
using terminals::CatalogueService;
using terminals::NewPackage;
using terminals::NewService;
using terminals::NewTerminal;
using terminals::PackageShare;
using terminals::ParseBatch;
using terminals::Terminal;
using terminals::TerminalService;
using terminals::TerminalSession;
using terminals::TransactionService;
using terminals::UploadResult;

using storage::Row;
using storage::Rows;
using storage::Segment;
using storage::Tx;
using json = nlohmann::json;

// ---------------------------------------------------------------- plain functions

int64_t Sum(const std::vector<int64_t>& v) { return std::accumulate(v.begin(), v.end(), int64_t{0}); }

TEST(SettlementSplitTest, LargestRemainderAddsUpExactly) {
  EXPECT_EQ(SplitLargestRemainder(100, {1, 1, 1}), (std::vector<int64_t>{34, 33, 33}));
  EXPECT_EQ(SplitLargestRemainder(2900, {500, 300, 200}), (std::vector<int64_t>{1450, 870, 580}));
  // 1001 × 1/3: remainders are equal, the lower index (the lower VU number) wins.
  EXPECT_EQ(SplitLargestRemainder(1001, {1, 1, 1}), (std::vector<int64_t>{334, 334, 333}));
  // 10 × (2/7, 5/7): exact 2.857 and 7.142: the larger remainder gets the cent.
  EXPECT_EQ(SplitLargestRemainder(10, {2, 5}), (std::vector<int64_t>{3, 7}));
  EXPECT_EQ(SplitLargestRemainder(1, {1, 1, 1}), (std::vector<int64_t>{1, 0, 0}));
  EXPECT_EQ(SplitLargestRemainder(0, {3, 4}), (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(SplitLargestRemainder(5, {0, 1}), (std::vector<int64_t>{0, 5}));
}

TEST(SettlementSplitTest, NegativeTotalsMirrorPositiveOnes) {
  EXPECT_EQ(SplitLargestRemainder(-100, {1, 1, 1}), (std::vector<int64_t>{-34, -33, -33}));
  EXPECT_EQ(SplitLargestRemainder(-10, {2, 5}), (std::vector<int64_t>{-3, -7}));
}

TEST(SettlementSplitTest, HugeAmountsAndWeightsDoNotOverflow) {
  const int64_t total = INT64_MAX / 2;
  std::vector<int64_t> weights = {INT64_MAX / 3, INT64_MAX / 3, 7};
  EXPECT_EQ(Sum(SplitLargestRemainder(total, weights)), total);
  EXPECT_EQ(Sum(SplitLargestRemainder(-total, weights)), -total);
  EXPECT_EQ(Sum(SplitLargestRemainder(INT64_MIN + 1, {1, 2})), INT64_MIN + 1);
}

TEST(SettlementSplitTest, RandomSplitsAddUpAndStayWithinOneCent) {
  std::mt19937_64 rng(20260701);
  for (int round = 0; round < 2000; ++round) {
    const int64_t total = static_cast<int64_t>(rng() % 2'000'001) - 1'000'000;
    std::vector<int64_t> weights(1 + rng() % 9);
    for (auto& w : weights) w = static_cast<int64_t>(rng() % 1000);
    if (Sum(weights) == 0) weights[0] = 1;
    std::vector<int64_t> parts = SplitLargestRemainder(total, weights);
    ASSERT_EQ(Sum(parts), total) << "round " << round;
    for (size_t i = 0; i < parts.size(); ++i) {
      const double exact =
          static_cast<double>(total) * static_cast<double>(weights[i]) / static_cast<double>(Sum(weights));
      EXPECT_LT(std::abs(static_cast<double>(parts[i]) - exact), 1.0) << "round " << round;
    }
  }
}

TEST(SettlementSplitTest, PeriodsAreCalendarMonths) {
  EXPECT_EQ(PeriodDays("2026-07"), std::make_pair(std::string("2026-07-01"), std::string("2026-07-31")));
  EXPECT_EQ(PeriodDays("2028-02"), std::make_pair(std::string("2028-02-01"), std::string("2028-02-29")));
  for (std::string_view bad : {"2026-13", "2026-7", "26-07", "2026-07-01", "1999-12", "2026/07", "", "abcd-ef"}) {
    EXPECT_FALSE(PeriodDays(bad)) << bad;
  }
}

// ---------------------------------------------------------------- on every backend

const std::vector<Segment> kSegments = {Segment::kCore,      Segment::kAudit,     Segment::kCardLink,
                                        Segment::kCardUsage, Segment::kLogistics, Segment::kSettlement};

constexpr const char* kMunicipality = "01055021";
constexpr const char* kCard = "103000000042";  // one guest's card for the whole season (see Catalogue())

class SettlementTest : public ::testing::TestWithParam<storage::testing::Backend> {
 protected:
  void SetUp() override {
    std::string reason;
    test_db_ = storage::testing::TestDatabase::Create(GetParam(), kSegments, &reason);
    if (!test_db_) GTEST_SKIP() << reason;
    MakeServices();
    cli_.id = "cli";
    auto m = accounts_->CreateMunicipality(cli_, kMunicipality, "Kellenhusen (Ostsee)");
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    municipality_ = m->id;
    auto other = accounts_->CreateMunicipality(cli_, "01051056", "Büsum");
    ASSERT_TRUE(other.ok());
    other_municipality_ = other->id;
  }

  void MakeServices() {
    accounts_ = std::make_unique<accounts::AccountService>(test_db_->db(), clock_, box_, throttle_);
    catalogue_ = std::make_unique<CatalogueService>(test_db_->db(), clock_);
    terminals_ = std::make_unique<TerminalService>(test_db_->db(), clock_);
    // The season is uploaded at once, months later: a window of a year.
    transactions_ = std::make_unique<TransactionService>(test_db_->db(), clock_, terminals::TransactionOptions{366});
    settlement_ = std::make_unique<SettlementService>(test_db_->db(), clock_);
  }

  void Reopen() {
    ASSERT_TRUE(test_db_->Reopen().ok());
    MakeServices();  // the old handle is gone
  }

  // Providers 100200 (pool), 100300 (ferry), 99 (museum); the base package
  // 9000; 9001 flat rate settled by acceptances; 9002 with fixed shares; 9003
  // for pool and museum with neither shares nor (in the tests) acceptances.
  void Catalogue() {
    ASSERT_TRUE(catalogue_->CreateProvider(cli_, municipality_, "100200", "Meerwasser-Hallenbad").ok());
    ASSERT_TRUE(catalogue_->CreateProvider(cli_, municipality_, "100300", "Fähre; \"Ostsee\"").ok());
    ASSERT_TRUE(catalogue_->CreateProvider(cli_, municipality_, "99", "=Museum").ok());
    for (auto [number, vu, name] : {std::tuple{"201", "100200", "Hallenbad"}, std::tuple{"301", "100300", "Fähre"},
                                    std::tuple{"401", "99", "Museum"}}) {
      NewService s;
      s.service_number = number;
      s.vu_number = vu;
      s.name = name;
      auto created = catalogue_->CreateService(cli_, municipality_, s);
      ASSERT_TRUE(created.ok()) << created.status().ToString();
    }
    auto package = [&](const std::string& number, const std::string& kind, int64_t price,
                       std::vector<std::string> services, std::vector<PackageShare> shares) {
      NewPackage p;
      p.package_number = number;
      p.kind = kind;
      p.name = "Paket " + number;
      p.price_cents = price;
      p.sale_from = "2026-01-01";
      p.sale_to = "2026-12-31";
      p.validity_days = kind == "base" ? 0 : 30;
      p.services = std::move(services);
      p.shares = std::move(shares);
      auto created = catalogue_->CreatePackage(cli_, municipality_, p);
      ASSERT_TRUE(created.ok()) << created.status().ToString();
    };
    package("9000", "base", 0, {"201", "301", "401"}, {});
    package("9001", "flat_rate", 2900, {"201", "301", "401"}, {});
    package("9002", "flat_rate", 1000, {"201", "301", "401"}, {{"100200", 500}, {"100300", 300}, {"99", 200}});
    package("9003", "flat_rate", 700, {"201", "401"}, {});
    pool_ = Terminal("T-POOL-01", "100200");
    ferry_ = Terminal("T-FERRY-01", "100300");
    // Registered before the season; kCard in service for a guest staying all
    // season, so that credits find the sales they take back on its cycle.
    ASSERT_TRUE(test_db_->db()
                    .Write([&](Tx& tx) -> Status {
                      PW_RETURN_IF_ERROR(
                          tx.Exec("UPDATE core.terminals SET created_at = $1", {int64_t{1767225600}}).status());
                      PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO card_link.links (card_number, cycle_id) VALUES ($1, "
                                                 "'cycle-season')",
                                                 {std::string(kCard)})
                                             .status());
                      PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO card_usage.cycles (cycle_id, registration_ref, "
                                                 "card_type, gender, age_band, postal_code, origin, spa_tax_cents, "
                                                 "arrival, departure) VALUES ('cycle-season', 'R-1', '1.0', 'f', "
                                                 "'adult', '91052', 'DE', 0, '2026-06-01', '2026-08-31')")
                                             .status());
                      return tx
                          .Exec(
                              "INSERT INTO logistics.cards (card_number, circulation_counter, card_type, "
                              "municipality_id, part_number, issuing_office, status, updated_on) VALUES ($1, 1, "
                              "'1.0', $2, '00', '4711', 'in_service', '2026-06-01')",
                              {std::string(kCard), municipality_})
                          .status();
                    })
                    .ok());
  }

  TerminalSession Terminal(const std::string& tid, const std::string& vu) {
    NewTerminal t;
    t.tid = tid;
    t.vu_number = vu;
    t.kind = "stationary";
    t.name = tid;
    t.public_key = std::string(32, 'k');
    t.operators = {"7"};
    auto created = terminals_->RegisterTerminal(cli_, t);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    TerminalSession session;
    if (!created.ok()) return session;
    session.terminal_id = created->id;
    session.tid = created->tid;
    session.provider_id = created->provider_id;
    session.vu_number = created->vu_number;
    session.municipality_id = municipality_;
    session.municipality_number = kMunicipality;
    session.kind = created->kind;
    return session;
  }

  static json CardRef(json j) {
    j["card_number"] = kCard;
    j["circulation_counter"] = 1;
    j["municipality_number"] = kMunicipality;
    j["issuing_office"] = "4711";
    return j;
  }

  json Sale(const std::string& kind, const std::string& at, std::vector<std::pair<std::string, int64_t>> lines,
            const std::string& method = "cash", std::vector<bool> written = {}) {
    json sales = json::array();
    int64_t paid = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      bool w = i < written.size() ? written[i] : true;
      sales.push_back(CardRef(
          {{"position", i + 1}, {"package_number", lines[i].first}, {"price_cents", lines[i].second}, {"written", w}}));
      if (w) paid += lines[i].second;
    }
    return {{"booking_number", ++booking_},
            {"at", at},
            {"vu_number", ""},
            {"operator", "7"},
            {"kind", kind},
            {"sales", sales},
            {"payment", {{"method", method}, {"amount_cents", paid}}}};
  }

  json Acceptance(const std::string& at, const std::string& service, const std::string& package) {
    return {{"booking_number", ++booking_},
            {"at", at},
            {"vu_number", ""},
            {"operator", "7"},
            {"kind", "acceptance"},
            {"consumption", CardRef({{"service_number", service}, {"package_number", package}})}};
  }

  void Upload(const TerminalSession& terminal, std::vector<json> txs) {
    json body = {{"protocol", 1}, {"transactions", json::array()}};
    for (json& t : txs) {
      t["vu_number"] = terminal.vu_number;
      body["transactions"].push_back(t);
    }
    auto batch = ParseBatch(body.dump());
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    auto outcomes = transactions_->Upload(terminal, *batch, "test");
    ASSERT_TRUE(outcomes.ok()) << outcomes.status().ToString();
    for (const auto& o : *outcomes) {
      ASSERT_EQ(o.result, UploadResult::kAccepted) << o.booking_number << " " << o.reason;
    }
  }

  // A July at the pool and the ferry.
  void July() {
    Upload(pool_,
           {
               Sale("purchase", "2026-07-02T10:00:00", {{"9001", 2900}, {"9002", 1000}}),
               Sale("purchase", "2026-07-03T10:00:00", {{"9001", 2900}}, "card"),
               Sale("purchase", "2026-07-04T10:00:00", {{"9003", 700}, {"9001", 2900}}, "cash",
                    {true, false}),  // 9001 could not be written: neither revenue nor paid
               Sale("credit", "2026-07-05T10:00:00", {{"9002", 1000}}, "card"),
               Acceptance("2026-07-02T11:00:00", "201", "9001"), Acceptance("2026-07-03T11:00:00", "201", "9001"),
               Acceptance("2026-07-03T12:00:00", "201", "9000"),           // base package: no revenue
               Sale("purchase", "2026-06-30T23:59:59", {{"9001", 2900}}),  // June
               Sale("purchase", "2026-08-01T00:00:00", {{"9001", 2900}}),  // August
           });
    Upload(ferry_, {
                       Sale("purchase", "2026-07-10T09:00:00", {{"9002", 1000}, {"9002", 1000}}, "card"),
                       Acceptance("2026-07-10T09:30:00", "301", "9001"),
                       Acceptance("2026-07-31T23:59:59", "401", "9001"),  // the museum, via the ferry's terminal
                   });
  }

  accounts::Actor UserActor(accounts::Role role, std::optional<int64_t> municipality, const std::string& name) {
    accounts::NewUser u;
    u.username = name;
    u.display_name = name;
    u.role = role;
    u.municipality_id = municipality;
    u.password = "a-long-enough-password";
    auto created = accounts_->CreateUser(cli_, u);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    accounts::Actor actor;
    actor.id = "user:" + name;
    if (created.ok()) actor.user = *created;
    return actor;
  }

  int64_t Count(const std::string& sql) {
    int64_t n = -1;
    EXPECT_TRUE(test_db_->db()
                    .Read([&](Tx& tx) -> Status {
                      PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne(sql));
                      n = row.Int(0);
                      return Status::Ok();
                    })
                    .ok());
    return n;
  }

  // Every stored value of a statement, its lines and its reconciliation, as text.
  std::string Dump(int64_t id) {
    std::string out;
    EXPECT_TRUE(test_db_->db()
                    .Read([&](Tx& tx) -> Status {
                      for (const char* sql :
                           {"SELECT * FROM settlement.statements WHERE id = $1",
                            "SELECT * FROM settlement.statement_lines WHERE statement_id = $1 ORDER BY line",
                            "SELECT * FROM settlement.statement_payments WHERE statement_id = $1 ORDER BY tid"}) {
                        PW_ASSIGN_OR_RETURN(Rows rows, tx.Query(sql, {id}));
                        for (const Row& r : rows) {
                          for (size_t i = 0; i < r.size(); ++i) {
                            out += r.IsNull(i)
                                       ? "NULL"
                                       : std::visit(
                                             [](const auto& v) -> std::string {
                                               using V = std::decay_t<decltype(v)>;
                                               if constexpr (std::is_same_v<V, int64_t> || std::is_same_v<V, double>) {
                                                 return std::to_string(v);
                                               } else if constexpr (std::is_same_v<V, std::string>) {
                                                 return v;
                                               } else if constexpr (std::is_same_v<V, storage::Blob>) {
                                                 return v.bytes;
                                               } else {
                                                 return "";
                                               }
                                             },
                                             r.at(i));
                            out += '|';
                          }
                          out += '\n';
                        }
                      }
                      return Status::Ok();
                    })
                    .ok());
    return out;
  }

  static void ExpectBalanced(const Statement& s) {
    int64_t paid = 0, unallocated = 0;
    std::map<std::string, int64_t> by_package, revenue_of;
    for (const StatementLine& l : s.lines) {
      if (l.basis == kBasisUnallocated) {
        EXPECT_TRUE(l.vu_number.empty());
        unallocated += l.amount_cents;
      } else {
        EXPECT_FALSE(l.vu_number.empty());
        paid += l.amount_cents;
      }
      by_package[l.package_number] += l.amount_cents;
      revenue_of[l.package_number] = l.package_revenue_cents;
    }
    EXPECT_EQ(unallocated, s.unallocated_cents);
    EXPECT_EQ(paid + s.unallocated_cents, s.revenue_cents);
    int64_t package_sum = 0;
    for (const auto& [number, cents] : revenue_of) {
      EXPECT_EQ(by_package[number], cents) << "package " << number;
      package_sum += cents;
    }
    EXPECT_EQ(package_sum, s.revenue_cents);
  }

  static const StatementLine* LineOf(const Statement& s, const std::string& package, const std::string& vu) {
    for (const StatementLine& l : s.lines) {
      if (l.package_number == package && l.vu_number == vu) return &l;
    }
    return nullptr;
  }

  ManualClock clock_{1795000000};  // 2026-11-18
  crypto::SecretBox box_ = crypto::SecretBox::FromHexKeys({std::string(64, 'd')}).value();
  accounts::LoginThrottle throttle_{clock_};
  std::unique_ptr<storage::testing::TestDatabase> test_db_;
  std::unique_ptr<accounts::AccountService> accounts_;
  std::unique_ptr<CatalogueService> catalogue_;
  std::unique_ptr<TerminalService> terminals_;
  std::unique_ptr<TransactionService> transactions_;
  std::unique_ptr<SettlementService> settlement_;
  accounts::Actor cli_;
  int64_t municipality_ = 0, other_municipality_ = 0;
  TerminalSession pool_, ferry_;
  int64_t booking_ = 0;
};

TEST_P(SettlementTest, DistributesBySharesAndAcceptancesToTheCent) {
  Catalogue();
  July();
  auto s = settlement_->Run(cli_, municipality_, "2026-07");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->state, "draft");
  EXPECT_EQ(s->version, 1);
  EXPECT_FALSE(s->corrects);
  EXPECT_EQ(s->municipality_number, kMunicipality);
  // 9001: 2 × 2900 (the unwritten line does not count); 9002: 1000 − 1000 + 2000; 9003: 700.
  EXPECT_EQ(s->revenue_cents, 5800 + 2000 + 700);
  EXPECT_EQ(s->unallocated_cents, 700);
  ExpectBalanced(*s);

  // 9001 by acceptances in July: pool 2, ferry 1, museum 1 (the base package's use counts for nothing).
  const StatementLine* pool = LineOf(*s, "9001", "100200");
  const StatementLine* ferry = LineOf(*s, "9001", "100300");
  const StatementLine* museum = LineOf(*s, "9001", "99");
  ASSERT_TRUE(pool && ferry && museum);
  EXPECT_EQ(pool->basis, "acceptances");
  EXPECT_EQ(pool->acceptances, 2);
  EXPECT_EQ(pool->amount_cents, 2900);
  EXPECT_EQ(ferry->amount_cents, 1450);
  EXPECT_EQ(museum->amount_cents, 1450);
  EXPECT_EQ(museum->provider_name, "=Museum");
  // 9002 by fixed shares 500/300/200 of 2000.
  EXPECT_EQ(LineOf(*s, "9002", "100200")->amount_cents, 1000);
  EXPECT_EQ(LineOf(*s, "9002", "100300")->amount_cents, 600);
  EXPECT_EQ(LineOf(*s, "9002", "99")->amount_cents, 400);
  EXPECT_EQ(LineOf(*s, "9002", "99")->share_permille, 200);
  EXPECT_EQ(LineOf(*s, "9002", "99")->basis, "shares");
  // 9003: nobody accepted it in July and it has no shares.
  const StatementLine* unallocated = LineOf(*s, "9003", "");
  ASSERT_TRUE(unallocated);
  EXPECT_EQ(unallocated->basis, "unallocated");
  EXPECT_EQ(unallocated->amount_cents, 700);
  // No line for the base package; lines in package, then VU-number order (99 before 100200).
  EXPECT_FALSE(LineOf(*s, "9000", "100200"));
  ASSERT_EQ(s->lines.size(), 7u);
  EXPECT_EQ(s->lines[0].vu_number, "99");
  EXPECT_EQ(s->lines[0].package_number, "9001");
  EXPECT_EQ(s->lines[6].package_number, "9003");
  for (size_t i = 0; i < s->lines.size(); ++i) EXPECT_EQ(s->lines[i].line, static_cast<int64_t>(i) + 1);

  // Kassenabgleich: pool took 3900 + 700 cash, 2900 card, paid back 1000 by card.
  ASSERT_EQ(s->terminals.size(), 2u);
  const TerminalReconciliation& ferry_t = s->terminals[0];
  const TerminalReconciliation& pool_t = s->terminals[1];
  EXPECT_EQ(ferry_t.tid, "T-FERRY-01");
  EXPECT_EQ(ferry_t.vu_number, "100300");
  EXPECT_EQ(ferry_t.card_cents, 2000);
  EXPECT_EQ(ferry_t.sold_cents, 2000);
  EXPECT_EQ(pool_t.tid, "T-POOL-01");
  EXPECT_EQ(pool_t.provider_name, "Meerwasser-Hallenbad");
  EXPECT_EQ(pool_t.cash_cents, 4600);
  EXPECT_EQ(pool_t.card_cents, 1900);
  EXPECT_EQ(pool_t.sold_cents, 6500);
  EXPECT_EQ(pool_t.difference_cents, 0);
  EXPECT_EQ(pool_t.sold_cents + ferry_t.sold_cents, s->revenue_cents);

  // Read back as stored.
  auto again = settlement_->Get(cli_, s->id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->lines.size(), s->lines.size());
  EXPECT_EQ(again->terminals.size(), 2u);
  EXPECT_EQ(Dump(s->id).find(kCard), std::string::npos);
}

TEST_P(SettlementTest, MoreCreditsThanSalesDistributeANegativeAmount) {
  Catalogue();
  NewPackage odd;
  odd.package_number = "9004";
  odd.kind = "flat_rate";
  odd.name = "Paket 9004";
  odd.price_cents = 1001;
  odd.sale_from = "2026-01-01";
  odd.sale_to = "2026-12-31";
  odd.validity_days = 30;
  odd.services = {"201", "301", "401"};
  odd.shares = {{"100200", 500}, {"100300", 300}, {"99", 200}};
  ASSERT_TRUE(catalogue_->CreatePackage(cli_, municipality_, odd).ok());
  // Sold in June, credited in July: July's revenue is negative (a credit needs a recorded sale).
  Upload(pool_, {Sale("purchase", "2026-06-20T10:00:00", {{"9004", 1001}}),
                 Sale("purchase", "2026-06-20T10:05:00", {{"9001", 2900}}, "card"),
                 Sale("credit", "2026-07-01T10:00:00", {{"9004", 1001}}),
                 Sale("credit", "2026-07-01T10:05:00", {{"9001", 2900}}, "card"),
                 Acceptance("2026-07-01T09:00:00", "201", "9001"), Acceptance("2026-07-01T09:00:00", "301", "9001")});
  auto s = settlement_->Run(cli_, municipality_, "2026-07");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->revenue_cents, -1001 - 2900);
  ExpectBalanced(*s);
  // −1001 by 500/300/200: −500.5, −300.3, −200.2 → the half cent goes to the largest remainder.
  EXPECT_EQ(LineOf(*s, "9004", "100200")->amount_cents, -501);
  EXPECT_EQ(LineOf(*s, "9004", "100300")->amount_cents, -300);
  EXPECT_EQ(LineOf(*s, "9004", "99")->amount_cents, -200);
  EXPECT_EQ(LineOf(*s, "9001", "100200")->amount_cents, -1450);
  EXPECT_EQ(LineOf(*s, "9001", "100300")->amount_cents, -1450);
  ASSERT_EQ(s->terminals.size(), 1u);
  EXPECT_EQ(s->terminals[0].cash_cents, -1001);
  EXPECT_EQ(s->terminals[0].card_cents, -2900);
  EXPECT_EQ(s->terminals[0].difference_cents, 0);
}

TEST_P(SettlementTest, AnEmptyPeriodIsAStatementToo) {
  auto s = settlement_->Run(cli_, municipality_, "2026-02");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->revenue_cents, 0);
  EXPECT_TRUE(s->lines.empty());
  EXPECT_TRUE(s->terminals.empty());
  std::string csv = StatementCsv(*s);
  EXPECT_NE(csv.find("01055021;2026-02;1;draft;;;;;total;0,00;;;;0,00\r\n"), std::string::npos) << csv;
  EXPECT_EQ(settlement_->Run(cli_, municipality_, "2026-13").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(settlement_->Run(cli_, 999999, "2026-02").status().code(), ErrorCode::kNotFound);
}

TEST_P(SettlementTest, ClosedStatementsNeverChangeAndCorrectionsAreNewVersions) {
  Catalogue();
  July();
  auto first = settlement_->Run(cli_, municipality_, "2026-07");
  ASSERT_TRUE(first.ok());
  // A second run replaces the draft in place.
  Upload(pool_, {Sale("purchase", "2026-07-20T10:00:00", {{"9003", 700}})});
  auto rerun = settlement_->Run(cli_, municipality_, "2026-07");
  ASSERT_TRUE(rerun.ok());
  EXPECT_EQ(rerun->id, first->id);
  EXPECT_EQ(rerun->version, 1);
  EXPECT_EQ(rerun->revenue_cents, first->revenue_cents + 700);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM settlement.statements"), 1);

  clock_.Advance(3600);
  auto closed = settlement_->Close(cli_, first->id);
  ASSERT_TRUE(closed.ok()) << closed.status().ToString();
  EXPECT_EQ(closed->state, "closed");
  EXPECT_EQ(closed->closed_at, clock_.NowUnix());
  const std::string before = Dump(first->id);

  // A late transaction, then two runs: version 2 corrects version 1, which stays as it was.
  Upload(ferry_, {Sale("purchase", "2026-07-21T10:00:00", {{"9002", 1000}})});
  clock_.Advance(3600);
  auto correction = settlement_->Run(cli_, municipality_, "2026-07");
  ASSERT_TRUE(correction.ok()) << correction.status().ToString();
  EXPECT_NE(correction->id, first->id);
  EXPECT_EQ(correction->version, 2);
  EXPECT_EQ(correction->corrects, first->id);
  EXPECT_EQ(correction->state, "draft");
  EXPECT_EQ(correction->revenue_cents, rerun->revenue_cents + 1000);
  ExpectBalanced(*correction);
  auto correction_again = settlement_->Run(cli_, municipality_, "2026-07");
  ASSERT_TRUE(correction_again.ok());
  EXPECT_EQ(correction_again->id, correction->id);
  EXPECT_EQ(correction_again->corrects, first->id);
  EXPECT_EQ(Dump(first->id), before);
  Reopen();
  EXPECT_EQ(Dump(first->id), before);

  // Closing twice is refused; after closing version 2, the next run is version 3 correcting 2.
  EXPECT_EQ(settlement_->Close(cli_, first->id).status().code(), ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(settlement_->Close(cli_, correction->id).ok());
  auto third = settlement_->Run(cli_, municipality_, "2026-07");
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->version, 3);
  EXPECT_EQ(third->corrects, correction->id);
  EXPECT_EQ(Dump(first->id), before);

  auto list = settlement_->List(cli_, municipality_);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].version, 3);
  EXPECT_TRUE((*list)[0].lines.empty());
  auto v1 = settlement_->Find(cli_, municipality_, "2026-07", 1);
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->id, first->id);
  auto latest = settlement_->Find(cli_, municipality_, "2026-07", std::nullopt);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->id, third->id);
  EXPECT_EQ(settlement_->Find(cli_, municipality_, "2026-06", std::nullopt).status().code(), ErrorCode::kNotFound);

  // Every run and close is in the audit trail.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit.entries WHERE action = 'settlement.run'"), 5);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit.entries WHERE action = 'settlement.close'"), 2);
}

// Runs with new transactions racing a close: the close wins or waits, and
// whatever it closed stays exactly as it returned it.
TEST_P(SettlementTest, RunsRacingACloseNeverTouchTheClosedStatement) {
  Catalogue();
  July();
  auto draft = settlement_->Run(cli_, municipality_, "2026-07");
  ASSERT_TRUE(draft.ok());
  std::vector<Status> runs;
  std::thread runner([&] {
    for (int i = 0; i < 12; ++i) {
      Upload(pool_, {Sale("purchase", "2026-07-2" + std::to_string(i % 10) + "T10:00:00", {{"9003", 700}})});
      auto run = settlement_->Run(cli_, municipality_, "2026-07");
      runs.push_back(run.ok() ? Status::Ok() : run.status());
    }
  });
  auto closed = settlement_->Close(cli_, draft->id);
  runner.join();
  ASSERT_TRUE(closed.ok()) << closed.status().ToString();
  for (const Status& s : runs) {
    EXPECT_TRUE(s.ok() || s.code() == ErrorCode::kUnavailable) << s.ToString();
  }
  auto stored = settlement_->Get(cli_, draft->id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state, "closed");
  EXPECT_EQ(stored->revenue_cents, closed->revenue_cents);
  ASSERT_EQ(stored->lines.size(), closed->lines.size());
  for (size_t i = 0; i < stored->lines.size(); ++i) {
    EXPECT_EQ(stored->lines[i].amount_cents, closed->lines[i].amount_cents);
    EXPECT_EQ(stored->lines[i].package_revenue_cents, closed->lines[i].package_revenue_cents);
  }
  ExpectBalanced(*stored);
  // The last run saw every upload: the latest version has them all.
  auto latest = settlement_->Run(cli_, municipality_, "2026-07");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->version, 2);
  EXPECT_EQ(latest->corrects, draft->id);
  EXPECT_EQ(latest->revenue_cents, draft->revenue_cents + 12 * 700);
}

TEST_P(SettlementTest, WhoMayRunCloseAndRead) {
  Catalogue();
  July();
  using accounts::Role;
  accounts::Actor operator_actor = UserActor(Role::kOperator, std::nullopt, "betrieb");
  accounts::Actor admin = UserActor(Role::kMunicipalityAdmin, municipality_, "admin.kellenhusen");
  accounts::Actor other_admin = UserActor(Role::kMunicipalityAdmin, other_municipality_, "admin.buesum");
  accounts::Actor clerk = UserActor(Role::kClerk, municipality_, "clerk");
  // Auditors are not scoped to a municipality: they read every statement.
  accounts::Actor auditor = UserActor(Role::kAuditor, std::nullopt, "pruefung");

  EXPECT_EQ(settlement_->Run(clerk, municipality_, "2026-07").status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(settlement_->Run(auditor, municipality_, "2026-07").status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(settlement_->Run(other_admin, municipality_, "2026-07").status().code(), ErrorCode::kPermissionDenied);
  auto s = settlement_->Run(admin, municipality_, "2026-07");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE(settlement_->Run(operator_actor, municipality_, "2026-07").ok());

  EXPECT_TRUE(settlement_->Get(auditor, s->id).ok());
  EXPECT_TRUE(settlement_->Get(operator_actor, s->id).ok());
  EXPECT_EQ(settlement_->Get(other_admin, s->id).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(settlement_->Get(clerk, s->id).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(settlement_->List(clerk, 0).status().code(), ErrorCode::kPermissionDenied);
  auto others = settlement_->List(other_admin, 0);
  ASSERT_TRUE(others.ok());
  EXPECT_TRUE(others->empty());
  EXPECT_EQ(settlement_->List(other_admin, municipality_).status().code(), ErrorCode::kPermissionDenied);

  EXPECT_EQ(settlement_->Close(auditor, s->id).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(settlement_->Close(other_admin, s->id).status().code(), ErrorCode::kNotFound);

  // Tokens need a settlement scope.
  accounts::Actor token = admin;
  token.id = "token:1";
  token.via_token = true;
  EXPECT_EQ(settlement_->Get(token, s->id).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(settlement_->Close(token, s->id).status().code(), ErrorCode::kPermissionDenied);
  token.scopes = {"settlement:read"};
  EXPECT_TRUE(settlement_->Get(token, s->id).ok());
  EXPECT_EQ(settlement_->Close(token, s->id).status().code(), ErrorCode::kPermissionDenied);
  token.scopes = {"settlement:write"};
  EXPECT_TRUE(settlement_->Close(token, s->id).ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit.entries WHERE action = 'settlement.close' AND actor = 'token:1'"), 1);
}

TEST_P(SettlementTest, ReportsPerProviderAndForTheWholeStatement) {
  Catalogue();
  July();
  auto s = settlement_->Run(cli_, municipality_, "2026-07");
  ASSERT_TRUE(s.ok());
  const std::string all = StatementCsv(*s);
  EXPECT_EQ(all.rfind("\xEF\xBB\xBFmunicipality;period;version;state;vu_number;provider;", 0), 0u);
  EXPECT_NE(all.find("01055021;2026-07;1;draft;100200;Meerwasser-Hallenbad;9001;Paket 9001;acceptances;58,00;2;4;;"
                     "29,00\r\n"),
            std::string::npos)
      << all;
  // A formula-like name is defused, a name with the separator is quoted.
  EXPECT_NE(all.find(";99;'=Museum;9002;Paket 9002;shares;20,00;;;200;4,00\r\n"), std::string::npos) << all;
  EXPECT_NE(all.find(";100300;\"Fähre; \"\"Ostsee\"\"\";"), std::string::npos) << all;
  EXPECT_NE(all.find(";;;9003;Paket 9003;unallocated;7,00;;;;7,00\r\n"), std::string::npos) << all;
  EXPECT_NE(all.find("01055021;2026-07;1;draft;;;;;total;85,00;;;;85,00\r\n"), std::string::npos) << all;

  auto pool = ProviderCsv(*s, "100200");
  ASSERT_TRUE(pool.ok());
  EXPECT_EQ(pool->find("Paket 9003"), std::string::npos);
  EXPECT_NE(pool->find(";100200;Meerwasser-Hallenbad;;;total;;;;;39,00\r\n"), std::string::npos) << *pool;
  EXPECT_EQ(ProviderCsv(*s, "555").status().code(), ErrorCode::kNotFound);

  auto pdf = ProviderPdf(*s, "100200");
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  EXPECT_EQ(pdf->rfind("%PDF-", 0), 0u);
  EXPECT_GT(pdf->size(), 1000u);
  EXPECT_EQ(ProviderPdf(*s, "").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(ReportFileName(*s, "100200", "pdf"), "abrechnung-01055021-2026-07-v1-100200.pdf");

  // Many lines run over several pages.
  Statement big = *s;
  for (int i = 0; i < 150; ++i) big.lines.push_back(big.lines[1]);
  auto long_pdf = ProviderPdf(big, "100200");
  ASSERT_TRUE(long_pdf.ok());
  std::smatch pages;
  ASSERT_TRUE(std::regex_search(*long_pdf, pages, std::regex("/Count ([0-9]+)")));
  EXPECT_GE(std::stoi(pages[1]), 4);

  for (const std::string& text : {all, *pool}) EXPECT_EQ(text.find(kCard), std::string::npos);
}

// The invariant on randomized months: whatever was sold, credited and
// accepted, lines + unallocated = revenue = sum of package revenues, to the
// cent; the terminals sold exactly the revenue. Rows go straight into the
// settlement segment, with payments that need not match (a till that is off).
TEST_P(SettlementTest, RandomMonthsBalanceToTheCent) {
  ASSERT_TRUE(test_db_->db()
                  .Write([&](Tx& tx) -> Status {
                    for (int p = 0; p < 12; ++p) {
                      PW_RETURN_IF_ERROR(
                          tx.Exec("INSERT INTO core.providers (municipality_id, vu_number, name, "
                                  "created_at) VALUES ($1, $2, $3, 0)",
                                  {municipality_, std::to_string(900 + p * 37), "VU " + std::to_string(p)})
                              .status());
                    }
                    return Status::Ok();
                  })
                  .ok());
  std::vector<int64_t> provider_ids, service_ids, package_ids;
  ASSERT_TRUE(test_db_->db()
                  .Write([&](Tx& tx) -> Status {
                    PW_ASSIGN_OR_RETURN(Rows ps, tx.Query("SELECT id FROM core.providers ORDER BY id"));
                    for (const Row& r : ps) provider_ids.push_back(r.Int(0));
                    for (size_t i = 0; i < 20; ++i) {
                      PW_ASSIGN_OR_RETURN(Row s, tx.QueryOne("INSERT INTO core.services (municipality_id, "
                                                             "service_number, provider_id, name, points, created_at) "
                                                             "VALUES ($1, $2, $3, 'S', 1, 0) RETURNING id",
                                                             {municipality_, std::to_string(100 + i),
                                                              provider_ids[i % provider_ids.size()]}));
                      service_ids.push_back(s.Int(0));
                    }
                    for (int i = 0; i < 15; ++i) {
                      PW_ASSIGN_OR_RETURN(Row p, tx.QueryOne("INSERT INTO core.packages (municipality_id, "
                                                             "package_number, kind, name, price_cents, sale_from, "
                                                             "sale_to, active, created_at) VALUES ($1, $2, $3, 'P', 0, "
                                                             "'2026-01-01', '2026-12-31', 1, 0) RETURNING id",
                                                             {municipality_, std::to_string(5000 + i),
                                                              std::string(i == 0 ? "base" : "flat_rate")}));
                      package_ids.push_back(p.Int(0));
                    }
                    return Status::Ok();
                  })
                  .ok());
  for (uint64_t seed : {1u, 2u, 3u, 4u, 5u, 6u}) {
    std::mt19937_64 rng(seed);
    const std::string period = "2026-0" + std::to_string(seed);
    ASSERT_TRUE(test_db_->db()
                    .Write([&](Tx& tx) -> Status {
                      // Fresh fixed shares for a random third of the packages.
                      PW_RETURN_IF_ERROR(tx.Exec("DELETE FROM core.package_shares").status());
                      for (size_t k = 1; k < package_ids.size(); ++k) {
                        if (rng() % 3 != 0) continue;
                        int64_t left = 1000;
                        std::vector<int64_t> chosen = provider_ids;
                        std::shuffle(chosen.begin(), chosen.end(), rng);
                        chosen.resize(1 + rng() % 4);
                        for (size_t c = 0; c < chosen.size(); ++c) {
                          int64_t share = c + 1 == chosen.size()
                                              ? left
                                              : 1 + static_cast<int64_t>(rng() % (left - (chosen.size() - c - 1)));
                          left -= share;
                          PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO core.package_shares (package_id, provider_id, "
                                                     "share_permille) VALUES ($1, $2, $3)",
                                                     {package_ids[k], chosen[c], share})
                                                 .status());
                        }
                      }
                      const int count = 200 + static_cast<int>(rng() % 200);
                      for (int i = 0; i < count; ++i) {
                        const std::string tid = "T-" + std::to_string(rng() % 5);
                        const int64_t booking = static_cast<int64_t>(seed) * 100000 + i;
                        const int64_t provider = provider_ids[rng() % provider_ids.size()];
                        const int pick = static_cast<int>(rng() % 10);
                        const std::string day = period + "-" + (rng() % 2 ? "01" : "28");
                        const std::string kind = pick < 4 ? "purchase" : pick < 6 ? "credit" : "acceptance";
                        storage::Value package_id, service_id, method, paid;
                        if (kind == "acceptance") {
                          package_id = package_ids[rng() % package_ids.size()];
                          service_id = service_ids[rng() % service_ids.size()];
                        } else {
                          method = std::string(rng() % 2 ? "cash" : "card");
                          paid = static_cast<int64_t>(rng() % 100000);
                        }
                        PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO settlement.transactions (tid, booking_number, "
                                                   "municipality_id, provider_id, operator, kind, occurred_at, "
                                                   "occurred_on, received_at, package_id, service_id, "
                                                   "payment_method, payment_cents) VALUES ($1, $2, $3, $4, '1', $5, "
                                                   "$6, $7, 0, $8, $9, $10, $11)",
                                                   {tid, booking, municipality_, provider, kind, day + "T10:00:00", day,
                                                    package_id, service_id, method, paid})
                                               .status());
                        if (kind == "acceptance") continue;
                        const int lines = kind == "credit" ? 1 : 1 + static_cast<int>(rng() % 4);
                        for (int l = 1; l <= lines; ++l) {
                          PW_RETURN_IF_ERROR(
                              tx.Exec("INSERT INTO settlement.sale_lines (tid, booking_number, position, package_id, "
                                      "price_cents, written) VALUES ($1, $2, $3, $4, $5, $6)",
                                      {tid, booking, int64_t{l}, package_ids[1 + rng() % (package_ids.size() - 1)],
                                       static_cast<int64_t>(rng() % 50000), int64_t{rng() % 8 == 0 ? 0 : 1}})
                                  .status());
                        }
                      }
                      return Status::Ok();
                    })
                    .ok());
    auto s = settlement_->Run(cli_, municipality_, period);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    SCOPED_TRACE("seed " + std::to_string(seed));
    ExpectBalanced(*s);
    int64_t sold = 0;
    for (const auto& t : s->terminals) {
      sold += t.sold_cents;
      EXPECT_EQ(t.difference_cents, t.cash_cents + t.card_cents - t.sold_cents);
    }
    EXPECT_EQ(sold, s->revenue_cents);
    // The same from the store, and once more after closing and correcting.
    auto stored = settlement_->Get(cli_, s->id);
    ASSERT_TRUE(stored.ok());
    ExpectBalanced(*stored);
    EXPECT_EQ(stored->revenue_cents, s->revenue_cents);
    ASSERT_TRUE(settlement_->Close(cli_, s->id).ok());
    auto correction = settlement_->Run(cli_, municipality_, period);
    ASSERT_TRUE(correction.ok());
    EXPECT_EQ(correction->revenue_cents, s->revenue_cents);
    ExpectBalanced(*correction);
  }
}

// Every storage call of a run failing in turn: each outcome is a whole
// statement or none, and the closed version stays untouched.
TEST_P(SettlementTest, FaultsLeaveWholeStatementsOrNone) {
  Catalogue();
  July();
  auto first = settlement_->Run(cli_, municipality_, "2026-07");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(settlement_->Close(cli_, first->id).ok());
  const std::string closed = Dump(first->id);
  storage::testing::FaultyDatabase faulty(test_db_->db());
  SettlementService service(faulty, clock_);
  for (int64_t n = 1;; ++n) {
    faulty.FailAt(n);
    auto run = service.Run(cli_, municipality_, "2026-07");
    faulty.FailAt(0);
    EXPECT_EQ(Dump(first->id), closed) << "fault at call " << n;
    const int64_t statements = Count("SELECT COUNT(*) FROM settlement.statements");
    const int64_t lines = Count("SELECT COUNT(*) FROM settlement.statement_lines");
    const int64_t audits = Count("SELECT COUNT(*) FROM audit.entries WHERE action = 'settlement.run'");
    if (!run.ok()) {
      EXPECT_EQ(run.status().code(), ErrorCode::kUnavailable) << run.status().ToString();
      EXPECT_EQ(statements, 1) << "fault at call " << n;
      EXPECT_EQ(lines, static_cast<int64_t>(first->lines.size())) << "fault at call " << n;
      EXPECT_EQ(audits, 1) << "fault at call " << n;
      ASSERT_LT(n, 200);
      continue;
    }
    EXPECT_EQ(statements, 2);
    EXPECT_EQ(lines, 2 * static_cast<int64_t>(first->lines.size()));
    EXPECT_EQ(audits, 2);
    EXPECT_GT(n, 20) << "every read and write of a run is a place to fail";
    break;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, SettlementTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::settlement
