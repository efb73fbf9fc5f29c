// Printed cards: ID-1 pages, one per card, both codes read back with zxing from
// the same drawing rendered as a raster, no personal data in the PDF metadata.
#include "cards/card_pdf.h"

#include <cairo.h>
#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

// zxing-cpp 1.4: text() as UTF-8 std::string (the coming default).
#define ZX_USE_UTF8 1
#include <ZXing/ImageView.h>
#include <ZXing/ReadBarcode.h>
#include <gtest/gtest.h>

namespace passwerk::cards {
namespace {

// cairo and fontconfig keep font caches for the life of the process; freeing
// them at the end keeps LeakSanitizer's report to our own code. fontconfig
// comes with cairo and is looked up at run time, so the test links cairo only.
class FontCacheCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    cairo_debug_reset_static_data();
    if (auto* fc_fini = reinterpret_cast<void (*)()>(dlsym(RTLD_DEFAULT, "FcFini"))) fc_fini();
  }
};
[[maybe_unused]] ::testing::Environment* const kFontCacheCleanup =
    ::testing::AddGlobalTestEnvironment(new FontCacheCleanup);

constexpr double kId1WidthPt = 242.65;   // 85.60 mm
constexpr double kId1HeightPt = 153.01;  // 53.98 mm

CardPrint ErikaCard() {
  CardPrint card;
  card.scheme_name = "ErlangenPass 2026";
  card.municipality_name = "Stadt Erlangen – Sozialamt";
  card.holder_name = "Erika Müller";
  card.card_number = "123456789012";
  card.circulation_counter = 1;
  card.valid_until = "2026-12-31";
  card.discount_class = "Ermäßigungsstufe A";
  return card;
}

// Every text field long and full of umlauts: the layout shrinks text to fit and
// must keep it out of the codes' quiet zones.
CardPrint LongUmlautCard() {
  CardPrint card;
  card.scheme_name = "Sozialpass für Bürgerinnen und Bürger der Großen Kreisstadt Überlingen";
  card.municipality_name = "Große Kreisstadt Überlingen – Amt für Soziales, Jugend, Familie und Integration";
  card.holder_name = "Hans-Jürgen Maximilian Schäfer-Großkopf von Überlingen-Nußdorf";
  card.card_number = "000000000000";
  card.circulation_counter = 123;
  card.valid_until = "2028-02-29";
  card.discount_class = "Ermäßigungsstufe B – ÖPNV, Bäder, Bücherei, Musikschule, Volkshochschule";
  return card;
}

// PDF structure is read by plain scanning: enough for cairo's output, and no
// <regex> (slow, and GCC 12 warns inside it at -O1 with sanitizers).
size_t SkipSpace(const std::string& s, size_t pos) {
  while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos]))) ++pos;
  return pos;
}

// Page objects ("/Type /Page", not "/Type /Pages").
int CountPages(const std::string& pdf) {
  int pages = 0;
  for (size_t pos = pdf.find("/Type"); pos != std::string::npos; pos = pdf.find("/Type", pos)) {
    pos = SkipSpace(pdf, pos + 5);
    if (pdf.compare(pos, 5, "/Page") == 0 &&
        (pos + 5 == pdf.size() || !std::isalnum(static_cast<unsigned char>(pdf[pos + 5])))) {
      ++pages;
    }
  }
  return pages;
}

struct Box {
  double x0, y0, x1, y1;
};

std::vector<Box> MediaBoxes(const std::string& pdf) {
  std::vector<Box> boxes;
  for (size_t pos = pdf.find("/MediaBox"); pos != std::string::npos; pos = pdf.find("/MediaBox", pos + 1)) {
    const size_t open = SkipSpace(pdf, pos + 9);
    if (open >= pdf.size() || pdf[open] != '[') continue;
    const char* cursor = pdf.c_str() + open + 1;
    double v[4];
    bool parsed = true;
    for (double& value : v) {
      char* end = nullptr;
      value = std::strtod(cursor, &end);
      parsed = parsed && end != cursor;
      cursor = end;
    }
    if (parsed) boxes.push_back({v[0], v[1], v[2], v[3]});
  }
  return boxes;
}

