// http/http1_response.cpp — see http1_response.hpp.
#include "http/http1_response.hpp"

#include "messages/ascii_text.hpp"

#include <algorithm>
#include <charconv>
#include <system_error>

namespace qg {
namespace {

constexpr std::size_t kMaxChunkLine = 4096;
// Header lines in an upstream head (providers send 10-40). More is a malformed head: the relay
// looks each name up among those before it, quadratic in their count.
constexpr std::size_t kMaxResponseHeaders = 256;

// "a, b ,c" contains `token` (any case)?
bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    if (header_name_equals(trim_space(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// A field name is a token (RFC 9110 §5.1): letters, digits and !#$%&'*+-.^_`|~. Anything else
// (a blank before the colon, a control character, a byte past ASCII) would reach the client's
// head as it is, where a lenient client may read "Content-Length\f" as Content-Length.
bool is_token(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) continue;
    switch (c) {
      case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
      case '^': case '_': case '`': case '|': case '~': continue;
      default: return false;
    }
  }
  return true;
}

// A control character other than HTAB in a field value (RFC 9110 §5.5: NUL, CR, LF invalid; the
// other controls no valid value holds either).
bool has_control(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

std::size_t response_head_end(std::string_view buffer) {
  for (std::size_t i = buffer.find('\n'); i != std::string_view::npos; i = buffer.find('\n', i + 1)) {
    if (i + 1 < buffer.size() && buffer[i + 1] == '\n') return i + 2;
    if (i + 2 < buffer.size() && buffer[i + 1] == '\r' && buffer[i + 2] == '\n') return i + 3;
  }
  return std::string_view::npos;
}

std::optional<ResponseHead> parse_response_head(std::string_view head) {
  ResponseHead out;
  auto next_line = [&head]() {
    const auto lf = head.find('\n');
    std::string_view line = head.substr(0, lf);
    head = lf == std::string_view::npos ? std::string_view() : head.substr(lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  // "HTTP/1.1 200 OK"
  const std::string_view status_line = next_line();
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.") || status_line[8] != ' ') return std::nullopt;
  out.http11 = status_line[7] != '0';
  const auto code = status_line.substr(9, 3);
  if (std::from_chars(code.data(), code.data() + 3, out.status).ptr != code.data() + 3 || out.status < 100)
    return std::nullopt;
  if (status_line.size() > 12 && status_line[12] != ' ') return std::nullopt;
  out.headers.reserve(16);  // a provider's reply has 10-20: not five regrowths of the list
  while (!head.empty()) {
    const std::string_view line = next_line();
    if (line.empty()) break;
    if (out.headers.size() == kMaxResponseHeaders) return std::nullopt;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 || !is_token(line.substr(0, colon))) return std::nullopt;
    const std::string_view value = trim_space(line.substr(colon + 1));
    if (has_control(value)) return std::nullopt;
    out.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return out;
}

BodyDecoder::BodyDecoder(const ResponseHead& head) {
  const auto connection = find_header(head.headers, "Connection");
  keep_alive_ = head.http11 ? !(connection && has_token(*connection, "close"))
                            : (connection && has_token(*connection, "keep-alive"));
  if (head.status < 200 || head.status == 204 || head.status == 304) {
    framing_ = Framing::none;
    done_ = true;
    return;
  }
  const auto length = find_header(head.headers, "Content-Length");
  if (auto te = find_header(head.headers, "Transfer-Encoding")) {
    // With a Content-Length too the chunked coding frames the body, and the connection is not
    // used again (RFC 9112 §6.3: a sender that does so may be desynchronised).
    if (length) keep_alive_ = false;
    if (!has_token(*te, "chunked")) {  // another coding last: the body ends with the connection
      framing_ = Framing::until_close;
      keep_alive_ = false;
      return;
    }
    framing_ = Framing::chunked;
    return;
  }
  if (length) {
    // Content-Length repeated with another value: where the body ends is unknown (RFC 9112 §6.3).
    for (const auto& [name, value] : head.headers)
      if (header_name_equals(name, "Content-Length") && trim_space(value) != trim_space(*length)) {
        fail("conflicting Content-Length");
        return;
      }
    const std::string_view v = trim_space(*length);
    const auto parsed = std::from_chars(v.data(), v.data() + v.size(), remaining_);
    if (v.empty() || parsed.ec != std::errc() || parsed.ptr != v.data() + v.size()) {  // ec: past 64 bits
      fail("malformed Content-Length");
      return;
    }
    framing_ = Framing::length;
    done_ = remaining_ == 0;
    return;
  }
  framing_ = Framing::until_close;
  keep_alive_ = false;
}

void BodyDecoder::fail(const char* why) {
  failed_ = true;
  failure_ = why;
}

void BodyDecoder::closed() {
  if (done_ || failed_) return;
  if (framing_ == Framing::until_close) done_ = true;
  else fail("connection closed before the end of the body");
}

void BodyDecoder::feed(std::string_view in, std::string& out) {
  if (failed_) return;
  if (done_) {
    extra_bytes_ = extra_bytes_ || !in.empty();
    return;
  }
  switch (framing_) {
    case Framing::none: extra_bytes_ = extra_bytes_ || !in.empty(); return;
    case Framing::until_close: out.append(in); return;
    case Framing::length: {
      const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
      out.append(in.substr(0, take));
      remaining_ -= take;
      done_ = remaining_ == 0;
      extra_bytes_ = extra_bytes_ || take < in.size();
      return;
    }
    case Framing::chunked: feed_chunked(in, out); return;
  }
}

void BodyDecoder::feed_chunked(std::string_view in, std::string& out) {
  while (!in.empty() && !done_ && !failed_) {
    if (chunk_ == Chunk::data) {
      const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
      out.append(in.substr(0, take));
      in.remove_prefix(take);
      remaining_ -= take;
      if (remaining_ == 0) chunk_ = Chunk::data_end;
      continue;
    }
    // A line: the chunk size, the CRLF after a chunk's data, or a trailer line.
    const auto lf = in.find('\n');
    line_.append(in.substr(0, lf));
    if (line_.size() > kMaxChunkLine) return fail("chunk line too long");
    if (lf == std::string_view::npos) return;
    in.remove_prefix(lf + 1);
    std::string_view line = line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (chunk_ == Chunk::data_end) {
      if (!line.empty()) return fail("chunk data longer than its size");
      chunk_ = Chunk::size_line;
    } else if (chunk_ == Chunk::size_line) {
      const std::string_view hex = trim_space(line.substr(0, line.find(';')));
      const auto parsed = std::from_chars(hex.data(), hex.data() + hex.size(), remaining_, 16);
      if (hex.empty() || parsed.ec != std::errc() || parsed.ptr != hex.data() + hex.size())  // ec: past 64 bits
        return fail("malformed chunk size");
      chunk_ = remaining_ == 0 ? Chunk::trailer : Chunk::data;
    } else if (line.empty()) {  // the blank line after the trailers
      done_ = true;
    }
    line_.clear();
  }
  if (done_ && !in.empty()) extra_bytes_ = true;
}

}  // namespace qg
