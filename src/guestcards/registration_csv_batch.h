// A CSV batch of registrations from the file to storage, shared by the API
// (POST /api/v1/registrations/csv) and the landlord's upload in the web form:
// parse the file, validate every registration like the JSON API, register all
// of them in one transaction or none, and trace every problem to its line and
// column.
#pragma once

#include <string_view>
#include <vector>

#include "accounts/accounts.h"
#include "core/status.h"
#include "guestcards/registration_csv.h"
#include "guestcards/registrations.h"

namespace passwerk::guestcards {

struct CsvBatchResult {
  std::vector<RegistrationResult> registrations;  // in file order
  std::vector<std::vector<int>> guest_lines;      // per registration, the line of each guest
};

// All registrations of the file, or none. A bad file is kInvalidArgument with
// every problem in `problems` (line 0: the file as a whole); a registration
// refused while storing (an accommodation not the actor's, a card not in
// stock, no tariff) is its own code with the one problem it names. Errors
// without a field (storage unavailable, permission) leave `problems` empty.
Result<CsvBatchResult> RegisterCsvBatch(RegistrationService& registrations, const accounts::Actor& actor,
                                        std::string_view bytes, std::vector<CsvProblem>& problems,
                                        storage::Idempotent<std::vector<RegistrationResult>>* idempotent = nullptr);

}  // namespace passwerk::guestcards
