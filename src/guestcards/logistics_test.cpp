// Card logistics (001 §3.4, §4.4) on every backend: production files
// imported whole or not at all, the 32-digit barcode, hand-out before the
// stay, re-initialisation once the link is gone, and the stock listing.
#include "guestcards/logistics.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "guestcards/retention.h"
#include "guestcards/testing/guest_card_fixture.h"
#include "storage/testing/backends.h"

namespace passwerk::guestcards {
namespace {

using testing::StockNumber;

class CardLifeTest : public testing::GuestCardFixture {};

TEST(ProductionFileTest, EveryBadCellIsNamedAndNothingIsReturned) {
  std::string good = StockNumber("100", 1);
  std::string text =
      "\xEF\xBB\xBF"
      "Batch;Produktionsdatum;Kartentyp;Kartennummer;Umlaufzähler;Gemeindenummer;Gemeindeteilnummer;"
      "Ausgabestelle;Buchungssequenz;Gültig ab\r\n"
      "B1;01.03.2026;1.0;" +
      good +
      ";1;01055021;00;4711;;\r\n"
      "B1;31.02.2026;4.0;123456789012;0;1055021;x;;;\r\n"
      "B1;01.03.2026;3.0;" +
      good + ";;01055021;00;;;\r\n";
  std::vector<ProductionProblem> problems;
  auto cards = ParseProductionFile(text, problems);
  EXPECT_TRUE(cards.empty());
  std::vector<std::string> found;
  for (const auto& p : problems) found.push_back(std::to_string(p.line) + " " + p.column);
  EXPECT_EQ(found, (std::vector<std::string>{"3 Produktionsdatum", "3 Kartentyp", "3 Kartennummer", "3 Umlaufzähler",
                                             "3 Gemeindenummer", "3 Gemeindeteilnummer", "4 Kartennummer",
                                             "4 Buchungssequenz", "4 Gültig ab"}));
  problems.clear();
  cards = ParseProductionFile(
      "batch_id,produced_on,card_type,card_number,circulation_counter,municipality_number,"
      "part_number\n"
      "B2,2026-03-01,2.0," +
          good + ",3,01055021,00\n",
      problems);
  ASSERT_TRUE(problems.empty()) << problems.front().message;
  ASSERT_EQ(cards.size(), 1u);
  EXPECT_EQ(cards[0].card_type, "2.0");
  EXPECT_EQ(cards[0].circulation_counter, 3);
  problems.clear();
  ParseProductionFile("Batch;Kartennummer\n", problems);
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems.front().message, "column missing");
}

TEST(BarcodeTest, ThirtyTwoDigitsRoundTrip) {
  Barcode b{"01055021", "004711", 1, "100000000018", 7};
  std::string digits = FormatBarcode(b);
  EXPECT_EQ(digits, "01055021004711000110000000001807");
  auto parsed = ParseBarcode(digits);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->card_number, "100000000018");
  EXPECT_EQ(parsed->circulation_counter, 7);
  EXPECT_FALSE(ParseBarcode(digits.substr(1)));
  EXPECT_FALSE(ParseBarcode(digits.substr(1) + "x"));
}

TEST_P(CardLifeTest, AProductionFileIsImportedWholeOrNotAtAll) {
  const std::string code = SchemeCode();
  std::vector<ProductionProblem> problems;
  ASSERT_TRUE(Import(File("B-1", {StockNumber(code, 1), StockNumber(code, 2)}), problems).ok());
  EXPECT_EQ(Count("logistics.cards"), 2);
  EXPECT_EQ(Column("SELECT status FROM logistics.cards ORDER BY card_number"),
            (std::vector<std::string>{"in_stock", "in_stock"}));
  // The same batch again, a known card, and another scheme's number: named, nothing added.
  Status again = Import(File("B-1", {StockNumber(code, 3)}), problems);
  EXPECT_EQ(again.code(), ErrorCode::kInvalidArgument);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].column, "Batch");
  Status mixed = Import(File("B-2", {StockNumber(code, 4), StockNumber(code, 2), StockNumber("999", 5)}), problems);
  EXPECT_EQ(mixed.code(), ErrorCode::kInvalidArgument);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_EQ(problems[1].line, 4);
  EXPECT_EQ(Count("logistics.cards"), 2);
  EXPECT_EQ(Count("logistics.batches"), 1);
  // Landlords do not import.
  LogisticsService logistics(test_db_->db(), clock_);
  EXPECT_EQ(logistics.ImportProductionFile(landlord_a_.actor, "x.csv", File("B-3", {StockNumber(code, 6)}), problems)
                .status()
                .code(),
            ErrorCode::kPermissionDenied);
}

