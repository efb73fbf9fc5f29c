// Terminals on every backend: challenge-and-response login, transactions
// taken exactly once, each landing in card_usage under the cycle and in
// settlement without any card reference, malformed ones rejected while the
// rest of the batch is kept, online acceptance and double use.
#include "terminals/transactions.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "accounts/testing/actors.h"
#include "cards/card_number.h"
#include "cards/cards.h"
#include "core/crypto.h"
#include "guestcards/logistics.h"
#include "guestcards/registrations.h"
#include "guestcards/retention.h"
#include "storage/testing/backends.h"
#include "terminals/catalogue.h"
#include "terminals/terminal_key.h"
#include "terminals/terminals.h"
#include "terminals/transaction_parsing.h"
#include "web/assets.h"

namespace passwerk::terminals {
namespace {

using json = nlohmann::json;
using storage::Rows;
using storage::Segment;
using storage::Tx;

const std::vector<Segment> kSegments = {Segment::kCore,      Segment::kAudit,    Segment::kSpaTax,
                                        Segment::kMarketing, Segment::kCardLink, Segment::kCardUsage,
                                        Segment::kLogistics, Segment::kHistory,  Segment::kSettlement};

constexpr const char* kMunicipality = "01055021";

class TerminalTest : public ::testing::TestWithParam<storage::testing::Backend> {
 protected:
  void SetUp() override {
    std::string reason;
    test_db_ = storage::testing::TestDatabase::Create(GetParam(), kSegments, &reason);
    if (!test_db_) GTEST_SKIP() << reason;
    storage::Database& db = test_db_->db();
    accounts_ = std::make_unique<accounts::AccountService>(db, clock_, box_, throttle_);
    registrations_ = std::make_unique<guestcards::RegistrationService>(db, clock_, box_);
    catalogue_ = std::make_unique<CatalogueService>(db, clock_);
    terminals_ = std::make_unique<TerminalService>(db, clock_);
    transactions_ = std::make_unique<TransactionService>(db, clock_);
    cli_.id = "cli";
    auto m = accounts_->CreateMunicipality(cli_, kMunicipality, "Kellenhusen (Ostsee)");
    ASSERT_TRUE(m.ok());
    municipality_ = m->id;
    ASSERT_TRUE(accounts_->CreateDepartment(cli_, municipality_, "Tourist-Information").ok());
    cards::CardKeys keys(box_);
    cards::CardService cards(db, clock_, box_, keys);
    cards::NewScheme scheme;
    scheme.slug = "gastkarte";
    scheme.municipality_id = municipality_;
    scheme.kind = cards::SchemeKind::kGuestCard;
    scheme.name = "Gästekarte";
    scheme.partner_checks = false;
    ASSERT_TRUE(cards.CreateScheme(cli_, scheme).ok());
    auto tariff = guestcards::ParseTariffText(web::FindAsset("/static/tariffs/kellenhusen-2022.json")->data);
    ASSERT_TRUE(tariff.ok());
    ASSERT_TRUE(registrations_->SetTariff(cli_, municipality_, *tariff).ok());
    accounts::NewUser landlord;
    landlord.username = "vermieter";
    landlord.display_name = "Vermieter";
    landlord.role = accounts::Role::kLandlord;
    landlord.municipality_id = municipality_;
    landlord.password = "a-long-enough-password";
    auto user = accounts_->CreateUser(cli_, landlord);
    ASSERT_TRUE(user.ok());
    landlord_.id = "user:" + std::to_string(user->id);
    landlord_.user = *user;
    guestcards::NewAccommodation acc{municipality_, user->id, "4711", "Haus", "Strandstraße 1", "23746", "Kellenhusen"};
    auto accommodation = registrations_->CreateAccommodation(cli_, acc);
    ASSERT_TRUE(accommodation.ok());
    accommodation_ = accommodation->public_id;

    ASSERT_TRUE(catalogue_->CreateProvider(cli_, municipality_, "100200", "Hallenbad").ok());
    ASSERT_TRUE(catalogue_->CreateProvider(cli_, municipality_, "100300", "Bus").ok());
    ASSERT_TRUE(catalogue_->CreateService(cli_, municipality_, {"201", "100200", "Bad", 2}).ok());
    ASSERT_TRUE(catalogue_->CreateService(cli_, municipality_, {"301", "100300", "Bus", 1}).ok());
    for (const NewPackage& p : std::vector<NewPackage>{
             {"9000", "base", "Basis", 0, "2026-01-01", "2027-12-31", 0, 0, 0, 0, {"301"}, {}},
             {"9001", "days_of", "3 aus 7", 2900, "2026-01-01", "2027-12-31", 30, 3, 7, 0, {"201", "301"}, {}},
             {"9002", "single", "Einmal Bad", 800, "2026-01-01", "2027-12-31", 14, 0, 0, 0, {"201"}, {}},
         }) {
      auto created = catalogue_->CreatePackage(cli_, municipality_, p);
      ASSERT_TRUE(created.ok()) << created.status().ToString();
    }
    key_ = GenerateTerminalKey();
    ASSERT_TRUE(
        terminals_->RegisterTerminal(cli_, {"T-BAD-01", "100200", "stationary", "Kasse", key_.public_key, {"7"}}).ok());
    auto session = LogIn("T-BAD-01", key_.private_key);
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    terminal_ = session->terminal;
    // Registered a month before the stay below: days before the stay are within the terminal's life.
    ASSERT_TRUE(test_db_->db()
                    .Write([&](Tx& tx) {
                      return tx.Exec("UPDATE core.terminals SET created_at = created_at - 30 * 86400").status();
                    })
                    .ok());
    cards_ = RegisterGuests();
    ASSERT_EQ(cards_.size(), 2u);
  }

  Result<TerminalLogin> LogIn(const std::string& tid, const std::string& private_key) {
    PW_ASSIGN_OR_RETURN(std::string challenge, terminals_->Challenge(tid));
    PW_ASSIGN_OR_RETURN(std::string signature, SignMessage(private_key, LoginMessage(tid, challenge)));
    return terminals_->Login(tid, challenge, crypto::Base64Encode(signature));
  }

