// The engine switch: opens SQLite or PostgreSQL as configured. Only the code
// that wires the program (cli/, test support) opens storage; everything else
// gets a storage::Database.
#pragma once

#include <memory>

#include "storage/database.h"

namespace passwerk::storage {

// Opens the configured engine (PostgreSQL when options.postgres_url is set,
// SQLite otherwise) and applies pending migrations for `segments`.
Result<std::unique_ptr<Database>> OpenDatabase(const DatabaseOptions& options);

}  // namespace passwerk::storage
