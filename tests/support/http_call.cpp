// tests/support/http_call.cpp — see http_call.hpp.
#include "tests/support/http_call.hpp"

#include <httplib.h>

#include <strings.h>

namespace qg::test {

std::string HttpReply::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (::strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  return "";
}

HttpReply http_request(const std::string& method, const std::string& host, int port,
                       const std::string& path, const std::string& body,
                       const std::string& content_type, const Headers& headers,
                       std::chrono::milliseconds timeout) {
  httplib::Client client(host, port);
  client.set_tcp_nodelay(true);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  httplib::Request req;
  req.method = method;
  req.path = path;
  for (const auto& [k, v] : headers) req.headers.emplace(k, v);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.body = body;
    req.headers.emplace("Content-Type", content_type);
  }
  HttpReply reply;
  auto result = client.send(req);
  if (!result) {
    reply.error = httplib::to_string(result.error());
    return reply;
  }
  reply.status = result->status;
  reply.body = result->body;
  for (const auto& [k, v] : result->headers) reply.headers.emplace(k, v);
  return reply;
}

HttpReply http_get(const std::string& host, int port, const std::string& path,
                   const Headers& headers, std::chrono::milliseconds timeout) {
  return http_request("GET", host, port, path, "", "", headers, timeout);
}

}  // namespace qg::test
