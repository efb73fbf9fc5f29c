// Card printing with cairo: one drawing in millimetres, sent either to a PDF
// surface (for the card printer) or to an image surface (tests, previews).
#include "cards/card_pdf.h"

#include <ZXing/BarcodeFormat.h>
#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>
#include <cairo.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string_view>

#include "core/pdf.h"

namespace passwerk::cards {
namespace {

// Barcode modules are whole dots of a 300 dpi card printer (and so of 600 dpi
// previews): bars print with even widths instead of alternating rounding.
constexpr double kDotMm = 25.4 / 300.0;
constexpr double kCode128ModuleMm = 5 * kDotMm;  // 0.42 mm: scans well on worn cards
constexpr int kCode128QuietModules = 10;         // ISO/IEC 15417 minimum
constexpr double kCode128HeightMm = 8.0;
constexpr double kQrModuleMm = 10 * kDotMm;  // 0.85 mm: 17.8 mm for a version 1 code
constexpr int kQrQuietModules = 4;           // ISO/IEC 18004 minimum
constexpr int kQrEccLevelHigh = 8;           // zxing's 0–8 scale; H still fits version 1

constexpr double kMarginMm = 4.5;
constexpr double kHeaderHeightMm = 12.5;
constexpr double kNameSizeMm = 4.6;
constexpr double kNameBaselineMm = 20.0;

struct Rgb {
  double r, g, b;
};
constexpr Rgb kWhite{1, 1, 1};
constexpr Rgb kInk{0.07, 0.07, 0.07};
constexpr Rgb kBarcodeInk{0, 0, 0};
constexpr Rgb kBrand{0.10, 0.24, 0.43};       // header band, a sober dark blue
constexpr Rgb kBrandLight{0.80, 0.86, 0.93};  // municipality line on the band
constexpr Rgb kMuted{0.38, 0.38, 0.38};

constexpr const char* kSansFamily = "DejaVu Sans";
constexpr const char* kMonoFamily = "DejaVu Sans Mono";

using pdf::CairoError;
using pdf::ContextPtr;
using pdf::SurfacePtr;
using pdf::UseUnhintedFonts;

// A card that passed validation, with its codes encoded and its text formatted.
struct PreparedCard {
  std::string scheme_name;
  std::string municipality_name;
  std::string holder_name;
  std::string grouped_number;
  std::string circulation;
  std::string valid_until;
  std::string discount_class;
  ZXing::BitMatrix code128;
  ZXing::BitMatrix qr;
};

// UTF-8 that cairo accepts and that prints without tofu: well-formed, no
// surrogates or overlong forms, no control characters.
bool IsPrintableUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    uint32_t cp = 0;
    size_t len = 0;
    if (lead < 0x80) {
      cp = lead;
      len = 1;
    } else if ((lead & 0xE0) == 0xC0) {
      cp = lead & 0x1F;
      len = 2;
    } else if ((lead & 0xF0) == 0xE0) {
      cp = lead & 0x0F;
      len = 3;
    } else if ((lead & 0xF8) == 0xF0) {
      cp = lead & 0x07;
      len = 4;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cont = static_cast<unsigned char>(s[i + k]);
      if ((cont & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cont & 0x3F);
    }
    static constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kSmallest[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return false;
    i += len;
  }
  return true;
}

Status ValidateText(std::string_view value, const char* field, bool required) {
  if (required && value.empty()) return InvalidArgument(std::string(field) + " is required", field);
  if (value.size() > kMaxCardTextBytes) {
    return InvalidArgument(std::string(field) + " is longer than " + std::to_string(kMaxCardTextBytes) + " bytes",
                           field);
  }
  if (!IsPrintableUtf8(value)) {
    return InvalidArgument(std::string(field) + " must be UTF-8 text without control characters", field);
  }
  return Status::Ok();
}

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "2026-12-31" → "31.12.2026"; nullopt unless a real calendar date.
std::optional<std::string> GermanDate(std::string_view iso) {
  if (iso.size() != 10 || iso[4] != '-' || iso[7] != '-') return std::nullopt;
  const std::string_view year = iso.substr(0, 4), month = iso.substr(5, 2), day = iso.substr(8, 2);
  if (!AllDigits(year) || !AllDigits(month) || !AllDigits(day)) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{std::stoi(std::string(year))},
                                        std::chrono::month{static_cast<unsigned>(std::stoi(std::string(month)))},
                                        std::chrono::day{static_cast<unsigned>(std::stoi(std::string(day)))}};
  if (!ymd.ok()) return std::nullopt;
  return std::string(day) + "." + std::string(month) + "." + std::string(year);
}

Status ValidateCard(const CardPrint& card) {
  if (card.card_number.size() != 12 || !AllDigits(card.card_number)) {
    return InvalidArgument("card_number must be exactly 12 digits", "card_number");
  }
  PW_RETURN_IF_ERROR(ValidateText(card.scheme_name, "scheme_name", true));
  PW_RETURN_IF_ERROR(ValidateText(card.municipality_name, "municipality_name", true));
  PW_RETURN_IF_ERROR(ValidateText(card.holder_name, "holder_name", true));
  PW_RETURN_IF_ERROR(ValidateText(card.discount_class, "discount_class", false));
  if (!GermanDate(card.valid_until)) {
    return InvalidArgument("valid_until must be a date as YYYY-MM-DD", "valid_until");
  }
  if (card.circulation_counter < 1) {
    return InvalidArgument("circulation_counter must be at least 1", "circulation_counter");
  }
  return Status::Ok();
}

// Without quiet zones: the drawing reserves and paints those itself.
ZXing::BitMatrix Encode(ZXing::BarcodeFormat format, const std::string& digits) {
  ZXing::MultiFormatWriter writer(format);
  writer.setMargin(0);
  if (format == ZXing::BarcodeFormat::QRCode) writer.setEccLevel(kQrEccLevelHigh);
  return writer.encode(digits, 0, 0);  // size 0: one matrix cell per module
}

// Expects a card that passed ValidateCard.
Result<PreparedCard> Prepare(const CardPrint& card) {
  PreparedCard p;
  p.scheme_name = card.scheme_name;
  p.municipality_name = card.municipality_name;
  p.holder_name = card.holder_name;
  const std::string& n = card.card_number;
  p.grouped_number = n.substr(0, 4) + " " + n.substr(4, 4) + " " + n.substr(8, 4);
  p.circulation = "Umlauf " + std::to_string(card.circulation_counter);
  p.valid_until = "gültig bis " + GermanDate(card.valid_until).value_or("");
  p.discount_class = card.discount_class;
  try {
    p.code128 = Encode(ZXing::BarcodeFormat::Code128, n);
    p.qr = Encode(ZXing::BarcodeFormat::QRCode, n);
  } catch (const std::exception& e) {
    return Internal(std::string("barcode encoding failed: ") + e.what());
  }
  if (p.code128.width() == 0 || p.qr.width() == 0) return Internal("barcode encoding gave no modules");
  return p;
}

double SnapToDot(double mm) { return std::round(mm / kDotMm) * kDotMm; }

void SetColor(cairo_t* cr, const Rgb& c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); }

