// Versioned schema migrations per segment, written once for both engines.
// Tokens expanded per engine: {{id}} an auto-increment primary key, {{blob}} a
// byte string column, {{now}} the current time in Unix seconds. Each migration runs in its own transaction together
// with its row in <segment>.schema_migrations, so a crash leaves it applied or not.
#pragma once

#include <string>
#include <vector>

#include "storage/database.h"

namespace passwerk::storage {

struct Migration {
  int version;
  std::string description;
  std::string sql;  // one or more statements separated by ';' at line end
};

const std::vector<Migration>& MigrationsFor(Segment segment);

// Expands the engine tokens and splits into single statements.
std::vector<std::string> RenderMigration(const Migration& migration, Engine engine);

// Applies every pending migration of `segment` through `db` (up to and
// including `up_to_version`: tests build an old schema). Returns the number applied.
Result<int> ApplyMigrations(Database& db, Segment segment, int up_to_version = 1 << 30);

// Highest applied version, 0 if none.
Result<int> SchemaVersion(Database& db, Segment segment);

}  // namespace passwerk::storage
