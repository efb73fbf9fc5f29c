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

// Creates (or finds) the demo dataset and describes it.
Result<nlohmann::json> CreateDemo(Services& services);

}  // namespace passwerk::cli
