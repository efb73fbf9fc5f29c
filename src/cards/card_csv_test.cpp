// Card holder CSV: the Excel dialects we read, every problem in one pass with
// the right line and column, limits, Excel-safe export and its round trip,
// and random input that must never crash.
#include "cards/card_csv.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace passwerk::cards {
namespace {

constexpr std::string_view kToday = "2024-06-15";
constexpr std::string_view kBom = "\xEF\xBB\xBF";

// Joins lines with `eol` (no line end after the last one).
std::string Csv(std::initializer_list<std::string_view> lines, std::string_view eol = "\n") {
  std::string out;
  bool first = true;
  for (std::string_view line : lines) {
    if (!first) out += eol;
    first = false;
    out += line;
  }
  return out;
}

// "line column" per problem, e.g. "3 Geburtsdatum", for compact expectations.
std::vector<std::string> Where(const CardImport& import) {
  std::vector<std::string> where;
  for (const CsvProblem& problem : import.problems) {
    where.push_back(std::to_string(problem.line) + " " + problem.column);
  }
  return where;
}

std::string Message(const CardImport& import, std::size_t index) {
  return index < import.problems.size() ? import.problems[index].message : "(no such problem)";
}

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// Parses a file with one holder whose birth date is `birth_date`.
CardImport ParseBirthDate(std::string_view birth_date) {
  return ParseCardCsv(Csv({"Nachname;Vorname;Geburtsdatum", "Muster;Erika;" + std::string(birth_date)}), kToday);
}

// ---------------------------------------------------------------- dialects

TEST(CardCsvParseTest, ReadsGermanExcelFileWithBomAndCrlf) {
  const std::string file = std::string(kBom) +
                           Csv({"Nachname;Vorname;Geburtsdatum;Straße;PLZ;Ort;Ermäßigung;Gültig ab;Kartennummer",
                                "Müller;Anna;01.05.1980;Hauptstraße 3;91052;Erlangen;Kind;01.07.2024;1234 5678 9012",
                                "Öztürk;Şebnem;1975-12-31;;;;;;"},
                               "\r\n") +
                           "\r\n";
  const CardImport import = ParseCardCsv(file, kToday);

  EXPECT_TRUE(import.problems.empty()) << Message(import, 0);
  EXPECT_EQ(import.data_lines, 2);
  ASSERT_EQ(import.rows.size(), 2u);
  const CardImportRow& anna = import.rows[0];
  EXPECT_EQ(anna.line, 2);
  EXPECT_EQ(anna.family_name, "Müller");
  EXPECT_EQ(anna.given_name, "Anna");
  EXPECT_EQ(anna.birth_date, "1980-05-01");
  EXPECT_EQ(anna.street, "Hauptstraße 3");
  EXPECT_EQ(anna.postal_code, "91052");
  EXPECT_EQ(anna.city, "Erlangen");
  EXPECT_EQ(anna.discount_class, "Kind");
  EXPECT_EQ(anna.valid_from, "2024-07-01");
  EXPECT_EQ(anna.card_number, "1234 5678 9012");
  const CardImportRow& sebnem = import.rows[1];
  EXPECT_EQ(sebnem.line, 3);
  EXPECT_EQ(sebnem.family_name, "Öztürk");
  EXPECT_EQ(sebnem.given_name, "Şebnem");
  EXPECT_EQ(sebnem.birth_date, "1975-12-31");
  EXPECT_EQ(sebnem.street, "");
  EXPECT_EQ(sebnem.postal_code, "");
  EXPECT_EQ(sebnem.valid_from, "");
  EXPECT_EQ(sebnem.card_number, "");
}

TEST(CardCsvParseTest, ReadsCommaSeparatedFile) {
  // The comma inside the quoted header name does not count; commas still win 2:0.
  const CardImport import = ParseCardCsv(
      Csv({"family_name,given_name,\"birth_date\"", "Doe,Jane,1990-12-24", "\"Roe; Smith\",John,24.12.1990"}), kToday);
  EXPECT_TRUE(import.problems.empty()) << Message(import, 0);
  ASSERT_EQ(import.rows.size(), 2u);
  EXPECT_EQ(import.rows[0].family_name, "Doe");
  EXPECT_EQ(import.rows[1].family_name, "Roe; Smith");
  EXPECT_EQ(import.rows[1].birth_date, "1990-12-24");
}

TEST(CardCsvParseTest, SemicolonWinsATieAndQuotedCommasDoNotCount) {
  // One of each outside quotes: semicolon. Were the comma chosen, there would be two columns.
  const CardImport import = ParseCardCsv(Csv({"Nachname;Vorname,Geburtsdatum"}), kToday);
  EXPECT_EQ(Where(import), (std::vector<std::string>{"1 Vorname,Geburtsdatum", "1 Vorname", "1 Geburtsdatum"}));

  const CardImport quoted = ParseCardCsv(Csv({"\"Nachname,,,\";Vorname;Geburtsdatum", "A;B;01.01.2000"}), kToday);
  EXPECT_EQ(Where(quoted), (std::vector<std::string>{"1 Nachname,,,", "1 Nachname"}));
}

TEST(CardCsvParseTest, QuotedFieldsHoldSeparatorsQuotesAndLineBreaks) {
  const std::string file = Csv({
      "Nachname;Vorname;Geburtsdatum;Straße;Ort",                              // line 1
      "\"Müller; Lüdenscheidt\";\"Anna \"\"Anni\"\"\";01.05.1980;\"Hof 1\r\n"  // line 2
      "Hinterhaus\r\n"                                                         // line 3
      "2. Stock\";Erlangen",                                                   // line 4
      "Schmidt;Jan;02.03.1975; \"Am Ring 5\" ;\"Nürnberg\"",                   // line 5
      "Weber;Eva;31.02.2020;;",                                                // line 6
  });
  const CardImport import = ParseCardCsv(file, kToday);

  EXPECT_EQ(Where(import), (std::vector<std::string>{"6 Geburtsdatum"}));
  ASSERT_EQ(import.rows.size(), 2u);
  EXPECT_EQ(import.rows[0].line, 2);
  EXPECT_EQ(import.rows[0].family_name, "Müller; Lüdenscheidt");
  EXPECT_EQ(import.rows[0].given_name, "Anna \"Anni\"");
  EXPECT_EQ(import.rows[0].street, "Hof 1\nHinterhaus\n2. Stock");
  EXPECT_EQ(import.rows[0].city, "Erlangen");
  EXPECT_EQ(import.rows[1].line, 5);
  EXPECT_EQ(import.rows[1].street, "Am Ring 5");
  EXPECT_EQ(import.rows[1].city, "Nürnberg");
  EXPECT_EQ(import.data_lines, 3);
}

TEST(CardCsvParseTest, AcceptsAnyLineEnd) {
  for (std::string_view eol : {"\n", "\r\n", "\r"}) {
    const CardImport import = ParseCardCsv(
        Csv({"Nachname;Vorname;Geburtsdatum", "A;B;01.01.2000", "", "C;D;32.01.2000", "E;F;02.01.2000"}, eol), kToday);
    EXPECT_EQ(Where(import), (std::vector<std::string>{"4 Geburtsdatum"}))
        << "line end " << static_cast<int>(eol.back());
    ASSERT_EQ(import.rows.size(), 2u);
    EXPECT_EQ(import.rows[1].line, 5);
  }
  // Mixed, as after copy and paste between systems.
  const CardImport mixed =
      ParseCardCsv("Nachname;Vorname;Geburtsdatum\r\nA;B;01.01.2000\rC;D;x\nE;F;02.01.2000", kToday);
  EXPECT_EQ(Where(mixed), (std::vector<std::string>{"3 Geburtsdatum"}));
  EXPECT_EQ(mixed.rows.size(), 2u);
}

TEST(CardCsvParseTest, SkipsBlankLinesButKeepsCountingThem) {
  const CardImport import = ParseCardCsv(Csv({
                                             "",                                // 1
                                             "Nachname;Vorname;Geburtsdatum;",  // 2: header
                                             ";;;",                             // 3: an empty Excel row
                                             "A;B;01.01.2000;",                 // 4
                                             "   ",                             // 5
                                             "\"\";;",                          // 6
                                             "C;D;02.01.2000;;;;",              // 7: trailing separators
                                             "",                                // 8
                                         }),
                                         kToday);
  EXPECT_TRUE(import.problems.empty()) << Message(import, 0);
  EXPECT_EQ(import.data_lines, 2);
  ASSERT_EQ(import.rows.size(), 2u);
  EXPECT_EQ(import.rows[0].line, 4);
  EXPECT_EQ(import.rows[1].line, 7);
}

TEST(CardCsvParseTest, MatchesGermanAndEnglishHeadersWhateverTheCase) {
  const std::string row = "Muster;Erika;01.05.1980;Weg 1;91052;Fürth;A;2024-07-01;1234";
  for (std::string_view header : {
           "Nachname;Vorname;Geburtsdatum;Straße;PLZ;Ort;Ermäßigung;Gültig ab;Kartennummer",
           "  NACHNAME ; vorname;GEBURTSDATUM;STRASSE;plz;Wohnort;Ermaessigung;GUELTIG  AB;kartennummer",
           "family_name;Given_Name;birth date;STREET;postal-code;City;discount_class;Valid From;card_number",
           "Nachname;Vorname;Geburtsdatum;STRAẞE;PLZ;ORT;ERMÄSSIGUNG;GÜLTIG AB;Kartennummer",
           "Nachname;Vorname;Geburtsdatum;Strasse;PLZ;Ort;Rabattklasse;Gueltig ab;Kartennummer",
           // macOS writes umlauts decomposed: "u" followed by a combining diaeresis.
           "Nachname;Vorname;Geburtsdatum;Strasse;PLZ;Ort;Ermäßigung;Gu\xCC\x88ltig ab;Kartennummer",
       }) {
    SCOPED_TRACE(header);
    const CardImport import = ParseCardCsv(Csv({header, row}), kToday);
    EXPECT_TRUE(import.problems.empty()) << Message(import, 0);
    ASSERT_EQ(import.rows.size(), 1u);
    EXPECT_EQ(import.rows[0].street, "Weg 1");
    EXPECT_EQ(import.rows[0].postal_code, "91052");
    EXPECT_EQ(import.rows[0].city, "Fürth");
    EXPECT_EQ(import.rows[0].discount_class, "A");
    EXPECT_EQ(import.rows[0].valid_from, "2024-07-01");
    EXPECT_EQ(import.rows[0].card_number, "1234");
  }
}

// ---------------------------------------------------------------- fields

TEST(CardCsvParseTest, AcceptsGermanAndIsoDates) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"01.05.1980", "1980-05-01"}, {"1.5.1980", "1980-05-01"},   {"  01.05.1980  ", "1980-05-01"},
      {"1980-05-01", "1980-05-01"}, {"29.02.2020", "2020-02-29"}, {"29.02.2000", "2000-02-29"},
      {"01.01.1900", "1900-01-01"}, {"15.06.2024", "2024-06-15"},  // born today
  };
  for (const auto& [input, iso] : cases) {
    const CardImport import = ParseBirthDate(input);
    ASSERT_EQ(import.rows.size(), 1u) << input << ": " << Message(import, 0);
    EXPECT_EQ(import.rows[0].birth_date, iso);
  }
}

