// The web assets embedded into the binary (cmake/EmbedAssets.cmake): lookup
// by URL path, versioned URLs for cache busting, and the HTTP response with
// long-lived caching and an ETag.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace passwerk::web {

struct Asset {
  std::string_view url_path;  // "/static/kern/kern.min.css"
  std::string_view content_type;
  std::string_view data;
  std::string etag;  // strong ETag over the content, with quotes
};

// nullptr if there is no such asset.
const Asset* FindAsset(std::string_view url_path);
// All assets, in a stable order.
const std::vector<Asset>& AllAssets();

// `url_path` with "?v=<content hash>" so a changed file is fetched at once
// despite the one-day cache; the path alone if it is not an asset.
std::string AssetUrl(std::string_view url_path);

// 200 with the content (or 304 if If-None-Match matches), Cache-Control
// public for a day.
http::Response ServeAsset(const Asset& asset, const http::Request& request);

}  // namespace passwerk::web
