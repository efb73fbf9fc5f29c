// PostgreSQL backend through libpq: one schema per segment, a connection pool,
// prepared statements.
#pragma once

#include <memory>

#include "storage/database.h"

namespace passwerk::storage {

Result<std::unique_ptr<Database>> OpenPostgresDatabase(const DatabaseOptions& options);

}  // namespace passwerk::storage
