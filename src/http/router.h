// Maps (method, path) to a handler. Patterns are literal segments or `{name}`
// captures. Each route has a stable name used as the metrics label.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/message.h"

namespace passwerk::http {

using Handler = std::function<Response(Request&)>;

class Router {
 public:
  // `scope`: the API token scope the route needs (`passwerk routes` prints
  // it; the handler enforces it), empty for routes without a token.
  void Add(std::string method, std::string pattern, std::string name, Handler handler, std::string scope = {});

  struct Match {
    const Handler* handler = nullptr;
    std::string route_name;  // "not_found" / "method_not_allowed" when unmatched
    int status = 200;        // 404 / 405 when unmatched
  };
  // Fills request.path_params on success.
  Match Find(Request& request) const;

  struct Entry {
    std::string method;
    std::string pattern;  // as added: "/api/v1/users/{id}"
    std::string name;
    std::string scope;
  };
  // Every route in the order added (`passwerk routes`, the API description test).
  std::vector<Entry> Entries() const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    std::string name;
    Handler handler;
    std::string scope;
  };
  std::vector<Route> routes_;
  // Routes without captures by their pattern, which is the one path they
  // match: such a route beats every other for its method, so a hit needs no
  // scan of all routes (the partner check is answered thousands of times a second).
  std::unordered_map<std::string, std::vector<size_t>> literal_routes_;
};

}  // namespace passwerk::http