  static json Guest() {
    return {
        {"family_name", "Zauberlehrling"},
        {"given_name", "Erika"},
        {"birth_date", "1980-05-01"},
        {"nationality", "DE"},
        {"gender", "f"},
        {"address", {{"street", "Hauptstraße 5"}, {"postal_code", "91052"}, {"city", "Erlangen"}, {"country", "DE"}}},
        {"card", true}};
  }

  // One registration, 2026-11-18 to 2026-11-25, two guest cards.
  std::vector<std::string> RegisterGuests() {
    json body = {{"accommodation_id", accommodation_},
                 {"arrival", "2026-11-18"},
                 {"departure", "2026-11-25"},
                 {"guests", json::array({Guest(), Guest()})}};
    return Register(body);
  }

  std::vector<std::string> Register(const json& body) {
    auto input = guestcards::ParseRegistration(body);
    EXPECT_TRUE(input.ok()) << input.status().ToString();
    auto result = registrations_->Register(landlord_, *input);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    std::vector<std::string> out;
    if (result.ok()) {
      for (const auto& c : result->cards) out.push_back(c.card_number);
    }
    return out;
  }

  static json Card(const std::string& number) {
    return {{"card_number", number},
            {"circulation_counter", 1},
            {"municipality_number", kMunicipality},
            {"issuing_office", "4711"}};
  }

  static json Purchase(int64_t booking, const std::string& card, const std::string& package, int64_t price,
                       const std::string& at = "2026-11-18T10:00:00") {
    json line = Card(card);
    line.update({{"position", 1}, {"package_number", package}, {"price_cents", price}, {"written", true}});
    return {{"booking_number", booking},
            {"at", at},
            {"vu_number", "100200"},
            {"operator", "7"},
            {"kind", "purchase"},
            {"sales", json::array({line})},
            {"payment", {{"method", "cash"}, {"amount_cents", price}}}};
  }

  static json Acceptance(int64_t booking, const std::string& card, const std::string& service,
                         const std::string& package, const std::string& at) {
    json c = Card(card);
    c.update({{"service_number", service}, {"package_number", package}});
    return {{"booking_number", booking}, {"at", at},        {"vu_number", "100200"}, {"operator", "7"},
            {"kind", "acceptance"},      {"consumption", c}};
  }

  // A vector, not a json: `json{object}` would copy the object instead of making a list.
  std::vector<UploadOutcome> Upload(const std::vector<json>& transactions) {
    auto batch = ParseBatch(json{{"protocol", 1}, {"transactions", json(transactions)}}.dump());
    EXPECT_TRUE(batch.ok()) << batch.status().ToString();
    if (!batch.ok()) return {};
    auto out = transactions_->Upload(terminal_, *batch, "req-test");
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : std::vector<UploadOutcome>{};
  }

  AcceptanceAnswer Accept(int64_t booking, const std::string& card, const std::string& service, const std::string& at,
                          const std::string& package = "") {
    AcceptanceRequest r;
    r.booking_number = booking;
    r.at = at;
    r.operator_number = "7";
    r.card = {card, 1, kMunicipality, "4711"};
    r.service_number = service;
    r.package_number = package;
    auto answer = transactions_->Accept(terminal_, r, "req-test");
    EXPECT_TRUE(answer.ok()) << answer.status().ToString();
    return answer.ok() ? *answer : AcceptanceAnswer{};
  }

  int64_t Count(const std::string& sql) {
    int64_t n = -1;
    EXPECT_TRUE(test_db_->db()
                    .Read([&](Tx& tx) -> Status {
                      PW_ASSIGN_OR_RETURN(storage::Row row, tx.QueryOne(sql));
                      n = row.Int(0);
                      return Status::Ok();
                    })
                    .ok());
    return n;
  }

  std::vector<std::string> Texts(const std::string& sql) {
    std::vector<std::string> out;
    EXPECT_TRUE(test_db_->db()
                    .Read([&](Tx& tx) -> Status {
                      PW_ASSIGN_OR_RETURN(Rows rows, tx.Query(sql));
                      for (const auto& row : rows) {
                        std::string line;
                        for (size_t i = 0; i < row.size(); ++i) {
                          if (row.IsNull(i)) continue;
                          const auto& v = row.at(i);
                          line +=
                              std::holds_alternative<int64_t>(v) ? std::to_string(std::get<int64_t>(v)) : row.Text(i);
                          line += '|';
                        }
                        out.push_back(line);
                      }
                      return Status::Ok();
                    })
                    .ok());
    return out;
  }

