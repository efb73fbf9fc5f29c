// PDF set-up: a document rendered into memory with millimetre coordinates,
// metadata naming only the kind of document and Passwerk, and cairo's errors
// turned into kInternal.
#include "core/pdf.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace passwerk::pdf {
namespace {

Status DrawPages(cairo_t* cr, int pages) {
  for (int i = 0; i < pages; ++i) {
    cairo_rectangle(cr, 10, 10, 50, 20);  // millimetres
    cairo_fill(cr);
    cairo_show_page(cr);
  }
  return Status::Ok();
}

TEST(PdfTest, RendersAPdfDocumentInMemory) {
  auto pdf = Render(210, 297, "Settlement", "settlement report", [](cairo_t* cr) { return DrawPages(cr, 2); });
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  ASSERT_GT(pdf->size(), 100u);
  EXPECT_EQ(pdf->substr(0, 5), "%PDF-");
  EXPECT_NE(pdf->rfind("%%EOF"), std::string::npos);
  auto has = [&](const char* pattern) { return std::regex_search(*pdf, std::regex(pattern)); };
  EXPECT_TRUE(has(R"(/Count\s*2\b)")) << "two pages";
  // A4 in points: 595.28 × 841.89.
  EXPECT_TRUE(has(R"(/MediaBox\s*\[\s*0\s+0\s+595\.27\d*\s+841\.88\d*\s*\])"));
  EXPECT_TRUE(has(R"(/Title\s*\(Settlement\))"));
  EXPECT_TRUE(has(R"(/Creator\s*\(Passwerk\))"));
  EXPECT_EQ(pdf->find("/Author"), std::string::npos) << "nothing about who made it";
}

TEST(PdfTest, TheContextIsScaledToMillimetres) {
  double x = 0, y = 0;
  auto pdf = Render(85.6, 54, "Card", "card", [&](cairo_t* cr) {
    x = 85.6;
    y = 54;
    cairo_user_to_device(cr, &x, &y);
    cairo_show_page(cr);
    return Status::Ok();
  });
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  EXPECT_NEAR(x, 85.6 * kPointsPerMm, 1e-9);
  EXPECT_NEAR(y, 54 * kPointsPerMm, 1e-9);
  EXPECT_NEAR(kPointsPerMm * 25.4, 72.0, 1e-12);
}

TEST(PdfTest, ADrawingErrorBecomesInternalNamingWhat) {
  auto pdf = Render(210, 297, "Settlement", "settlement report", [](cairo_t* cr) {
    cairo_restore(cr);  // without a save: cairo's invalid restore
    return Status::Ok();
  });
  ASSERT_FALSE(pdf.ok());
  EXPECT_EQ(pdf.status().code(), ErrorCode::kInternal);
  EXPECT_EQ(pdf.status().message(), "internal error") << "cairo's words go to the log, not to the client";
  EXPECT_NE(pdf.status().detail().find("drawing settlement report"), std::string::npos) << pdf.status().detail();
  EXPECT_NE(pdf.status().detail().find(cairo_status_to_string(CAIRO_STATUS_INVALID_RESTORE)), std::string::npos)
      << pdf.status().detail();
}

TEST(PdfTest, TheDrawingsOwnErrorIsReturnedUnchanged) {
  auto pdf = Render(210, 297, "Settlement", "settlement report",
                    [](cairo_t*) { return InvalidArgument("no such statement", "statement"); });
  ASSERT_FALSE(pdf.ok());
  EXPECT_EQ(pdf.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(pdf.status().field(), "statement");
}

TEST(PdfTest, CairoErrorNamesWhatFailed) {
  Status status = CairoError("writing card", CAIRO_STATUS_NO_MEMORY);
  EXPECT_EQ(status.code(), ErrorCode::kInternal);
  EXPECT_EQ(status.detail(), std::string("writing card: ") + cairo_status_to_string(CAIRO_STATUS_NO_MEMORY));
}

}  // namespace
}  // namespace passwerk::pdf
