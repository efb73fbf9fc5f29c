// The office's page of the guest-card stock (card_stock_pages.cpp, 001 §3.4):
// registered with the other staff pages by http::RegisterWebRoutes.
#pragma once

#include "http/context.h"
#include "http/router.h"

namespace passwerk::http {

void RegisterCardStockPages(Router& router, AppContext& app);

}  // namespace passwerk::http
