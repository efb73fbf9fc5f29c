// `passwerk terminal`: the reference terminal client (docs/terminal-protocol.md
// §5). It runs on the terminal, not on the server: it opens no server database
// and needs no configuration file, only the key file and its buffer file.
//
// Output: one line for people on stdout; with --json one JSON object instead
// (errors too, as {"error": {...}}). Exit codes: 0 done (accept: allowed),
// 3 accept denied, 2 bad input, 1 anything else (sync: the buffer could not
// be emptied, e.g. the server is unreachable).
#include <CLI/CLI.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "terminal_client/client.h"

namespace passwerk::cli {
namespace {

using nlohmann::json;
namespace tc = terminal_client;

struct TerminalArgs {
  std::string server, tid, key_file, buffer, ca_file;
  int timeout_seconds = 10;
  bool json = false;
  int batch = 100;
  std::string card, service, package, pay, operator_number = "1", at, issuing_office = "0";
  int counter = 1;
};

int Failed(const TerminalArgs& args, const Status& status) {
  if (args.json) {
    json error = {{"code", ErrorCodeName(status.code())}, {"message", status.message()}};
    if (!status.field().empty()) error["field"] = status.field();
    if (!status.detail().empty() && status.code() != ErrorCode::kInternal) error["detail"] = status.detail();
    std::cout << json{{"error", error}}.dump() << "\n";
  }
  return Fail(status);
}

json Nullable(const std::optional<int64_t>& value) { return value ? json(*value) : json(nullptr); }

std::string Euro(int64_t cents) {
  std::ostringstream out;
  out << cents / 100 << "," << (cents % 100 < 10 ? "0" : "") << cents % 100 << " EUR";
  return out.str();
}

int PrintAccept(const TerminalArgs& args, const tc::AcceptOutcome& o) {
  int code = o.allowed ? 0 : 3;
  if (args.json) {
    json out = {{"decision", o.allowed ? "allowed" : "denied"},
                {"online", o.online},
                {"booking_number", o.booking_number},
                {"result", o.result},
                {"package_number", o.package_number.empty() ? json(nullptr) : json(o.package_number)},
                {"remaining",
                 {{"days_left", Nullable(o.days_left)},
                  {"points_left", Nullable(o.points_left)},
                  {"valid_to", o.valid_to.empty() ? json(nullptr) : json(o.valid_to)}}}};
    if (!o.allowed) out["reason"] = o.reason;
    if (!o.online) {
      out["offline_reason"] = o.offline_reason;
      out["base_assumed"] = o.base_assumed;
    }
    std::cout << out.dump() << "\n";
    return code;
  }
  std::cout << (o.allowed ? "ALLOWED" : "DENIED") << " booking " << o.booking_number;
  if (!o.allowed) std::cout << ": " << o.reason;
  std::cout << " (" << (o.online ? "online" : "offline");
  if (!o.package_number.empty()) std::cout << ", package " << o.package_number;
  if (o.base_assumed) std::cout << " assumed: the stay cannot be checked offline";
  if (o.days_left) std::cout << ", " << *o.days_left << " days left";
  if (o.points_left) std::cout << ", " << *o.points_left << " points left";
  if (!o.valid_to.empty()) std::cout << ", valid to " << o.valid_to;
  if (!o.online) std::cout << (o.result == "buffered" ? ", buffered for upload" : ", not recorded");
  std::cout << ")\n";
  if (!o.online) std::cerr << "passwerk: decided offline: " << o.offline_reason << "\n";
  return code;
}

int PrintSell(const TerminalArgs& args, const tc::SellOutcome& o) {
  if (args.json) {
    std::cout << json{{"booking_number", o.booking_number},
                      {"package_number", o.package_number},
                      {"package_name", o.package_name},
                      {"price_cents", o.price_cents},
                      {"payment_method", o.payment_method},
                      {"valid_from", o.valid_from},
                      {"valid_to", o.valid_to},
                      {"uploaded", o.uploaded},
                      {"upload_problem", o.upload_problem.empty() ? json(nullptr) : json(o.upload_problem)}}
                     .dump()
              << "\n";
    return 0;
  }
  std::cout << "SOLD booking " << o.booking_number << ": package " << o.package_number << " \"" << o.package_name
            << "\", " << Euro(o.price_cents) << " " << o.payment_method << ", valid " << o.valid_from << " to "
            << o.valid_to << (o.uploaded ? ", uploaded" : ", buffered for upload") << "\n";
  if (!o.upload_problem.empty()) std::cerr << "passwerk: not uploaded yet: " << o.upload_problem << "\n";
  return 0;
}

int PrintSync(const TerminalArgs& args, const tc::SyncOutcome& o) {
  const tc::UploadTotals& u = o.upload;
  if (args.json) {
    json out = {{"sent", u.sent},
                {"batches", u.batches},
                {"accepted", u.accepted},
                {"duplicate", u.duplicate},
                {"rejected", u.rejected},
                {"conflicts", u.conflicts},
                {"pending", o.pending},
                {"sync_data", o.sync_data_stored},
                {"services", o.services},
                {"packages", o.packages},
                {"blocked_cards", o.blocked_cards}};
    if (!o.problem.ok()) {
      out["error"] = {{"code", ErrorCodeName(o.problem.code())}, {"message", o.problem.message()}};
      if (!o.problem.detail().empty()) out["error"]["detail"] = o.problem.detail();
    }
    std::cout << out.dump() << "\n";
  } else {
    std::cout << "sync: sent " << u.sent << " in " << u.batches << " batches: " << u.accepted << " accepted, "
              << u.duplicate << " duplicate, " << u.rejected << " rejected, " << u.conflicts << " with conflicts; "
              << o.pending << " pending";
    if (o.sync_data_stored) {
      std::cout << "; catalogue " << o.services << " services, " << o.packages << " packages, " << o.blocked_cards
                << " blocked cards";
    }
    std::cout << "\n";
  }
  if (!o.problem.ok()) {
    std::cerr << "passwerk: sync stopped, the buffer is kept: " << o.problem.message();
    if (!o.problem.detail().empty()) std::cerr << ": " << o.problem.detail();
    std::cerr << "\n";
    return o.problem.code() == ErrorCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}

int PrintStatus(const TerminalArgs& args, const tc::StatusReport& r) {
  if (args.json) {
    json rejected = json::array();
    for (const auto& t : r.rejected) {
      rejected.push_back({{"booking_number", t.booking_number},
                          {"kind", t.kind},
                          {"reason", t.reason},
                          {"rejected_at", FormatUtc(t.rejected_at)},
                          {"transaction", json::parse(t.body, nullptr, false)}});
    }
    std::cout << json{{"tid", r.tid},
                      {"vu_number", r.vu_number.empty() ? json(nullptr) : json(r.vu_number)},
                      {"municipality_number",
                       r.municipality_number.empty() ? json(nullptr) : json(r.municipality_number)},
                      {"pending", r.pending},
                      {"next_booking_number", r.next_booking_number},
                      {"rejected", rejected},
                      {"last_sync", r.last_sync ? json(FormatUtc(*r.last_sync)) : json(nullptr)},
                      {"catalogue",
                       {{"as_of", r.catalogue_as_of.empty() ? json(nullptr) : json(r.catalogue_as_of)},
                        {"services", r.services},
                        {"packages", r.packages}}},
                      {"blocked_cards", r.blocked_cards}}
                     .dump()
              << "\n";
    return 0;
  }
  std::cout << "terminal " << r.tid << (r.vu_number.empty() ? "" : " (VU " + r.vu_number + ")") << "\n"
            << "pending transactions: " << r.pending << "\n"
            << "next booking number: " << r.next_booking_number << "\n"
            << "last sync: " << (r.last_sync ? FormatUtc(*r.last_sync) : std::string("never")) << "\n"
            << "catalogue: " << r.services << " services, " << r.packages << " packages"
            << (r.catalogue_as_of.empty() ? "" : " (as of " + r.catalogue_as_of + ")") << "\n"
            << "blocked cards: " << r.blocked_cards << "\n"
            << "rejected transactions: " << r.rejected.size() << "\n";
  for (const auto& t : r.rejected) {
    std::cout << "  booking " << t.booking_number << " (" << t.kind << "): " << t.reason << "\n";
  }
  return 0;
}

Result<std::optional<terminals::KeyFile>> ReadKey(const TerminalArgs& args) {
  if (args.key_file.empty()) return std::optional<terminals::KeyFile>();
  std::ifstream in(args.key_file, std::ios::binary);
  if (!in) return InvalidArgument("cannot read the key file " + args.key_file, "--key-file");
  std::stringstream text;
  text << in.rdbuf();
  auto key = terminals::ParseKeyFile(text.str());
  if (!key.ok()) return InvalidArgument(key.status().message(), "--key-file");
  return std::optional<terminals::KeyFile>(std::move(*key));
}

enum class Command { kAccept, kSell, kSync, kStatus };

int RunTerminal(TerminalArgs& args, Command command) {
  auto key = ReadKey(args);
  if (!key.ok()) return Failed(args, key.status());
  std::string tid = args.tid;
  if (*key) {
    if (tid.empty()) tid = (*key)->tid;
    if (tid != (*key)->tid) {
      return Failed(args, InvalidArgument("the key file belongs to terminal " + (*key)->tid, "--tid"));
    }
  }
  if (tid.empty()) return Failed(args, InvalidArgument("give --tid or --key-file", "--tid"));
  if (command != Command::kStatus && args.server.empty()) {
    return Failed(args, InvalidArgument("this command needs --server", "--server"));
  }
  if (command != Command::kStatus && !*key) {
    return Failed(args, InvalidArgument("this command needs --key-file to log in", "--key-file"));
  }
  std::unique_ptr<tc::HttpClient> http;
  if (!args.server.empty() && command != Command::kStatus) {
    tc::HttpClientOptions http_options;
    http_options.ca_file = args.ca_file;
    http_options.io_timeout = std::chrono::seconds(args.timeout_seconds);
    http_options.connect_timeout = std::chrono::seconds(std::min(args.timeout_seconds, 3));
    auto made = tc::MakeHttpClient(args.server, http_options);
    if (!made.ok()) return Failed(args, made.status());
    http = std::move(*made);
  }
  auto buffer = tc::Buffer::Open(args.buffer, tid);
  if (!buffer.ok()) return Failed(args, buffer.status());
  tc::ClientOptions options;
  options.key = std::move(*key);
  options.batch = args.batch;
  SystemClock clock;
  tc::TerminalClient client(std::move(options), **buffer, http.get(), clock);

  tc::CardInput card{args.card, args.counter, args.issuing_office};
  switch (command) {
    case Command::kAccept: {
      tc::AcceptRequest request{card, args.service, std::nullopt, args.operator_number, args.at};
      if (!args.package.empty()) request.package_number = args.package;
      auto outcome = client.Accept(std::move(request));
      if (!outcome.ok()) return Failed(args, outcome.status());
      return PrintAccept(args, *outcome);
    }
    case Command::kSell: {
      auto outcome = client.Sell({card, args.package, args.pay, args.operator_number, args.at});
      if (!outcome.ok()) return Failed(args, outcome.status());
      return PrintSell(args, *outcome);
    }
    case Command::kSync: {
      auto outcome = client.Sync();
      if (!outcome.ok()) return Failed(args, outcome.status());
      return PrintSync(args, *outcome);
    }
    case Command::kStatus: {
      auto report = client.Report();
      if (!report.ok()) return Failed(args, report.status());
      return PrintStatus(args, *report);
    }
  }
  return 1;
}

}  // namespace

std::function<std::optional<int>()> AddTerminalCommand(CLI::App& app) {
  auto args = std::make_shared<TerminalArgs>();
  CLI::App* terminal = app.add_subcommand(
      "terminal", "Reference terminal client: accept, sell, sync, status (runs on the terminal; no config needed)");
  terminal->require_subcommand(1);
  // Options of `terminal` may also follow the command (… sync --json).
  terminal->fallthrough();
  terminal->add_option("--server", args->server, "Passwerk server URL, e.g. https://passwerk.example.de");
  terminal->add_option("--tid", args->tid, "Terminal id (default: from the key file)");
  terminal->add_option("--key-file", args->key_file, "The terminal's key file (passwerk-terminal-key-v1)");
  terminal->add_option("--buffer", args->buffer, "The terminal's own SQLite buffer file (created if missing)")
      ->required();
  terminal->add_option("--ca-file", args->ca_file, "PEM file of CA certificates for https (default: the system's)");
  terminal->add_option("--timeout", args->timeout_seconds, "Seconds to wait for the server (default 10)")
      ->check(CLI::Range(1, 120));
  terminal->add_flag("--json", args->json, "Print one JSON object instead of a line for people");

  auto card_options = [&args](CLI::App* command) {
    command->add_option("--card", args->card, "Card number (12 digits)")->required();
    command->add_option("--counter", args->counter, "Circulation counter (default 1)")->check(CLI::Range(1, 99));
    command->add_option("--operator", args->operator_number, "Operator number (default 1)");
    command->add_option("--at", args->at, "Local time YYYY-MM-DDTHH:MM:SS (default now, Europe/Berlin)");
    command->add_option("--issuing-office", args->issuing_office, "Issuing office on the card (default 0)");
  };
  CLI::App* accept = terminal->add_subcommand("accept", "Let a card use a service: online, else offline and buffered");
  card_options(accept);
  accept->add_option("--service", args->service, "Service number")->required();
  accept->add_option("--package", args->package, "Package number to take the use from (default: the server's choice)");
  CLI::App* sell = terminal->add_subcommand("sell", "Sell a package onto a card: buffered, then uploaded");
  card_options(sell);
  sell->add_option("--package", args->package, "Package number")->required();
  sell->add_option("--pay", args->pay, "cash | card")->required()->check(CLI::IsMember({"cash", "card"}));
  CLI::App* sync = terminal->add_subcommand("sync", "Upload the buffer, then fetch what offline work needs");
  sync->add_option("--batch", args->batch, "Transactions per upload request (default 100)")->check(CLI::Range(1, 1000));
  CLI::App* status = terminal->add_subcommand("status", "Pending and rejected transactions, last sync, catalogue");

  return [args, terminal, accept, sell, sync, status]() -> std::optional<int> {
    if (!terminal->parsed()) return std::nullopt;
    if (accept->parsed()) return RunTerminal(*args, Command::kAccept);
    if (sell->parsed()) return RunTerminal(*args, Command::kSell);
    if (sync->parsed()) return RunTerminal(*args, Command::kSync);
    if (status->parsed()) return RunTerminal(*args, Command::kStatus);
    return 2;
  };
}

}  // namespace passwerk::cli
