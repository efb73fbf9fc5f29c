// QR codes as inline SVG (zxing-cpp): the enrolment page shows the otpauth URI
// this way, so no image request and no third-party QR service is involved.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace passwerk::web {

struct QrSvgOptions {
  int quiet_zone_modules = 4;  // the white border the QR standard asks for
  int display_size_px = 240;   // width/height attributes; the viewBox scales
};

// `<svg role="img" aria-label="…">` with one `<rect>` per run of dark modules
// and `fill` attributes only (no style attributes, so it passes a strict CSP).
// `aria_label` is plain text; it is escaped here. InvalidArgument if the text
// does not fit into a QR code.
Result<std::string> QrSvg(std::string_view text, std::string_view aria_label,
                          const QrSvgOptions& options = {});

}  // namespace passwerk::web
