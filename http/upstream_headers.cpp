// http/upstream_headers.cpp — see upstream_headers.hpp.
#include "http/upstream_headers.hpp"
#include "http/request_id.hpp"

#include <httplib.h>

namespace qg {

bool relayed_upstream_header(std::string_view name) {
  static constexpr std::string_view kDropped[] = {
      "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade",
      "content-length", "content-type", "content-encoding", "set-cookie"};
  if (name.empty()) return false;
  for (auto d : kDropped)
    if (header_name_equals(name, d)) return false;
  return !header_name_starts_with(name, "proxy-") && !header_name_starts_with(name, "x-quotaguard-");
}

void relay_upstream_headers(httplib::Response& res, const HeaderList& upstream) {
  for (const auto& [name, value] : upstream) {
    if (header_name_equals(name, kRequestIdHeader)) {
      if (value != res.get_header_value(kRequestIdHeader) && !res.has_header(kUpstreamRequestIdHeader))
        res.set_header(kUpstreamRequestIdHeader, value);
      continue;
    }
    if (!relayed_upstream_header(name) || res.has_header(name)) continue;
    // Every value of a repeated header, in order (the check above sees the first only).
    for (const auto& [n, v] : upstream)
      if (header_name_equals(n, name)) res.set_header(n, v);
  }
}

}  // namespace qg