// The document information dictionary the trailer points to, or "" if none.
std::string InfoDictionary(const std::string& pdf) {
  const size_t info = pdf.rfind("/Info");
  if (info == std::string::npos) return "";
  const size_t number_start = SkipSpace(pdf, info + 5);
  size_t number_end = number_start;
  while (number_end < pdf.size() && std::isdigit(static_cast<unsigned char>(pdf[number_end]))) {
    ++number_end;
  }
  if (number_end == number_start) return "";
  const std::string header = "\n" + pdf.substr(number_start, number_end - number_start) + " 0 obj";
  const size_t start = pdf.find(header);
  if (start == std::string::npos) return "";
  const size_t end = pdf.find("endobj", start);
  return pdf.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

struct Decoded {
  ZXing::BarcodeFormat format;
  std::string text;
};

// One ReadBarcode per format: zxing-cpp 1.4's ReadBarcodes asserts when it
// merges several line scans of one Code 128 symbol (Result::operator==).
std::vector<Decoded> ReadCodes(const std::vector<uint8_t>& grey, int width, int height) {
  const ZXing::ImageView image(grey.data(), width, height, ZXing::ImageFormat::Lum);
  std::vector<Decoded> out;
  for (ZXing::BarcodeFormat format : {ZXing::BarcodeFormat::Code128, ZXing::BarcodeFormat::QRCode}) {
    ZXing::DecodeHints hints;
    hints.setFormats(format);
    const ZXing::Result result = ZXing::ReadBarcode(image, hints);
    if (result.isValid()) out.push_back({result.format(), result.text()});
  }
  return out;
}

TEST(CardPdfTest, OnePdfPagePerCard) {
  const std::vector<CardPrint> cards = {ErikaCard(), LongUmlautCard(), ErikaCard()};
  auto pdf = RenderCardPdf(cards);
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  EXPECT_EQ(pdf->rfind("%PDF-", 0), 0u);
  EXPECT_EQ(CountPages(*pdf), 3);

  auto single = RenderCardPdf({ErikaCard()});
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  EXPECT_EQ(CountPages(*single), 1);
}

TEST(CardPdfTest, EveryPageIsId1Size) {
  auto pdf = RenderCardPdf({ErikaCard(), LongUmlautCard()});
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  const std::vector<Box> boxes = MediaBoxes(*pdf);
  ASSERT_EQ(boxes.size(), 2u);
  for (const Box& box : boxes) {
    EXPECT_NEAR(box.x1 - box.x0, kId1WidthPt, 0.5);
    EXPECT_NEAR(box.y1 - box.y0, kId1HeightPt, 0.5);
  }
}

TEST(CardPdfTest, MetadataHasTitleButNoPersonalData) {
  auto pdf = RenderCardPdf({ErikaCard()});
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  const std::string info = InfoDictionary(*pdf);
  ASSERT_FALSE(info.empty()) << "no /Info dictionary";
  EXPECT_NE(info.find("(Passwerk card)"), std::string::npos) << info;
  for (const char* personal : {"Erika", "Müller", "123456789012"}) {
    EXPECT_EQ(info.find(personal), std::string::npos) << personal << " in " << info;
  }
  // Non-ASCII strings would be written as UTF-16BE hex: "Erika" is 0045 0072 0069 006B 0061.
  EXPECT_EQ(Upper(info).find("004500720069006B0061"), std::string::npos) << info;
  EXPECT_EQ(pdf->find("/Metadata"), std::string::npos) << "unexpected XMP metadata stream";
}

// Parameter: which sample card (a name prints better in test output than the struct).
class CardReadBackTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CardReadBackTest, BothCodesDecodeToTheCardNumber) {
  const CardPrint card = GetParam() == "Erika" ? ErikaCard() : LongUmlautCard();
  int width = 0, height = 0;
  auto raster = RenderCardRaster(card, 600, &width, &height);
  ASSERT_TRUE(raster.ok()) << raster.status().ToString();
  EXPECT_EQ(width, 2022);   // 85.60 mm at 600 dpi
  EXPECT_EQ(height, 1275);  // 53.98 mm
  ASSERT_EQ(raster->size(), static_cast<size_t>(width) * height);

  const std::vector<Decoded> codes = ReadCodes(*raster, width, height);
  std::set<ZXing::BarcodeFormat> found;
  for (const Decoded& code : codes) {
    EXPECT_EQ(code.text, card.card_number) << ZXing::ToString(code.format);
    found.insert(code.format);
  }
  EXPECT_TRUE(found.count(ZXing::BarcodeFormat::Code128)) << "Code 128 not found";
  EXPECT_TRUE(found.count(ZXing::BarcodeFormat::QRCode)) << "QR code not found";
}

INSTANTIATE_TEST_SUITE_P(Cards, CardReadBackTest, ::testing::Values("Erika", "LongUmlauts"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) { return param_info.param; });

TEST(CardPdfTest, RasterIsGreyWithDarkInkAndWhitePaper) {
  int width = 0, height = 0;
  auto raster = RenderCardRaster(ErikaCard(), 150, &width, &height);
  ASSERT_TRUE(raster.ok()) << raster.status().ToString();
  EXPECT_EQ(width, 506);
  EXPECT_EQ(height, 319);
  const auto [darkest, lightest] = std::minmax_element(raster->begin(), raster->end());
  EXPECT_EQ(*darkest, 0);
  EXPECT_EQ(*lightest, 255);
}

