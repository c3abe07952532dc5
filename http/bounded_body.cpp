// http/bounded_body.cpp — see bounded_body.hpp.
#include "http/bounded_body.hpp"

#include "http/openai_errors.hpp"

#include <httplib.h>

namespace qg {
namespace {

httplib::Server::HandlerWithContentReader bounded(std::size_t max_bytes, BodyHandler handler) {
  return [max_bytes, handler = std::move(handler)](const httplib::Request& req, httplib::Response& res,
                                                    const httplib::ContentReader& reader) {
    std::string body;
    bool too_large = false;
    const bool read = reader([&](const char* data, std::size_t n) {
      if (body.size() + n > max_bytes) {
        too_large = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    if (too_large || !read) {
      res.status = too_large ? 413 : 400;
      res.set_header("Connection", "close");
      res.set_content(openai_error_json(too_large ? "Request body exceeds " + std::to_string(max_bytes) + " bytes."
                                                  : std::string("Malformed request body (chunked framing)."),
                                        openai_error_type(res.status), too_large ? "request_too_large" : "invalid_request"),
                      "application/json");
      return;
    }
    // The request object is httplib's own (const only in the handler signature).
    const_cast<httplib::Request&>(req).body = std::move(body);
    handler(req, res);
  };
}

}  // namespace

void post_bounded(httplib::Server& server, const std::string& pattern, std::size_t max_bytes, BodyHandler handler) {
  server.Post(pattern, bounded(max_bytes, std::move(handler)));
}

void put_bounded(httplib::Server& server, const std::string& pattern, std::size_t max_bytes, BodyHandler handler) {
  server.Put(pattern, bounded(max_bytes, std::move(handler)));
}

}  // namespace qg
