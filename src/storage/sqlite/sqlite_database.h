// SQLite backend: one database file per segment under the data directory,
// attached to every pooled connection under the segment's name.
#pragma once

#include <memory>

#include "storage/database.h"

namespace passwerk::storage {

Result<std::unique_ptr<Database>> OpenSqliteDatabase(const DatabaseOptions& options);

}  // namespace passwerk::storage
