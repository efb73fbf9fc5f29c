// `passwerk settlement run|close|list|export` (docs/settlement.md). The
// command line acts as "cli", which may settle every municipality; its runs
// and closes are audited like those from the web.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "core/money.h"
#include "core/pdf.h"
#include "settlement/settlement.h"
#include "settlement/settlement_report.h"

namespace passwerk::cli {
namespace {

struct SettlementArgs {
  std::string period, municipality, provider, format = "csv", out;
  int64_t version = 0;
  bool json = false;
};

void AddCommonFlags(CLI::App* command, CommonOptions& options) {
  command->add_option("--data", options.data_dir, "Data directory (config key data_dir, default ./data)");
  command->add_option("--config", options.config_file, "TOML configuration file (or PASSWERK_CONFIG)");
}

// --municipality NUMBER, or the only municipality there is.
Result<int64_t> MunicipalityOf(Services& s, const std::string& number) {
  PW_ASSIGN_OR_RETURN(auto all, s.accounts->ListMunicipalities());
  if (number.empty()) {
    if (all.size() == 1) return all[0].id;
    return InvalidArgument("there are " + std::to_string(all.size()) + " municipalities: name one with --municipality",
                           "municipality");
  }
  PW_ASSIGN_OR_RETURN(accounts::Municipality m, s.accounts->FindMunicipality(number));
  return m.id;
}

std::string Euro(int64_t cents) { return FormatCents(cents, ',') + " EUR"; }

void PrintSummary(const settlement::Statement& s) {
  std::cout << "statement " << s.id << ": " << s.municipality_number << " " << s.period << " version " << s.version
            << " (" << s.state;
  if (s.corrects) std::cout << ", corrects statement " << *s.corrects;
  std::cout << ")\n  revenue " << Euro(s.revenue_cents) << ", unallocated " << Euro(s.unallocated_cents) << "\n";
  const nlohmann::json described = settlement::StatementJson(s, true);
  for (const auto& p : described["providers"]) {
    std::cout << "  " << p["vu_number"].get<std::string>() << "\t"
              << (p["provider"].is_null() ? std::string() : p["provider"].get<std::string>()) << "\t"
              << Euro(p["amount_cents"].get<int64_t>()) << "\n";
  }
  for (const auto& t : s.terminals) {
    std::cout << "  terminal " << t.tid << "\tcash " << Euro(t.cash_cents) << "\tcard " << Euro(t.card_cents)
              << "\tsold " << Euro(t.sold_cents) << "\tdifference " << Euro(t.difference_cents) << "\n";
  }
}

int Export(Services& s, settlement::SettlementService& service, const SettlementArgs& args) {
  auto municipality = MunicipalityOf(s, args.municipality);
  if (!municipality.ok()) return Fail(municipality.status());
  std::optional<int64_t> version;
  if (args.version > 0) version = args.version;
  auto statement = service.Find(CliActor(), *municipality, args.period, version);
  if (!statement.ok()) return Fail(statement.status());
  Result<std::string> report = InvalidArgument("--format is csv or pdf", "format");
  if (args.format == "pdf") {
    report = args.provider.empty()
                 ? Result<std::string>(InvalidArgument("a PDF is per provider: give --provider", "provider"))
                 : settlement::ProviderPdf(*statement, args.provider);
    pdf::ReleaseFontCaches();
  } else if (args.format == "csv") {
    report = args.provider.empty() ? Result<std::string>(settlement::StatementCsv(*statement))
                                   : settlement::ProviderCsv(*statement, args.provider);
  }
  if (!report.ok()) return Fail(report.status());
  std::ofstream out(args.out, std::ios::binary | std::ios::trunc);
  out << *report;
  out.close();
  if (!out) return Fail(Unavailable("cannot write " + args.out));
  std::cout << "wrote " << args.out << " (statement " << statement->id << ", version " << statement->version << ", "
            << statement->state << ")\n";
  return 0;
}

}  // namespace

std::function<std::optional<int>(Services&)> AddSettlementCommand(CLI::App& app, CommonOptions& common) {
  auto args = std::make_shared<SettlementArgs>();
  CLI::App* cmd = app.add_subcommand("settlement", "Settlement between service providers (docs/settlement.md)");
  cmd->require_subcommand(1);
  CLI::App* run = cmd->add_subcommand("run", "Compute a month and store it as the draft statement");
  CLI::App* close = cmd->add_subcommand("close", "Close the draft statement of a month (it never changes after)");
  CLI::App* list = cmd->add_subcommand("list", "List statements");
  CLI::App* exp = cmd->add_subcommand("export", "Write a provider's report (CSV or PDF) or the whole statement (CSV)");
  for (CLI::App* sub : {run, close, list, exp}) {
    AddCommonFlags(sub, common);
    sub->add_option("--municipality", args->municipality, "Municipality number (default: the only one)");
  }
  for (CLI::App* sub : {run, close, exp}) sub->add_option("--period", args->period, "Month, YYYY-MM")->required();
  for (CLI::App* sub : {run, close, list}) sub->add_flag("--json", args->json, "Print JSON");
  exp->add_option("--version", args->version, "Statement version (default: the latest)");
  exp->add_option("--provider", args->provider, "VU number of the provider (csv without: the whole statement)");
  exp->add_option("--format", args->format, "csv | pdf")->check(CLI::IsMember({"csv", "pdf"}));
  exp->add_option("--out", args->out, "File to write")->required();

  return [args, run, close, list, exp](Services& s) -> std::optional<int> {
    if (!run->parsed() && !close->parsed() && !list->parsed() && !exp->parsed()) return std::nullopt;
    settlement::SettlementService& service = *s.settlement;
    const accounts::Actor actor = CliActor();
    if (exp->parsed()) return Export(s, service, *args);
    if (list->parsed()) {
      int64_t municipality = 0;
      if (!args->municipality.empty()) {
        auto id = MunicipalityOf(s, args->municipality);
        if (!id.ok()) return Fail(id.status());
        municipality = *id;
      }
      auto statements = service.List(actor, municipality);
      if (!statements.ok()) return Fail(statements.status());
      if (args->json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& st : *statements) out.push_back(settlement::StatementJson(st, false));
        std::cout << out.dump(2) << "\n";
        return 0;
      }
      for (const auto& st : *statements) {
        std::cout << st.id << "\t" << st.municipality_number << "\t" << st.period << "\tv" << st.version << "\t"
                  << st.state << "\t" << Euro(st.revenue_cents) << "\tunallocated " << Euro(st.unallocated_cents)
                  << (st.corrects ? "\tcorrects " + std::to_string(*st.corrects) : std::string()) << "\n";
      }
      return 0;
    }
    auto municipality = MunicipalityOf(s, args->municipality);
    if (!municipality.ok()) return Fail(municipality.status());
    Result<settlement::Statement> statement =
        run->parsed() ? service.Run(actor, *municipality, args->period) : [&]() -> Result<settlement::Statement> {
      PW_ASSIGN_OR_RETURN(auto latest, service.Find(actor, *municipality, args->period, std::nullopt));
      return service.Close(actor, latest.id);
    }();
    if (!statement.ok()) return Fail(statement.status());
    if (args->json) {
      std::cout << settlement::StatementJson(*statement, true).dump(2) << "\n";
    } else {
      PrintSummary(*statement);
    }
    return 0;
  };
}

}  // namespace passwerk::cli