  ManualClock clock_{1795000000};  // 2026-11-18
  crypto::SecretBox box_ = crypto::SecretBox::FromHexKeys({std::string(64, 'd')}).value();
  accounts::LoginThrottle throttle_{clock_};
  std::unique_ptr<storage::testing::TestDatabase> test_db_;
  std::unique_ptr<accounts::AccountService> accounts_;
  std::unique_ptr<guestcards::RegistrationService> registrations_;
  std::unique_ptr<CatalogueService> catalogue_;
  std::unique_ptr<TerminalService> terminals_;
  std::unique_ptr<TransactionService> transactions_;
  accounts::Actor cli_, landlord_;
  int64_t municipality_ = 0;
  std::string accommodation_;
  TerminalKeyPair key_;
  TerminalSession terminal_;
  std::vector<std::string> cards_;
};

TEST_P(TerminalTest, LoginNeedsTheKeyAndAFreshChallenge) {
  auto challenge = terminals_->Challenge("T-BAD-01");
  ASSERT_TRUE(challenge.ok());
  std::string message = LoginMessage("T-BAD-01", *challenge);
  TerminalKeyPair other = GenerateTerminalKey();
  auto wrong =
      terminals_->Login("T-BAD-01", *challenge, crypto::Base64Encode(*SignMessage(other.private_key, message)));
  EXPECT_EQ(wrong.status().code(), ErrorCode::kUnauthenticated);
  // The failed attempt spent the challenge: the right signature is now too late.
  std::string good = crypto::Base64Encode(*SignMessage(key_.private_key, message));
  EXPECT_EQ(terminals_->Login("T-BAD-01", *challenge, good).status().code(), ErrorCode::kUnauthenticated);
  // A recorded login cannot be replayed.
  challenge = terminals_->Challenge("T-BAD-01");
  good = crypto::Base64Encode(*SignMessage(key_.private_key, LoginMessage("T-BAD-01", *challenge)));
  auto login = terminals_->Login("T-BAD-01", *challenge, good);
  ASSERT_TRUE(login.ok());
  EXPECT_EQ(terminals_->Login("T-BAD-01", *challenge, good).status().code(), ErrorCode::kUnauthenticated);
  EXPECT_TRUE(terminals_->Authenticate(login->session).ok());
  EXPECT_EQ(terminals_->Authenticate("forged").status().code(), ErrorCode::kUnauthenticated);
  // A challenge for another TID does not log this one in; unknown TIDs fail alike.
  challenge = terminals_->Challenge("T-UNKNOWN");
  ASSERT_TRUE(challenge.ok());
  EXPECT_EQ(terminals_
                ->Login("T-BAD-01", *challenge,
                        crypto::Base64Encode(*SignMessage(key_.private_key, LoginMessage("T-BAD-01", *challenge))))
                .status()
                .code(),
            ErrorCode::kUnauthenticated);
  challenge = terminals_->Challenge("T-UNKNOWN");
  EXPECT_EQ(terminals_
                ->Login("T-UNKNOWN", *challenge,
                        crypto::Base64Encode(*SignMessage(key_.private_key, LoginMessage("T-UNKNOWN", *challenge))))
                .status()
                .code(),
            ErrorCode::kUnauthenticated);
  // Challenges expire.
  challenge = terminals_->Challenge("T-BAD-01");
  clock_.Advance(61);
  EXPECT_EQ(terminals_
                ->Login("T-BAD-01", *challenge,
                        crypto::Base64Encode(*SignMessage(key_.private_key, LoginMessage("T-BAD-01", *challenge))))
                .status()
                .code(),
            ErrorCode::kUnauthenticated);
  // A disabled terminal is refused and loses its sessions.
  ASSERT_TRUE(terminals_->SetActive(cli_, "T-BAD-01", false).ok());
  EXPECT_EQ(terminals_->Authenticate(login->session).status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(LogIn("T-BAD-01", key_.private_key).status().code(), ErrorCode::kPermissionDenied);
}

TEST_P(TerminalTest, TakesEveryTransactionExactlyOnce) {
  std::vector<json> batch = {Purchase(1, cards_[0], "9001", 2900),
                             Acceptance(2, cards_[0], "201", "9001", "2026-11-18T11:00:00"),
                             Acceptance(3, cards_[1], "301", "9000", "2026-11-18T11:05:00")};
  auto first = Upload(batch);
  ASSERT_EQ(first.size(), 3u);
  for (const auto& o : first) {
    EXPECT_EQ(o.result, UploadResult::kAccepted) << o.booking_number << " " << o.reason;
    EXPECT_EQ(o.conflict, "") << o.booking_number;
  }
  // The answer was lost: the terminal uploads the same batch again, and a newer one with it.
  batch.push_back(Acceptance(4, cards_[0], "201", "9001", "2026-11-19T09:00:00"));
  auto second = Upload(batch);
  ASSERT_EQ(second.size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(second[i].result, UploadResult::kDuplicate);
  EXPECT_EQ(second[3].result, UploadResult::kAccepted);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM settlement.transactions"), 4);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM settlement.sale_lines"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM card_usage.transactions"), 4);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM card_usage.holdings"), 1);
  EXPECT_EQ(Texts("SELECT used_days, uses FROM card_usage.holdings"),
            std::vector<std::string>{"2026-11-18,2026-11-19|2|"});
  // Each batch that reached card_link is one audited access; the replayed part did not reach it.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit.entries WHERE action = 'card_link.record_transactions'"), 2);
  // Settlement holds no card number, no cycle id, no registration reference.
  std::vector<std::string> cycles = Texts("SELECT cycle_id FROM card_usage.cycles");
  std::vector<std::string> refs = Texts("SELECT registration_ref FROM card_usage.cycles");
  std::string settlement;
  for (const char* table : {"transactions", "sale_lines"}) {
    for (const auto& row : Texts(std::string("SELECT * FROM settlement.") + table)) settlement += row;
  }
  ASSERT_FALSE(settlement.empty());
  for (const auto& card : cards_) EXPECT_EQ(settlement.find(card), std::string::npos);
  for (auto id : cycles) {
    id.pop_back();  // the '|'
    EXPECT_EQ(settlement.find(id), std::string::npos);
  }
  for (auto ref : refs) {
    ref.pop_back();
    EXPECT_EQ(settlement.find(ref), std::string::npos);
  }
  // The card status (001 §6) shows the package, what is left of it, and where the card was used.
  auto status = registrations_->CardStatusForStaff(cli_, cards_[0]);
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  ASSERT_EQ(status->packages.size(), 1u);
  EXPECT_EQ(status->packages[0].package_number, "9001");
  EXPECT_EQ(status->packages[0].price_cents, 2900);
  EXPECT_EQ(status->packages[0].first_use, "2026-11-18");
  EXPECT_EQ(status->packages[0].days_left, 1);
  ASSERT_EQ(status->uses.size(), 3u);
  EXPECT_EQ(status->uses[0].at, "2026-11-19T09:00:00");
  EXPECT_EQ(status->uses[0].terminal_name, "Kasse");
  EXPECT_EQ(status->uses[0].tid, "T-BAD-01");
  auto totals = transactions_->Totals(cli_, "T-BAD-01");
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->transactions, 4);
  EXPECT_EQ(totals->payments_cents, 2900);
  EXPECT_EQ(totals->by_kind["acceptance"], 3);
}

TEST_P(TerminalTest, RejectsBadTransactionsAndKeepsTheGoodOnes) {
  json bad_amount = Purchase(11, cards_[0], "9002", 800);
  bad_amount["payment"]["amount_cents"] = 700;
  json other_vu = Purchase(12, cards_[0], "9002", 800);
  other_vu["vu_number"] = "100300";
  json no_package = Purchase(13, cards_[0], "9999", 800);
  json base_sold = Purchase(14, cards_[0], "9000", 0);
  json extra_field = Acceptance(15, cards_[0], "301", "9000", "2026-11-18T12:00:00");
  extra_field["sales"] = json::array();
  json wrong_cover = Acceptance(16, cards_[0], "201", "9000", "2026-11-18T12:00:00");
  json other_town = Purchase(17, cards_[0], "9002", 800);
  other_town["sales"][0]["municipality_number"] = "01051056";
  json bad_time = Purchase(18, cards_[0], "9002", 800, "2026-11-18T25:00:00");
  json future = Purchase(19, cards_[0], "9002", 800, "2026-11-21T10:00:00");
  json two_credit_lines = Purchase(20, cards_[0], "9002", 1600);
  two_credit_lines["kind"] = "credit";
  two_credit_lines["sales"].push_back(two_credit_lines["sales"][0]);
  two_credit_lines["sales"][1]["position"] = 2;
  json stranger = Purchase(22, cards_[0], "9002", 800);
  stranger["operator"] = "8";
  json good = Purchase(21, cards_[0], "9002", 800);
  auto out = Upload({bad_amount, other_vu, no_package, base_sold, extra_field, wrong_cover, other_town, bad_time,
                     future, two_credit_lines, stranger, good});
  ASSERT_EQ(out.size(), 12u);
  std::vector<std::string> expected_fields = {"payment.amount_cents",
                                              "vu_number",
                                              "sales[0].package_number",
                                              "sales[0].package_number",
                                              "sales",
                                              "consumption.package_number",
                                              "sales[0].municipality_number",
                                              "at",
                                              "at",
                                              "sales",
                                              "operator"};
  for (size_t i = 0; i < expected_fields.size(); ++i) {
    EXPECT_EQ(out[i].result, UploadResult::kRejected) << i;
    EXPECT_EQ(out[i].reason.rfind(expected_fields[i] + ":", 0), 0u) << i << ": " << out[i].reason;
  }
  EXPECT_EQ(out[11].result, UploadResult::kAccepted);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM settlement.transactions"), 1);
  // A rejected booking number stays rejected when sent again unchanged.
  auto again = Upload({bad_amount});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].result, UploadResult::kRejected);
}

