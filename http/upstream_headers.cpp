// http/upstream_headers.cpp — see upstream_headers.hpp.
#include "http/upstream_headers.hpp"
#include "http/request_id.hpp"

#include <httplib.h>

#include <algorithm>
#include <cctype>

namespace qg {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

}  // namespace

bool relayed_upstream_header(std::string_view name) {
  static constexpr std::string_view kDropped[] = {
      "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade",
      "content-length", "content-type", "content-encoding", "set-cookie"};
  if (name.empty()) return false;
  for (auto d : kDropped)
    if (iequals(name, d)) return false;
  return !istarts_with(name, "proxy-") && !istarts_with(name, "x-quotaguard-");
}

void relay_upstream_headers(httplib::Response& res, const HeaderList& upstream) {
  for (const auto& [name, value] : upstream) {
    if (iequals(name, kRequestIdHeader)) {
      if (value != res.get_header_value(kRequestIdHeader) && !res.has_header(kUpstreamRequestIdHeader))
        res.set_header(kUpstreamRequestIdHeader, value);
      continue;
    }
    if (!relayed_upstream_header(name) || res.has_header(name)) continue;
    // Every value of a repeated header, in order (the check above sees the first only).
    for (const auto& [n, v] : upstream)
      if (iequals(n, name)) res.set_header(n, v);
  }
}

}  // namespace qg
