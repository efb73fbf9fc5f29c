// The one entry point of the staff web UI: registers every page and the
// embedded assets. Only cli/serve.cpp calls it; http never includes web.
#pragma once

#include "http/context.h"
#include "http/router.h"

namespace passwerk::web {

void RegisterWebRoutes(http::Router& router, http::AppContext& app);

}  // namespace passwerk::web