TEST(CardCsvParseTest, RejectsBadDatesWithAReason) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"31.02.2020", "is not a real calendar date"},
      {"29.02.2019", "is not a real calendar date"},
      {"29.02.1900", "is not a real calendar date"},
      {"00.01.1980", "is not a real calendar date"},
      {"01.13.1980", "is not a real calendar date"},
      {"1980-02-30", "is not a real calendar date"},
      {"31.12.1899", "is before 1900"},
      {"16.06.2024", "is in the future"},
      {"01.05.80", "two-digit year"},
      {"29342", "is not a date"},  // Excel's serial number for 1980-05-01
      {"1980/05/01", "is not a date"},
      {"01.05.1980 00:00", "is not a date"},
      {"1.5.", "is not a date"},
      {"01.05.01980", "is not a date"},
      {"", "required"},
  };
  for (const auto& [input, reason] : cases) {
    const CardImport import = ParseBirthDate(input);
    EXPECT_TRUE(import.rows.empty()) << input;
    EXPECT_EQ(Where(import), (std::vector<std::string>{"2 Geburtsdatum"})) << input;
    EXPECT_TRUE(Contains(Message(import, 0), reason)) << input << ": " << Message(import, 0);
  }
}

TEST(CardCsvParseTest, ChecksValidFromAsADate) {
  const CardImport import = ParseCardCsv(
      Csv({"Nachname;Vorname;Geburtsdatum;Gültig ab", "A;B;01.01.2000;1.7.2025", "C;D;01.01.2000;31.06.2025"}), kToday);
  EXPECT_EQ(Where(import), (std::vector<std::string>{"3 Gültig ab"}));
  ASSERT_EQ(import.rows.size(), 1u);
  EXPECT_EQ(import.rows[0].valid_from, "2025-07-01");  // validity may start in the future
}

