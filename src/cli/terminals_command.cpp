// `passwerk terminals add|list|disable|enable|keygen` (docs/terminals.md):
// the terminal registry on the server's command line. `keygen` runs on the
// terminal: it writes the private key file and prints the public key that
// staff register; `add --key-file` does both at once for terminals set up
// on the server.
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "core/crypto.h"
#include "terminals/terminal_key.h"

namespace passwerk::cli {
namespace {

struct TerminalsArgs {
  std::string tid, provider, kind = "stationary", name, key_file, public_key, operators;
};

// Writes the key file readable by its owner only; refuses to overwrite a key.
Status WriteNewKeyFile(const std::string& path, const std::string& content) {
  if (std::filesystem::exists(path)) return AlreadyExists("the key file exists; a key is never overwritten", "key-file");
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Unavailable("cannot write " + tmp);
    ::chmod(tmp.c_str(), 0600);
    out << content;
    if (!out.flush()) return Unavailable("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Unavailable("cannot write " + path, ec.message());
  return Status::Ok();
}

Result<std::string> PublicKeyFromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read the key file " + path, "key-file");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  PW_ASSIGN_OR_RETURN(terminals::KeyFile file, terminals::ParseKeyFile(text));
  return terminals::PublicKeyOf(file.private_key);
}

int Keygen(const TerminalsArgs& args) {
  if (!terminals::IsValidTid(args.tid)) return Fail(InvalidArgument("a TID has 1 to 32 of A-Z a-z 0-9 - _", "tid"));
  terminals::TerminalKeyPair pair = terminals::GenerateTerminalKey();
  Status written = WriteNewKeyFile(args.key_file, terminals::FormatKeyFile(args.tid, pair.private_key));
  if (!written.ok()) return Fail(written);
  std::cout << "key file " << args.key_file << " written (keep it on the terminal only)\n"
            << "public key to register: " << crypto::Base64Encode(pair.public_key) << "\n";
  return 0;
}

int Add(Services& s, const TerminalsArgs& args) {
  terminals::NewTerminal input{args.tid, args.provider, args.kind, args.name, "", {}};
  std::string ops = args.operators;
  std::replace(ops.begin(), ops.end(), ',', ' ');
  std::istringstream split(ops);
  for (std::string op; split >> op;) input.operators.push_back(op);
  if (!args.public_key.empty()) {
    auto key = terminals::DecodePublicKey(args.public_key);
    if (!key.ok()) return Fail(key.status());
    input.public_key = *key;
  } else if (!args.key_file.empty()) {
    if (!std::filesystem::exists(args.key_file)) {
      if (!terminals::IsValidTid(args.tid)) return Fail(InvalidArgument("a TID has 1 to 32 of A-Z a-z 0-9 - _", "tid"));
      terminals::TerminalKeyPair pair = terminals::GenerateTerminalKey();
      Status written = WriteNewKeyFile(args.key_file, terminals::FormatKeyFile(args.tid, pair.private_key));
      if (!written.ok()) return Fail(written);
      std::cout << "key file " << args.key_file << " written: hand it to the terminal, then delete it here\n";
    }
    auto key = PublicKeyFromFile(args.key_file);
    if (!key.ok()) return Fail(key.status());
    input.public_key = *key;
  } else {
    return Fail(InvalidArgument("give --public-key (from the terminal) or --key-file", "public-key"));
  }
  auto created = s.terminals->RegisterTerminal(CliActor(), input);
  if (!created.ok()) return Fail(created.status());
  std::cout << "terminal " << created->tid << " registered for VU " << created->vu_number << " (" << created->kind
            << ")\n";
  return 0;
}

int List(Services& s) {
  auto list = s.terminals->ListTerminals(CliActor());
  if (!list.ok()) return Fail(list.status());
  for (const auto& t : *list) {
    std::cout << t.tid << "\tVU " << t.vu_number << "\t" << t.kind << "\t" << (t.active ? "active" : "disabled") << "\t"
              << t.name << "\n";
  }
  return 0;
}

}  // namespace

TerminalsCommand AddTerminalsCommand(CLI::App& app, CommonOptions& common) {
  auto args = std::make_shared<TerminalsArgs>();
  CLI::App* terminals = app.add_subcommand("terminals", "Terminal registry: add, list, disable, enable, keygen");
  terminals->require_subcommand(1);
  auto common_flags = [&common](CLI::App* command) {
    command->add_option("--data", common.data_dir, "Data directory (config key data_dir, default ./data)");
    command->add_option("--config", common.config_file, "TOML configuration file (or PASSWERK_CONFIG)");
  };
  CLI::App* add = terminals->add_subcommand("add", "Register a terminal with its public key");
  common_flags(add);
  add->add_option("--tid", args->tid, "Terminal id")->required();
  add->add_option("--provider", args->provider, "VU number of the service provider running it")->required();
  add->add_option("--kind", args->kind, "mobile, stationary, kiosk, office_pc or landlord_web")
      ->capture_default_str();
  add->add_option("--name", args->name, "Name shown to staff");
  add->add_option("--public-key", args->public_key, "The terminal's public key (base64), from `terminals keygen`");
  add->add_option("--key-file", args->key_file, "Or: a key file; created with a new key when it does not exist");
  add->add_option("--operators", args->operators, "Operator numbers, comma separated");
  CLI::App* list = terminals->add_subcommand("list", "List the terminals");
  common_flags(list);
  CLI::App* disable = terminals->add_subcommand("disable", "Disable a terminal: its sessions end, logins fail");
  common_flags(disable);
  disable->add_option("--tid", args->tid, "Terminal id")->required();
  CLI::App* enable = terminals->add_subcommand("enable", "Enable a disabled terminal");
  common_flags(enable);
  enable->add_option("--tid", args->tid, "Terminal id")->required();
  CLI::App* keygen = terminals->add_subcommand("keygen", "On the terminal: write a new key file, print the public key");
  keygen->add_option("--tid", args->tid, "Terminal id")->required();
  keygen->add_option("--key-file", args->key_file, "Where to write the private key")->required();

  TerminalsCommand command;
  command.without_services = [keygen, args]() -> std::optional<int> {
    if (keygen->parsed()) return Keygen(*args);
    return std::nullopt;
  };
  command.with_services = [add, list, disable, enable, args](Services& s) -> std::optional<int> {
    if (add->parsed()) return Add(s, *args);
    if (list->parsed()) return List(s);
    if (disable->parsed() || enable->parsed()) {
      Status status = s.terminals->SetActive(CliActor(), args->tid, enable->parsed());
      if (!status.ok()) return Fail(status);
      std::cout << "terminal " << args->tid << (enable->parsed() ? " enabled\n" : " disabled\n");
      return 0;
    }
    return std::nullopt;
  };
  return command;
}

}  // namespace passwerk::cli
