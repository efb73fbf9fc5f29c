// Reading the bodies terminals send (docs/terminal-protocol.md §3–4): JSON
// text straight into the structs of transactions.h, every field checked, every
// error naming the field.
#pragma once

#include <string_view>
#include <vector>

#include "core/status.h"
#include "terminals/transactions.h"

namespace passwerk::terminals {

// An upload (POST /api/terminal/v1/transactions). A 400 (kInvalidArgument)
// when the body is not a batch at all; a bad transaction is only a BatchEntry
// with its reason, "field: message".
Result<std::vector<BatchEntry>> ParseBatch(std::string_view body);

// An online acceptance (POST /api/terminal/v1/acceptances).
Result<AcceptanceRequest> ParseAcceptanceRequest(std::string_view body);

}  // namespace passwerk::terminals