TEST(CardCsvParseTest, ReportsEveryBadFieldInOnePass) {
  const std::string too_long(101, 'x');
  const std::string file = Csv({
      "nachname;Vorname;GEBURTSDATUM;PLZ;Kartennummer",  // 1: names as written appear in problems
      "Müller;Anna;31.02.2020;91052;",                   // 2: no such date
      "Schmidt;Jan;01.01.2030;91052;",                   // 3: born in the future
      "Weber;Eva;01.01.1980;D-91052;",                   // 4: bad postal code
      ";Karl;01.01.1980;;",                              // 5: family name missing
      too_long + ";Otto;01.01.1980;;",                   // 6: family name too long
      "Fischer;Lena;01.01.1980;91052;;surplus",          // 7: more values than columns
      "Wagner;;45.45.2000;ABCDE;1,23457E+11",            // 8: four bad fields at once
      "Becker;Paul;01.01.1980;91052;1234 5678 9012",     // 9: fine
  });
  const CardImport import = ParseCardCsv(file, kToday);

  EXPECT_EQ(Where(import), (std::vector<std::string>{
                               "2 GEBURTSDATUM",
                               "3 GEBURTSDATUM",
                               "4 PLZ",
                               "5 nachname",
                               "6 nachname",
                               "7 ",
                               "8 Vorname",
                               "8 GEBURTSDATUM",
                               "8 PLZ",
                               "8 Kartennummer",
                           }));
  EXPECT_EQ(Message(import, 0), "'31.02.2020' is not a real calendar date");
  EXPECT_EQ(Message(import, 1), "'01.01.2030' is in the future");
  EXPECT_EQ(Message(import, 2), "'D-91052' is not a German postal code (5 digits)");
  EXPECT_EQ(Message(import, 3), "required, but empty");
  EXPECT_EQ(Message(import, 4), "too long: 101 characters, at most 100");
  EXPECT_TRUE(Contains(Message(import, 5), "more values than the header names columns"));
  EXPECT_TRUE(Contains(Message(import, 9), "Excel turned into a number"));
  EXPECT_EQ(import.data_lines, 8);
  ASSERT_EQ(import.rows.size(), 1u);
  EXPECT_EQ(import.rows[0].line, 9);
  EXPECT_EQ(import.rows[0].family_name, "Becker");
}

