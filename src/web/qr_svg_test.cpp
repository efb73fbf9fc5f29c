// The QR SVG decodes back to its text (rasterised from our own rects and read
// with zxing-cpp) and stays free of style attributes.
#include "web/qr_svg.h"

#include <regex>
#include <string>
#include <vector>

// zxing-cpp 1.4: text() as UTF-8 std::string (the coming default).
#define ZX_USE_UTF8 1
#include <ZXing/ImageView.h>
#include <ZXing/ReadBarcode.h>
#include <gtest/gtest.h>

namespace passwerk::web {
namespace {

// Paints the SVG's black rects into a grey-scale image, `scale` pixels per module.
std::string DecodeSvg(const std::string& svg, int scale = 4) {
  std::smatch m;
  std::regex viewbox(R"re(viewBox="0 0 (\d+) (\d+)")re");
  if (!std::regex_search(svg, m, viewbox)) return "<no viewBox>";
  const int size = std::stoi(m[1]);
  const int px = size * scale;
  std::vector<uint8_t> image(static_cast<size_t>(px) * px, 255);
  std::regex rect(
      R"re(<rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)" fill="#000000"/>)re");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), rect); it != std::sregex_iterator();
       ++it) {
    int x = std::stoi((*it)[1]), y = std::stoi((*it)[2]);
    int w = std::stoi((*it)[3]), h = std::stoi((*it)[4]);
    for (int yy = y * scale; yy < (y + h) * scale; ++yy) {
      for (int xx = x * scale; xx < (x + w) * scale; ++xx) {
        image[static_cast<size_t>(yy) * px + xx] = 0;
      }
    }
  }
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  ZXing::Result result =
      ZXing::ReadBarcode(ZXing::ImageView(image.data(), px, px, ZXing::ImageFormat::Lum), hints);
  if (!result.isValid()) return "<not decoded>";
  return result.text();
}

TEST(QrSvgTest, DecodesBackToTheOtpauthUri) {
  const std::string uri =
      "otpauth://totp/Passwerk:operator?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Passwerk"
      "&algorithm=SHA1&digits=6&period=30";
  Result<std::string> svg = QrSvg(uri, "QR-Code");
  ASSERT_TRUE(svg.ok()) << svg.status().ToString();
  EXPECT_EQ(DecodeSvg(*svg), uri);
}

TEST(QrSvgTest, DecodesUmlauts) {
  Result<std::string> svg = QrSvg("Gemeinde Ostseebad Göhren – Kurkarte", "QR");
  ASSERT_TRUE(svg.ok());
  EXPECT_EQ(DecodeSvg(*svg), "Gemeinde Ostseebad Göhren – Kurkarte");
}

TEST(QrSvgTest, AccessibleAndCspFriendly) {
  Result<std::string> svg = QrSvg("hello", "Code \"für\" <Passwerk>");
  ASSERT_TRUE(svg.ok());
  EXPECT_EQ(svg->rfind("<svg ", 0), 0u);
  EXPECT_NE(svg->find("role=\"img\""), std::string::npos);
  EXPECT_NE(svg->find("aria-label=\"Code &quot;für&quot; &lt;Passwerk&gt;\""), std::string::npos);
  EXPECT_EQ(svg->find("style"), std::string::npos);
  EXPECT_NE(svg->find("fill=\"#000000\""), std::string::npos);
  EXPECT_NE(svg->find("</svg>"), std::string::npos);
}

TEST(QrSvgTest, QuietZoneIsPartOfTheViewBox) {
  QrSvgOptions options;
  options.quiet_zone_modules = 4;
  Result<std::string> svg = QrSvg("x", "QR", options);
  ASSERT_TRUE(svg.ok());
  // Version 1 is 21 modules; plus 4 on each side.
  EXPECT_NE(svg->find("viewBox=\"0 0 29 29\""), std::string::npos);
  EXPECT_EQ(svg->find("<rect x=\"0\" y=\"0\" width=\"1\""), std::string::npos);
}

TEST(QrSvgTest, TooLongTextIsAnError) {
  Result<std::string> svg = QrSvg(std::string(8000, 'A'), "QR");
  EXPECT_FALSE(svg.ok());
  EXPECT_EQ(svg.status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace passwerk::web
