// http/bounded_body.hpp — POST/PUT routes whose body is read with a bound, chunked included.
//
// httplib 0.11 enforces its payload limit only on Content-Length bodies: a chunked body is
// read into memory whatever its size (measured: 100 KB accepted with a 1 KB limit). The front
// door (http_server.hpp) refuses an oversized Content-Length before reading; routes
// registered here also read the body through httplib's ContentReader and stop at
// `max_bytes`: 413 (with Connection: close, the rest stays unread), or 400 when the chunked
// framing is malformed. The handler then sees the whole body in `req.body` as usual. A chunked
// request's answer says Connection: close (its connection ends after it): httplib 0.11 takes
// chunk data that runs past its size as the end of the body, and the bytes after it would be
// read as the next request.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace qg {

using BodyHandler = std::function<void(const httplib::Request&, httplib::Response&)>;

void post_bounded(httplib::Server& server, const std::string& pattern, std::size_t max_bytes, BodyHandler handler);
void put_bounded(httplib::Server& server, const std::string& pattern, std::size_t max_bytes, BodyHandler handler);

}  // namespace qg