TEST(CardCsvParseTest, ShortLinesLeaveTheMissingFieldsEmpty) {
  const CardImport import =
      ParseCardCsv(Csv({"Nachname;Vorname;Geburtsdatum;Ort", "A;B;01.01.2000", "C;D", "E"}), kToday);
  EXPECT_EQ(Where(import), (std::vector<std::string>{"3 Geburtsdatum", "4 Vorname", "4 Geburtsdatum"}));
  ASSERT_EQ(import.rows.size(), 1u);
  EXPECT_EQ(import.rows[0].city, "");
}

TEST(CardCsvParseTest, NamesAreCountedInCharactersAndMayNotHoldLineBreaks) {
  std::string hundred_umlauts;
  for (int i = 0; i < 100; ++i) hundred_umlauts += "Ä";
  const CardImport import = ParseCardCsv(
      Csv({"Nachname;Vorname;Geburtsdatum", hundred_umlauts + ";B;01.01.2000", hundred_umlauts + "Ä;B;01.01.2000",
           "\"Anna\nMaria\";B;01.01.2000",  // lines 4-5
           "C;\"Tab\there\";01.01.2000"}),
      kToday);
  EXPECT_EQ(Where(import), (std::vector<std::string>{"3 Nachname", "4 Nachname", "6 Vorname"}));
  EXPECT_TRUE(Contains(Message(import, 1), "line break"));
  ASSERT_EQ(import.rows.size(), 1u);
  EXPECT_EQ(import.rows[0].family_name, hundred_umlauts);
}

TEST(CardCsvParseTest, TrimsSpacesAndNoBreakSpaces) {
  const CardImport import =
      ParseCardCsv(Csv({"Nachname;Vorname;Geburtsdatum", " \xC2\xA0Müller\t ;  Anna ;01.01.2000"}), kToday);
  ASSERT_EQ(import.rows.size(), 1u) << Message(import, 0);
  EXPECT_EQ(import.rows[0].family_name, "Müller");
  EXPECT_EQ(import.rows[0].given_name, "Anna");
}

TEST(CardCsvParseTest, PostalCodeGetsBackTheLeadingZeroExcelDropped) {
  const CardImport import = ParseCardCsv(
      Csv({"Nachname;Vorname;Geburtsdatum;PLZ", "A;B;01.01.2000;1067", "C;D;01.01.2000;123", "E;F;01.01.2000;910521"}),
      kToday);
  EXPECT_EQ(Where(import), (std::vector<std::string>{"3 PLZ", "4 PLZ"}));
  ASSERT_EQ(import.rows.size(), 1u);
  EXPECT_EQ(import.rows[0].postal_code, "01067");  // Dresden
}

TEST(CardCsvParseTest, CardNumberIsKeptAsGiven) {
  const CardImport import =
      ParseCardCsv(Csv({"Nachname;Vorname;Geburtsdatum;Kartennummer", "A;B;01.01.2000; 1234-5678-9012 ",
                        "C;D;01.01.2000;123456789012", "E;F;01.01.2000;1234 5678 901X", "G;H;01.01.2000;- -"}),
                   kToday);
  EXPECT_EQ(Where(import), (std::vector<std::string>{"4 Kartennummer", "5 Kartennummer"}));
  EXPECT_TRUE(Contains(Message(import, 0), "digits, spaces and hyphens only"));
  ASSERT_EQ(import.rows.size(), 2u);
  EXPECT_EQ(import.rows[0].card_number, "1234-5678-9012");
  EXPECT_EQ(import.rows[1].card_number, "123456789012");
}

TEST(CardCsvParseTest, FormulaLikeNamesAreAcceptedAsData) {
  const CardImport import = ParseCardCsv(
      Csv({"Nachname;Vorname;Geburtsdatum", "=HYPERLINK(\"http://x\");+49;01.01.2000", "-Minus;@SUM(A1);01.01.2000",
           // The "'" the export adds before a formula goes away again;
           // other apostrophes stay.
           "'=1+1;'t Hooft;01.01.2000"}),
      kToday);
  EXPECT_TRUE(import.problems.empty()) << Message(import, 0);
  ASSERT_EQ(import.rows.size(), 3u);
  EXPECT_EQ(import.rows[0].family_name, "=HYPERLINK(\"http://x\")");
  EXPECT_EQ(import.rows[0].given_name, "+49");
  EXPECT_EQ(import.rows[1].family_name, "-Minus");
  EXPECT_EQ(import.rows[1].given_name, "@SUM(A1)");
  EXPECT_EQ(import.rows[2].family_name, "=1+1");
  EXPECT_EQ(import.rows[2].given_name, "'t Hooft");
}

// ---------------------------------------------------------------- header

TEST(CardCsvParseTest, UnknownColumnIsNamedAndNoRowsAreImported) {
  // A misspelt optional column would otherwise drop its values without a word.
  const CardImport import = ParseCardCsv(
      Csv({"Nachname;Vorname;Geburtsdatum;Telefon;Kartenummer", "A;B;01.01.2000;0911 123;1234", "C;D;31.02.2000;;"}),
      kToday);
  EXPECT_EQ(Where(import), (std::vector<std::string>{"1 Telefon", "1 Kartenummer", "3 Geburtsdatum"}));
  EXPECT_TRUE(Contains(Message(import, 0), "unknown column 'Telefon'"));
  EXPECT_TRUE(Contains(Message(import, 0), "Kartennummer"));  // the list of known names
  EXPECT_TRUE(import.rows.empty());
  EXPECT_EQ(import.data_lines, 2);
}

