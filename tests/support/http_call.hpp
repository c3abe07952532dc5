// tests/support/http_call.hpp — one-shot HTTP calls to a local server, without including
// httplib in every test file. Status -1 means no HTTP answer (connection refused, timeout).
#pragma once

#include <chrono>
#include <map>
#include <string>

namespace qg::test {

struct HttpReply {
  int status = -1;
  std::string body;
  std::multimap<std::string, std::string> headers;  // names as sent by the server
  std::string error;                                // set when status == -1
  // First value of a header (case-insensitive name), or "".
  std::string header(const std::string& name) const;
};

using Headers = std::multimap<std::string, std::string>;

HttpReply http_get(const std::string& host, int port, const std::string& path,
                   const Headers& headers = {},
                   std::chrono::milliseconds timeout = std::chrono::seconds{10});
HttpReply http_request(const std::string& method, const std::string& host, int port,
                       const std::string& path, const std::string& body,
                       const std::string& content_type = "application/json",
                       const Headers& headers = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds{10});

}  // namespace qg::test
