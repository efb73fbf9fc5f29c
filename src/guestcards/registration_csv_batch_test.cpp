// A CSV batch of registrations on every backend: every bad cell named by line
// and column with nothing stored, a refusal while storing traced to its line,
// and all registrations of a good file in one go.
#include "guestcards/registration_csv_batch.h"

#include <gtest/gtest.h>

#include "guestcards/testing/guest_card_fixture.h"
#include "storage/testing/backends.h"

namespace passwerk::guestcards {
namespace {

class CsvBatchTest : public testing::GuestCardFixture {};

TEST_P(CsvBatchTest, RegisteredWholeOrNotAtAll) {
  const std::string header =
      "Meldeschein;Unterkunft;Anreise;Abreise;Familienname;Vorname;Geburtsdatum;Staatsangehörigkeit;Geschlecht;"
      "Straße;PLZ;Ort;Land\n";
  auto row = [&](const std::string& group, const std::string& given, const std::string& birth) {
    return group + ";" + landlord_a_.accommodation + ";29.03.2026;03.04.2026;Seemann;" + given + ";" + birth +
           ";DE;w;Hafenweg 2;24103;Kiel;DE\n";
  };
  std::vector<CsvProblem> problems;
  auto bad = RegisterCsvBatch(
      *service_, landlord_a_.actor,
      header + row("1", "Erika", "01.05.1980") + row("1", "Max", "") + row("2", "Ida", "31.02.1990"), problems);
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_EQ(problems[0].column, "Geburtsdatum");
  EXPECT_EQ(problems[1].line, 4);
  EXPECT_EQ(Count("spa_tax.registrations"), 0);

  // Another landlord's accommodation: refused while storing, traced to its line, nothing stored.
  auto foreign = RegisterCsvBatch(*service_, landlord_b_.actor, header + row("1", "Erika", "01.05.1980"), problems);
  EXPECT_EQ(foreign.status().code(), ErrorCode::kNotFound);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].line, 2);
  EXPECT_EQ(problems[0].column, "Unterkunft");
  EXPECT_EQ(Count("spa_tax.registrations"), 0);

  auto good = RegisterCsvBatch(
      *service_, landlord_a_.actor,
      header + row("1", "Erika", "01.05.1980") + row("1", "Max", "01.06.2015") + row("2", "Ida", "02.02.1990"),
      problems);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(good->registrations.size(), 2u);
  EXPECT_EQ(good->guest_lines, (std::vector<std::vector<int>>{{2, 3}, {4}}));
  EXPECT_EQ(good->registrations[0].total_cents, 1200);
  EXPECT_EQ(good->registrations[0].cards.size(), 2u);
  EXPECT_EQ(Count("spa_tax.registrations"), 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, CsvBatchTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::guestcards
