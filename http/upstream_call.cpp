// http/upstream_call.cpp — see upstream_call.hpp.
#include "http/upstream_call.hpp"
#include "http/base_url.hpp"

namespace qg {

HeaderList upstream_request_headers(const UpstreamTarget& t, bool stream) {
  HeaderList h;
  if (!t.api_key.empty()) {
    if (t.provider == "gemini") {
      h.emplace_back("x-goog-api-key", t.api_key);
    } else {
      h.emplace_back("Authorization", "Bearer " + t.api_key);
      if (t.provider == "anthropic") h.emplace_back("x-api-key", t.api_key);
    }
  }
  for (const auto& [k, v] : t.extra_headers) h.emplace_back(k, v);
  if (stream) h.emplace_back("Accept", "text/event-stream");
  return h;
}

UpstreamTarget make_upstream_target(const std::string& base_url, const std::string& endpoint_path,
                                    const std::string& provider, const std::string& api_key) {
  UpstreamTarget t;
  t.provider = provider;
  t.api_key = api_key;
  BaseUrl base = split_base_url(base_url);
  if (!base.ok()) return t;
  t.scheme_host_port = std::move(base.origin);
  t.path = (base.has_path ? base.path : std::string("/v1")) + endpoint_path;  // no path at all: /v1
  return t;
}

}  // namespace qg
