// The CSV dialect of German spreadsheets: separator detection, quotes, line
// breaks inside quotes, line numbers, field limits, and the header and date
// normalisation the card and registration imports share.
#include "core/csv.h"

#include <gtest/gtest.h>

namespace passwerk::csv {
namespace {

std::vector<Record> ReadAll(std::string_view text, std::size_t max_fields = 10) {
  RecordReader reader(text, DetectSeparator(text));
  std::vector<Record> records;
  Record record;
  while (reader.Next(max_fields, record)) records.push_back(record);
  return records;
}

using Fields = std::vector<std::string>;

TEST(CsvTest, SplitsRecordsOnCrLfOrLfAndNumbersTheirLines) {
  auto records = ReadAll("a;b\r\nc;d\ne;f");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].fields, (Fields{"a", "b"}));
  EXPECT_EQ(records[0].line, 1);
  EXPECT_EQ(records[0].raw, "a;b\r\n");
  EXPECT_EQ(records[1].fields, (Fields{"c", "d"}));
  EXPECT_EQ(records[1].line, 2);
  EXPECT_EQ(records[2].fields, (Fields{"e", "f"})) << "the last record needs no line break";
  EXPECT_EQ(records[2].raw, "e;f");
  EXPECT_EQ(records[2].line, 3);
  EXPECT_TRUE(ReadAll("").empty());
}

TEST(CsvTest, QuotesHoldSeparatorsEscapedQuotesAndLineBreaks) {
  auto records = ReadAll("\"Hafenweg 2; Hinterhaus\";\"sagte \"\"Moin\"\"\"\n\"Zeile 1\r\nZeile 2\";x\nnext;y\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].fields, (Fields{"Hafenweg 2; Hinterhaus", "sagte \"Moin\""}));
  EXPECT_EQ(records[1].fields, (Fields{"Zeile 1\nZeile 2", "x"})) << "CRLF inside quotes becomes one line feed";
  EXPECT_EQ(records[1].line, 2);
  EXPECT_EQ(records[2].line, 4) << "the line break inside quotes counts";
  EXPECT_EQ(records[2].fields, (Fields{"next", "y"}));
}

TEST(CsvTest, QuotesOnlyOpenAtTheStartOfAField) {
  auto records = ReadAll("  \"quoted\";ab\"c;\"\"\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].fields, (Fields{"quoted", "ab\"c", ""}))
      << "spaces before an opening quote go; a quote inside a bare field is text";
}

TEST(CsvTest, AnUnterminatedQuoteIsReportedNotSwallowedSilently) {
  auto records = ReadAll("a;\"never closed\nb;c\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(records[0].unterminated_quote);
  EXPECT_EQ(records[0].fields, (Fields{"a", "never closed\nb;c\n"}));
  EXPECT_FALSE(IsBlank(records[0]));
}

TEST(CsvTest, FieldsPastTheLimitAreDroppedButNoticedWhenNotBlank) {
  auto records = ReadAll("a;b;c\nd;e; \nf;g;;\n", 2);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].fields, (Fields{"a", "b"}));
  EXPECT_TRUE(records[0].has_extra_content);
  EXPECT_EQ(records[1].fields, (Fields{"d", "e"}));
  EXPECT_FALSE(records[1].has_extra_content) << "a blank cell past the limit is no content";
  EXPECT_FALSE(records[2].has_extra_content);
}

TEST(CsvTest, BlankRecordsAreEmptyOrSpacesOnly) {
  auto records = ReadAll("a;b\n\n ; \t\n;x\n");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_FALSE(IsBlank(records[0]));
  EXPECT_TRUE(IsBlank(records[1]));
  EXPECT_TRUE(IsBlank(records[2]));
  EXPECT_FALSE(IsBlank(records[3]));
  Record extra;
  extra.fields = {""};
  extra.has_extra_content = true;
  EXPECT_FALSE(IsBlank(extra));
}

TEST(CsvTest, SeparatorIsDetectedOutsideQuotesOnTheFirstLineWithContent) {
  EXPECT_EQ(DetectSeparator("a;b;c\n1,5;2,5;3\n"), ';');
  EXPECT_EQ(DetectSeparator("a,b,c\n"), ',');
  EXPECT_EQ(DetectSeparator("a;b,c\n"), ';') << "a tie goes to ';'";
  EXPECT_EQ(DetectSeparator("\"a;b;c\",d,e\n"), ',') << "separators in quotes do not count";
  EXPECT_EQ(DetectSeparator(";;;\r\na,b\n"), ',') << "a line of separators only is skipped";
  EXPECT_EQ(DetectSeparator(""), ';');
  EXPECT_EQ(DetectSeparator("name\na,b,c\n"), ';') << "only the first line with content counts";
}

TEST(CsvTest, TrimRemovesSpacesTabsAndNoBreakSpaces) {
  EXPECT_EQ(Trim("  x \t"), "x");
  EXPECT_EQ(Trim("\xC2\xA0 Kiel\xC2\xA0"), "Kiel");
  EXPECT_EQ(Trim("a b"), "a b");
  EXPECT_EQ(Trim(" \t\xC2\xA0"), "");
  EXPECT_EQ(Trim("\xC3\xA4"), "\xC3\xA4") << "other UTF-8 stays whole";
}

TEST(CsvTest, HeadersMatchWhateverTheSpelling) {
  EXPECT_EQ(NormalizeHeader("Staatsangehörigkeit"), "staatsangehoerigkeit");
  EXPECT_EQ(NormalizeHeader("staatsangehoerigkeit"), "staatsangehoerigkeit");
  EXPECT_EQ(NormalizeHeader(" Staats-Angehörigkeit "), "staatsangehoerigkeit");
  EXPECT_EQ(NormalizeHeader("Gültig ab"), "gueltigab");
  EXPECT_EQ(NormalizeHeader("Straße"), "strasse");
  EXPECT_EQ(NormalizeHeader("ÄÖÜ"), "aeoeue");
  EXPECT_EQ(NormalizeHeader("card_number"), "cardnumber");
  EXPECT_EQ(NormalizeHeader("Geb.-Datum"), "gebdatum");
}

TEST(CsvTest, GermanDatesBecomeIsoAndAnythingElseStaysForTheValidation) {
  EXPECT_EQ(IsoFromGermanDate("01.03.2026"), "2026-03-01");
  EXPECT_EQ(IsoFromGermanDate("29.02.2024"), "2024-02-29");
  EXPECT_EQ(IsoFromGermanDate("31.02.2026"), "31.02.2026");
  EXPECT_EQ(IsoFromGermanDate("1.3.2026"), "1.3.2026");
  EXPECT_EQ(IsoFromGermanDate("2026-03-01"), "2026-03-01");
  EXPECT_EQ(IsoFromGermanDate(""), "");
}

}  // namespace
}  // namespace passwerk::csv