TEST(CardCsvParseTest, MissingRequiredColumnsAreEachReported) {
  const CardImport import = ParseCardCsv(Csv({"Name;Geburtsdatum", "Anna Müller;01.01.2000"}), kToday);
  EXPECT_EQ(Where(import), (std::vector<std::string>{"1 Name", "1 Nachname", "1 Vorname"}));
  EXPECT_EQ(Message(import, 1), "required column 'Nachname' (or 'family_name') is missing");
  EXPECT_TRUE(import.rows.empty());
}

TEST(CardCsvParseTest, DuplicateColumnIsReported) {
  const CardImport import =
      ParseCardCsv(Csv({"Nachname;Vorname;Geburtsdatum;family_name", "A;B;01.01.2000;C"}), kToday);
  EXPECT_EQ(Where(import), (std::vector<std::string>{"1 family_name"}));
  EXPECT_TRUE(Contains(Message(import, 0), "more than once"));
  EXPECT_TRUE(import.rows.empty());
}

TEST(CardCsvParseTest, ValuesUnderAColumnWithoutNameAreReported) {
  const CardImport import =
      ParseCardCsv(Csv({"Nachname;;Vorname;Geburtsdatum", "A;;B;01.01.2000", "C;note;D;01.01.2000"}), kToday);
  EXPECT_EQ(Where(import), (std::vector<std::string>{"3 "}));
  ASSERT_EQ(import.rows.size(), 1u);
  EXPECT_EQ(import.rows[0].given_name, "B");
}

// ---------------------------------------------------------------- broken files

TEST(CardCsvParseTest, InvalidUtf8IsReportedOnItsLine) {
  const std::string file = Csv({
      "Nachname;Vorname;Geburtsdatum",
      "M\xFCller;Anna;01.01.2000",      // 2: Latin-1, as Excel's plain "CSV" writes it
      "A;B;01.01.2000",                 // 3
      "\xC0\xAF;B;01.01.2000",          // 4: overlong "/"
      "\xED\xA0\x80;B;01.01.2000",      // 5: UTF-16 surrogate
      "\xF4\x90\x80\x80;B;01.01.2000",  // 6: past U+10FFFF
      "C;D;01.01.2000;\xE2\x82",        // 7: truncated sequence, even in a surplus field
  });
  const CardImport import = ParseCardCsv(file, kToday);
  EXPECT_EQ(Where(import), (std::vector<std::string>{"2 ", "4 ", "5 ", "6 ", "7 "}));
  EXPECT_TRUE(Contains(Message(import, 0), "CSV UTF-8"));
  ASSERT_EQ(import.rows.size(), 1u);
  EXPECT_EQ(import.rows[0].line, 3);
}

TEST(CardCsvParseTest, InvalidUtf8InTheHeaderStopsTheImport) {
  const CardImport latin1 = ParseCardCsv(Csv({"Nachname;Vorname;Geburtsdatum;Stra\xDF"
                                              "e",
                                              "A;B;01.01.2000;x"}),
                                         kToday);
  EXPECT_EQ(Where(latin1), (std::vector<std::string>{"1 "}));
  EXPECT_TRUE(latin1.rows.empty());
  // Excel's "Unicode text" is UTF-16.
  const CardImport utf16 = ParseCardCsv(std::string("\xFF\xFEN\0a\0m\0e\0", 10), kToday);
  EXPECT_EQ(Where(utf16), (std::vector<std::string>{"1 "}));
}

TEST(CardCsvParseTest, EmptyFileNeedsAHeader) {
  for (std::string_view file : {"", "\xEF\xBB\xBF", "\r\n\r\n", ";;;\n;;\n"}) {
    const CardImport import = ParseCardCsv(file, kToday);
    EXPECT_EQ(Where(import), (std::vector<std::string>{"1 "})) << "file of " << file.size() << " bytes";
    EXPECT_TRUE(Contains(Message(import, 0), "empty"));
    EXPECT_EQ(import.data_lines, 0);
  }
}

TEST(CardCsvParseTest, HeaderOnlyGivesNothingToImport) {
  const CardImport import = ParseCardCsv("\xEF\xBB\xBFNachname;Vorname;Geburtsdatum\r\n\r\n", kToday);
  EXPECT_TRUE(import.problems.empty()) << Message(import, 0);
  EXPECT_TRUE(import.rows.empty());
  EXPECT_EQ(import.data_lines, 0);
}

TEST(CardCsvParseTest, UnclosedQuoteIsReportedWhereTheRecordStarts) {
  const CardImport import = ParseCardCsv(
      Csv({"Nachname;Vorname;Geburtsdatum", "A;B;01.01.2000", "\"C;D;01.01.2000", "E;F;01.01.2000"}), kToday);
  EXPECT_EQ(Where(import), (std::vector<std::string>{"3 "}));
  EXPECT_TRUE(Contains(Message(import, 0), "not closed"));
  EXPECT_EQ(import.rows.size(), 1u);

  const CardImport header = ParseCardCsv("\"Nachname;Vorname;Geburtsdatum\nA;B;01.01.2000", kToday);
  EXPECT_EQ(Where(header), (std::vector<std::string>{"1 "}));
}