TEST_P(CardLifeTest, ReinitialisationNeedsTheLinkGoneAndRaisesTheCirculationCounter) {
  RegistrationResult r = RegisterDemo();  // 2026-03-29 to 2026-04-03
  ASSERT_EQ(r.cards.size(), 2u);
  const std::string number = r.cards[0].card_number;
  LogisticsService logistics(test_db_->db(), clock_);
  const int64_t audited_before = Count("audit.entries");
  auto early = logistics.Reinitialise(cli_, number);
  EXPECT_EQ(early.status().code(), ErrorCode::kFailedPrecondition) << early.status().ToString();
  EXPECT_GT(Count("audit.entries"), audited_before) << "the look into card_link is audited, refused or not";
  EXPECT_EQ(logistics.Reinitialise(landlord_a_.actor, number).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(logistics.Reinitialise(cli_, "100000000000").status().code(), ErrorCode::kNotFound);

  ASSERT_TRUE(RunRetention(test_db_->db(), clock_, cli_, *ParseIsoDate("2026-04-20"), false).ok());
  auto card = logistics.Reinitialise(cli_, number);
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  EXPECT_EQ(card->circulation_counter, 2);
  EXPECT_EQ(card->barcode.substr(18, 12), number);
  EXPECT_EQ(card->barcode.substr(30), "02");
  EXPECT_EQ(Column("SELECT status FROM logistics.cards WHERE card_number = '" + number + "'"),
            std::vector<std::string>{"in_stock"});
  EXPECT_EQ(logistics.Reinitialise(cli_, number).status().code(), ErrorCode::kFailedPrecondition) << "in stock already";
  // The next guest gets it with the new sticker; the old one is refused.
  nlohmann::json body = Body(landlord_a_.accommodation);
  body["arrival"] = "2026-05-02";
  body["departure"] = "2026-05-09";
  body["guests"][0]["card_barcode"] = FormatBarcode({"01055021", "004711", 1, number, 1});
  EXPECT_EQ(service_->Register(landlord_a_.actor, *ParseRegistration(body)).status().code(),
            ErrorCode::kInvalidArgument);
  body["guests"][0]["card_barcode"] = card->barcode;
  auto next = service_->Register(landlord_a_.actor, *ParseRegistration(body));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->cards[0].card_number, number);
  auto status = service_->CardStatusForStaff(cli_, number);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->arrival, "2026-05-02");
  auto listed = logistics.ListCards(cli_, municipality_, "in_service", 10);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u);  // the first stay's two are departed (and one of them taken again)
}

