// http/base_url.hpp — the one URL splitter: a base URL into origin and path prefix.
//
// "https://api.example.com:8443/v1/" -> origin "https://api.example.com:8443", path "/v1"
// (trailing slashes dropped; "" when the URL has no path). Used for upstream accounts
// (proxy calls, `quotaguard check`) and telegram.api_base. Only http and https are accepted.
#pragma once

#include <string>
#include <string_view>

namespace qg {

struct BaseUrl {
  std::string origin;  // scheme://host[:port], what an httplib client is built from
  std::string path;    // "" or "/v1" (never ends with '/')
  bool has_path = false;  // a '/' followed the host ("http://h/" has one, "http://h" not)
  std::string error;   // why the URL is unusable ("" when ok)
  bool ok() const { return error.empty(); }
};

inline BaseUrl split_base_url(std::string_view url) {
  BaseUrl b;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    b.error = "must start with https:// or http://";
    return b;
  }
  const std::string_view scheme = url.substr(0, scheme_end);
  if (scheme != "https" && scheme != "http") {
    b.error = "scheme must be https or http, got \"" + std::string(scheme) + "\"";
    return b;
  }
  const auto host_start = scheme_end + 3;
  const auto slash = url.find('/', host_start);
  b.origin = std::string(url.substr(0, slash));
  if (b.origin.size() <= host_start) {
    b.error = "missing host";
    b.origin.clear();
    return b;
  }
  b.has_path = slash != std::string_view::npos;
  if (b.has_path) b.path = std::string(url.substr(slash));
  while (!b.path.empty() && b.path.back() == '/') b.path.pop_back();
  return b;
}

}  // namespace qg