TEST(CardCsvParseTest, InvalidTodayIsAnInternalErrorNotACrash) {
  for (std::string_view today : {"", "15.06.2024", "2024-02-30", "soon"}) {
    const CardImport import = ParseCardCsv(Csv({"Nachname;Vorname;Geburtsdatum", "A;B;01.01.2000"}), today);
    EXPECT_EQ(Where(import), (std::vector<std::string>{"0 "})) << today;
    EXPECT_TRUE(import.rows.empty());
  }
}

// ---------------------------------------------------------------- limits

TEST(CardCsvParseTest, RefusesFilesOverTenMebibytes) {
  std::string file = "Nachname;Vorname;Geburtsdatum\n";
  file.resize(kCsvMaxBytes + 1, ' ');
  const CardImport import = ParseCardCsv(file, kToday);
  EXPECT_EQ(Where(import), (std::vector<std::string>{"0 "}));
  EXPECT_TRUE(Contains(Message(import, 0), "file too large"));
  EXPECT_TRUE(import.rows.empty());
}

TEST(CardCsvParseTest, ImportsAtMostOneHundredThousandDataLines) {
  std::string file = "Nachname;Vorname;Geburtsdatum\n";
  for (int i = 0; i < kCsvMaxDataLines; ++i) file += "A;B;01.01.2000\n";
  const CardImport at_limit = ParseCardCsv(file, kToday);
  EXPECT_TRUE(at_limit.problems.empty()) << Message(at_limit, 0);
  EXPECT_EQ(at_limit.data_lines, kCsvMaxDataLines);
  EXPECT_EQ(at_limit.rows.size(), static_cast<std::size_t>(kCsvMaxDataLines));

  file += "C;D;99.99.9999\n";  // one more, and bad: still only the one problem
  const CardImport over = ParseCardCsv(file, kToday);
  EXPECT_EQ(Where(over), (std::vector<std::string>{"0 "}));
  EXPECT_TRUE(Contains(Message(over, 0), "file too large"));
  EXPECT_TRUE(over.rows.empty());
}

TEST(CardCsvParseTest, ListsAtMostAThousandProblems) {
  std::string file = "Nachname;Vorname;Geburtsdatum\n";
  for (int i = 0; i < 1500; ++i) file += "A;B;31.02.2000\n";
  file += "C;D;01.01.2000\n";
  const CardImport import = ParseCardCsv(file, kToday);
  ASSERT_EQ(import.problems.size(), kCsvMaxProblems + 1);
  EXPECT_EQ(import.problems[kCsvMaxProblems - 1].line, static_cast<int>(kCsvMaxProblems) + 1);
  EXPECT_EQ(import.problems.back().line, 0);
  EXPECT_TRUE(Contains(import.problems.back().message, "more than 1000 problems"));
  // Lines past the cap are still checked: only the good one is a row.
  ASSERT_EQ(import.rows.size(), 1u);
  EXPECT_EQ(import.rows[0].line, 1502);
  EXPECT_EQ(import.data_lines, 1501);
}

// ---------------------------------------------------------------- export

TEST(CardCsvWriteTest, WritesWhatGermanExcelOpens) {
  const std::string csv = WriteCardCsv({{"1234 5678 9012", "0", "Erlangen-Pass", "Müller", "Anna", "1980-05-01", "Kind",
                                         "active", "2024-07-01", "2025-06-30"}});
  EXPECT_EQ(
      csv,
      "\xEF\xBB\xBF"
      "Kartennummer;Umlaufzähler;Programm;Nachname;Vorname;Geburtsdatum;Ermäßigung;Status;Gültig ab;Gültig bis\r\n"
      "1234 5678 9012;0;Erlangen-Pass;Müller;Anna;01.05.1980;Kind;active;01.07.2024;30.06.2025\r\n");
  EXPECT_EQ(
      WriteCardCsv({}),
      "\xEF\xBB\xBF"
      "Kartennummer;Umlaufzähler;Programm;Nachname;Vorname;Geburtsdatum;Ermäßigung;Status;Gültig ab;Gültig bis\r\n");
}

// The family name column of the single data line of an export.
std::string ExportedFamilyName(const std::string& family_name) {
  CardExportRow row;
  row.family_name = family_name;
  const std::string csv = WriteCardCsv({row});
  const std::size_t line_start = csv.find("\r\n") + 2;
  const std::size_t start = line_start + 3;  // past three empty fields and their ';'
  const std::size_t end = csv.rfind(";;;;;;");
  return csv.substr(start, end - start);
}

