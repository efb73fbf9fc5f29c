// Route matching: literal segments beat `{name}` captures, so `/users/me` wins
// over `/users/{id}` whatever the order of registration. HEAD falls back to GET.
#include "http/router.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string_view>

namespace passwerk::http {
namespace {

constexpr size_t kMaxSegments = 63;  // specificity is a bit per segment in a uint64_t

bool IsCapture(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// "/a/b" → {"a","b"}; "/" → {}; "/a/" → {"a",""}.
std::vector<std::string> SplitPattern(const std::string& pattern) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + pattern);
  }
  std::vector<std::string> segments;
  if (pattern == "/") return segments;
  size_t start = 1;
  while (true) {
    size_t slash = pattern.find('/', start);
    segments.push_back(pattern.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (segments.size() > kMaxSegments) throw std::invalid_argument("route pattern too long: " + pattern);
  for (const auto& segment : segments) {
    if (IsCapture(segment) && segment.size() == 2) {
      throw std::invalid_argument("route capture needs a name: " + pattern);
    }
  }
  return segments;
}

// Matches `path` against `segments`; on success returns true and sets a
// specificity score (one bit per segment, literal = 1, leftmost most significant).
bool MatchPath(const std::vector<std::string>& segments, std::string_view path, uint64_t& score) {
  score = 0;
  if (path.empty() || path.front() != '/') return false;
  if (segments.empty()) return path == "/";
  if (path.size() == 1) return false;
  std::string_view rest = path.substr(1);
  for (size_t i = 0; i < segments.size(); ++i) {
    size_t slash = rest.find('/');
    bool last = slash == std::string_view::npos;
    if (last != (i + 1 == segments.size())) return false;  // different segment count
    std::string_view part = rest.substr(0, slash);
    const std::string& segment = segments[i];
    if (IsCapture(segment)) {
      if (part.empty()) return false;
      score <<= 1;
    } else {
      if (part != segment) return false;
      score = (score << 1) | 1;
    }
    if (!last) rest = rest.substr(slash + 1);
  }
  return true;
}

void FillParams(const std::vector<std::string>& segments, std::string_view path,
                std::map<std::string, std::string>& params) {
  params.clear();
  std::string_view rest = path.size() > 1 ? path.substr(1) : std::string_view();
  for (const auto& segment : segments) {
    size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    if (IsCapture(segment)) params[segment.substr(1, segment.size() - 2)] = std::string(part);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
}

}  // namespace

void Router::Add(std::string method, std::string pattern, std::string name, Handler handler, std::string scope) {
  std::vector<std::string> segments = SplitPattern(pattern);
  for (const auto& route : routes_) {
    if (route.method == method && route.segments == segments) {
      throw std::invalid_argument("duplicate route: " + method + " " + pattern);
    }
  }
  bool literal = std::none_of(segments.begin(), segments.end(), [](const std::string& s) { return IsCapture(s); });
  routes_.push_back(
      Route{std::move(method), std::move(segments), std::move(name), std::move(handler), std::move(scope)});
  if (literal) literal_routes_[pattern].push_back(routes_.size() - 1);
}

Router::Match Router::Find(Request& request) const {
  if (auto literal = literal_routes_.find(request.path); literal != literal_routes_.end()) {
    for (size_t index : literal->second) {
      const Route& route = routes_[index];
      if (route.method != request.method) continue;
      request.path_params.clear();
      Match match;
      match.handler = &route.handler;
      match.route_name = route.name;
      return match;
    }
  }
  // Only routes with as many segments as the path can match: a cheap filter
  // before comparing segments.
  const std::string_view path = request.path;
  const size_t path_segments = path == "/" ? 0 : static_cast<size_t>(std::count(path.begin(), path.end(), '/'));
  const Route* best = nullptr;
  uint64_t best_score = 0;
  const Route* best_get = nullptr;  // for HEAD without an explicit HEAD route
  uint64_t best_get_score = 0;
  bool path_matched = false;
  const bool is_head = request.method == "HEAD";

  for (const auto& route : routes_) {
    uint64_t score = 0;
    if (route.segments.size() != path_segments) continue;
    if (!MatchPath(route.segments, path, score)) continue;
    path_matched = true;
    if (route.method == request.method) {
      if (best == nullptr || score > best_score) {
        best = &route;
        best_score = score;
      }
    } else if (is_head && route.method == "GET") {
      if (best_get == nullptr || score > best_get_score) {
        best_get = &route;
        best_get_score = score;
      }
    }
  }
  if (best == nullptr) best = best_get;

  Match match;
  if (best != nullptr) {
    FillParams(best->segments, request.path, request.path_params);
    match.handler = &best->handler;
    match.route_name = best->name;
    match.status = 200;
  } else if (path_matched) {
    match.route_name = "method_not_allowed";
    match.status = 405;
  } else {
    match.route_name = "not_found";
    match.status = 404;
  }
  return match;
}

std::vector<Router::Entry> Router::Entries() const {
  std::vector<Entry> out;
  out.reserve(routes_.size());
  for (const Route& route : routes_) {
    std::string pattern;
    for (const std::string& segment : route.segments) pattern += "/" + segment;
    out.push_back({route.method, pattern.empty() ? "/" : pattern, route.name, route.scope});
  }
  return out;
}

}  // namespace passwerk::http
