// Subcommands of `passwerk`. Each parses its flags, opens what it needs and
// calls one domain function; messages for people go to stdout/stderr.
#include "cli/cli.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "core/pdf.h"
#include "core/crypto.h"
#include "core/log.h"
#include "storage/migrations.h"

namespace passwerk::cli {

int Fail(const Status& status) {
  std::cerr << "passwerk: " << status.message();
  if (!status.field().empty()) std::cerr << " (" << status.field() << ")";
  if (!status.detail().empty() && status.code() != ErrorCode::kInternal) std::cerr << ": " << status.detail();
  std::cerr << "\n";
  if (status.code() == ErrorCode::kInternal) std::cerr << "detail: " << status.detail() << "\n";
  return status.code() == ErrorCode::kInvalidArgument ? 2 : 1;
}

namespace {

void AddCommon(CLI::App* command, CommonOptions& options) {
  command->add_option("--data", options.data_dir, "Data directory (config key data_dir, default ./data)");
  command->add_option("--config", options.config_file, "TOML configuration file (or PASSWERK_CONFIG)");
}

Result<std::unique_ptr<Services>> Open(const CommonOptions& options) {
  PW_ASSIGN_OR_RETURN(Config config, LoadEffectiveConfig(options));
  log::Init(config.log_level);
  return OpenServices(std::move(config));
}

std::string ReadPasswordFromStdin() {
  std::string password;
  std::getline(std::cin, password);
  while (!password.empty() && (password.back() == '\r' || password.back() == '\n')) password.pop_back();
  return password;
}

// Department names (or ids) of a municipality → ids; an unknown one is NotFound.
Result<std::vector<int64_t>> ResolveDepartments(accounts::AccountService& accounts, int64_t municipality_id,
                                                const std::vector<std::string>& names) {
  PW_ASSIGN_OR_RETURN(auto known, accounts.ListDepartments(municipality_id));
  std::vector<int64_t> ids;
  for (const std::string& name : names) {
    std::optional<int64_t> id;
    for (const auto& d : known) {
      if (d.name == name || std::to_string(d.id) == name) id = d.id;
    }
    if (!id) return NotFound("no department '" + name + "' in that municipality");
    ids.push_back(*id);
  }
  return ids;
}

}  // namespace

int Run(int argc, char** argv) {
  CLI::App app{"Passwerk: entitlement cards for municipalities (social passes, volunteer cards, guest cards)",
               "passwerk"};
  app.set_version_flag("--version", std::string("passwerk ") + PASSWERK_VERSION);
  app.require_subcommand(1);
  CommonOptions common;

  // serve
  ServeOptions serve_options;
  CLI::App* serve = app.add_subcommand("serve", "Run the HTTP server");
  AddCommon(serve, common);
  serve->add_option("--listen", serve_options.listen, "HOST:PORT (config key listen, default 127.0.0.1:8080)");

  CLI::App* routes =
      app.add_subcommand("routes", "Print every route of the server (METHOD PATTERN [TOKEN SCOPE]) and exit");
  AddCommon(routes, common);

  CLI::App* migrate = app.add_subcommand("migrate", "Apply pending schema migrations to every segment");
  AddCommon(migrate, common);

  // user add|list|disable|enable
  CLI::App* user = app.add_subcommand("user", "Manage staff users");
  user->require_subcommand(1);
  std::string username, display_name, role = "clerk", municipality;
  std::vector<std::string> departments;
  bool password_stdin = false, json_output = false;
  CLI::App* user_add = user->add_subcommand("add",
                                            "Create a staff user (prints a generated password unless "
                                            "--password-stdin)");
  AddCommon(user_add, common);
  user_add->add_option("--username", username, "Login name")->required();
  user_add->add_option("--name", display_name, "Display name")->required();
  user_add->add_option("--role", role, "operator | municipality_admin | clerk | auditor | landlord")->required();
  user_add->add_option("--municipality", municipality, "Municipality number (8 digits)");
  user_add->add_option("--department", departments, "Department (name or id) within the municipality; repeatable")
      ->take_all()
      ->allow_extra_args(false);
  user_add->add_flag("--password-stdin", password_stdin, "Read the initial password from standard input");
  CLI::App* user_list = user->add_subcommand("list", "List staff users");
  AddCommon(user_list, common);
  user_list->add_flag("--json", json_output, "Print JSON");
  CLI::App* user_disable = user->add_subcommand("disable", "Disable a staff user and end their sessions");
  AddCommon(user_disable, common);
  user_disable->add_option("--username", username, "Login name")->required();
  CLI::App* user_enable = user->add_subcommand("enable", "Enable a disabled staff user");
  AddCommon(user_enable, common);
  user_enable->add_option("--username", username, "Login name")->required();
  std::string membership_list;
  CLI::App* user_departments = user->add_subcommand("departments", "Set the departments a staff user belongs to");
  AddCommon(user_departments, common);
  user_departments->add_option("username", username, "Login name")->required();
  user_departments
      ->add_option("--set", membership_list,
                   "Comma-separated department names or ids of the user's municipality (\"\" for none)")
      ->required();

  // department add|list
  CLI::App* department_cmd = app.add_subcommand("department", "Departments of a municipality");
  department_cmd->require_subcommand(1);
  std::string department_name;
  CLI::App* department_add = department_cmd->add_subcommand("add", "Create a department");
  AddCommon(department_add, common);
  department_add->add_option("--municipality", municipality, "Municipality number (8 digits)")->required();
  department_add->add_option("--name", department_name, "Name, e.g. Sozialamt")->required();
  CLI::App* department_list = department_cmd->add_subcommand("list", "List departments with their members");
  AddCommon(department_list, common);
  department_list->add_option("--municipality", municipality, "Only this municipality (number, 8 digits)");
  department_list->add_flag("--json", json_output, "Print JSON");

  // token create|revoke|list
  CLI::App* token = app.add_subcommand("token", "Manage API tokens for machine clients");
  token->require_subcommand(1);
  std::string token_name;
  std::vector<std::string> scopes;
  int days = 90;
  int64_t token_id = 0;
  CLI::App* token_create = token->add_subcommand("create", "Create a token (the secret is shown once)");
  AddCommon(token_create, common);
  token_create->add_option("--username", username, "User the token acts for")->required();
  token_create->add_option("--name", token_name, "What the token is for")->required();
  token_create->add_option("--scopes", scopes, "users:read, users:write, audit:read")->required()->delimiter(',');
  token_create->add_option("--days", days, "Validity in days (default 90)")->check(CLI::Range(1, 730));
  CLI::App* token_revoke = token->add_subcommand("revoke", "Revoke a token");
  AddCommon(token_revoke, common);
  token_revoke->add_option("--id", token_id, "Token id")->required();
  CLI::App* token_list = token->add_subcommand("list", "List tokens (never their secrets)");
  AddCommon(token_list, common);

  // audit verify
  CLI::App* audit_cmd = app.add_subcommand("audit", "Audit trail");
  audit_cmd->require_subcommand(1);
  CLI::App* audit_verify = audit_cmd->add_subcommand("verify",
                                                     "Verify the hash chain; exit 1 names the first bad "
                                                     "entry");
  AddCommon(audit_verify, common);

  // cards import|export|print
  CLI::App* cards_cmd = app.add_subcommand("cards", "Card registry: bulk import, export, printout");
  cards_cmd->require_subcommand(1);
  std::string scheme_slug, file, card_number, out_file;
  bool skip_bad_rows = false;
  CLI::App* cards_import = cards_cmd->add_subcommand("import", "Import cards from CSV (German Excel); all or nothing");
  AddCommon(cards_import, common);
  cards_import->add_option("--scheme", scheme_slug, "Scheme id")->required();
  cards_import->add_option("file", file, "CSV file")->required();
  cards_import->add_flag("--skip-bad-rows", skip_bad_rows, "Import the good rows even if others have problems");
  CLI::App* cards_export = cards_cmd->add_subcommand("export", "Export a scheme's cards as CSV (with holder data)");
  AddCommon(cards_export, common);
  cards_export->add_option("--scheme", scheme_slug, "Scheme id")->required();
  CLI::App* cards_print = cards_cmd->add_subcommand("print", "Card printout as PDF (Code 128 and QR code)");
  AddCommon(cards_print, common);
  cards_print->add_option("--number", card_number, "Card number")->required();
  cards_print->add_option("--out", out_file, "PDF file to write")->required();

  // partner add|list|key-create|key-revoke|key-reinstate
  CLI::App* partner_cmd = app.add_subcommand("partner", "Partners that check cards, and their keys");
  partner_cmd->require_subcommand(1);
  std::string partner_name, key_kind = "server";
  std::vector<std::string> partner_schemes, partner_origins;
  int64_t partner_id = 0, key_id = 0;
  CLI::App* partner_add = partner_cmd->add_subcommand("add", "Register a partner");
  AddCommon(partner_add, common);
  partner_add->add_option("--municipality", municipality, "Municipality number (8 digits)")->required();
  partner_add->add_option("--name", partner_name, "Partner name")->required();
  partner_add->add_option("--schemes", partner_schemes, "Scheme ids it may check")->required()->delimiter(',');
  partner_add->add_option("--origins", partner_origins, "Web origins for the widget, e.g. https://vhs.example.de")
      ->delimiter(',');
  CLI::App* partner_list = partner_cmd->add_subcommand("list", "List partners and their keys");
  AddCommon(partner_list, common);
  CLI::App* key_create = partner_cmd->add_subcommand("key-create", "Create a key (shown once)");
  AddCommon(key_create, common);
  key_create->add_option("--partner", partner_id, "Partner id")->required();
  key_create->add_option("--kind", key_kind, "server | publishable");
  CLI::App* key_revoke = partner_cmd->add_subcommand("key-revoke", "Revoke a key");
  AddCommon(key_revoke, common);
  key_revoke->add_option("--id", key_id, "Key id")->required();
  CLI::App* key_reinstate = partner_cmd->add_subcommand("key-reinstate", "Lift a suspension by the defence");
  AddCommon(key_reinstate, common);
  key_reinstate->add_option("--id", key_id, "Key id")->required();

  // Guest cards: tariffs, accommodations, retention.
  GuestCommandArgs guest_args;
  CLI::App* tariff_cmd = app.add_subcommand("tariff", "Spa-tax tariffs");
  tariff_cmd->require_subcommand(1);
  CLI::App* tariff_load =
      tariff_cmd->add_subcommand("load", "Validate a tariff file (JSON) and set it for a municipality");
  AddCommon(tariff_load, common);
  tariff_load->add_option("--municipality", guest_args.municipality, "Municipality number (8 digits)")->required();
  tariff_load->add_option("file", guest_args.file, "Tariff file (docs/guest-cards.md)")->required();
  CLI::App* accommodation_cmd = app.add_subcommand("accommodation", "Accommodations of landlords");
  accommodation_cmd->require_subcommand(1);
  CLI::App* accommodation_add = accommodation_cmd->add_subcommand("add", "Register a landlord's accommodation");
  AddCommon(accommodation_add, common);
  accommodation_add->add_option("--municipality", guest_args.municipality, "Municipality number")->required();
  accommodation_add->add_option("--landlord", guest_args.landlord, "Username of the landlord (role landlord)")
      ->required();
  accommodation_add->add_option("--number", guest_args.landlord_number, "Landlord number (1-6 digits)")->required();
  accommodation_add->add_option("--name", guest_args.name, "Name of the accommodation")->required();
  accommodation_add->add_option("--street", guest_args.street, "Street and number")->required();
  accommodation_add->add_option("--postal-code", guest_args.postal_code, "Postal code")->required();
  accommodation_add->add_option("--city", guest_args.city, "City")->required();
  // Online applications: the forms per scheme (docs/applications.md).
  CLI::App* form_cmd = app.add_subcommand("form", "Application forms");
  form_cmd->require_subcommand(1);
  CLI::App* form_load = form_cmd->add_subcommand(
      "load", "Validate an application form (JSON) and store it as its scheme's next version");
  AddCommon(form_load, common);
  form_load->add_option("--municipality", guest_args.municipality, "Municipality number (8 digits)")->required();
  form_load->add_option("file", guest_args.file, "Form file (docs/applications.md)")->required();
  CLI::App* retention_cmd = app.add_subcommand("retention", "Deletion and historisation on schedule");
  retention_cmd->require_subcommand(1);
  CLI::App* retention_run =
      retention_cmd->add_subcommand("run", "Apply the retention rules now (also scheduled in serve)");
  AddCommon(retention_run, common);
  retention_run->add_option("--as-of", guest_args.as_of,
                            "Evaluate the rules for this date (YYYY-MM-DD); default today");
  retention_run->add_flag("--dry-run", guest_args.dry_run, "Print what would happen and change nothing");

  CLI::App* mail_cmd = app.add_subcommand("mail", "E-mail of the citizen side (docs/operations.md)");
  mail_cmd->require_subcommand(1);
  CLI::App* mail_test = mail_cmd->add_subcommand("test", "Send a test mail through the configured smtp_url now");
  AddCommon(mail_test, common);
  std::string mail_to;
  mail_test->add_option("--to", mail_to, "Recipient address")->required();

  CLI::App* stock_cmd =
      app.add_subcommand("card-stock", "Guest cards from the manufacturer: stock and re-initialisation");
  stock_cmd->require_subcommand(1);
  CLI::App* stock_import =
      stock_cmd->add_subcommand("import", "Import a production file (CSV, docs/guest-cards.md): all lines or none");
  AddCommon(stock_import, common);
  stock_import->add_option("file", guest_args.file, "Production file")->required();
  CLI::App* stock_reinit = stock_cmd->add_subcommand(
      "reinitialise", "Put returned cards back into stock, circulation counter + 1 (only once unlinked)");
  AddCommon(stock_reinit, common);
  stock_reinit->add_option("card_numbers", guest_args.card_numbers, "Card numbers")->required();

  CLI::App* demo = app.add_subcommand("demo", "Create the demo dataset (idempotent) and print it as JSON");
  AddCommon(demo, common);
  bool demo_text = false;
  demo->add_flag("--text", demo_text, "Print a short summary for people instead of JSON");

  CLI::App* config_cmd = app.add_subcommand("config", "Configuration");
  config_cmd->require_subcommand(1);
  CLI::App* config_check = config_cmd->add_subcommand("check", "Validate the configuration and exit");
  AddCommon(config_check, common);
  CLI::App* config_docs = config_cmd->add_subcommand("docs", "Print the configuration reference (Markdown)");

  auto run_terminal = AddTerminalCommand(app);
  auto run_settlement = AddSettlementCommand(app, common);
  auto run_terminals = AddTerminalsCommand(app, common);

  CLI11_PARSE(app, argc, argv);

  if (auto code = run_terminal()) return *code;
  if (auto code = run_terminals.without_services()) return *code;

  if (serve->parsed()) {
    auto config = LoadEffectiveConfig(common);
    if (!config.ok()) return Fail(config.status());
    if (!serve_options.listen.empty()) config->listen = serve_options.listen;
    auto endpoint = config->ListenEndpoint();
    if (!endpoint.ok()) return Fail(endpoint.status());
    log::Init(config->log_level);
    return Serve(std::move(config).value());
  }
  if (routes->parsed()) {
    auto config = LoadEffectiveConfig(common);
    if (!config.ok()) return Fail(config.status());
    log::Init("error");
    return Serve(std::move(config).value(), /*print_routes=*/true);
  }
  if (config_docs->parsed()) {
    std::cout << RenderConfigMarkdown();
    return 0;
  }
  if (config_check->parsed()) {
    auto config = LoadEffectiveConfig(common);
    if (!config.ok()) return Fail(config.status());
    std::cout << "configuration ok (data_dir " << config->data_dir << ", listen " << config->listen << ", "
              << (config->database_url.empty() ? "SQLite" : "PostgreSQL") << ")\n";
    return 0;
  }

  auto services = Open(common);
  if (!services.ok()) return Fail(services.status());
  Services& s = **services;
  accounts::Actor actor = CliActor();

  if (auto code = run_settlement(s)) return *code;
  if (auto code = run_terminals.with_services(s)) return *code;

  if (migrate->parsed()) {
    for (storage::Segment segment : storage::AllSegments()) {
      bool staff = segment == storage::Segment::kCore || segment == storage::Segment::kAudit ||
                   segment == storage::Segment::kCards || segment == storage::Segment::kChecks;
      storage::Database& handle =
          staff ? *s.db : (segment == storage::Segment::kPortal ? *s.portal_db : *s.guest_db);
      auto version = storage::SchemaVersion(handle, segment);
      if (!version.ok()) return Fail(version.status());
      std::cout << storage::SegmentName(segment) << ": schema version " << *version << "\n";
    }
    return 0;
  }
  if (user_add->parsed()) {
    accounts::NewUser input;
    input.username = username;
    input.display_name = display_name;
    auto parsed_role = accounts::ParseRole(role);
    if (!parsed_role)
      return Fail(InvalidArgument("--role must be operator, municipality_admin, clerk, auditor or landlord"));
    input.role = *parsed_role;
    if (!municipality.empty()) {
      auto all = s.accounts->ListMunicipalities();
      if (!all.ok()) return Fail(all.status());
      for (const auto& m : *all) {
        if (m.municipality_number == municipality) input.municipality_id = m.id;
      }
      if (!input.municipality_id) return Fail(NotFound("no municipality with number " + municipality));
      auto ids = ResolveDepartments(*s.accounts, *input.municipality_id, departments);
      if (!ids.ok()) return Fail(ids.status());
      input.department_ids = *ids;
    } else if (!departments.empty()) {
      return Fail(InvalidArgument("--department needs --municipality"));
    }
    bool generated = !password_stdin;
    input.password = password_stdin ? ReadPasswordFromStdin() : crypto::RandomToken(15);
    auto created = s.accounts->CreateUser(actor, input);
    if (!created.ok()) return Fail(created.status());
    std::cout << "created user " << created->username << " (id " << created->id << ", role "
              << accounts::RoleName(created->role) << ")\n";
    if (generated) std::cout << "initial password (shown once): " << input.password << "\n";
    std::cout << "the user enrols the TOTP second factor at first login\n";
    return 0;
  }
  if (user_list->parsed()) {
    auto users = s.accounts->ListUsers(actor);
    if (!users.ok()) return Fail(users.status());
    if (json_output) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& u : *users) {
        out.push_back({{"id", u.id},
                       {"username", u.username},
                       {"display_name", u.display_name},
                       {"role", accounts::RoleName(u.role)},
                       {"totp_enrolled", u.totp_enrolled},
                       {"disabled", u.disabled}});
      }
      std::cout << out.dump(2) << "\n";
      return 0;
    }
    for (const auto& u : *users) {
      std::cout << u.id << "\t" << u.username << "\t" << accounts::RoleName(u.role) << "\t"
                << (u.disabled ? "disabled" : "active") << "\t" << (u.totp_enrolled ? "totp" : "no-totp") << "\t"
                << u.display_name << "\n";
    }
    return 0;
  }
  if (user_departments->parsed()) {
    auto found = s.accounts->FindUser(username);
    if (!found.ok()) return Fail(found.status());
    if (!found->municipality_id) return Fail(InvalidArgument("this user belongs to no municipality"));
    std::vector<std::string> names;
    for (size_t start = 0; start < membership_list.size();) {
      size_t end = membership_list.find(',', start);
      if (end == std::string::npos) end = membership_list.size();
      std::string name = membership_list.substr(start, end - start);
      name.erase(0, name.find_first_not_of(' '));
      name.erase(name.find_last_not_of(' ') + 1);
      if (!name.empty()) names.push_back(name);
      start = end + 1;
    }
    auto ids = ResolveDepartments(*s.accounts, *found->municipality_id, names);
    if (!ids.ok()) return Fail(ids.status());
    Status set = s.accounts->SetMemberships(actor, found->id, *ids);
    if (!set.ok()) return Fail(set);
    std::cout << "user " << found->username << " belongs to " << ids->size() << " department(s)\n";
    return 0;
  }
  if (department_add->parsed() || department_list->parsed()) {
    std::optional<int64_t> municipality_id;
    if (!municipality.empty()) {
      auto all = s.accounts->ListMunicipalities();
      if (!all.ok()) return Fail(all.status());
      for (const auto& m : *all) {
        if (m.municipality_number == municipality) municipality_id = m.id;
      }
      if (!municipality_id) return Fail(NotFound("no municipality with number " + municipality));
    }
    if (department_add->parsed()) {
      auto created = s.accounts->CreateDepartment(actor, *municipality_id, department_name);
      if (!created.ok()) return Fail(created.status());
      std::cout << "created department " << created->name << " (id " << created->id << ")\n";
      return 0;
    }
    auto list = s.accounts->ListDepartments(municipality_id);
    if (!list.ok()) return Fail(list.status());
    auto users = s.accounts->ListUsers(actor);
    if (!users.ok()) return Fail(users.status());
    auto members_of = [&](int64_t department_id) {
      std::vector<std::string> names;
      for (const auto& u : *users) {
        if (std::find(u.department_ids.begin(), u.department_ids.end(), department_id) != u.department_ids.end()) {
          names.push_back(u.username);
        }
      }
      return names;
    };
    if (json_output) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& d : *list) {
        out.push_back(
            {{"id", d.id}, {"municipality_id", d.municipality_id}, {"name", d.name}, {"members", members_of(d.id)}});
      }
      std::cout << out.dump(2) << "\n";
      return 0;
    }
    for (const auto& d : *list) {
      std::string members;
      for (const std::string& name : members_of(d.id)) members += (members.empty() ? "" : ",") + name;
      std::cout << d.id << "\t" << d.municipality_id << "\t" << d.name << "\t" << members << "\n";
    }
    return 0;
  }
  if (user_disable->parsed() || user_enable->parsed()) {
    auto found = s.accounts->FindUser(username);
    if (!found.ok()) return Fail(found.status());
    Status status =
        user_disable->parsed() ? s.accounts->DisableUser(actor, found->id) : s.accounts->EnableUser(actor, found->id);
    if (!status.ok()) return Fail(status);
    std::cout << (user_disable->parsed() ? "disabled " : "enabled ") << username << "\n";
    return 0;
  }
  if (token_create->parsed()) {
    auto found = s.accounts->FindUser(username);
    if (!found.ok()) return Fail(found.status());
    auto created = s.accounts->CreateToken(actor, found->id, token_name, scopes, int64_t{days} * 86400);
    if (!created.ok()) return Fail(created.status());
    std::cout << "token " << created->token.id << " for " << username << ", valid until "
              << FormatUtc(created->token.expires_at) << "\n"
              << "secret (shown once, store it now): " << created->secret << "\n";
    return 0;
  }
  if (token_revoke->parsed()) {
    Status status = s.accounts->RevokeToken(actor, token_id);
    if (!status.ok()) return Fail(status);
    std::cout << "revoked token " << token_id << "\n";
    return 0;
  }
  if (token_list->parsed()) {
    auto tokens = s.accounts->ListTokens(actor);
    if (!tokens.ok()) return Fail(tokens.status());
    for (const auto& t : *tokens) {
      std::string joined;
      for (const auto& scope : t.scopes) joined += (joined.empty() ? "" : ",") + scope;
      std::cout << t.id << "\tpwk_" << t.prefix << "_…\t" << t.name << "\tuser " << t.user_id << "\t" << joined << "\t"
                << (t.revoked_at ? "revoked" : "expires " + FormatUtc(t.expires_at)) << "\n";
    }
    return 0;
  }
  if (audit_verify->parsed()) {
    auto report = audit::Verify(*s.db);
    if (!report.ok()) return Fail(report.status());
    if (report->ok) {
      std::cout << "audit trail intact: " << report->entries << " entries";
      if (report->pruned_through > 0) {
        std::cout << " (1 to " << report->pruned_through << " deleted on schedule, see retention)";
      }
      std::cout << "\n";
      return 0;
    }
    std::cout << "audit trail BROKEN at entry " << report->first_bad_seq << ": " << report->problem << "\n";
    return 1;
  }
  if (cards_import->parsed()) return ImportCards(s, scheme_slug, file, skip_bad_rows);
  if (cards_export->parsed()) return ExportCards(s, scheme_slug);
  if (cards_print->parsed()) return PrintCard(s, card_number, out_file);
  if (partner_add->parsed()) {
    auto found = s.accounts->FindMunicipality(municipality);
    if (!found.ok()) return Fail(found.status());
    std::optional<int64_t> municipality_id = found->id;
    std::vector<int64_t> scheme_ids;
    for (const auto& slug : partner_schemes) {
      auto scheme = s.cards->FindScheme(slug);
      if (!scheme.ok()) return Fail(NotFound("no scheme '" + slug + "'"));
      scheme_ids.push_back(scheme->id);
    }
    auto partner = s.partners->CreatePartner(actor, *municipality_id, partner_name, scheme_ids, partner_origins);
    if (!partner.ok()) return Fail(partner.status());
    std::cout << "created partner " << partner->id << " (" << partner->name << ")\n";
    return 0;
  }
  if (partner_list->parsed()) {
    auto partners = s.partners->ListPartners();
    if (!partners.ok()) return Fail(partners.status());
    for (const auto& p : *partners) {
      std::cout << p.id << "\t" << p.name << "\n";
      auto keys = s.partners->ListKeys(p.id);
      if (!keys.ok()) return Fail(keys.status());
      for (const auto& k : *keys) {
        std::cout << "  key " << k.id << "\t" << k.kind << "\t" << k.prefix << "…\t"
                  << (k.revoked_at     ? "revoked"
                      : k.suspended_at ? "suspended"
                                       : "active")
                  << "\n";
      }
    }
    return 0;
  }
  if (key_create->parsed()) {
    auto key = s.partners->CreateKey(actor, partner_id, key_kind);
    if (!key.ok()) return Fail(key.status());
    std::cout << key_kind << " key " << key->key.id << " for partner " << partner_id << "\n"
              << "secret (shown once, store it now): " << key->secret << "\n";
    return 0;
  }
  if (key_revoke->parsed() || key_reinstate->parsed()) {
    Status status =
        key_revoke->parsed() ? s.partners->RevokeKey(actor, key_id) : s.partners->ReinstateKey(actor, key_id);
    if (!status.ok()) return Fail(status);
    std::cout << (key_revoke->parsed() ? "revoked" : "reinstated") << " key " << key_id << "\n";
    return 0;
  }
  if (tariff_load->parsed()) return LoadTariff(s, guest_args);
  if (accommodation_add->parsed()) return AddAccommodation(s, guest_args);
  if (retention_run->parsed()) return RunRetentionCommand(s, guest_args);
  if (form_load->parsed()) return LoadApplicationForm(s, guest_args);
  if (mail_test->parsed()) return SendTestMail(s, mail_to);
  if (stock_import->parsed()) return ImportProductionFile(s, guest_args);
  if (stock_reinit->parsed()) return ReinitialiseCards(s, guest_args);
  if (demo->parsed()) {
    auto out = CreateDemo(s);
    pdf::ReleaseFontCaches();  // the demo notice and its PDF: a clean exit for leak checkers
    if (!out.ok()) return Fail(out.status());
    if (!demo_text) {
      std::cout << out->dump(2) << "\n";
      return 0;
    }
    std::cout << "Demo logins (public demo secrets; add the TOTP secret to any authenticator app):\n";
    for (const auto& u : (*out)["users"]) {
      std::cout << "  " << u["username"].get<std::string>() << " / " << u["password"].get<std::string>() << "  ("
                << u["role"].get<std::string>() << ", TOTP "
                << (u["totp_secret"].is_null() ? std::string("enrols at first login")
                                               : "secret " + u["totp_secret"].get<std::string>())
                << ")\n";
    }
    const auto& portal = (*out)["portal"];
    std::cout << "Citizen portal: " << portal["url"].get<std::string>()
              << "  (test sign-in \"Testanmeldung\": type \"" << portal["citizen"]["name"].get<std::string>()
              << "\" to reach the demo citizen's account and card)\n";
    std::cout << "Mailbox: the demo citizen's question to the Sozialamt waits in the portal's \"Postfach\" and, for "
                 "the clerk sozialamt, under \"Postfach\" in the staff UI; with make run, e-mails are written to "
                 "data/mail/\n";
    return 0;
  }
  return 0;
}

}  // namespace passwerk::cli