enum class Align { kLeft, kCenter, kRight };

struct TextStyle {
  const char* family;
  cairo_font_weight_t weight;
  double size_mm;
  Rgb color;
};

// Draws one line with its baseline at `y`; too long a line is set smaller
// until it fits `max_width`, so no name is ever cut off.
void DrawText(cairo_t* cr, const std::string& text, const TextStyle& style, double x, double y, double max_width,
              Align align) {
  if (text.empty()) return;
  cairo_select_font_face(cr, style.family, CAIRO_FONT_SLANT_NORMAL, style.weight);
  cairo_set_font_size(cr, style.size_mm);
  cairo_text_extents_t extents;
  cairo_text_extents(cr, text.c_str(), &extents);
  if (extents.x_advance > max_width) {
    cairo_set_font_size(cr, style.size_mm * max_width / extents.x_advance);
    cairo_text_extents(cr, text.c_str(), &extents);
  }
  double left = x;
  if (align == Align::kCenter) left = x - extents.x_advance / 2;
  if (align == Align::kRight) left = x - extents.x_advance;
  SetColor(cr, style.color);
  cairo_move_to(cr, left, y);
  cairo_show_text(cr, text.c_str());
  cairo_new_path(cr);
}

// All dark modules go into one path filled once, so viewers show no hairline
// seams between neighbouring modules. Runs of a row become one rectangle.
void DrawModules(cairo_t* cr, const ZXing::BitMatrix& matrix, double x, double y, double module_width,
                 double module_height) {
  cairo_new_path(cr);
  for (int row = 0; row < matrix.height(); ++row) {
    int col = 0;
    while (col < matrix.width()) {
      if (!matrix.get(col, row)) {
        ++col;
        continue;
      }
      int run = 1;
      while (col + run < matrix.width() && matrix.get(col + run, row)) ++run;
      cairo_rectangle(cr, x + col * module_width, y + row * module_height, run * module_width, module_height);
      col += run;
    }
  }
  SetColor(cr, kBarcodeInk);
  cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
  cairo_fill(cr);
}

