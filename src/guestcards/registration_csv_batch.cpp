// From a CSV file to stored registrations (registration_csv_batch.h).
#include "guestcards/registration_csv_batch.h"

#include <string>
#include <utility>

namespace passwerk::guestcards {

// The API answers at most this many problems; a file with more is wrong throughout.
constexpr size_t kMaxProblems = 1000;

Result<CsvBatchResult> RegisterCsvBatch(RegistrationService& registrations, const accounts::Actor& actor,
                                        std::string_view bytes, std::vector<CsvProblem>& problems,
                                        storage::Idempotent<std::vector<RegistrationResult>>* idempotent) {
  RegistrationCsv csv = ParseRegistrationCsv(bytes);
  std::vector<RegistrationInput> inputs;
  for (size_t i = 0; i < csv.registrations.size() && csv.problems.size() < kMaxProblems; ++i) {
    auto input = ParseRegistration(csv.registrations[i]);
    if (input.ok()) {
      inputs.push_back(std::move(*input));
    } else {
      csv.problems.push_back(LocateProblem(csv, i, input.status()));
    }
  }
  problems = csv.problems;
  if (!problems.empty()) {
    return InvalidArgument(std::to_string(problems.size()) + " problem(s) in the file; nothing registered");
  }
  auto results = registrations.RegisterAll(actor, inputs, idempotent);
  if (!results.ok()) {
    if (!results.status().field().empty()) problems.push_back(LocateProblem(csv, 0, results.status()));
    return results.status();
  }
  return CsvBatchResult{std::move(*results), std::move(csv.guest_lines)};
}

}  // namespace passwerk::guestcards
