#include "core/pdf.h"

#include <cairo-pdf.h>
#include <dlfcn.h>

namespace passwerk::pdf {
namespace {

cairo_status_t AppendToString(void* closure, const unsigned char* data, unsigned int length) noexcept {
  try {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  } catch (...) {
    return CAIRO_STATUS_WRITE_ERROR;
  }
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

Status CairoError(const char* what, cairo_status_t status) {
  return Internal(std::string(what) + ": " + cairo_status_to_string(status));
}

void UseUnhintedFonts(cairo_t* cr) {
  cairo_font_options_t* options = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
  cairo_set_font_options(cr, options);
  cairo_font_options_destroy(options);
}

Result<std::string> Render(double width_mm, double height_mm, const char* title, const char* what,
                           const std::function<Status(cairo_t*)>& draw) {
  std::string pdf;
  SurfacePtr surface(
      cairo_pdf_surface_create_for_stream(&AppendToString, &pdf, width_mm * kPointsPerMm, height_mm * kPointsPerMm),
      &cairo_surface_destroy);
  if (cairo_status_t s = cairo_surface_status(surface.get()); s != CAIRO_STATUS_SUCCESS) {
    return CairoError("creating PDF surface", s);
  }
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, title);
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "Passwerk");
  {
    ContextPtr cr(cairo_create(surface.get()), &cairo_destroy);
    UseUnhintedFonts(cr.get());
    cairo_scale(cr.get(), kPointsPerMm, kPointsPerMm);
    PW_RETURN_IF_ERROR(draw(cr.get()));
    if (cairo_status_t s = cairo_status(cr.get()); s != CAIRO_STATUS_SUCCESS) {
      return CairoError((std::string("drawing ") + what).c_str(), s);
    }
  }
  cairo_surface_finish(surface.get());
  if (cairo_status_t s = cairo_surface_status(surface.get()); s != CAIRO_STATUS_SUCCESS) {
    return CairoError((std::string("writing ") + what).c_str(), s);
  }
  return pdf;
}

void ReleaseFontCaches() {
  cairo_debug_reset_static_data();
  // fontconfig is cairo's dependency, not ours: look its cleanup up at run time.
  if (auto* fc_fini = reinterpret_cast<void (*)()>(dlsym(RTLD_DEFAULT, "FcFini"))) fc_fini();
}

}  // namespace passwerk::pdf
