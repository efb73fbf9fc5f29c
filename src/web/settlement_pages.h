// The staff pages of the settlement (settlement_pages.cpp); registered with
// the settlement API by http::RegisterSettlementRoutes.
#pragma once

#include "http/context.h"
#include "http/router.h"

namespace passwerk::http {

void RegisterSettlementPages(Router& router, AppContext& app);

}  // namespace passwerk::http