TEST_P(TerminalTest, ABatchThatIsNoBatchIsRefusedWhole) {
  auto parse = [](const json& body) { return ParseBatch(body.dump()).status(); };
  json one = Purchase(1, "103000000011", "9002", 800);
  EXPECT_EQ(parse({{"protocol", 2}, {"transactions", json::array({one})}}).field(), "protocol");
  EXPECT_EQ(parse({{"protocol", 1}, {"transactions", json::array()}}).field(), "transactions");
  EXPECT_EQ(parse({{"protocol", 1}, {"transactions", json::array({one, one})}}).field(),
            "transactions[1].booking_number");
  json unnumbered = one;
  unnumbered.erase("booking_number");
  EXPECT_EQ(parse({{"protocol", 1}, {"transactions", json::array({one, unnumbered})}}).field(),
            "transactions[1].booking_number");
  json huge = one;
  huge["booking_number"] = 18446744073709551615ull;
  EXPECT_EQ(parse({{"protocol", 1}, {"transactions", json::array({huge})}}).field(), "transactions[0].booking_number");
  json many = json::array();
  for (int i = 1; i <= 1001; ++i) {
    json t = one;
    t["booking_number"] = i;
    many.push_back(t);
  }
  EXPECT_EQ(parse({{"protocol", 1}, {"transactions", many}}).field(), "transactions");
  EXPECT_EQ(parse({{"protocol", 1}, {"transactions", json::array({one})}, {"extra", 1}}).field(), "extra");
  EXPECT_TRUE(parse({{"protocol", 1}, {"transactions", json::array({one, "not an object"})}}).code() ==
              ErrorCode::kInvalidArgument);
}

TEST_P(TerminalTest, OnlineAcceptanceDecidesAndRecordsOnce) {
  clock_.Advance(3 * 86400);  // 2026-11-21: the days below are past or today
  // The base package covers the bus on every day of the stay, without a sale.
  AcceptanceAnswer bus = Accept(100, cards_[0], "301", "2026-11-18T08:00:00");
  EXPECT_EQ(bus.denial, Denial::kNone);
  EXPECT_EQ(bus.package_number, "9000");
  EXPECT_EQ(Accept(101, cards_[0], "301", "2026-11-17T08:00:00").denial, Denial::kNotValidToday);
  // The pool needs a package.
  AcceptanceAnswer pool = Accept(102, cards_[0], "201", "2026-11-18T09:00:00");
  EXPECT_EQ(pool.denial, Denial::kNoSuchPackage);
  EXPECT_EQ(pool.result, UploadResult::kRejected);
  ASSERT_EQ(Upload({Purchase(103, cards_[0], "9001", 2900)})[0].result, UploadResult::kAccepted);
  const char* days[] = {"2026-11-18T10:00:00", "2026-11-19T10:00:00", "2026-11-20T10:00:00"};
  int left = 2;
  for (int i = 0; i < 3; ++i) {
    AcceptanceAnswer a = Accept(104 + i, cards_[0], "201", days[i]);
    ASSERT_EQ(a.denial, Denial::kNone) << i;
    EXPECT_EQ(a.package_number, "9001");
    EXPECT_EQ(a.days_left, left--);
  }
  AcceptanceAnswer used_up = Accept(107, cards_[0], "201", "2026-11-21T10:00:00");
  EXPECT_EQ(used_up.denial, Denial::kPackageUsedUp);
  EXPECT_EQ(used_up.days_left, 0);
  // The same question again (the answer was lost): recorded once.
  AcceptanceAnswer repeated = Accept(106, cards_[0], "201", "2026-11-20T10:00:00");
  EXPECT_EQ(repeated.result, UploadResult::kDuplicate);
  // And when the terminal uploads it later from its buffer, too.
  EXPECT_EQ(Upload({Acceptance(106, cards_[0], "201", "9001", "2026-11-20T10:00:00")})[0].result,
            UploadResult::kDuplicate);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM settlement.transactions WHERE kind = 'acceptance'"), 4);
  // A booking number of another kind is no acceptance.
  AcceptanceRequest r{103, "2026-11-20T10:00:00", "7", {cards_[0], 1, kMunicipality, "4711"}, "201", ""};
  EXPECT_EQ(transactions_->Accept(terminal_, r, "req").status().code(), ErrorCode::kAlreadyExists);
}

