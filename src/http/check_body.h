// The body of POST /api/v1/checks, read without building a JSON tree: the
// partner check is the hottest request the server answers (issue 3), and
// nlohmann's tree of three short strings cost more than the check's hashing.
// A body outside the plain shape goes to the full parser, so every answer,
// errors included, is the one ParseJsonObject and ReadString give.
#pragma once

#include <string>

#include "core/status.h"
#include "http/message.h"

namespace passwerk::http {

struct CheckBody {
  std::string card_number;
  std::string name;
  std::string date;  // empty when absent or null
};

// Reads and checks the body: application/json, an object, card_number and
// name strings, date an optional string. Unknown fields are ignored; of a
// key given twice the last counts (as nlohmann reads it).
Status ReadCheckBody(const Request& request, CheckBody& out);

namespace internal {
// The full parser alone (tests compare the two paths).
Status ReadCheckBodyWithNlohmann(const Request& request, CheckBody& out);
// The plain-shape reader alone: false when the body is outside that shape,
// and `out` is then unspecified.
bool ReadPlainCheckBody(std::string_view body, CheckBody& out, bool& has_number, bool& has_name);
}  // namespace internal

}  // namespace passwerk::http
