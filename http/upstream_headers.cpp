// http/upstream_headers.cpp — see upstream_headers.hpp.
#include "http/upstream_headers.hpp"
#include "http/request_id.hpp"
#include "messages/ascii_text.hpp"

#include <httplib.h>

#include <algorithm>

namespace qg {

bool relayed_upstream_header(std::string_view name) {
  static constexpr std::string_view kDropped[] = {
      "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade",
      "content-length", "content-type", "content-encoding", "set-cookie",
      "authorization", "x-api-key", "x-goog-api-key"};
  if (name.empty()) return false;
  for (auto d : kDropped)
    if (header_name_equals(name, d)) return false;
  return !header_name_starts_with(name, "proxy-") && !header_name_starts_with(name, "x-quotaguard-");
}

void relay_upstream_headers(httplib::Response& res, const HeaderList& upstream) {
  for (auto it = upstream.begin(); it != upstream.end(); ++it) {
    const auto& [name, value] = *it;
    if (header_name_equals(name, kRequestIdHeader)) {
      if (value != reply_header(res, kRequestIdHeader) && !reply_has_header(res, kUpstreamRequestIdHeader))
        add_reply_header(res, kUpstreamRequestIdHeader, value);
      continue;
    }
    if (!relayed_upstream_header(name)) continue;
    // A repeated header went with its first occurrence: every value, in order.
    const auto same_name = [&](const auto& h) { return header_name_equals(h.first, name); };
    if (std::any_of(upstream.begin(), it, same_name) || reply_has_header(res, name)) continue;
    for (auto v = it; v != upstream.end(); ++v)
      if (same_name(*v)) add_reply_header(res, v->first, v->second);
  }
}

}  // namespace qg
