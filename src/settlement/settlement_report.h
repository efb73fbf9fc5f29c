// Settlement reports: the whole statement and one provider's part as CSV
// (semicolons, UTF-8, euros with a decimal comma, as German spreadsheets read
// them) and one provider's part as a PDF on A4. They show only what the
// statement holds: providers, packages, terminals and sums — the settlement
// segment has no card number, card-cycle id or registration number to show.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/status.h"
#include "settlement/settlement.h"

namespace passwerk::settlement {

// "1234,56", "-0,05": euros from cents with a decimal comma, no thousands separator.
std::string EuroCsv(int64_t cents);

// Every line of the statement (the unallocated ones included) and a total row
// whose amount equals the statement's revenue.
std::string StatementCsv(const Statement& statement);

// Whether the statement pays this provider or reconciles one of its terminals.
bool NamesProvider(const Statement& statement, std::string_view vu_number);

// The provider's lines and its total; NotFound if the statement does not name it.
Result<std::string> ProviderCsv(const Statement& statement, std::string_view vu_number);
// The same on A4 with the reconciliation of the provider's terminals.
Result<std::string> ProviderPdf(const Statement& statement, std::string_view vu_number);

// The statement as the API and `passwerk settlement run --json` show it;
// without lines and terminals when `details` is false (lists).
nlohmann::json StatementJson(const Statement& statement, bool details);

// "abrechnung-01055021-2026-07-v2-100200.pdf" (no provider: the whole statement).
std::string ReportFileName(const Statement& statement, std::string_view vu_number, std::string_view extension);

}  // namespace passwerk::settlement