TEST_P(TerminalTest, OfflineDoubleUseIsRecordedAndReported) {
  ASSERT_EQ(Upload({Purchase(1, cards_[1], "9002", 800)})[0].result, UploadResult::kAccepted);
  // Two mobile devices accepted the single ticket offline.
  auto out = Upload({Acceptance(2, cards_[1], "201", "9002", "2026-11-18T10:00:00"),
                     Acceptance(3, cards_[1], "201", "9002", "2026-11-18T10:20:00")});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].conflict, "");
  EXPECT_EQ(out[1].result, UploadResult::kAccepted);  // it happened: recorded, and reported
  EXPECT_EQ(out[1].conflict, "package_used_up");
  auto conflicts = transactions_->Conflicts(cli_, 10);
  ASSERT_TRUE(conflicts.ok());
  ASSERT_EQ(conflicts->size(), 1u);
  EXPECT_EQ((*conflicts)[0].card_number, cards_[1]);
  EXPECT_EQ((*conflicts)[0].kind, "package_used_up");
  EXPECT_EQ((*conflicts)[0].detail["booking_number"], 3);
  // A card blocked at the office: refused online, reported when accepted offline.
  ASSERT_TRUE(test_db_->db()
                  .Write([&](Tx& tx) {
                    return tx.Exec("UPDATE logistics.cards SET status = 'blocked' WHERE card_number = $1", {cards_[0]})
                        .status();
                  })
                  .ok());
  EXPECT_EQ(Accept(4, cards_[0], "301", "2026-11-18T11:00:00").denial, Denial::kBlocked);
  EXPECT_EQ(Upload({Acceptance(5, cards_[0], "301", "9000", "2026-11-18T11:00:00")})[0].conflict, "blocked");
  auto sync = transactions_->SyncDataFor(terminal_);
  ASSERT_TRUE(sync.ok());
  ASSERT_EQ(sync->blocked_cards.size(), 1u);
  EXPECT_EQ(sync->blocked_cards[0].card_number, cards_[0]);
  // A card that is not in service has no cycle to file under: settlement only.
  EXPECT_EQ(Upload({Purchase(6, "103000000011", "9002", 800)})[0].conflict, "unknown_card");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM settlement.transactions WHERE booking_number = 6"), 1);
}

// A conflict is the business of the municipality whose terminal booked it, not
// of the card's: an administrator sees the bookings of their own terminals only.
TEST_P(TerminalTest, ConflictsBelongToTheTerminalsMunicipality) {
  auto other = accounts_->CreateMunicipality(cli_, "01055099", "Nachbardorf");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(catalogue_->CreateProvider(cli_, other->id, "200100", "Fähre").ok());
  ASSERT_TRUE(terminals_
                  ->RegisterTerminal(
                      cli_, {"T-FAEHRE-1", "200100", "stationary", "Fähre", GenerateTerminalKey().public_key, {"7"}})
                  .ok());
  auto admin_of = [&](const std::string& username, int64_t municipality_id) {
    return accounts::testing::CreateStaff(*accounts_, cli_, username, accounts::Role::kMunicipalityAdmin,
                                          municipality_id);
  };

  const accounts::Actor ours = admin_of("admin.kellenhusen", municipality_);
  const accounts::Actor theirs = admin_of("admin.nachbardorf", other->id);
  // Our card, double-used: once at our terminal, once at the neighbour's.
  for (const char* tid : {"T-BAD-01", "T-FAEHRE-1"}) {
    ASSERT_TRUE(test_db_->db()
                    .Write([&](Tx& tx) {
                      return tx
                          .Exec(
                              "INSERT INTO logistics.misuse_log (card_number, at, kind, detail) VALUES ($1, $2, "
                              "'package_used_up', $3)",
                              {cards_[1], clock_.NowUnix(), json{{"tid", tid}, {"booking_number", 1}}.dump()})
                          .status();
                    })
                    .ok());
  }
  auto seen_by = [&](const accounts::Actor& actor) {
    std::vector<std::string> tids;
    auto conflicts = transactions_->Conflicts(actor, 10);
    EXPECT_TRUE(conflicts.ok()) << conflicts.status().ToString();
    if (conflicts.ok()) {
      for (const auto& c : *conflicts) tids.push_back(c.detail["tid"].get<std::string>());
    }
    return tids;
  };
  EXPECT_EQ(seen_by(ours), std::vector<std::string>{"T-BAD-01"});
  EXPECT_EQ(seen_by(theirs), std::vector<std::string>{"T-FAEHRE-1"});
  EXPECT_EQ(seen_by(cli_).size(), 2u);
  // A landlord's token with terminals:read sees nothing a landlord's session could not.
  accounts::Actor landlord_token = landlord_;
  landlord_token.via_token = true;
  landlord_token.scopes = {"terminals:read"};
  EXPECT_EQ(transactions_->Conflicts(landlord_token, 10).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(transactions_->Totals(landlord_token, "T-BAD-01").status().code(), ErrorCode::kPermissionDenied);
}

TEST_P(TerminalTest, CreditTakesThePackageBack) {
  ASSERT_EQ(Upload({Purchase(1, cards_[0], "9002", 800)})[0].result, UploadResult::kAccepted);
  json credit = Purchase(2, cards_[0], "9002", 800);
  credit["kind"] = "credit";
  ASSERT_EQ(Upload({credit})[0].result, UploadResult::kAccepted);
  EXPECT_EQ(Accept(3, cards_[0], "201", "2026-11-18T12:00:00").denial, Denial::kNoSuchPackage);
  auto totals = transactions_->Totals(cli_, "T-BAD-01");
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->payments_cents, 0);
}

// Issue 18: settlement accepts only what the catalogue allows.

