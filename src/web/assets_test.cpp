// The embedded assets are there, typed, and served with caching headers.
#include "web/assets.h"

#include <gtest/gtest.h>

namespace passwerk::web {
namespace {

TEST(AssetsTest, KernAndOwnFilesAreEmbedded) {
  for (std::string_view path : {"/static/kern/kern.min.css", "/static/kern/fonts/fira-sans.css",
                                "/static/kern/fonts/fira-sans/FiraSans-Regular.woff2",
                                "/static/passwerk.css", "/static/favicon.svg"}) {
    const Asset* asset = FindAsset(path);
    ASSERT_NE(asset, nullptr) << path;
    EXPECT_GT(asset->data.size(), 0u) << path;
  }
  EXPECT_EQ(FindAsset("/static/kern/kern.min.css")->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(FindAsset("/static/kern/fonts/fira-sans/FiraSans-Bold.woff2")->content_type,
            "font/woff2");
  EXPECT_EQ(FindAsset("/static/nope.css"), nullptr);
  EXPECT_EQ(FindAsset("/static/kern/fonts/fira-sans/fira-sans.scss"), nullptr);
}

TEST(AssetsTest, EveryFontTheFontCssNamesIsEmbedded) {
  const Asset* css = FindAsset("/static/kern/fonts/fira-sans.css");
  ASSERT_NE(css, nullptr);
  std::string_view text = css->data;
  size_t found = 0;
  for (size_t pos = text.find("url(\"./"); pos != std::string_view::npos;
       pos = text.find("url(\"./", pos + 1)) {
    size_t end = text.find('"', pos + 7);
    ASSERT_NE(end, std::string_view::npos);
    std::string path = "/static/kern/fonts/" + std::string(text.substr(pos + 7, end - pos - 7));
    EXPECT_NE(FindAsset(path), nullptr) << path;
    ++found;
  }
  EXPECT_GT(found, 0u);
}

TEST(AssetsTest, WoffStartsWithItsMagic) {
  const Asset* font = FindAsset("/static/kern/fonts/fira-sans/FiraSans-Regular.woff2");
  ASSERT_NE(font, nullptr);
  EXPECT_EQ(font->data.substr(0, 4), "wOF2");
}

TEST(AssetsTest, ServeSetsCachingAndHonoursEtag) {
  const Asset* asset = FindAsset("/static/passwerk.css");
  ASSERT_NE(asset, nullptr);
  http::Request request;
  request.method = "GET";
  request.path = "/static/passwerk.css";
  http::Response response = ServeAsset(*asset, request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, asset->data);
  EXPECT_EQ(response.content_type, "text/css; charset=utf-8");
  bool cache = false;
  std::string etag;
  for (const auto& [name, value] : response.headers) {
    if (name == "Cache-Control") cache = value == "public, max-age=86400";
    if (name == "ETag") etag = value;
  }
  EXPECT_TRUE(cache);
  ASSERT_FALSE(etag.empty());

  request.headers.emplace_back("if-none-match", etag);
  http::Response again = ServeAsset(*asset, request);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
}

TEST(AssetsTest, AssetUrlCarriesAContentVersion) {
  std::string url = AssetUrl("/static/kern/kern.min.css");
  EXPECT_EQ(url.rfind("/static/kern/kern.min.css?v=", 0), 0u);
  EXPECT_EQ(url.size(), std::string("/static/kern/kern.min.css?v=").size() + 12);
  EXPECT_EQ(AssetUrl("/static/none.css"), "/static/none.css");
}

}  // namespace
}  // namespace passwerk::web
