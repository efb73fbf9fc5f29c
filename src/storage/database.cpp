// Engine-neutral helpers of the storage contract.
#include "storage/database.h"

#include <algorithm>

namespace passwerk::storage {
namespace {
const std::string kEmpty;
}

int64_t Row::Int(size_t i) const {
  const Value& v = values_.at(i);
  if (const auto* n = std::get_if<int64_t>(&v)) return *n;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  if (const auto* s = std::get_if<std::string>(&v)) return s->empty() ? 0 : std::stoll(*s);
  return 0;
}

double Row::Double(size_t i) const {
  const Value& v = values_.at(i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* n = std::get_if<int64_t>(&v)) return static_cast<double>(*n);
  if (const auto* s = std::get_if<std::string>(&v)) return s->empty() ? 0 : std::stod(*s);
  return 0;
}

const std::string& Row::Text(size_t i) const {
  const Value& v = values_.at(i);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* b = std::get_if<Blob>(&v)) return b->bytes;
  return kEmpty;
}

std::optional<std::string> Row::OptText(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Text(i);
}

std::optional<int64_t> Row::OptInt(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Int(i);
}

Result<Row> Tx::QueryOne(std::string_view sql, const Params& params) {
  PW_ASSIGN_OR_RETURN(Rows rows, Query(sql, params));
  if (rows.empty()) return NotFound("no such row");
  return std::move(rows.front());
}

Status QueryIn(Tx& tx, std::string_view select_prefix, const std::vector<Value>& keys,
               const std::function<Status(const Row&)>& each, size_t chunk) {
  if (keys.empty()) return Status::Ok();
  chunk = std::max<size_t>(1, std::min(chunk, keys.size()));
  std::string sql(select_prefix);
  sql += " (";
  for (size_t i = 0; i < chunk; ++i) {
    if (i > 0) sql += ", ";
    sql += "$" + std::to_string(i + 1);
  }
  sql += ")";
  Params params(chunk);
  for (size_t start = 0; start < keys.size(); start += chunk) {
    for (size_t i = 0; i < chunk; ++i) params[i] = keys[std::min(start + i, keys.size() - 1)];
    PW_ASSIGN_OR_RETURN(Rows rows, tx.Query(sql, params));
    for (const Row& row : rows) PW_RETURN_IF_ERROR(each(row));
  }
  return Status::Ok();
}

}  // namespace passwerk::storage