TEST_P(TerminalTest, ACreditWithoutARecordedSaleIsRefusedAndKeptAside) {
  // 29 € back for a package never sold: the month's revenue went negative.
  json credit = Purchase(1, cards_[0], "9001", 2900);
  credit["kind"] = "credit";
  auto out = Upload({credit});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].result, UploadResult::kRejected);
  EXPECT_EQ(out[0].refusal, Refusal::kCreditWithoutSale);
  EXPECT_EQ(out[0].reason.rfind("sales[0].package_number:", 0), 0u) << out[0].reason;
  EXPECT_EQ(out[0].reason.find(cards_[0]), std::string::npos) << "no card number in the reason";
  auto totals = transactions_->Totals(cli_, "T-BAD-01");
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->payments_cents, 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM settlement.transactions"), 0);
  EXPECT_EQ(Texts("SELECT tid, booking_number, kind, occurred_on, refusal, amount_cents FROM "
                  "settlement.refused_transactions"),
            std::vector<std::string>{"T-BAD-01|1|credit|2026-11-18|credit_without_sale|2900|"});
  // Sent again (the terminal retries): refused again, kept once.
  EXPECT_EQ(Upload({credit})[0].refusal, Refusal::kCreditWithoutSale);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM settlement.refused_transactions"), 1);
  auto refused = transactions_->Refused(cli_, municipality_, 100);
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  ASSERT_EQ(refused->size(), 1u);
  EXPECT_EQ((*refused)[0].refusal, "credit_without_sale");
  EXPECT_EQ((*refused)[0].amount_cents, 2900);

  // The sale, then the same booking number corrected: a sale to credit now.
  ASSERT_EQ(Upload({Purchase(2, cards_[0], "9001", 2900)})[0].result, UploadResult::kAccepted);
  EXPECT_EQ(Upload({credit})[0].result, UploadResult::kAccepted);
  // One sale, one credit: the second credit is refused.
  json again = credit;
  again["booking_number"] = 3;
  EXPECT_EQ(Upload({again})[0].refusal, Refusal::kCreditWithoutSale);
  totals = transactions_->Totals(cli_, "T-BAD-01");
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->payments_cents, 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM settlement.refused_transactions"), 2);
}

TEST_P(TerminalTest, ACreditNeedsASaleOnTheSameCardCycle) {
  ASSERT_EQ(Upload({Purchase(1, cards_[0], "9002", 800)})[0].result, UploadResult::kAccepted);
  json other_card = Purchase(2, cards_[1], "9002", 800);
  other_card["kind"] = "credit";
  EXPECT_EQ(Upload({other_card})[0].refusal, Refusal::kCreditWithoutSale);
  json other_package = Purchase(3, cards_[0], "9001", 800);
  other_package["kind"] = "credit";
  EXPECT_EQ(Upload({other_package})[0].refusal, Refusal::kCreditWithoutSale);
  json too_much = Purchase(4, cards_[0], "9002", 900);
  too_much["kind"] = "credit";
  EXPECT_EQ(Upload({too_much})[0].refusal, Refusal::kPriceMismatch);
  json partial = Purchase(5, cards_[0], "9002", 500);
  partial["kind"] = "credit";
  EXPECT_EQ(Upload({partial})[0].result, UploadResult::kAccepted);
  auto totals = transactions_->Totals(cli_, "T-BAD-01");
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->payments_cents, 300);
}

TEST_P(TerminalTest, APriceOtherThanTheCataloguesIsRefused) {
  NewPackage p{"9003", "flat_rate", "Woche", 2500, "2026-11-01", "2026-11-30", 7, 0, 0, 0, {"201"}, {}};
  ASSERT_TRUE(catalogue_->CreatePackage(cli_, municipality_, p).ok());
  // A 25 € package sold for 1 cent.
  auto out = Upload({Purchase(1, cards_[0], "9003", 1), Purchase(2, cards_[0], "9003", 2500),
                     Purchase(3, cards_[0], "9003", 2500, "2026-10-31T10:00:00")});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].result, UploadResult::kRejected);
  EXPECT_EQ(out[0].refusal, Refusal::kPriceMismatch);
  EXPECT_EQ(out[0].reason, "sales[0].price_cents: must be 2500, the catalogue price on 2026-11-18");
  EXPECT_EQ(out[1].result, UploadResult::kAccepted) << out[1].reason;
  // Not on sale that day: no catalogue price.
  EXPECT_EQ(out[2].refusal, Refusal::kPriceMismatch);
  EXPECT_EQ(out[2].reason.rfind("sales[0].price_cents: no catalogue price on 2026-10-31", 0), 0u) << out[2].reason;
  EXPECT_EQ(Texts("SELECT booking_number, refusal FROM settlement.refused_transactions ORDER BY booking_number"),
            (std::vector<std::string>{"1|price_mismatch|", "3|price_mismatch|"}));
  auto totals = transactions_->Totals(cli_, "T-BAD-01");
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->payments_cents, 2500);
}

