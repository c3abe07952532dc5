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
      "content-length", "content-type", "content-encoding", "set-cookie"};
  if (name.empty()) return false;
  for (auto d : kDropped)
    if (header_name_equals(name, d)) return false;
  return !header_name_starts_with(name, "proxy-") && !header_name_starts_with(name, "x-quotaguard-");
}

namespace {

// The reply's first header `name` (any case), or end(): a scan of its few headers with
// header_name_equals costs less than a lookup in httplib's case-insensitive map (::tolower per
// character compared).
httplib::Headers::const_iterator find_reply_header(const httplib::Response& res, std::string_view name) {
  return std::find_if(res.headers.begin(), res.headers.end(),
                      [&](const auto& h) { return header_name_equals(h.first, name); });
}

bool reply_has(const httplib::Response& res, std::string_view name) {
  return find_reply_header(res, name) != res.headers.end();
}

// httplib's Response::set_header (a header with CR or LF would split the reply: not set), with
// the check over the whole value (httplib's stops at a NUL byte).
void add_header(httplib::Response& res, const std::string& name, const std::string& value) {
  if (!has_line_break(name) && !has_line_break(value)) res.headers.emplace(name, value);
}

}  // namespace

std::string_view reply_header(const httplib::Response& res, std::string_view name) {
  const auto it = find_reply_header(res, name);
  return it == res.headers.end() ? std::string_view() : std::string_view(it->second.c_str());  // to a NUL, as httplib's
}

void relay_upstream_headers(httplib::Response& res, const HeaderList& upstream) {
  for (auto it = upstream.begin(); it != upstream.end(); ++it) {
    const auto& [name, value] = *it;
    if (header_name_equals(name, kRequestIdHeader)) {
      if (value != reply_header(res, kRequestIdHeader) && !reply_has(res, kUpstreamRequestIdHeader))
        add_header(res, kUpstreamRequestIdHeader, value);
      continue;
    }
    if (!relayed_upstream_header(name)) continue;
    // A repeated header went with its first occurrence: every value, in order.
    const auto same_name = [&](const auto& h) { return header_name_equals(h.first, name); };
    if (std::any_of(upstream.begin(), it, same_name) || reply_has(res, name)) continue;
    for (auto v = it; v != upstream.end(); ++v)
      if (same_name(*v)) add_header(res, v->first, v->second);
  }
}

}  // namespace qg
