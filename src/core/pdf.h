// The one place that sets up cairo for documents: a PDF written into memory
// with millimetre coordinates (card printouts, settlement reports), and the
// font settings every drawing shares.
#pragma once

#include <cairo.h>

#include <functional>
#include <memory>
#include <string>

#include "core/status.h"

namespace passwerk::pdf {

constexpr double kPointsPerMm = 72.0 / 25.4;

using SurfacePtr = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using ContextPtr = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

// A PDF whose pages are width_mm × height_mm. `draw` gets a context scaled to
// millimetres and ends every page with cairo_show_page. The metadata names the
// document kind (`title`) and Passwerk, nothing else: a PDF's information
// travels further than its pages. Errors from cairo become kInternal naming `what`.
Result<std::string> Render(double width_mm, double height_mm, const char* title, const char* what,
                           const std::function<Status(cairo_t*)>& draw);

// Raster and PDF get the same unhinted metrics, so both lay out identically.
void UseUnhintedFonts(cairo_t* cr);

// kInternal with cairo's description of `status`.
Status CairoError(const char* what, cairo_status_t status);

// Frees cairo's and fontconfig's process-wide caches (call before exit in
// short-lived commands, and at shutdown, so leak checkers see a clean process).
void ReleaseFontCaches();

}  // namespace passwerk::pdf
