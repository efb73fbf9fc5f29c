// `passwerk tariff load`, `accommodation add`, `retention run`, `card-stock import|reinitialise`.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "guestcards/retention.h"
#include "guestcards/tariff.h"

namespace passwerk::cli {
namespace {

Result<int64_t> MunicipalityId(Services& s, const std::string& number) {
  PW_ASSIGN_OR_RETURN(accounts::Municipality m, s.accounts->FindMunicipality(number));
  return m.id;
}

}  // namespace

int LoadTariff(Services& s, const GuestCommandArgs& args) {
  std::ifstream in(args.file);
  if (!in) return Fail(NotFound("cannot read " + args.file));
  std::stringstream text;
  text << in.rdbuf();
  auto tariff = guestcards::ParseTariffText(text.str());
  if (!tariff.ok()) return Fail(tariff.status());
  auto municipality = MunicipalityId(s, args.municipality);
  if (!municipality.ok()) return Fail(municipality.status());
  auto id = s.registrations->SetTariff(CliActor(), *municipality, *tariff);
  if (!id.ok()) return Fail(id.status());
  std::cout << "tariff \"" << tariff->name << "\" set for municipality " << args.municipality << " from "
            << FormatIsoDate(tariff->valid_from) << "\n";
  return 0;
}

int LoadApplicationForm(Services& s, const GuestCommandArgs& args) {
  std::ifstream in(args.file);
  if (!in) return Fail(NotFound("cannot read " + args.file));
  std::stringstream text;
  text << in.rdbuf();
  auto municipality = MunicipalityId(s, args.municipality);
  if (!municipality.ok()) return Fail(municipality.status());
  auto version = s.applications->LoadForm(CliActor(), *municipality, text.str());
  if (!version.ok()) return Fail(version.status());
  std::cout << "application form loaded for municipality " << args.municipality << " as version " << *version
            << "\n";
  return 0;
}

int AddAccommodation(Services& s, const GuestCommandArgs& args) {
  auto municipality = MunicipalityId(s, args.municipality);
  if (!municipality.ok()) return Fail(municipality.status());
  auto landlord = s.accounts->FindUser(args.landlord);
  if (!landlord.ok()) return Fail(landlord.status());
  guestcards::NewAccommodation input;
  input.municipality_id = *municipality;
  input.landlord_user_id = landlord->id;
  input.landlord_number = args.landlord_number;
  input.name = args.name;
  input.street = args.street;
  input.postal_code = args.postal_code;
  input.city = args.city;
  auto created = s.registrations->CreateAccommodation(CliActor(), input);
  if (!created.ok()) return Fail(created.status());
  std::cout << "created accommodation " << created->public_id << " (" << created->name << ")\n";
  return 0;
}

int RunRetentionCommand(Services& s, const GuestCommandArgs& args) {
  Date as_of = BerlinDate(s.clock.NowUnix());
  if (!args.as_of.empty()) {
    auto parsed = ParseIsoDate(args.as_of);
    if (!parsed) return Fail(InvalidArgument("--as-of must be YYYY-MM-DD", "as_of"));
    as_of = *parsed;
  }
  guestcards::RetentionOptions options;
  options.annual_cycle_rotation_day = s.config.annual_cycle_rotation_day;
  auto report = guestcards::RunRetention(*s.guest_db, s.clock, CliActor(), as_of, args.dry_run, options);
  if (!report.ok()) return Fail(report.status());
  nlohmann::json out = guestcards::RetentionReportJson(*report);
  if (!args.dry_run) {
    auto answers = DeleteExpiredIdempotencyAnswers(s);
    if (!answers.ok()) return Fail(answers.status());
    out["idempotency_answers_deleted"] = *answers;
    auto sends = s.mail->DeleteExpired();
    if (!sends.ok()) return Fail(sends.status());
    auto threads = s.mailbox->DeleteExpired();
    if (!threads.ok()) return Fail(threads.status());
    out["threads_deleted"] = *threads;
    auto applications = s.applications->DeleteExpired();
    if (!applications.ok()) return Fail(applications.status());
    out["application_documents_deleted"] = applications->documents_deleted;
    out["applications_deleted"] = applications->applications_deleted;
    auto reminders = s.applications->SendRenewalReminders();
    if (!reminders.ok()) return Fail(reminders.status());
    out["renewal_reminders_queued"] = *reminders;
  }
  std::cout << out.dump(2) << "\n";
  return 0;
}

int ImportProductionFile(Services& s, const GuestCommandArgs& args) {
  std::ifstream in(args.file, std::ios::binary);
  if (!in) return Fail(NotFound("cannot read " + args.file));
  std::stringstream text;
  text << in.rdbuf();
  std::vector<guestcards::ProductionProblem> problems;
  std::string name = std::filesystem::path(args.file).filename().string();
  auto imported = s.logistics->ImportProductionFile(CliActor(), name, text.str(), problems);
  for (const auto& p : problems) {
    std::cerr << args.file << ":" << p.line << (p.column.empty() ? "" : ": " + p.column) << ": " << p.message << "\n";
  }
  if (!imported.ok()) return Fail(imported.status());
  std::cout << "imported " << imported->cards << " cards in stock (batches:";
  for (const auto& b : imported->batches) std::cout << " " << b;
  std::cout << ")\n";
  return 0;
}

int ReinitialiseCards(Services& s, const GuestCommandArgs& args) {
  int failed = 0;
  for (const std::string& number : args.card_numbers) {
    auto card = s.logistics->Reinitialise(CliActor(), number);
    if (!card.ok()) {
      std::cerr << number << ": " << card.status().message() << "\n";
      ++failed;
      continue;
    }
    std::cout << card->card_number << " circulation counter " << card->circulation_counter << ", barcode "
              << card->barcode << "\n";
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace passwerk::cli
