// The `passwerk` command line: parses arguments (CLI11), loads configuration
// and wires the services for each subcommand. The only place besides main
// that constructs things.
#pragma once

namespace passwerk::cli {

int Run(int argc, char** argv);

}  // namespace passwerk::cli