TEST_P(TerminalTest, ADayOutsideTheWindowIsRefused) {
  // Registered 2026-10-19 (SetUp), uploaded 2026-11-18, a window of 62 days before and one after.
  auto out = Upload({Purchase(1, cards_[0], "9002", 800, "0001-01-01T10:00:00"),
                     Purchase(2, cards_[0], "9002", 800, "2026-10-18T10:00:00"),
                     Purchase(3, cards_[0], "9002", 800, "2026-11-20T10:00:00"),
                     Purchase(4, cards_[0], "9002", 800, "2026-10-19T10:00:00"),
                     Purchase(5, cards_[0], "9002", 800, "2026-11-19T10:00:00")});
  ASSERT_EQ(out.size(), 5u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(out[i].result, UploadResult::kRejected) << i;
    EXPECT_EQ(out[i].refusal, Refusal::kDateOutOfWindow) << i;
    EXPECT_EQ(out[i].reason.rfind("at: ", 0), 0u) << out[i].reason;
  }
  EXPECT_EQ(out[1].reason, "at: lies before the terminal was registered on 2026-10-19");
  EXPECT_EQ(out[3].result, UploadResult::kAccepted) << out[3].reason;
  EXPECT_EQ(out[4].result, UploadResult::kAccepted) << out[4].reason;
  EXPECT_EQ(Texts("SELECT occurred_on, refusal FROM settlement.refused_transactions ORDER BY booking_number"),
            (std::vector<std::string>{"0001-01-01|date_out_of_window|", "2026-10-18|date_out_of_window|",
                                      "2026-11-20|date_out_of_window|"}));
  // Too old for the window: 63 days after the day.
  clock_.Advance(63 * 86400);  // 2027-01-20
  EXPECT_EQ(Upload({Acceptance(6, cards_[0], "301", "9000", "2026-11-18T10:00:00")})[0].refusal,
            Refusal::kDateOutOfWindow);
  // Online too: nothing recorded.
  AcceptanceRequest r{7, "2026-10-01T10:00:00", "7", {cards_[0], 1, kMunicipality, "4711"}, "301", ""};
  auto online = transactions_->Accept(terminal_, r, "req-test");
  ASSERT_FALSE(online.ok());
  EXPECT_EQ(online.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM settlement.transactions WHERE booking_number = 7"), 0);
}

TEST_P(TerminalTest, AValidityBeyondThePackagesRulesIsRefused) {
  auto sale = [&](int64_t booking, const std::string& from, const std::string& to) {
    json t = Purchase(booking, cards_[0], "9002", 800);
    t["sales"][0]["valid_from"] = from;
    t["sales"][0]["valid_to"] = to;
    return t;
  };
  // A package of 14 days valid for 100 years; one valid before it was sold; the 14 days exactly.
  auto out = Upload({sale(1, "2026-11-18", "2126-11-17"), sale(2, "2026-11-17", "2026-11-20"),
                     sale(3, "2026-11-18", "2026-12-01"), sale(4, "2026-11-19", "2026-12-03")});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].refusal, Refusal::kValidityOutOfRules);
  EXPECT_EQ(out[0].reason, "sales[0].valid_to: 2126-11-17 is longer than the package's 14 days of validity");
  EXPECT_EQ(out[1].refusal, Refusal::kValidityOutOfRules);
  EXPECT_EQ(out[1].reason, "sales[0].valid_from: lies before the day of sale");
  EXPECT_EQ(out[2].result, UploadResult::kAccepted) << out[2].reason;
  EXPECT_EQ(out[3].refusal, Refusal::kValidityOutOfRules);
  EXPECT_EQ(Texts("SELECT valid_from, valid_to FROM card_usage.holdings"),
            std::vector<std::string>{"2026-11-18|2026-12-01|"});
}

TEST(CatalogueRulesTest, PlainFunctionsDecideWithoutStorage) {
  PackageRule rule;
  rule.package_number = "9001";
  rule.kind = PackageKind::kFlatRate;
  rule.price_cents = 2500;
  rule.sale_from = {2026, 1, 1};
  rule.sale_to = {2026, 12, 31};
  rule.validity_days = 7;
  const Date day{2026, 7, 3};
  EXPECT_EQ(CheckSalePrice(rule, TxKind::kPurchase, 2500, day), "");
  EXPECT_EQ(CheckSalePrice(rule, TxKind::kPurchase, 1, day), "must be 2500, the catalogue price on 2026-07-03");
  EXPECT_NE(CheckSalePrice(rule, TxKind::kPurchase, 2500, {2027, 1, 1}), "");
  EXPECT_EQ(CheckSalePrice(rule, TxKind::kCredit, 2500, {2027, 1, 1}), "");  // credited after the season
  EXPECT_NE(CheckSalePrice(rule, TxKind::kCredit, 2501, day), "");
  EXPECT_EQ(CheckSaleValidity(rule, day, std::nullopt, std::nullopt), "");
  EXPECT_EQ(CheckSaleValidity(rule, day, Date{2026, 7, 3}, Date{2026, 7, 9}), "");
  EXPECT_NE(CheckSaleValidity(rule, day, Date{2026, 7, 3}, Date{2026, 7, 10}), "");
  EXPECT_NE(CheckSaleValidity(rule, day, Date{2027, 1, 1}, Date{2027, 1, 2}), "");
  const Date registered{2026, 6, 1};
  EXPECT_EQ(CheckDateWindow(day, registered, day, 62), "");
  EXPECT_EQ(CheckDateWindow({2026, 7, 4}, registered, day, 62), "");
  EXPECT_NE(CheckDateWindow({2026, 7, 5}, registered, day, 62), "");
  EXPECT_NE(CheckDateWindow({1, 1, 1}, registered, day, 62), "");
  EXPECT_NE(CheckDateWindow({2026, 5, 31}, registered, day, 62), "");
  EXPECT_EQ(CheckDateWindow({2026, 6, 1}, registered, day, 62), "");
  EXPECT_NE(CheckDateWindow({2026, 6, 1}, registered, day, 10), "");
}

TEST_P(TerminalTest, AnnualCardsKeepNoAcceptanceRecords) {
  ASSERT_TRUE(test_db_->db()
                  .Write([&](Tx& tx) { return tx.Exec("UPDATE card_usage.cycles SET card_type = '3.0'").status(); })
                  .ok());
  auto out = Upload({Acceptance(1, cards_[0], "301", "9000", "2026-11-18T10:00:00")});
  ASSERT_EQ(out[0].result, UploadResult::kAccepted);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM card_usage.transactions"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM card_usage.cycles WHERE first_use IS NOT NULL"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM settlement.transactions"), 1);  // settlement still counts the use
  EXPECT_EQ(Count("SELECT COUNT(*) FROM logistics.cards WHERE first_use_on = '2026-11-18'"), 1)
      << "logistics records the first use of every card";
}