TEST(CardCsvWriteTest, DefusesFormulasAndQuotesWhereNeeded) {
  EXPECT_EQ(ExportedFamilyName("Müller"), "Müller");
  EXPECT_EQ(ExportedFamilyName("=HYPERLINK(\"http://evil\")"), "\"'=HYPERLINK(\"\"http://evil\"\")\"");
  EXPECT_EQ(ExportedFamilyName("+49 911"), "'+49 911");
  EXPECT_EQ(ExportedFamilyName("-2+3"), "'-2+3");
  EXPECT_EQ(ExportedFamilyName("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(ExportedFamilyName("\tcmd"), "'\tcmd");
  EXPECT_EQ(ExportedFamilyName("\rcmd"), "\"'\rcmd\"");
  EXPECT_EQ(ExportedFamilyName(" =1+1"), "' =1+1");  // spreadsheets may trim the space
  EXPECT_EQ(ExportedFamilyName("'=1+1"), "''=1+1");  // so the import's unescaping is exact
  EXPECT_EQ(ExportedFamilyName("Meier; Schulze"), "\"Meier; Schulze\"");
  EXPECT_EQ(ExportedFamilyName("Meier, Schulze"), "\"Meier, Schulze\"");
  EXPECT_EQ(ExportedFamilyName("Anna \"Anni\""), "\"Anna \"\"Anni\"\"\"");
  EXPECT_EQ(ExportedFamilyName("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(ExportedFamilyName("O'Brien"), "O'Brien");
}

TEST(CardCsvWriteTest, LeavesDatesThatAreNotIsoAlone) {
  CardExportRow row;
  row.birth_date = "unknown";
  row.valid_until = "";
  const std::string csv = WriteCardCsv({row});
  EXPECT_TRUE(Contains(csv, "\r\n;;;;;unknown;;;;\r\n")) << csv;
}

TEST(CardCsvWriteTest, ExportCanBeImportedAgain) {
  const std::vector<CardExportRow> exported = {
      {"1234 5678 9012", "0", "Erlangen-Pass", "Müller", "Anna", "1980-05-01", "Kind", "active", "2024-07-01",
       "2025-06-30"},
      {"2345-6789-0123", "3", "Erlangen-Pass", "Meier; Schulze", "Anna \"Anni\"", "2000-02-29", "", "blocked", "", ""},
      {"", "0", "Ehrenamt", "=HYPERLINK(\"http://evil\")", "-Minus", "1900-01-01", "@A", "active", "2024-06-15",
       "2026-06-14"},
      {"3456789012345", "1", "Sozialpass, Stufe 2", "'=already quoted", "'t Hooft", "2024-06-15", "+1", "active",
       "2024-01-01", "2024-12-31"},
  };
  const CardImport import = ParseCardCsv(WriteCardCsv(exported), kToday);

  EXPECT_TRUE(import.problems.empty()) << Message(import, 0);
  ASSERT_EQ(import.rows.size(), exported.size());
  for (std::size_t i = 0; i < exported.size(); ++i) {
    SCOPED_TRACE(i);
    const CardImportRow& row = import.rows[i];
    EXPECT_EQ(row.line, static_cast<int>(i) + 2);
    EXPECT_EQ(row.card_number, exported[i].card_number);
    EXPECT_EQ(row.family_name, exported[i].family_name);
    EXPECT_EQ(row.given_name, exported[i].given_name);
    EXPECT_EQ(row.birth_date, exported[i].birth_date);
    EXPECT_EQ(row.discount_class, exported[i].discount_class);
    EXPECT_EQ(row.valid_from, exported[i].valid_from);
  }
}

// ---------------------------------------------------------------- random input

// What must hold for any input whatsoever.
void ExpectSaneResult(const CardImport& import) {
  EXPECT_TRUE(!import.rows.empty() || !import.problems.empty() || import.data_lines == 0);
  EXPECT_LE(import.rows.size(), static_cast<std::size_t>(import.data_lines));
  std::set<int> problem_lines;
  for (const CsvProblem& problem : import.problems) {
    EXPECT_GE(problem.line, 0);
    EXPECT_FALSE(problem.message.empty());
    problem_lines.insert(problem.line);
  }
  int previous_line = 1;
  for (const CardImportRow& row : import.rows) {
    EXPECT_GT(row.line, previous_line);
    previous_line = row.line;
    EXPECT_EQ(problem_lines.count(row.line), 0u) << "line " << row.line << " is both a row and a problem";
    EXPECT_FALSE(row.family_name.empty());
    EXPECT_FALSE(row.given_name.empty());
    ASSERT_EQ(row.birth_date.size(), 10u);
    EXPECT_GE(row.birth_date, "1900-01-01");
    EXPECT_LE(row.birth_date, kToday);
    EXPECT_TRUE(row.postal_code.empty() || row.postal_code.size() == 5u);
  }
}

// For a file with a good header on line 1 (and fewer problems than the cap):
// every data line ends up either as a row or with at least one problem.
void ExpectEveryDataLineAccountedFor(const CardImport& import) {
  std::set<int> problem_lines;
  for (const CsvProblem& problem : import.problems) problem_lines.insert(problem.line);
  EXPECT_EQ(problem_lines.count(0), 0u);
  EXPECT_EQ(problem_lines.count(1), 0u);
  EXPECT_EQ(import.rows.size() + problem_lines.size(), static_cast<std::size_t>(import.data_lines));
}

std::string RandomBytes(std::mt19937& random) {
  std::uniform_int_distribution<int> length(0, 300);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string bytes(static_cast<std::size_t>(length(random)), '\0');
  for (char& c : bytes) c = static_cast<char>(byte(random));
  return bytes;
}

TEST(CardCsvFuzzTest, RandomBytesNeverCrash) {
  std::mt19937 random(20240615);
  for (int i = 0; i < 2000; ++i) {
    const std::string bytes = RandomBytes(random);
    const CardImport import = ParseCardCsv(bytes, kToday);
    ExpectSaneResult(import);
    // The same bytes under a good header.
    const CardImport with_header = ParseCardCsv("Nachname;Vorname;Geburtsdatum\n" + bytes, kToday);
    ExpectSaneResult(with_header);
    ExpectEveryDataLineAccountedFor(with_header);
    if (HasFailure()) {
      ADD_FAILURE() << "input #" << i << " of " << bytes.size() << " bytes";
      return;
    }
  }
}

// Random files in roughly the expected shape: mostly plausible values per
// column (so that many lines are accepted), mixed with junk that reaches every
// rule — separators, quotes, line ends, bad dates, formulas, broken UTF-8.
std::string RandomCsvLikeBody(std::mt19937& random) {
  static const std::vector<std::vector<std::string>> kPlausible = {
      {"Müller", "=1+1", "'-x", "O'Brien", "Anna \"Anni\"", "ẞ", " Weber ", "-", "''=x", "' =x"},
      {"Anna", "+49", "@SUM(A1)", "Meier; Schulze", "Li,Na", "\xE2\x80\xA8"},
      {"01.05.1980", "1.5.1980", "1980-05-01", "29.02.2020", "15.06.2024", " 01.01.1900 "},
      {"91052", "1067", ""},
      {"", "Kind", "-", "a,b", "\"quoted\""},
      {"", "01.07.2024", "2030-01-01"},
      {"", "1234 5678 9012", "-1-", "'-1"},
  };
  static const std::vector<std::string> kJunk = {
      ";",
      ",",
      "\"",
      "\"\"",
      "\n",
      "\r\n",
      "\r",
      " ",
      "\t",
      "x",
      "31.02.2020",
      "16.06.2024",
      "01.05.80",
      "'",
      "=",
      "@",
      "1,2E+11",
      "\xFF",
      "\xC3",
      "\xC2\xA0",
      std::string(1, '\0'),
      std::string(101, 'y'),
  };
  static const std::vector<std::string> kLineEnds = {"\n", "\r\n", "\r"};
  auto percent = [&random](int chance) { return std::uniform_int_distribution<int>(0, 99)(random) < chance; };
  auto number = [&random](int low, int high) { return std::uniform_int_distribution<int>(low, high)(random); };
  auto pick = [&number](const std::vector<std::string>& from) {
    return from[static_cast<std::size_t>(number(0, static_cast<int>(from.size()) - 1))];
  };

  std::string body;
  for (int line = number(0, 8); line > 0; --line) {
    const std::size_t fields = percent(80) ? kPlausible.size() : static_cast<std::size_t>(number(0, 9));
    for (std::size_t f = 0; f < fields; ++f) {
      if (f > 0) body += percent(97) ? ";" : ",";
      std::string value;
      if (f < kPlausible.size() && percent(85)) {
        value = pick(kPlausible[f]);
      } else {
        for (int n = number(1, 4); n > 0; --n) value += pick(kJunk);
      }
      if (percent(95) && (percent(15) || value.find_first_of(";,\"\r\n") != std::string::npos)) {
        std::string quoted = "\"";
        for (char c : value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        value = quoted + "\"";
      }
      body += value;
    }
    body += pick(kLineEnds);
  }
  return body;
}

TEST(CardCsvFuzzTest, RandomCsvLikeInputsAreFullyAccountedFor) {
  const std::string header = "Nachname;Vorname;Geburtsdatum;PLZ;Ermäßigung;Gültig ab;Kartennummer\n";
  std::mt19937 random(42);
  int rows_seen = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::string body = RandomCsvLikeBody(random);
    ExpectSaneResult(ParseCardCsv(body, kToday));

    const CardImport import = ParseCardCsv(header + body, kToday);
    ExpectSaneResult(import);
    ExpectEveryDataLineAccountedFor(import);

    // Whatever was accepted survives an export and a second import unchanged.
    std::vector<CardExportRow> exported;
    for (const CardImportRow& row : import.rows) {
      exported.push_back({row.card_number, "0", "", row.family_name, row.given_name, row.birth_date, row.discount_class,
                          "active", row.valid_from, ""});
    }
    const CardImport again = ParseCardCsv(WriteCardCsv(exported), kToday);
    EXPECT_TRUE(again.problems.empty()) << Message(again, 0);
    EXPECT_EQ(again.rows.size(), import.rows.size());
    for (std::size_t r = 0; r < std::min(again.rows.size(), import.rows.size()); ++r) {
      EXPECT_EQ(again.rows[r].family_name, import.rows[r].family_name);
      EXPECT_EQ(again.rows[r].given_name, import.rows[r].given_name);
      EXPECT_EQ(again.rows[r].birth_date, import.rows[r].birth_date);
      EXPECT_EQ(again.rows[r].discount_class, import.rows[r].discount_class);
      EXPECT_EQ(again.rows[r].valid_from, import.rows[r].valid_from);
      EXPECT_EQ(again.rows[r].card_number, import.rows[r].card_number);
    }
    rows_seen += static_cast<int>(import.rows.size());
    if (HasFailure()) {
      ADD_FAILURE() << "input #" << i << ": " << testing::PrintToString(body);
      return;
    }
  }
  EXPECT_GT(rows_seen, 1000) << "the generator should also produce acceptable lines";
}

}  // namespace
}  // namespace passwerk::cards
