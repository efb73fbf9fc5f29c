// Printable entitlement cards: one ID-1 page (85.60 × 53.98 mm) per card, with
// the card number as text, as a Code 128 barcode and as a QR code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace passwerk::cards {

// What is printed on one card. Text fields are UTF-8 without control characters.
// Only the card number goes into the barcodes: no personal data in codes.
struct CardPrint {
  std::string scheme_name;        // "ErlangenPass 2026"
  std::string municipality_name;  // "Stadt Erlangen – Sozialamt"
  std::string holder_name;        // "Erika Müller"
  std::string card_number;        // 12 digits; printed grouped 4-4-4 "1234 5678 9012"
  int circulation_counter = 1;    // printed small, "Umlauf 1"; must be ≥ 1
  std::string valid_until;        // ISO date "2026-12-31", printed "gültig bis 31.12.2026"
  std::string discount_class;     // optional, printed if non-empty
};

// Card size in millimetres (ISO/IEC 7810 ID-1).
constexpr double kCardWidthMm = 85.60;
constexpr double kCardHeightMm = 53.98;
// Longest accepted text field, in bytes; longer text would be unreadably small.
constexpr size_t kMaxCardTextBytes = 200;
// Most cards in one PDF; the whole document is built in memory.
constexpr size_t kMaxCardsPerPdf = 1000;

// One page per card, each page ID-1 size (so it prints on card printers).
// Returns the PDF bytes. Errors: InvalidArgument for an empty list or a bad
// field (the Status names the field, e.g. "card_number", and the message the
// card's position), ResourceExhausted above kMaxCardsPerPdf, Internal if cairo
// or zxing fail.
Result<std::string> RenderCardPdf(const std::vector<CardPrint>& cards);

// The same drawing of one card as an 8-bit grey-scale raster (row-major,
// stride == width, 0 = black) at `dpi` (72–1200), for tests and previews.
// `width` and `height` receive the raster size in pixels if not null.
Result<std::vector<uint8_t>> RenderCardRaster(const CardPrint& card, int dpi, int* width, int* height);

}  // namespace passwerk::cards
