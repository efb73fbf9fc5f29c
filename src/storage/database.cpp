// Engine-neutral helpers of the storage contract and the engine switch.
#include "storage/database.h"

#include <algorithm>

#include "storage/migrations.h"
#include "storage/postgres/postgres_database.h"
#include "storage/sqlite/sqlite_database.h"

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

Result<std::unique_ptr<Database>> OpenDatabase(const DatabaseOptions& options) {
  std::unique_ptr<Database> db;
  if (!options.postgres_url.empty()) {
    PW_ASSIGN_OR_RETURN(db, OpenPostgresDatabase(options));
  } else {
    PW_ASSIGN_OR_RETURN(db, OpenSqliteDatabase(options));
  }
  for (Segment segment : options.segments) {
    auto applied = ApplyMigrations(*db, segment);
    if (!applied.ok()) return applied.status();
  }
  return db;
}

}  // namespace passwerk::storage
