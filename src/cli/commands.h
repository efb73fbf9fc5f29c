// Subcommands with more than a few lines of wiring.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/app.h"

namespace CLI {
class App;
}

namespace passwerk::cli {

struct ServeOptions {
  std::string listen;  // overrides config when set
};

// Prints the error for people; returns the exit code (2 for bad input, else 1).
int Fail(const Status& status);
// `passwerk mail test --to ADDRESS`: one mail through the configured transport, now.
int SendTestMail(Services& s, const std::string& to);

// Runs the server until SIGTERM/SIGINT; returns the exit code. With
// `print_routes`, wires everything as for serving, prints every route
// ("GET /api/v1/users/{id}") and returns instead of listening (`passwerk routes`).
int Serve(Config config, bool print_routes = false);

// Card registry on the command line (cards_commands.cpp).
int ImportCards(Services& services, const std::string& scheme_slug, const std::string& file, bool skip_bad_rows);
int ExportCards(Services& services, const std::string& scheme_slug);
int PrintCard(Services& services, const std::string& number, const std::string& out_file);

// Guest cards on the command line (guest_commands.cpp).
struct GuestCommandArgs {
  std::string municipality;  // number
  std::string file;
  std::string landlord, landlord_number, name, street, postal_code, city;
  std::string as_of;
  bool dry_run = false;
  std::vector<std::string> card_numbers;
};
int LoadTariff(Services& services, const GuestCommandArgs& args);
int LoadApplicationForm(Services& services, const GuestCommandArgs& args);  // `form load`
int AddAccommodation(Services& services, const GuestCommandArgs& args);
int RunRetentionCommand(Services& services, const GuestCommandArgs& args);
int ImportProductionFile(Services& services, const GuestCommandArgs& args);
int ReinitialiseCards(Services& services, const GuestCommandArgs& args);

// `passwerk terminal` (terminal_command.cpp): adds the subcommand; the returned
// function runs it when it was parsed (its exit code) and returns nullopt
// otherwise. It opens no server database.
std::function<std::optional<int>()> AddTerminalCommand(CLI::App& app);

// `passwerk settlement` (settlement_command.cpp): adds the subcommand; the
// returned function runs it with the opened services when it was parsed.
std::function<std::optional<int>(Services&)> AddSettlementCommand(CLI::App& app, CommonOptions& common);

// `passwerk terminals …` (terminals_command.cpp): keygen runs without the
// server's storage, the rest with it.
struct TerminalsCommand {
  std::function<std::optional<int>()> without_services;
  std::function<std::optional<int>(Services&)> with_services;
};
TerminalsCommand AddTerminalsCommand(CLI::App& app, CommonOptions& common);

// Creates (or finds) the demo dataset and describes it.
Result<nlohmann::json> CreateDemo(Services& services);

}  // namespace passwerk::cli