TEST(CardPdfTest, UmlautsRender) {
  CardPrint card = ErikaCard();
  card.holder_name = "Jörg Äbißer-Öztürk";
  card.scheme_name = "Nürnberg-Pass Übergangsjahr";
  card.municipality_name = "Stadt Nürnberg – Amt für Existenzsicherung";
  card.discount_class = "Ermäßigung für Bäder";
  auto pdf = RenderCardPdf({card});
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  EXPECT_EQ(CountPages(*pdf), 1);
  int width = 0, height = 0;
  auto raster = RenderCardRaster(card, 300, &width, &height);
  ASSERT_TRUE(raster.ok()) << raster.status().ToString();
}

TEST(CardPdfTest, EmptyDiscountClassIsFine) {
  CardPrint card = ErikaCard();
  card.discount_class.clear();
  auto pdf = RenderCardPdf({card});
  EXPECT_TRUE(pdf.ok()) << pdf.status().ToString();
}

TEST(CardPdfTest, EmptyListIsInvalid) {
  auto pdf = RenderCardPdf({});
  ASSERT_FALSE(pdf.ok());
  EXPECT_EQ(pdf.status().code(), ErrorCode::kInvalidArgument);
}

TEST(CardPdfTest, TooManyCardsAreRefused) {
  auto pdf = RenderCardPdf(std::vector<CardPrint>(kMaxCardsPerPdf + 1, ErikaCard()));
  ASSERT_FALSE(pdf.ok());
  EXPECT_EQ(pdf.status().code(), ErrorCode::kResourceExhausted);
}

TEST(CardPdfTest, CardNumberMustBeTwelveDigits) {
  for (const char* bad : {"", "12345678901", "1234567890123", "12345678901a", "1234 5678 9012",
                          "１２３４５６７８９０１２", "-23456789012"}) {
    CardPrint card = ErikaCard();
    card.card_number = bad;
    auto pdf = RenderCardPdf({ErikaCard(), card});
    ASSERT_FALSE(pdf.ok()) << bad;
    EXPECT_EQ(pdf.status().code(), ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(pdf.status().field(), "card_number") << bad;
    EXPECT_NE(pdf.status().message().find("card 2"), std::string::npos) << pdf.status().message();

    auto raster = RenderCardRaster(card, 300, nullptr, nullptr);
    ASSERT_FALSE(raster.ok()) << bad;
    EXPECT_EQ(raster.status().code(), ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(raster.status().field(), "card_number") << bad;
  }
}

TEST(CardPdfTest, OtherFieldsAreValidated) {
  struct Case {
    void (*edit)(CardPrint&);
    const char* field;
  };
  const Case cases[] = {
      {[](CardPrint& c) { c.valid_until = ""; }, "valid_until"},
      {[](CardPrint& c) { c.valid_until = "31.12.2026"; }, "valid_until"},
      {[](CardPrint& c) { c.valid_until = "2026-02-30"; }, "valid_until"},
      {[](CardPrint& c) { c.valid_until = "2026-13-01"; }, "valid_until"},
      {[](CardPrint& c) { c.holder_name = ""; }, "holder_name"},
      {[](CardPrint& c) { c.holder_name = "Erika\nMüller"; }, "holder_name"},
      {[](CardPrint& c) { c.holder_name = "M\xFCller"; }, "holder_name"},  // Latin-1, not UTF-8
      {[](CardPrint& c) { c.holder_name = std::string(kMaxCardTextBytes + 1, 'x'); }, "holder_name"},
      {[](CardPrint& c) { c.scheme_name = ""; }, "scheme_name"},
      {[](CardPrint& c) { c.municipality_name = "\xE2\x80"; }, "municipality_name"},
      {[](CardPrint& c) { c.discount_class = "\xC0\xAF"; }, "discount_class"},  // overlong '/'
      {[](CardPrint& c) { c.circulation_counter = 0; }, "circulation_counter"},
  };
  for (const Case& test_case : cases) {
    CardPrint card = ErikaCard();
    test_case.edit(card);
    auto pdf = RenderCardPdf({card});
    ASSERT_FALSE(pdf.ok()) << test_case.field;
    EXPECT_EQ(pdf.status().code(), ErrorCode::kInvalidArgument) << test_case.field;
    EXPECT_EQ(pdf.status().field(), test_case.field);
  }
}

TEST(CardPdfTest, RasterDpiIsBounded) {
  for (int dpi : {0, -300, 71, 1201}) {
    auto raster = RenderCardRaster(ErikaCard(), dpi, nullptr, nullptr);
    ASSERT_FALSE(raster.ok()) << dpi;
    EXPECT_EQ(raster.status().field(), "dpi");
  }
}

}  // namespace
}  // namespace passwerk::cards
