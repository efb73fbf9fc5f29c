#include "storage/engines/engines.h"

#include "storage/migrations.h"
#include "storage/postgres/postgres_database.h"
#include "storage/sqlite/sqlite_database.h"

namespace passwerk::storage {

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