void FillRect(cairo_t* cr, double x, double y, double w, double h, const Rgb& color) {
  cairo_new_path(cr);
  cairo_rectangle(cr, x, y, w, h);
  SetColor(cr, color);
  cairo_fill(cr);
}

// The card in millimetres, origin top left.
void DrawCard(cairo_t* cr, const PreparedCard& card) {
  cairo_save(cr);
  FillRect(cr, 0, 0, kCardWidthMm, kCardHeightMm, kWhite);

  // Header band: who issues the card and which scheme it belongs to.
  FillRect(cr, 0, 0, kCardWidthMm, kHeaderHeightMm, kBrand);
  const double full_width = kCardWidthMm - 2 * kMarginMm;
  DrawText(cr, card.municipality_name, {kSansFamily, CAIRO_FONT_WEIGHT_NORMAL, 2.5, kBrandLight}, kMarginMm, 4.9,
           full_width, Align::kLeft);
  DrawText(cr, card.scheme_name, {kSansFamily, CAIRO_FONT_WEIGHT_BOLD, 4.3, kWhite}, kMarginMm, 10.2, full_width,
           Align::kLeft);

  // QR code on the right, its quiet zone kept white and clear of text.
  const double qr_size = card.qr.width() * kQrModuleMm;
  const double qr_quiet = kQrQuietModules * kQrModuleMm;
  const double qr_x = SnapToDot(kCardWidthMm - kMarginMm - qr_size);
  const double qr_y = SnapToDot(kNameBaselineMm - kNameSizeMm * 0.73);  // level with the cap height
  FillRect(cr, qr_x - qr_quiet, qr_y - qr_quiet, qr_size + 2 * qr_quiet, qr_size + 2 * qr_quiet, kWhite);
  DrawModules(cr, card.qr, qr_x, qr_y, kQrModuleMm, kQrModuleMm);

  // Text column left of the QR code's quiet zone.
  const double column_width = qr_x - qr_quiet - 1.0 - kMarginMm;
  DrawText(cr, card.holder_name, {kSansFamily, CAIRO_FONT_WEIGHT_BOLD, kNameSizeMm, kInk}, kMarginMm, kNameBaselineMm,
           column_width, Align::kLeft);
  DrawText(cr, card.valid_until, {kSansFamily, CAIRO_FONT_WEIGHT_NORMAL, 2.9, kInk}, kMarginMm, 25.3, column_width,
           Align::kLeft);
  DrawText(cr, card.discount_class, {kSansFamily, CAIRO_FONT_WEIGHT_NORMAL, 2.9, kInk}, kMarginMm, 29.6, column_width,
           Align::kLeft);
  DrawText(cr, card.grouped_number, {kMonoFamily, CAIRO_FONT_WEIGHT_BOLD, 4.0, kInk}, kMarginMm, 36.4, column_width,
           Align::kLeft);

  // Code 128 along the bottom, bars aligned with the text column.
  const double bars_width = card.code128.width() * kCode128ModuleMm;
  const double bars_quiet = kCode128QuietModules * kCode128ModuleMm;
  const double bars_x = SnapToDot(kMarginMm);
  const double bars_y = SnapToDot(kCardHeightMm - 4.0 - kCode128HeightMm);
  FillRect(cr, bars_x - bars_quiet, bars_y, bars_width + 2 * bars_quiet, kCode128HeightMm, kWhite);
  DrawModules(cr, card.code128, bars_x, bars_y, kCode128ModuleMm, kCode128HeightMm);

  // Circulation counter, small, bottom right under the QR code.
  DrawText(cr, card.circulation, {kSansFamily, CAIRO_FONT_WEIGHT_NORMAL, 2.2, kMuted}, kCardWidthMm - kMarginMm,
           bars_y + kCode128HeightMm, qr_size, Align::kRight);
  cairo_restore(cr);
}

}  // namespace

