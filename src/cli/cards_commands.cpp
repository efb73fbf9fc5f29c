// `passwerk cards import|export|print` and `passwerk partner add|list|key`:
// the card registry and partner registry on the command line.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cards/card_csv.h"
#include "cards/card_number.h"
#include "cards/card_pdf.h"
#include "cli/commands.h"
#include "core/pdf.h"

namespace passwerk::cli {

int ImportCards(Services& s, const std::string& scheme_slug, const std::string& file, bool skip_bad_rows) {
  auto scheme = s.cards->FindScheme(scheme_slug);
  if (!scheme.ok()) {
    std::cerr << "passwerk: no scheme '" << scheme_slug << "'\n";
    return 1;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::cerr << "passwerk: cannot read " << file << "\n";
    return 1;
  }
  std::stringstream bytes;
  bytes << in.rdbuf();
  std::string today = FormatIsoDate(BerlinDate(s.clock.NowUnix()));
  cards::CardImport parsed = cards::ParseCardCsv(bytes.str(), today);
  for (const auto& problem : parsed.problems) {
    std::cerr << file << ":" << problem.line << (problem.column.empty() ? "" : " [" + problem.column + "]") << ": "
              << problem.message << "\n";
  }
  if (!parsed.problems.empty() && !skip_bad_rows) {
    std::cerr << "passwerk: " << parsed.problems.size() << " problem(s); nothing imported (fix them, or use "
              << "--skip-bad-rows to import the " << parsed.rows.size() << " good row(s))\n";
    return 1;
  }
  std::vector<cards::NewCard> inputs;
  for (const auto& row : parsed.rows) {
    cards::NewCard card;
    card.scheme_id = scheme->id;
    card.holder = {row.family_name, row.given_name, row.birth_date, row.street, row.postal_code, row.city};
    card.discount_class = row.discount_class;
    card.card_number = row.card_number;
    if (!row.valid_from.empty()) card.valid_from = ParseIsoDate(row.valid_from);
    inputs.push_back(std::move(card));
  }
  accounts::Actor actor = CliActor();
  auto issued = s.cards->IssueCards(actor, inputs);
  if (!issued.ok()) {
    std::cerr << "passwerk: nothing imported: " << issued.status().message()
              << (issued.status().field().empty() ? "" : " (" + issued.status().field() + ")") << "\n";
    return 1;
  }
  std::cout << "imported " << issued->size() << " card(s) into " << scheme_slug;
  if (!parsed.problems.empty()) std::cout << ", skipped " << parsed.problems.size() << " problem(s)";
  std::cout << "\n";
  return 0;
}

int ExportCards(Services& s, const std::string& scheme_slug) {
  auto scheme = s.cards->FindScheme(scheme_slug);
  if (!scheme.ok()) {
    std::cerr << "passwerk: no scheme '" << scheme_slug << "'\n";
    return 1;
  }
  auto all = s.cards->ExportCards(CliActor(), scheme->id);
  if (!all.ok()) {
    std::cerr << "passwerk: " << all.status().message() << "\n";
    return 1;
  }
  std::vector<cards::CardExportRow> rows;
  for (const auto& d : *all) {
    rows.push_back({cards::FormatCardNumber(d.card.card_number), std::to_string(d.card.circulation_counter),
                    scheme->slug, d.holder.family_name, d.holder.given_name, d.holder.birth_date, d.card.discount_class,
                    std::string(cards::CardStateName(d.card.state)), FormatIsoDate(d.card.valid_from),
                    FormatIsoDate(d.card.valid_until)});
  }
  std::cout << cards::WriteCardCsv(rows);
  return 0;
}

int PrintCard(Services& s, const std::string& number, const std::string& out_file) {
  auto details = s.cards->GetCard(CliActor(), number);
  if (!details.ok()) {
    std::cerr << "passwerk: " << details.status().message() << "\n";
    return 1;
  }
  auto scheme = s.cards->GetScheme(details->card.scheme_id);
  std::string municipality;
  if (scheme.ok()) {
    if (auto m = s.accounts->GetMunicipality(scheme->municipality_id); m.ok()) municipality = m->name;
  }
  cards::CardPrint print;
  print.scheme_name = scheme.ok() ? scheme->name : "";
  print.municipality_name = municipality;
  print.holder_name = details->holder.given_name + " " + details->holder.family_name;
  print.card_number = details->card.card_number;
  print.circulation_counter = details->card.circulation_counter;
  print.valid_until = FormatIsoDate(details->card.valid_until);
  print.discount_class = details->card.discount_class;
  auto document = cards::RenderCardPdf({print});
  pdf::ReleaseFontCaches();
  if (!document.ok()) {
    std::cerr << "passwerk: " << document.status().message() << "\n";
    return 1;
  }
  std::ofstream out(out_file, std::ios::binary | std::ios::trunc);
  out << *document;
  if (!out) {
    std::cerr << "passwerk: cannot write " << out_file << "\n";
    return 1;
  }
  std::cout << "wrote " << out_file << "\n";
  return 0;
}

}  // namespace passwerk::cli
