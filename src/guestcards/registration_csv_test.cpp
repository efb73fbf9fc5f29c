// The CSV batch as German Excel writes it: rows grouped into registrations,
// dates and yes/no in German, problems with line and column.
#include "guestcards/registration_csv.h"

#include <gtest/gtest.h>

#include "guestcards/registrations.h"

namespace passwerk::guestcards {
namespace {

const char* kHeader =
    "\xEF\xBB\xBFMeldeschein;Unterkunft;Anreise;Abreise;Familienname;Vorname;Geburtsdatum;Staatsangehörigkeit;"
    "Geschlecht;Straße;PLZ;Ort;Land;Ermäßigungen;Gästekarte;Werbeeinwilligung\r\n";

TEST(RegistrationCsvTest, RowsOfOneRegistrationAreGrouped) {
  std::string file = std::string(kHeader) +
                     "1;acc-1;29.03.2026;03.04.2026;Zauberlehrling;Erika;01.05.1980;DE;w;Hauptstraße 5;91052;"
                     "Erlangen;DE;;ja;nein\r\n"
                     "1;acc-1;29.03.2026;03.04.2026;Zauberlehrling;Max;01.06.2015;DE;m;Hauptstraße 5;91052;"
                     "Erlangen;DE;;ja;nein\r\n"
                     "\r\n"
                     "2;acc-1;2026-07-01;2026-07-08;\"Müller, geb. Schmidt\";Anna;1950-01-01;de;d;Dorfweg 1;1067;"
                     "Dresden;DE;severe_disability_80 | companion_b;nein;ja\r\n";
  RegistrationCsv csv = ParseRegistrationCsv(file);
  ASSERT_TRUE(csv.problems.empty()) << csv.problems[0].line << " " << csv.problems[0].column << ": "
                                    << csv.problems[0].message;
  ASSERT_EQ(csv.registrations.size(), 2u);
  EXPECT_EQ(csv.guest_lines[0], (std::vector<int>{2, 3}));
  EXPECT_EQ(csv.guest_lines[1], (std::vector<int>{5}));
  const auto& first = csv.registrations[0];
  EXPECT_EQ(first["arrival"], "2026-03-29");
  EXPECT_EQ(first["guests"].size(), 2u);
  EXPECT_EQ(first["guests"][0]["gender"], "f");
  EXPECT_EQ(first["guests"][1]["birth_date"], "2015-06-01");
  const auto& second = csv.registrations[1];
  EXPECT_EQ(second["guests"][0]["family_name"], "Müller, geb. Schmidt");
  EXPECT_EQ(second["guests"][0]["address"]["postal_code"], "01067") << "the leading zero Excel dropped";
  EXPECT_EQ(second["guests"][0]["reductions"], (nlohmann::json{"severe_disability_80", "companion_b"}));
  EXPECT_EQ(second["guests"][0]["card"], false);
  EXPECT_EQ(second["marketing_consent"], true);
  // The rows are the API's request bodies: the same validation applies.
  EXPECT_TRUE(ParseRegistration(first).ok());
  auto lower_case_nationality = ParseRegistration(second);
  EXPECT_TRUE(lower_case_nationality.ok()) << lower_case_nationality.status().ToString();
}

TEST(RegistrationCsvTest, ProblemsNameLineAndColumn) {
  RegistrationCsv missing = ParseRegistrationCsv("Meldeschein;Anreise\n1;2026-01-01\n");
  ASSERT_FALSE(missing.problems.empty());
  EXPECT_EQ(missing.problems[0].line, 1);
  EXPECT_EQ(missing.problems[0].column, "Unterkunft");
  EXPECT_EQ(missing.problems[0].message, "column missing");

  std::string file = std::string(kHeader) +
                     "1;acc-1;29.03.2026;03.04.2026;A;B;01.05.1980;DE;w;S 1;91052;E;DE;;ja;nein\n"
                     "1;acc-1;29.03.2026;04.04.2026;A;C;31.02.1980;DE;w;S 1;91052;E;DE;;vielleicht;nein\n";
  RegistrationCsv csv = ParseRegistrationCsv(file);
  ASSERT_EQ(csv.problems.size(), 1u);
  EXPECT_EQ(csv.problems[0].line, 3);
  EXPECT_EQ(csv.problems[0].column, "Gästekarte");

  std::string bad_date = std::string(kHeader) +
                         "1;acc-1;29.03.2026;03.04.2026;A;B;01.05.1980;DE;w;S 1;91052;E;DE;;ja;nein\n"
                         "1;acc-1;29.03.2026;03.04.2026;A;C;31.02.1980;DE;w;S 1;91052;E;DE;;ja;nein\n";
  RegistrationCsv dated = ParseRegistrationCsv(bad_date);
  ASSERT_TRUE(dated.problems.empty());
  auto parsed = ParseRegistration(dated.registrations[0]);
  ASSERT_FALSE(parsed.ok());
  CsvProblem where = LocateProblem(dated, 0, parsed.status());
  EXPECT_EQ(where.line, 3);
  EXPECT_EQ(where.column, "Geburtsdatum");
  // A batch error names the registration.
  CsvProblem batch = LocateProblem(dated, 0, InvalidArgument("x", "registrations[0].guests[1].reductions[0]"));
  EXPECT_EQ(batch.line, 3);
  EXPECT_EQ(batch.column, "Ermäßigungen");

  std::string differs = std::string(kHeader) +
                        "1;acc-1;29.03.2026;03.04.2026;A;B;01.05.1980;DE;w;S 1;91052;E;DE;;ja;nein\n"
                        "1;acc-1;29.03.2026;05.04.2026;A;C;01.05.1980;DE;w;S 1;91052;E;DE;;ja;nein\n";
  RegistrationCsv mixed = ParseRegistrationCsv(differs);
  ASSERT_EQ(mixed.problems.size(), 1u);
  EXPECT_EQ(mixed.problems[0].column, "Abreise");
  EXPECT_EQ(ParseRegistrationCsv(std::string(kHeader)).problems[0].message, "the file lists no guests");
  EXPECT_EQ(ParseRegistrationCsv("").problems[0].line, 1);
}

}  // namespace
}  // namespace passwerk::guestcards
