// Subcommands with more than a few lines of wiring.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cli/app.h"

namespace passwerk::cli {

struct ServeOptions {
  std::string listen;  // overrides config when set
};

// Runs the server until SIGTERM/SIGINT; returns the exit code.
int Serve(Config config);

// Card registry on the command line (cards_commands.cpp).
int ImportCards(Services& services, const std::string& scheme_slug, const std::string& file, bool skip_bad_rows);
int ExportCards(Services& services, const std::string& scheme_slug);
int PrintCard(Services& services, const std::string& number, const std::string& out_file);

// Creates (or finds) the demo dataset and describes it.
Result<nlohmann::json> CreateDemo(Services& services);

}  // namespace passwerk::cli
