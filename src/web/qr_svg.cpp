// QR code → SVG markup. Dark modules of a row are merged into runs, which
// keeps a typical otpauth code around 10 KB.
#include "web/qr_svg.h"

#include <exception>

#include <ZXing/BarcodeFormat.h>
#include <ZXing/BitMatrix.h>
#include <ZXing/CharacterSet.h>
#include <ZXing/MultiFormatWriter.h>

#include "web/html.h"

namespace passwerk::web {

Result<std::string> QrSvg(std::string_view text, std::string_view aria_label,
                          const QrSvgOptions& options) {
  ZXing::BitMatrix matrix;
  try {
    ZXing::MultiFormatWriter writer(ZXing::BarcodeFormat::QRCode);
    writer.setEncoding(ZXing::CharacterSet::UTF8).setMargin(0).setEccLevel(2);  // level M
    // Size 0 asks for one pixel per module; we scale with the viewBox.
    matrix = writer.encode(std::string(text), 0, 0);
  } catch (const std::exception&) {
    return InvalidArgument("text does not fit into a QR code", "text");
  }
  const int q = options.quiet_zone_modules;
  const int size = matrix.width() + 2 * q;
  const std::string px = std::to_string(options.display_size_px);
  std::string svg;
  svg.reserve(16 * 1024);
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"pw-qr\" role=\"img\" aria-label=\"";
  svg += Escape(aria_label);
  svg += "\" width=\"" + px + "\" height=\"" + px + "\" viewBox=\"0 0 " + std::to_string(size) +
         " " + std::to_string(size) + "\" shape-rendering=\"crispEdges\">";
  svg += "<rect x=\"0\" y=\"0\" width=\"" + std::to_string(size) + "\" height=\"" +
         std::to_string(size) + "\" fill=\"#ffffff\"/>";
  for (int y = 0; y < matrix.height(); ++y) {
    int x = 0;
    while (x < matrix.width()) {
      if (!matrix.get(x, y)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < matrix.width() && matrix.get(x + run, y)) ++run;
      svg += "<rect x=\"" + std::to_string(x + q) + "\" y=\"" + std::to_string(y + q) +
             "\" width=\"" + std::to_string(run) + "\" height=\"1\" fill=\"#000000\"/>";
      x += run;
    }
  }
  svg += "</svg>";
  return svg;
}

}  // namespace passwerk::web
