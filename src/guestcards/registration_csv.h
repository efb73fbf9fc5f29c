// Registrations as a CSV batch, the way a landlord exports them from a
// spreadsheet: one row per guest; the rows with the same value in
// "Meldeschein" form one registration. German Excel's dialect (';' or ',',
// UTF-8 with or without BOM, dates as dd.mm.yyyy or YYYY-MM-DD). Pure
// parsing: the rows become the JSON bodies of POST /api/v1/registrations, so
// the one validation applies, and its field errors are traced back to line
// and column.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace passwerk::guestcards {

struct CsvProblem {
  int line = 0;        // 0: the file as a whole
  std::string column;  // the documented column name (docs/guest-cards.md), or ""
  std::string message;
};

struct RegistrationCsv {
  std::vector<nlohmann::json> registrations;  // request bodies, in file order
  std::vector<std::vector<int>> guest_lines;  // per registration, the line of each guest
  std::vector<std::string> header;            // column names as written
  std::vector<CsvProblem> problems;
};

RegistrationCsv ParseRegistrationCsv(std::string_view bytes);

// Where an error of ParseRegistration or RegisterAll for registration `index`
// (field "guests[1].birth_date"; or "registrations[3]. …" from a batch) sits in the file.
CsvProblem LocateProblem(const RegistrationCsv& csv, size_t index, const Status& status);

}  // namespace passwerk::guestcards
