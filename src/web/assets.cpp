// Builds the lookup table over the generated list of embedded files once.
#include "web/assets.h"

#include <cstdint>
#include <cstdio>
#include <unordered_map>

#include "core/fnv.h"
#include "embedded_assets.h"

namespace passwerk::web {
namespace {

std::string Hex16(uint64_t value) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(value));
  return buffer;
}

struct Table {
  std::vector<Asset> assets;
  std::unordered_map<std::string_view, size_t> by_path;
};

const Table& GetTable() {
  static const Table table = [] {
    Table t;
    const embedded::File* files = embedded::Files();
    size_t count = embedded::FileCount();
    t.assets.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      const embedded::File& f = files[i];
      std::string_view data(reinterpret_cast<const char*>(f.data), f.size);
      t.assets.push_back(Asset{f.url_path, f.content_type, data, "\"" + Hex16(Fnv1a64(data)) + "\""});
    }
    for (size_t i = 0; i < t.assets.size(); ++i) t.by_path.emplace(t.assets[i].url_path, i);
    return t;
  }();
  return table;
}

}  // namespace

const Asset* FindAsset(std::string_view url_path) {
  const Table& table = GetTable();
  auto it = table.by_path.find(url_path);
  return it == table.by_path.end() ? nullptr : &table.assets[it->second];
}

const std::vector<Asset>& AllAssets() { return GetTable().assets; }

std::string AssetUrl(std::string_view url_path) {
  const Asset* asset = FindAsset(url_path);
  if (!asset) return std::string(url_path);
  // The ETag without its quotes, shortened: 48 bits are plenty for versions.
  return std::string(url_path) + "?v=" + asset->etag.substr(1, 12);
}

http::Response ServeAsset(const Asset& asset, const http::Request& request) {
  http::Response response;
  response.AddHeader("Cache-Control", "public, max-age=86400");
  response.AddHeader("ETag", asset.etag);
  response.content_type = std::string(asset.content_type);
  if (auto match = request.Header("if-none-match"); match && match->find(asset.etag) != std::string_view::npos) {
    response.status = 304;
    return response;
  }
  response.status = 200;
  response.body = std::string(asset.data);
  return response;
}

}  // namespace passwerk::web