Result<std::string> RenderCardPdf(const std::vector<CardPrint>& cards) {
  if (cards.empty()) return InvalidArgument("no cards to print", "cards");
  if (cards.size() > kMaxCardsPerPdf) {
    return ResourceExhausted("at most " + std::to_string(kMaxCardsPerPdf) + " cards per print run");
  }
  std::vector<PreparedCard> prepared;
  prepared.reserve(cards.size());
  for (size_t i = 0; i < cards.size(); ++i) {
    if (Status s = ValidateCard(cards[i]); !s.ok()) {
      // The field keeps its plain name; the message says which card it was.
      return InvalidArgument("card " + std::to_string(i + 1) + ": " + s.message(), s.field());
    }
    PW_ASSIGN_OR_RETURN(PreparedCard p, Prepare(cards[i]));
    prepared.push_back(std::move(p));
  }

  return pdf::Render(kCardWidthMm, kCardHeightMm, "Passwerk card", "card PDF", [&](cairo_t* cr) {
    for (const PreparedCard& card : prepared) {
      DrawCard(cr, card);
      cairo_show_page(cr);
    }
    return Status::Ok();
  });
}

Result<std::vector<uint8_t>> RenderCardRaster(const CardPrint& card, int dpi, int* width, int* height) {
  if (dpi < 72 || dpi > 1200) return InvalidArgument("dpi must be between 72 and 1200", "dpi");
  PW_RETURN_IF_ERROR(ValidateCard(card));
  PW_ASSIGN_OR_RETURN(PreparedCard prepared, Prepare(card));

  const double px_per_mm = dpi / 25.4;
  const int w = static_cast<int>(std::lround(kCardWidthMm * px_per_mm));
  const int h = static_cast<int>(std::lround(kCardHeightMm * px_per_mm));
  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h), &cairo_surface_destroy);
  if (cairo_status_t s = cairo_surface_status(surface.get()); s != CAIRO_STATUS_SUCCESS) {
    return CairoError("creating image surface", s);
  }
  {
    ContextPtr cr(cairo_create(surface.get()), &cairo_destroy);
    UseUnhintedFonts(cr.get());
    cairo_scale(cr.get(), px_per_mm, px_per_mm);
    DrawCard(cr.get(), prepared);
    if (cairo_status_t s = cairo_status(cr.get()); s != CAIRO_STATUS_SUCCESS) {
      return CairoError("drawing card raster", s);
    }
  }
  cairo_surface_flush(surface.get());

  // RGB24 pixels are native-endian 0x00RRGGBB words; luma per ITU-R BT.601.
  const unsigned char* data = cairo_image_surface_get_data(surface.get());
  const int stride = cairo_image_surface_get_stride(surface.get());
  std::vector<uint8_t> grey(static_cast<size_t>(w) * static_cast<size_t>(h));
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      uint32_t pixel = 0;
      std::memcpy(&pixel, data + static_cast<size_t>(y) * stride + static_cast<size_t>(x) * 4, sizeof pixel);
      const uint32_t r = (pixel >> 16) & 0xFF, g = (pixel >> 8) & 0xFF, b = pixel & 0xFF;
      grey[static_cast<size_t>(y) * w + x] = static_cast<uint8_t>((299 * r + 587 * g + 114 * b + 500) / 1000);
    }
  }
  if (width != nullptr) *width = w;
  if (height != nullptr) *height = h;
  return grey;
}

}  // namespace passwerk::cards
