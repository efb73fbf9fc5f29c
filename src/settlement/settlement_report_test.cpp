// Settlement reports from a statement built by hand: CSV as German
// spreadsheets read it (byte-order mark, semicolons, CRLF, decimal comma,
// defused formulas), one provider's part, the PDF and the file names. The
// reports of a computed statement are tested in settlement_test.cpp.
#include "settlement/settlement_report.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace passwerk::settlement {
namespace {

TEST(SettlementReportTest, EurosHaveADecimalComma) {
  EXPECT_EQ(EuroCsv(0), "0,00");
  EXPECT_EQ(EuroCsv(5), "0,05");
  EXPECT_EQ(EuroCsv(-5), "-0,05");
  EXPECT_EQ(EuroCsv(123456), "1234,56");
  EXPECT_EQ(EuroCsv(INT64_MIN), "-92233720368547758,08");
}

StatementLine Line(int64_t line, std::string vu, std::string provider, std::string package, std::string_view basis,
                   int64_t revenue, int64_t acceptances, int64_t permille, int64_t amount) {
  StatementLine l;
  l.line = line;
  l.vu_number = std::move(vu);
  l.provider_name = std::move(provider);
  l.package_number = package;
  l.package_name = "Paket " + package;
  l.basis = std::string(basis);
  l.package_revenue_cents = revenue;
  l.acceptances = acceptances;
  l.share_permille = permille;
  l.amount_cents = amount;
  return l;
}

Statement Example() {
  Statement s;
  s.id = 4;
  s.municipality_number = "01055021";
  s.municipality_name = "Kellenhusen";
  s.period = "2026-07";
  s.version = 2;
  s.state = "closed";
  s.revenue_cents = 10050;
  s.unallocated_cents = 1000;
  s.lines = {
      Line(1, "100200", "Meerwasser-Hallenbad", "9001", kBasisAcceptances, 6000, 2, 0, 4000),
      Line(2, "100300", "Fähre; \"Ostsee\"", "9001", kBasisAcceptances, 6000, 1, 0, 2000),
      Line(3, "99", "=HYPERLINK(\"x\")", "9002", kBasisShares, 3050, 0, 700, 2135),
      Line(4, "100200", "Meerwasser-Hallenbad", "9002", kBasisShares, 3050, 0, 300, 915),
      Line(5, "", "", "9003", kBasisUnallocated, 1000, 0, 0, 1000),
  };
  TerminalReconciliation t;
  t.tid = "T-0001";
  t.vu_number = "100400";
  t.provider_name = "Strandkorbvermietung";
  t.cash_cents = 500;
  t.sold_cents = 600;
  t.difference_cents = -100;
  s.terminals = {t};
  return s;
}

std::vector<std::string> CsvRows(const std::string& csv) {
  std::vector<std::string> rows;
  size_t start = 0;
  for (size_t end = csv.find("\r\n"); end != std::string::npos; end = csv.find("\r\n", start)) {
    rows.push_back(csv.substr(start, end - start));
    start = end + 2;
  }
  EXPECT_EQ(start, csv.size()) << "every row ends with CRLF";
  return rows;
}

TEST(SettlementReportTest, StatementCsvHasABomCrlfAndATotalEqualToTheRevenue) {
  const std::string csv = StatementCsv(Example());
  ASSERT_EQ(csv.rfind("\xEF\xBB\xBF", 0), 0u) << "Excel reads UTF-8 only with the byte-order mark";
  EXPECT_EQ(csv.find('\n'), csv.find("\r\n") + 1) << "no bare line feeds";
  std::vector<std::string> rows = CsvRows(csv.substr(3));
  ASSERT_EQ(rows.size(), 7u) << csv;
  EXPECT_EQ(rows[0],
            "municipality;period;version;state;vu_number;provider;package_number;package;basis;package_revenue_eur;"
            "acceptances;package_acceptances;share_permille;amount_eur");
  EXPECT_EQ(rows[1],
            "01055021;2026-07;2;closed;100200;Meerwasser-Hallenbad;9001;Paket 9001;acceptances;60,00;2;3;;40,00")
      << "the package's acceptances of all providers";
  EXPECT_EQ(rows[2],
            "01055021;2026-07;2;closed;100300;\"Fähre; \"\"Ostsee\"\"\";9001;Paket 9001;acceptances;60,00;1;3;;"
            "20,00")
      << "a name with the separator is quoted, its quotes doubled";
  EXPECT_EQ(rows[3], "01055021;2026-07;2;closed;99;\"'=HYPERLINK(\"\"x\"\")\";9002;Paket 9002;shares;30,50;;;700;21,35")
      << "a formula is defused";
  EXPECT_EQ(rows[5], "01055021;2026-07;2;closed;;;9003;Paket 9003;unallocated;10,00;;;;10,00");
  EXPECT_EQ(rows[6], "01055021;2026-07;2;closed;;;;;total;100,50;;;;100,50");
}

TEST(SettlementReportTest, EveryFormulaStartIsDefused) {
  for (const char* name : {"=1+1", "+49 Bad", "-5 Bad", "@SUM(A1)", "\tTab"}) {
    Statement s = Example();
    s.lines = {Line(1, "100200", name, "9001", kBasisShares, 100, 0, 1000, 100)};
    std::string csv = StatementCsv(s);
    EXPECT_NE(csv.find(";'" + std::string(name)), std::string::npos) << name << "\n" << csv;
  }
}

TEST(SettlementReportTest, ProviderCsvHasOnlyThatProvidersLinesAndItsTotal) {
  auto csv = ProviderCsv(Example(), "100200");
  ASSERT_TRUE(csv.ok()) << csv.status().ToString();
  ASSERT_EQ(csv->rfind("\xEF\xBB\xBF", 0), 0u);
  std::vector<std::string> rows = CsvRows(csv->substr(3));
  ASSERT_EQ(rows.size(), 4u) << *csv;
  EXPECT_EQ(rows[1].find("01055021;2026-07;2;closed;100200;"), 0u);
  EXPECT_EQ(rows[2].find("01055021;2026-07;2;closed;100200;"), 0u);
  EXPECT_EQ(rows[3], "01055021;2026-07;2;closed;100200;Meerwasser-Hallenbad;;;total;;;;;49,15");
  EXPECT_EQ(csv->find("Fähre"), std::string::npos);
  EXPECT_EQ(csv->find("Paket 9003"), std::string::npos);
}

TEST(SettlementReportTest, AProviderWithATerminalOnlyGetsAnEmptyPart) {
  auto csv = ProviderCsv(Example(), "100400");
  ASSERT_TRUE(csv.ok()) << csv.status().ToString();
  std::vector<std::string> rows = CsvRows(csv->substr(3));
  ASSERT_EQ(rows.size(), 2u) << *csv;
  EXPECT_EQ(rows[1], "01055021;2026-07;2;closed;100400;Strandkorbvermietung;;;total;;;;;0,00");
}

TEST(SettlementReportTest, UnknownProvidersAreNotFound) {
  const Statement s = Example();
  for (const char* vu : {"555", "", "10020", "1002000"}) {
    EXPECT_FALSE(NamesProvider(s, vu)) << vu;
    auto csv = ProviderCsv(s, vu);
    ASSERT_FALSE(csv.ok()) << vu;
    EXPECT_EQ(csv.status().code(), ErrorCode::kNotFound) << vu;
    EXPECT_EQ(csv.status().field(), "provider");
    EXPECT_EQ(ProviderPdf(s, vu).status().code(), ErrorCode::kNotFound) << vu;
  }
  EXPECT_TRUE(NamesProvider(s, "99"));
  EXPECT_TRUE(NamesProvider(s, "100400")) << "a terminal names its provider";
}

TEST(SettlementReportTest, ProviderPdfDrawsEvenUnprintableNames) {
  Statement s = Example();
  s.lines[0].provider_name = "Bad\x01\xff\xfe\nKellenhusen";  // invalid UTF-8 and control characters
  s.lines[0].package_name = std::string(300, 'W');            // far too wide for its column
  auto pdf = ProviderPdf(s, "100200");
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  EXPECT_EQ(pdf->rfind("%PDF-", 0), 0u);
  EXPECT_TRUE(std::regex_search(*pdf, std::regex(R"(/Title\s*\(Leistungsabrechnung\))")));
  auto terminal_only = ProviderPdf(s, "100400");
  ASSERT_TRUE(terminal_only.ok()) << terminal_only.status().ToString();
  EXPECT_EQ(terminal_only->rfind("%PDF-", 0), 0u);
}

TEST(SettlementReportTest, ReportFileNames) {
  const Statement s = Example();
  EXPECT_EQ(ReportFileName(s, "100200", "pdf"), "abrechnung-01055021-2026-07-v2-100200.pdf");
  EXPECT_EQ(ReportFileName(s, "", "csv"), "abrechnung-01055021-2026-07-v2.csv") << "the whole statement";
}

TEST(SettlementReportTest, StatementJsonTotalsPerProvider) {
  const Statement s = Example();
  nlohmann::json list = StatementJson(s, false);
  EXPECT_EQ(list["period"], "2026-07");
  EXPECT_EQ(list["currency"], "EUR");
  EXPECT_TRUE(list["closed_at"].is_null());
  EXPECT_FALSE(list.contains("lines"));
  nlohmann::json full = StatementJson(s, true);
  ASSERT_EQ(full["lines"].size(), 5u);
  EXPECT_TRUE(full["lines"][4]["vu_number"].is_null()) << "unallocated";
  EXPECT_TRUE(full["lines"][0]["share_permille"].is_null()) << "only for shares";
  EXPECT_EQ(full["lines"][2]["share_permille"], 700);
  // Providers in numeric order: 99 before 100200; a terminal-only provider with 0.
  ASSERT_EQ(full["providers"].size(), 4u) << full["providers"].dump();
  EXPECT_EQ(full["providers"][0]["vu_number"], "99");
  EXPECT_EQ(full["providers"][1]["vu_number"], "100200");
  EXPECT_EQ(full["providers"][1]["amount_cents"], 4915);
  EXPECT_EQ(full["providers"][3]["vu_number"], "100400");
  EXPECT_EQ(full["providers"][3]["amount_cents"], 0);
  EXPECT_EQ(full["terminals"][0]["difference_cents"], -100);
}

}  // namespace
}  // namespace passwerk::settlement
