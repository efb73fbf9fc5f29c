// Settlement reports as CSV and, drawn with cairo in millimetres on A4, PDF.
#include "settlement/settlement_report.h"

#include <cairo.h>

#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include "core/clock.h"
#include "core/dates.h"
#include "core/money.h"
#include "core/pdf.h"
#include "core/csv.h"
#include "core/utf8.h"

namespace passwerk::settlement {
namespace {

// ---------------------------------------------------------------- CSV

using csv::AppendText;

constexpr std::string_view kCsvHeader =
    "municipality;period;version;state;vu_number;provider;package_number;package;basis;package_revenue_eur;"
    "acceptances;package_acceptances;share_permille;amount_eur\r\n";

// package number → acceptances of all providers paid by acceptances
std::map<std::string, int64_t> PackageAcceptances(const Statement& s) {
  std::map<std::string, int64_t> out;
  for (const StatementLine& l : s.lines) {
    if (l.basis == kBasisAcceptances) out[l.package_number] += l.acceptances;
  }
  return out;
}

void AppendPrefix(std::string& out, const Statement& s) {
  out += s.municipality_number + ";" + s.period + ";" + std::to_string(s.version) + ";" + s.state + ";";
}

void AppendLine(std::string& out, const Statement& s, const StatementLine& l,
                const std::map<std::string, int64_t>& package_acceptances) {
  AppendPrefix(out, s);
  out += l.vu_number + ";";
  AppendText(out, l.provider_name);
  out += ";" + l.package_number + ";";
  AppendText(out, l.package_name);
  out += ";" + l.basis + ";" + EuroCsv(l.package_revenue_cents) + ";";
  if (l.basis == kBasisAcceptances) {
    auto total = package_acceptances.find(l.package_number);
    out += std::to_string(l.acceptances) + ";" + std::to_string(total == package_acceptances.end() ? 0 : total->second);
  } else {
    out += ";";
  }
  out += ";";
  if (l.basis == kBasisShares) out += std::to_string(l.share_permille);
  out += ";" + EuroCsv(l.amount_cents) + "\r\n";
}

// ---------------------------------------------------------------- PDF

using pdf::kPointsPerMm;
constexpr double kPageWidthMm = 210.0;
constexpr double kPageHeightMm = 297.0;
constexpr double kMarginMm = 18.0;
constexpr double kContentWidthMm = kPageWidthMm - 2 * kMarginMm;
constexpr double kBottomLimitMm = kPageHeightMm - 22.0;  // room for the footer
constexpr double kRowMm = 6.2;
constexpr double kTextMm = 3.1;

struct Rgb {
  double r, g, b;
};
constexpr Rgb kWhite{1, 1, 1};
constexpr Rgb kInk{0.07, 0.07, 0.07};
constexpr Rgb kBrand{0.10, 0.24, 0.43};
constexpr Rgb kBrandLight{0.80, 0.86, 0.93};
constexpr Rgb kMuted{0.38, 0.38, 0.38};
constexpr Rgb kRule{0.75, 0.75, 0.75};
constexpr Rgb kHeaderFill{0.92, 0.94, 0.97};
constexpr Rgb kDraft{0.62, 0.25, 0.0};

constexpr const char* kSans = "DejaVu Sans";

enum class Align { kLeft, kRight };

// Valid UTF-8 without control characters: cairo refuses anything else, and
// names come from staff input.
std::string Printable(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    size_t len = utf8::DecodeUtf8(text, i, cp);
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
      out += ' ';
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

void SetColor(cairo_t* cr, const Rgb& c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); }

// One line with its baseline at `y`; set smaller until it fits `max_width`.
void DrawText(cairo_t* cr, const std::string& raw, double size, bool bold, const Rgb& color, double x, double y,
              double max_width, Align align = Align::kLeft) {
  if (raw.empty()) return;
  const std::string text = Printable(raw);
  cairo_select_font_face(cr, kSans, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t extents;
  cairo_text_extents(cr, text.c_str(), &extents);
  if (extents.x_advance > max_width && extents.x_advance > 0) {
    cairo_set_font_size(cr, size * max_width / extents.x_advance);
    cairo_text_extents(cr, text.c_str(), &extents);
  }
  SetColor(cr, color);
  cairo_move_to(cr, align == Align::kRight ? x - extents.x_advance : x, y);
  cairo_show_text(cr, text.c_str());
  cairo_new_path(cr);
}

void FillRect(cairo_t* cr, double x, double y, double w, double h, const Rgb& color) {
  cairo_new_path(cr);
  cairo_rectangle(cr, x, y, w, h);
  SetColor(cr, color);
  cairo_fill(cr);
}

void Rule(cairo_t* cr, double y, double width = 0.2) {
  cairo_new_path(cr);
  cairo_move_to(cr, kMarginMm, y);
  cairo_line_to(cr, kMarginMm + kContentWidthMm, y);
  cairo_set_line_width(cr, width);
  SetColor(cr, kRule);
  cairo_stroke(cr);
}

// "1.234,56 €" as German documents print amounts.
std::string EuroDe(int64_t cents) { return FormatCentsGrouped(cents, ',', '.', "−") + " €"; }

std::string PeriodDe(const std::string& period) {
  static constexpr const char* kMonths[] = {"Januar", "Februar", "März",      "April",   "Mai",      "Juni",
                                            "Juli",   "August",  "September", "Oktober", "November", "Dezember"};
  auto days = PeriodDays(period);
  if (!days) return period;
  Date first = *ParseIsoDate(days->first);
  Date last = *ParseIsoDate(days->second);
  return std::string(kMonths[first.month - 1]) + " " + std::to_string(first.year) + " (" + FormatGermanDate(first) +
         " – " + FormatGermanDate(last) + ")";
}

std::string BasisDe(const std::string& basis) {
  if (basis == kBasisShares) return "fester Anteil";
  if (basis == kBasisAcceptances) return "Akzeptanzen";
  return "nicht zugeordnet";
}

// Per mille as a German percentage: 333 → "33,3 %".
std::string PermilleDe(int64_t permille) {
  return std::to_string(permille / 10) + "," + std::to_string(permille % 10) + " %";
}

struct Column {
  const char* title;
  double width;
  Align align;
};

// Draws a table row; `cells` match `columns`, or one cell spans the row (a note).
void DrawRow(cairo_t* cr, double y, const std::vector<Column>& columns, const std::vector<std::string>& cells,
             bool bold) {
  if (cells.size() == 1) {
    DrawText(cr, cells[0], kTextMm, bold, kMuted, kMarginMm + 1.5, y + kRowMm - 1.9, kContentWidthMm - 3);
    return;
  }
  double x = kMarginMm;
  for (size_t i = 0; i < columns.size(); ++i) {
    const Column& c = columns[i];
    const double pad = 1.5;
    if (c.align == Align::kRight) {
      DrawText(cr, cells[i], kTextMm, bold, kInk, x + c.width - pad, y + kRowMm - 1.9, c.width - 2 * pad,
               Align::kRight);
    } else {
      DrawText(cr, cells[i], kTextMm, bold, kInk, x + pad, y + kRowMm - 1.9, c.width - 2 * pad);
    }
    x += c.width;
  }
}

// The drawing of one provider's report: pages, with a running y position.
class ProviderDrawing {
 public:
  ProviderDrawing(cairo_t* cr, const Statement& s, std::string vu, std::string provider_name)
      : cr_(cr), s_(s), vu_(std::move(vu)), provider_name_(std::move(provider_name)) {}

  void Draw() {
    FirstPageHeader();
    PackagesTable();
    TerminalsTable();
    Footer();
  }

 private:
  void FirstPageHeader() {
    FillRect(cr_, 0, 0, kPageWidthMm, 30, kBrand);
    DrawText(cr_, "Leistungsabrechnung", 7.0, true, kWhite, kMarginMm, 15, kContentWidthMm);
    DrawText(cr_, s_.municipality_name + " · Gemeindenummer " + s_.municipality_number, 3.6, false, kBrandLight,
             kMarginMm, 23, kContentWidthMm);
    y_ = 40;
    Item("Leistungserbringer", provider_name_.empty() ? vu_ : vu_ + " · " + provider_name_);
    Item("Zeitraum", PeriodDe(s_.period));
    std::string version = std::to_string(s_.version);
    if (s_.corrects) version += " (berichtigt die vorige Version, Abrechnung Nr. " + std::to_string(*s_.corrects) + ")";
    Item("Version", version);
    Item("Abrechnung Nr.", std::to_string(s_.id));
    if (s_.state == kStateClosed && s_.closed_at) {
      Item("Stand", "abgeschlossen am " + FormatGermanDate(BerlinDate(*s_.closed_at)), kInk, true);
    } else {
      Item("Stand", "Entwurf vom " + FormatGermanDate(BerlinDate(s_.created_at)) + " – noch nicht abgeschlossen",
           kDraft, true);
    }
    y_ += 4;
  }

  void Item(const std::string& key, const std::string& value, const Rgb& color = kInk, bool bold = false) {
    DrawText(cr_, key, 3.4, false, kMuted, kMarginMm, y_, 42);
    DrawText(cr_, value, 3.4, bold, color, kMarginMm + 44, y_, kContentWidthMm - 44);
    y_ += 5.6;
  }

  void Heading(const std::string& text) {
    NeedRoom(3 * kRowMm + 8);
    y_ += 3;
    DrawText(cr_, text, 4.4, true, kInk, kMarginMm, y_ + 4, kContentWidthMm);
    y_ += 7;
  }

  void HeaderRow(const std::vector<Column>& columns) {
    FillRect(cr_, kMarginMm, y_, kContentWidthMm, kRowMm, kHeaderFill);
    std::vector<std::string> titles;
    for (const Column& c : columns) titles.emplace_back(c.title);
    DrawRow(cr_, y_, columns, titles, true);
    y_ += kRowMm;
    Rule(cr_, y_, 0.3);
  }

  void BodyRow(const std::vector<Column>& columns, const std::vector<std::string>& cells, bool bold = false) {
    if (y_ + kRowMm > kBottomLimitMm) {
      NewPage();
      HeaderRow(columns);
    }
    DrawRow(cr_, y_, columns, cells, bold);
    y_ += kRowMm;
    Rule(cr_, y_);
  }

  void NeedRoom(double mm) {
    if (y_ + mm > kBottomLimitMm) NewPage();
  }

  void NewPage() {
    Footer();
    cairo_show_page(cr_);
    ++page_;
    DrawText(cr_,
             "Leistungsabrechnung " + s_.period + " · Version " + std::to_string(s_.version) + " · " + vu_ + " " +
                 provider_name_,
             3.0, false, kMuted, kMarginMm, 14, kContentWidthMm);
    Rule(cr_, 17);
    y_ = 22;
  }

  void Footer() {
    std::string state = s_.state == kStateClosed ? "abgeschlossen" : "Entwurf";
    DrawText(cr_,
             "Passwerk · Leistungsabrechnung " + s_.period + " · Version " + std::to_string(s_.version) + " · " + state,
             2.6, false, kMuted, kMarginMm, kPageHeightMm - 12, kContentWidthMm - 25);
    DrawText(cr_, "Seite " + std::to_string(page_), 2.6, false, kMuted, kMarginMm + kContentWidthMm, kPageHeightMm - 12,
             25, Align::kRight);
  }

  void PackagesTable() {
    Heading("Pakete");
    const std::vector<Column> columns = {{"Paket", 58, Align::kLeft},
                                         {"Paketumsatz", 28, Align::kRight},
                                         {"Grundlage", 30, Align::kLeft},
                                         {"Akzeptanzen/Anteil", 34, Align::kRight},
                                         {"Betrag", 24, Align::kRight}};
    HeaderRow(columns);
    const auto package_acceptances = PackageAcceptances(s_);
    int64_t total = 0;
    bool any = false;
    for (const StatementLine& l : s_.lines) {
      if (l.vu_number != vu_) continue;
      any = true;
      total += l.amount_cents;
      std::string basis_value;
      if (l.basis == kBasisShares) basis_value = PermilleDe(l.share_permille);
      if (l.basis == kBasisAcceptances) {
        auto it = package_acceptances.find(l.package_number);
        basis_value =
            std::to_string(l.acceptances) + " von " + std::to_string(it == package_acceptances.end() ? 0 : it->second);
      }
      BodyRow(columns, {l.package_number + " " + l.package_name, EuroDe(l.package_revenue_cents), BasisDe(l.basis),
                        basis_value, EuroDe(l.amount_cents)});
    }
    if (!any) BodyRow(columns, {"keine Pakete mit Umsatz in diesem Zeitraum"});
    BodyRow(columns, {"Summe", "", "", "", EuroDe(total)}, true);
  }

  void TerminalsTable() {
    std::vector<const TerminalReconciliation*> own;
    for (const TerminalReconciliation& t : s_.terminals) {
      if (t.vu_number == vu_) own.push_back(&t);
    }
    Heading("Kassenabgleich der Terminals");
    const std::vector<Column> columns = {{"Terminal (TID)", 50, Align::kLeft},
                                         {"bar", 31, Align::kRight},
                                         {"Karte", 31, Align::kRight},
                                         {"verkauft", 31, Align::kRight},
                                         {"Differenz", 31, Align::kRight}};
    HeaderRow(columns);
    if (own.empty()) {
      BodyRow(columns, {"keine Verkäufe an eigenen Terminals in diesem Zeitraum"});
      return;
    }
    TerminalReconciliation sum;
    for (const TerminalReconciliation* t : own) {
      BodyRow(columns, {t->tid, EuroDe(t->cash_cents), EuroDe(t->card_cents), EuroDe(t->sold_cents),
                        EuroDe(t->difference_cents)});
      sum.cash_cents += t->cash_cents;
      sum.card_cents += t->card_cents;
      sum.sold_cents += t->sold_cents;
      sum.difference_cents += t->difference_cents;
    }
    BodyRow(
        columns,
        {"Summe", EuroDe(sum.cash_cents), EuroDe(sum.card_cents), EuroDe(sum.sold_cents), EuroDe(sum.difference_cents)},
        true);
    y_ += 3;
    NeedRoom(6);
    DrawText(cr_, "Differenz = bar + Karte − verkauft; 0,00 € heißt: die Kasse des Terminals stimmt.", 2.8, false,
             kMuted, kMarginMm, y_ + 3, kContentWidthMm);
    y_ += 6;
  }

  cairo_t* cr_;
  const Statement& s_;
  std::string vu_;
  std::string provider_name_;
  double y_ = 0;
  int page_ = 1;
};

std::string ProviderName(const Statement& s, std::string_view vu_number) {
  for (const StatementLine& l : s.lines) {
    if (l.vu_number == vu_number && !l.provider_name.empty()) return l.provider_name;
  }
  for (const TerminalReconciliation& t : s.terminals) {
    if (t.vu_number == vu_number && !t.provider_name.empty()) return t.provider_name;
  }
  return "";
}

}  // namespace

std::string EuroCsv(int64_t cents) { return FormatCents(cents, ','); }

std::string StatementCsv(const Statement& s) {
  std::string csv = "\xEF\xBB\xBF";  // Excel reads UTF-8 only with the byte-order mark
  csv += kCsvHeader;
  const auto package_acceptances = PackageAcceptances(s);
  int64_t total = 0;
  for (const StatementLine& l : s.lines) {
    AppendLine(csv, s, l, package_acceptances);
    total += l.amount_cents;
  }
  AppendPrefix(csv, s);
  csv += ";;;;total;" + EuroCsv(s.revenue_cents) + ";;;;" + EuroCsv(total) + "\r\n";
  return csv;
}

bool NamesProvider(const Statement& s, std::string_view vu_number) {
  if (vu_number.empty()) return false;
  for (const StatementLine& l : s.lines) {
    if (l.vu_number == vu_number) return true;
  }
  for (const TerminalReconciliation& t : s.terminals) {
    if (t.vu_number == vu_number) return true;
  }
  return false;
}

Result<std::string> ProviderCsv(const Statement& s, std::string_view vu_number) {
  if (!NamesProvider(s, vu_number)) return NotFound("the statement names no such provider", "provider");
  std::string csv = "\xEF\xBB\xBF";
  csv += kCsvHeader;
  const auto package_acceptances = PackageAcceptances(s);
  int64_t total = 0;
  for (const StatementLine& l : s.lines) {
    if (l.vu_number != vu_number) continue;
    AppendLine(csv, s, l, package_acceptances);
    total += l.amount_cents;
  }
  AppendPrefix(csv, s);
  csv += std::string(vu_number) + ";";
  AppendText(csv, ProviderName(s, vu_number));
  csv += ";;;total;;;;;" + EuroCsv(total) + "\r\n";
  return csv;
}

Result<std::string> ProviderPdf(const Statement& s, std::string_view vu_number) {
  if (!NamesProvider(s, vu_number)) return NotFound("the statement names no such provider", "provider");
  return pdf::Render(kPageWidthMm, kPageHeightMm, "Leistungsabrechnung", "settlement PDF", [&](cairo_t* cr) {
    ProviderDrawing drawing(cr, s, std::string(vu_number), ProviderName(s, vu_number));
    drawing.Draw();
    cairo_show_page(cr);
    return Status::Ok();
  });
}

nlohmann::json StatementJson(const Statement& s, bool details) {
  using json = nlohmann::json;
  json out = {{"id", s.id},
              {"municipality", s.municipality_number},
              {"municipality_name", s.municipality_name},
              {"period", s.period},
              {"version", s.version},
              {"state", s.state},
              {"corrects", s.corrects ? json(*s.corrects) : json(nullptr)},
              {"revenue_cents", s.revenue_cents},
              {"unallocated_cents", s.unallocated_cents},
              {"currency", "EUR"},
              {"created_at", FormatUtc(s.created_at)},
              {"closed_at", s.closed_at ? json(FormatUtc(*s.closed_at)) : json(nullptr)}};
  if (!details) return out;
  json lines = json::array();
  for (const StatementLine& l : s.lines) {
    lines.push_back({{"line", l.line},
                     {"vu_number", l.vu_number.empty() ? json(nullptr) : json(l.vu_number)},
                     {"provider", l.provider_name.empty() ? json(nullptr) : json(l.provider_name)},
                     {"package_number", l.package_number},
                     {"package", l.package_name},
                     {"basis", l.basis},
                     {"package_revenue_cents", l.package_revenue_cents},
                     {"acceptances", l.acceptances},
                     {"share_permille", l.basis == kBasisShares ? json(l.share_permille) : json(nullptr)},
                     {"amount_cents", l.amount_cents}});
  }
  json terminals = json::array();
  for (const TerminalReconciliation& t : s.terminals) {
    terminals.push_back({{"tid", t.tid},
                         {"vu_number", t.vu_number},
                         {"provider", t.provider_name.empty() ? json(nullptr) : json(t.provider_name)},
                         {"cash_cents", t.cash_cents},
                         {"card_cents", t.card_cents},
                         {"sold_cents", t.sold_cents},
                         {"difference_cents", t.difference_cents}});
  }
  // Per provider: what it receives in total, for the download links.
  std::map<std::string, std::pair<std::string, int64_t>, decltype(&NumberLess)> totals(&NumberLess);
  for (const StatementLine& l : s.lines) {
    if (l.vu_number.empty()) continue;
    auto& entry = totals[l.vu_number];
    entry.first = l.provider_name;
    entry.second += l.amount_cents;
  }
  for (const TerminalReconciliation& t : s.terminals) totals.try_emplace(t.vu_number, t.provider_name, 0);
  json providers = json::array();
  for (const auto& [vu, entry] : totals) {
    providers.push_back({{"vu_number", vu},
                         {"provider", entry.first.empty() ? json(nullptr) : json(entry.first)},
                         {"amount_cents", entry.second}});
  }
  out["lines"] = lines;
  out["terminals"] = terminals;
  out["providers"] = providers;
  return out;
}

std::string ReportFileName(const Statement& s, std::string_view vu_number, std::string_view extension) {
  std::string name = "abrechnung-" + s.municipality_number + "-" + s.period + "-v" + std::to_string(s.version);
  if (!vu_number.empty()) name += "-" + std::string(vu_number);
  return name + "." + std::string(extension);
}

}  // namespace passwerk::settlement