TEST_P(TerminalTest, ACardHandedOutBeforeItsStayCountsItsDaysFromTheFirstUse) {
  // A stock card given to a guest at the desk before the landlord registers the stay (001 §4.3).
  const std::string body =
      std::to_string(Count("SELECT scheme_code FROM core.schemes WHERE kind = 'guest_card'")) + "00000077";
  const std::string number = body + std::to_string(cards::LuhnDigit(body));
  guestcards::LogisticsService logistics(test_db_->db(), clock_);
  std::vector<guestcards::ProductionProblem> problems;
  ASSERT_TRUE(logistics
                  .ImportProductionFile(cli_, "produktion.csv",
                                        "Batch;Produktionsdatum;Kartentyp;Kartennummer;Umlaufzähler;Gemeindenummer;"
                                        "Gemeindeteilnummer;Ausgabestelle\nB-1;01.03.2026;1.0;" +
                                            number + ";1;01055021;00;4711\n",
                                        problems)
                  .ok());
  const std::string sticker = guestcards::FormatBarcode({kMunicipality, "004711", 1, number, 1});
  ASSERT_TRUE(logistics.HandOut(cli_, sticker).ok());
  EXPECT_EQ(Texts("SELECT first_use_on FROM logistics.cards WHERE card_number = '" + number + "'"),
            std::vector<std::string>{""});

  // The 28 days run from the first use at a reader: 20 November to 17 December.
  clock_.Advance(2 * 86400);
  AcceptanceAnswer first = Accept(1, number, "301", "2026-11-20T09:00:00");
  EXPECT_EQ(first.denial, Denial::kNone);
  EXPECT_EQ(first.package_number, "9000");
  EXPECT_EQ(FormatIsoDate(first.valid_to.value_or(Date{})), "2026-12-17");
  EXPECT_EQ(Texts("SELECT first_use FROM card_usage.cycles WHERE provisional_days = 28"),
            std::vector<std::string>{"2026-11-20|"});
  EXPECT_EQ(Texts("SELECT first_use_on FROM logistics.cards WHERE card_number = '" + number + "'"),
            std::vector<std::string>{"2026-11-20|"});
  clock_.Advance(30 * 86400);  // 2026-12-20
  EXPECT_EQ(Accept(2, number, "301", "2026-12-17T09:00:00").denial, Denial::kNone);
  EXPECT_EQ(Accept(3, number, "301", "2026-12-18T09:00:00").denial, Denial::kNotValidToday);
  // A use on the 19th, uploaded later from an offline terminal's buffer, was the first one.
  auto offline = Upload({Acceptance(4, number, "301", "9000", "2026-11-19T17:00:00")});
  ASSERT_EQ(offline.size(), 1u);
  EXPECT_EQ(offline[0].result, UploadResult::kAccepted);
  EXPECT_EQ(offline[0].conflict, "");
  EXPECT_EQ(Texts("SELECT first_use FROM card_usage.cycles WHERE provisional_days = 28"),
            std::vector<std::string>{"2026-11-19|"});
  EXPECT_EQ(Accept(5, number, "301", "2026-12-17T10:00:00").denial, Denial::kNotValidToday);

  // The registration brings the stay: from now on it counts, not the 28 days.
  json guest = Guest();
  guest["card_barcode"] = sticker;
  json late = {{"accommodation_id", accommodation_},
               {"arrival", "2026-12-15"},
               {"departure", "2026-12-22"},
               {"guests", json::array({guest})}};
  ASSERT_EQ(Register(late), std::vector<std::string>{number});
  AcceptanceAnswer stay = Accept(6, number, "301", "2026-12-20T09:00:00");
  EXPECT_EQ(stay.denial, Denial::kNone);
  EXPECT_EQ(FormatIsoDate(stay.valid_to.value_or(Date{})), "2026-12-22");
  EXPECT_EQ(Accept(7, number, "301", "2026-12-14T09:00:00").denial, Denial::kNotValidToday);
  EXPECT_EQ(Texts("SELECT first_use FROM card_usage.cycles WHERE provisional_days IS NULL AND arrival = "
                  "'2026-12-15'"),
            std::vector<std::string>{"2026-11-19|"})
      << "the card's first use stays with its cycle";
}

TEST_P(TerminalTest, CatalogueRulesAreChecked) {
  NewPackage p{"9100", "days_of", "4 aus 3", 100, "2026-01-01", "2026-12-31", 30, 4, 3, 0, {"201"}, {}};
  EXPECT_EQ(catalogue_->CreatePackage(cli_, municipality_, p).status().field(), "days");
  p = {"9100", "single", "Zwei", 100, "2026-01-01", "2026-12-31", 30, 0, 0, 0, {"201", "301"}, {}};
  EXPECT_EQ(catalogue_->CreatePackage(cli_, municipality_, p).status().field(), "services");
  p = {"9100", "flat_rate", "Anteile", 100, "2026-01-01", "2026-12-31", 7, 0, 0, 0, {"201"}, {{"100200", 600}}};
  EXPECT_EQ(catalogue_->CreatePackage(cli_, municipality_, p).status().field(), "shares");
  p = {"9100", "base", "Zweites Basispaket", 0, "2026-01-01", "2026-12-31", 0, 0, 0, 0, {"201"}, {}};
  EXPECT_EQ(catalogue_->CreatePackage(cli_, municipality_, p).status().code(), ErrorCode::kAlreadyExists);
  p = {"9001", "flat_rate", "Doppelt", 100, "2026-01-01", "2026-12-31", 7, 0, 0, 0, {"201"}, {}};
  EXPECT_EQ(catalogue_->CreatePackage(cli_, municipality_, p).status().code(), ErrorCode::kAlreadyExists);
  accounts::Actor landlord = landlord_;
  p = {"9100", "flat_rate", "Vermieter", 100, "2026-01-01", "2026-12-31", 7, 0, 0, 0, {"201"}, {}};
  EXPECT_EQ(catalogue_->CreatePackage(landlord, municipality_, p).status().code(), ErrorCode::kPermissionDenied);
}

TEST_P(TerminalTest, RetentionTakesTheTransactionsIntoHistoryByDayOnly) {
  ASSERT_EQ(
      Upload({Purchase(1, cards_[0], "9001", 2900), Acceptance(2, cards_[0], "201", "9001", "2026-11-18T11:00:00")})[1]
          .result,
      UploadResult::kAccepted);
  auto report = guestcards::RunRetention(test_db_->db(), clock_, cli_, *ParseIsoDate("2026-12-10"), false);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->cycles_historised, 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM card_usage.transactions"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM card_usage.holdings"), 0);
  EXPECT_EQ(Texts("SELECT kind, occurred_on, price_cents FROM history.transactions ORDER BY kind"),
            (std::vector<std::string>{"acceptance|2026-11-18|", "purchase|2026-11-18|2900|"}));
  EXPECT_EQ(Count("SELECT COUNT(DISTINCT h.history_id) FROM history.transactions h JOIN history.cycles c ON "
                  "c.history_id = h.history_id"),
            1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM settlement.transactions"), 2);  // settlement is not touched
}

INSTANTIATE_TEST_SUITE_P(Backends, TerminalTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::terminals
