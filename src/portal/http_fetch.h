// The real network behind OidcClient's Fetch: the terminal client's HTTP/1.1
// transport (timeouts, TLS verified against the system CAs or a given file).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "portal/oidc_client.h"
#include "terminal_client/http_client.h"

namespace passwerk::portal {

// Splits an absolute http(s) URL into its origin and the path with query
// ("/" if none): "https://id.example.org/auth?x=1" → {"https://id.example.org",
// "/auth?x=1"}. kInvalidArgument for other schemes, user info or fragments.
Result<std::pair<std::string, std::string>> SplitAbsoluteUrl(std::string_view url);

// A Fetch that may be called from several threads. Idle connections are kept
// per origin for reuse; answers over kMaxProviderBodyBytes are not read.
Fetch MakeHttpFetch(terminal_client::HttpClientOptions options);

}  // namespace passwerk::portal