TEST_P(CardLifeTest, ACardHandedOutBeforeTheStayKeepsItsCycleWhenRegistered) {
  const std::string code = SchemeCode();
  std::vector<ProductionProblem> problems;
  const std::string number = StockNumber(code, 21), unused = StockNumber(code, 22);
  ASSERT_TRUE(Import(File("B-1", {number, unused}), problems).ok());
  LogisticsService logistics(test_db_->db(), clock_);
  const std::string sticker = FormatBarcode({"01055021", "004711", 1, number, 1});
  auto handed = logistics.HandOut(landlord_a_.actor, sticker);
  ASSERT_TRUE(handed.ok()) << handed.status().ToString();
  EXPECT_EQ(handed->valid_days, 28);
  ASSERT_TRUE(logistics.HandOut(cli_, FormatBarcode({"01055021", "004711", 1, unused, 1})).ok());
  EXPECT_EQ(logistics.HandOut(cli_, sticker).status().code(), ErrorCode::kFailedPrecondition) << "handed out already";
  EXPECT_EQ(logistics.HandOut(cli_, "123").status().field(), "card_barcode");
  EXPECT_EQ(Column("SELECT status FROM logistics.cards WHERE card_number = '" + number + "'"),
            std::vector<std::string>{"handed_out"});
  EXPECT_EQ(Count("card_link.links"), 2);
  EXPECT_EQ(Column("SELECT CAST(provisional_days AS TEXT) FROM card_usage.cycles"),
            (std::vector<std::string>{"28", "28"}));

  // The registration brings the stay: same link, same cycle, the real dates.
  nlohmann::json body = Body(landlord_a_.accommodation);
  body["guests"][0]["card_barcode"] = sticker;
  body["guests"][1]["card"] = false;
  auto result = service_->Register(landlord_a_.actor, *ParseRegistration(body));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->cards.at(0).card_number, number);
  EXPECT_EQ(Count("card_link.links"), 2);
  EXPECT_EQ(Count("card_usage.cycles"), 2);
  EXPECT_EQ(Column("SELECT arrival FROM card_usage.cycles WHERE provisional_days IS NULL"),
            std::vector<std::string>{"2026-03-29"});
  EXPECT_EQ(Column("SELECT status FROM logistics.cards WHERE card_number = '" + number + "'"),
            std::vector<std::string>{"in_service"});
  EXPECT_EQ(Column("SELECT action FROM audit.entries WHERE action = 'card_link.enrol_guest_data' ORDER BY seq").size(),
            3u)
      << "two hand-outs and the registration reading the link";
  auto status = service_->CardStatusForStaff(cli_, number);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->departure, "2026-04-03");

  // The unused one is given up a year and 14 days after it was handed out.
  const Date handed_out_on = BerlinDate(clock_.NowUnix());
  ASSERT_TRUE(RunRetention(test_db_->db(), clock_, cli_, AddDays(handed_out_on, 365 + 13), false).ok());
  EXPECT_EQ(Count("card_link.links"), 1) << "the unused card is still linked";
  ASSERT_TRUE(RunRetention(test_db_->db(), clock_, cli_, AddDays(handed_out_on, 365 + 14), false).ok());
  EXPECT_EQ(Count("card_link.links"), 0);
  EXPECT_EQ(Column("SELECT status FROM logistics.cards WHERE card_number = '" + unused + "'"),
            std::vector<std::string>{"departed"});
}

TEST_P(CardLifeTest, TheStockIsListedByStatusAndTypeAPageAtATime) {
  const std::string code = SchemeCode();
  std::vector<ProductionProblem> problems;
  std::string file = File("B-1", {StockNumber(code, 31), StockNumber(code, 32), StockNumber(code, 33)});
  file += "B-1;01.03.2026;2.0;" + StockNumber(code, 34) + ";1;01055021;00;4711\n";
  file += "B-1;01.03.2026;2.0;" + StockNumber(code, 35) + ";1;01055021;00;4711\n";
  ASSERT_TRUE(Import(file, problems).ok());
  LogisticsService logistics(test_db_->db(), clock_);
  ASSERT_TRUE(logistics.HandOut(cli_, FormatBarcode({"01055021", "004711", 1, StockNumber(code, 35), 1})).ok());
  auto numbers = [&](const StockFilter& filter) {
    std::vector<std::string> out;
    auto listed = logistics.ListCards(cli_, municipality_, filter);
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    if (listed.ok()) {
      for (const auto& c : *listed) out.push_back(c.card_number);
    }
    return out;
  };
  EXPECT_EQ(numbers({"", "2.0", 100, 0}), (std::vector<std::string>{StockNumber(code, 34), StockNumber(code, 35)}));
  EXPECT_EQ(numbers({"in_stock", "2.0", 100, 0}), std::vector<std::string>{StockNumber(code, 34)});
  EXPECT_EQ(numbers({"handed_out", "", 100, 0}), std::vector<std::string>{StockNumber(code, 35)});
  // Pages: the same order throughout, no card twice.
  EXPECT_EQ(numbers({"", "", 2, 0}), (std::vector<std::string>{StockNumber(code, 31), StockNumber(code, 32)}));
  EXPECT_EQ(numbers({"", "", 2, 2}), (std::vector<std::string>{StockNumber(code, 33), StockNumber(code, 34)}));
  EXPECT_EQ(numbers({"", "", 2, 4}), std::vector<std::string>{StockNumber(code, 35)});
  EXPECT_TRUE(numbers({"", "", 2, 6}).empty());
  EXPECT_EQ(logistics.ListCards(cli_, municipality_, StockFilter{"", "4.0", 10, 0}).status().field(), "card_type");
  EXPECT_EQ(logistics.ListCards(cli_, municipality_, StockFilter{"lost", "", 10, 0}).status().field(), "status");
  EXPECT_EQ(logistics.ListCards(landlord_a_.actor, municipality_, StockFilter{}).status().code(),
            ErrorCode::kPermissionDenied);
}

INSTANTIATE_TEST_SUITE_P(Backends, CardLifeTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::guestcards
