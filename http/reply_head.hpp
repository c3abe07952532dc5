// http/reply_head.hpp — a reply's headers kept out of httplib's map until its head is written,
// and the head then written by one of httplib's formatted writes instead of one per header.
//
// httplib 0.11 (a compiled library) keeps a reply's headers in a std::multimap ordered without
// regard to case (::tolower per character compared: ~3k instructions to insert one of the
// provider's rate-limit headers) and writes each with its own snprintf (Stream::write_format,
// "%s: %s\r\n", a 2 KiB buffer zeroed per call: ~1.3k instructions a header, 17 a proxied
// reply). For the daemon's listener (HttpServer) a reply is begun by the pre-routing handler;
// headers added with add_reply_header (the provider's relayed headers, the x-quotaguard-* ones)
// are then held on the side. The post-routing handler, which httplib calls after adding its own
// headers and just before it writes the head, calls finish_reply_head: the held headers join
// the map's order, and the headers become one map entry whose value carries the other lines
// ("v1\r\nName2: v2\r\n..."), so httplib's one snprintf writes the bytes its seventeen would.
//
// The bytes are httplib's: the order of its map (names compared as ::tolower compares them in
// the "C" locale, which the daemon never changes; a name's values in the order added), each name
// and value up to a NUL byte as "%s" writes them. A reply with a content provider (a stream) keeps
// Content-Type an entry of its own: httplib reads it again when the provider runs. Outside a
// begun reply (a bare httplib::Server, tests) add_reply_header is httplib's set_header.
// One reply per thread at a time: httplib runs a request's routing and its head's write on the
// connection's thread.
#pragma once

#include <string>
#include <string_view>

namespace httplib {
struct Response;
}

namespace qg {

// The pre-routing handler's first step: headers added to `res` on this thread are held from now.
void begin_reply(const httplib::Response& res);

// Adds the header as httplib's Response::set_header does (neither name nor value with a CR or
// LF — the whole text checked, httplib's check stops at a NUL byte): held while `res` is the
// reply begun on this thread, unless `res` already has that name in its map, or httplib's head
// writer asks its map for it (Content-Type, Content-Length, Accept-Ranges).
void add_reply_header(httplib::Response& res, const std::string& name, const std::string& value);

// The first value of header `name` (any case) of `res`, held ones included, "" when it has none:
// what Response::get_header_value answers (for values without a NUL byte), by a scan of the
// reply's few headers instead of a lookup in httplib's map (::tolower per character compared).
// Valid until a header is added to or removed from `res`.
std::string_view reply_header(const httplib::Response& res, std::string_view name);
// Whether `res` has header `name` (any case), held ones included: Response::has_header.
bool reply_has_header(const httplib::Response& res, std::string_view name);

// The post-routing handler's step: see above. Headers are no longer readable one by one after
// it (the head is what httplib writes next).
void finish_reply_head(httplib::Response& res);

}  // namespace qg
