// Two readers of the check body: a plain-shape scanner for what partners
// actually send, and nlohmann for everything else (escapes, non-ASCII text,
// numbers, nesting, malformed input).
#include "http/check_body.h"

#include <nlohmann/json.hpp>

#include "http/api_util.h"

namespace passwerk::http {
namespace internal {
namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A string literal of printable ASCII without escapes at body[i]; on success
// `i` is past its closing quote. Anything else needs the full parser.
bool ReadPlainString(std::string_view body, size_t& i, std::string_view& out) {
  if (i >= body.size() || body[i] != '"') return false;
  size_t start = ++i;
  for (; i < body.size(); ++i) {
    auto c = static_cast<unsigned char>(body[i]);
    if (c == '"') {
      out = body.substr(start, i - start);
      ++i;
      return true;
    }
    if (c == '\\' || c < 0x20 || c >= 0x80) return false;
  }
  return false;
}

}  // namespace

bool ReadPlainCheckBody(std::string_view body, CheckBody& out, bool& has_number, bool& has_name) {
  has_number = has_name = false;
  out.date.clear();
  size_t i = 0;
  auto skip_space = [&] {
    while (i < body.size() && IsJsonSpace(body[i])) ++i;
  };
  skip_space();
  if (i >= body.size() || body[i] != '{') return false;
  ++i;
  skip_space();
  if (i < body.size() && body[i] == '}') {
    ++i;
  } else {
    for (;;) {
      std::string_view key, value;
      if (!ReadPlainString(body, i, key)) return false;
      skip_space();
      if (i >= body.size() || body[i] != ':') return false;
      ++i;
      skip_space();
      if (!ReadPlainString(body, i, value)) return false;
      if (key == "card_number") {
        out.card_number.assign(value);
        has_number = true;
      } else if (key == "name") {
        out.name.assign(value);
        has_name = true;
      } else if (key == "date") {
        out.date.assign(value);
      }
      skip_space();
      if (i < body.size() && body[i] == ',') {
        ++i;
        skip_space();
        continue;
      }
      if (i < body.size() && body[i] == '}') {
        ++i;
        break;
      }
      return false;
    }
  }
  skip_space();
  return i == body.size();
}

Status ReadCheckBodyWithNlohmann(const Request& request, CheckBody& out) {
  PW_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(request));
  out.date.clear();
  PW_RETURN_IF_ERROR(ReadString(body, "card_number", true, out.card_number));
  PW_RETURN_IF_ERROR(ReadString(body, "name", true, out.name));
  return ReadString(body, "date", false, out.date);
}

}  // namespace internal

Status ReadCheckBody(const Request& request, CheckBody& out) {
  PW_RETURN_IF_ERROR(RequireJsonBody(request));
  bool has_number = false, has_name = false;
  if (!internal::ReadPlainCheckBody(request.body, out, has_number, has_name)) {
    return internal::ReadCheckBodyWithNlohmann(request, out);
  }
  if (!has_number) return InvalidArgument("card_number must be a string", "card_number");
  if (!has_name) return InvalidArgument("name must be a string", "name");
  return Status::Ok();
}

}  // namespace passwerk::http
