// http/http1_response.hpp — an HTTP/1.1 response read incrementally: the head, then the body
// as its framing says (chunked transfer coding, Content-Length, or until the connection
// closes). Pure (no I/O): the streamed upstream call (http/upstream_stream.cpp) feeds it the
// bytes as they arrive on the relaying thread, which httplib's blocking client cannot do.
#pragma once

#include "http/ratelimit_parsers.hpp"  // HeaderList

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qg {

struct ResponseHead {
  int status = 0;
  bool http11 = true;      // HTTP/1.1 (keep-alive by default) rather than HTTP/1.0
  HeaderList headers;
};

// Where the head ends in `buffer`: the offset just past its blank line, or npos while it is
// incomplete. Bare LF line ends are accepted as well as CRLF.
std::size_t response_head_end(std::string_view buffer);

// Parses a complete head (status line and header lines, blank line included or not).
// nullopt when the status line or a header line is malformed: a field name that is not a token,
// a value with a control character other than HTAB (the relay copies both into the client's head),
// or more than 256 header lines.
std::optional<ResponseHead> parse_response_head(std::string_view head);

class BodyDecoder {
 public:
  enum class Framing { none, length, chunked, until_close };

  explicit BodyDecoder(const ResponseHead& head);

  // Decodes raw body bytes, appending the payload to `out`. Bytes past the body's end make the
  // connection unusable (not reusable()), never part of the body.
  void feed(std::string_view in, std::string& out);
  // The connection closed: ends an until_close body; for the other framings, a body that is
  // not complete yet has failed.
  void closed();

  Framing framing() const { return framing_; }
  bool done() const { return done_; }
  bool failed() const { return failed_; }
  const char* failure() const { return failure_; }
  // After done(): may the connection carry another request?
  bool reusable() const { return done_ && !failed_ && keep_alive_ && !extra_bytes_; }

 private:
  enum class Chunk { size_line, data, data_end, trailer };
  void feed_chunked(std::string_view in, std::string& out);
  void fail(const char* why);

  Framing framing_ = Framing::until_close;
  bool keep_alive_ = true;
  bool done_ = false;
  bool failed_ = false;
  bool extra_bytes_ = false;
  const char* failure_ = "";
  std::uint64_t remaining_ = 0;  // length: body bytes still due; chunked: of the current chunk
  Chunk chunk_ = Chunk::size_line;
  std::string line_;             // chunked: the size / trailer line being read
};

}  // namespace qg
