// fuzz/http1_response_fuzz.cpp — libFuzzer target: the incremental HTTP/1.1 response reader
// the streamed upstream calls use (http/http1_response.hpp, issue 17), on hostile upstream
// replies. The first byte picks the read size; the rest is the reply (head, then body bytes).
// Decoding the body in one piece and in pieces must agree on the payload and the verdict, and
// the payload is never longer than the bytes received.
#include "fuzz/fuzz_input.hpp"
#include "http/http1_response.hpp"

#include <cstdlib>
#include <string>

namespace {
struct Decoded {
  std::string body;
  bool done = false, failed = false, reusable = false;
};

Decoded decode(const qg::ResponseHead& head, std::string_view raw, std::size_t piece) {
  qg::BodyDecoder decoder(head);
  Decoded d;
  while (!raw.empty()) {
    const std::size_t n = std::min(piece, raw.size());
    decoder.feed(raw.substr(0, n), d.body);
    raw.remove_prefix(n);
  }
  decoder.closed();
  d.done = decoder.done();
  d.failed = decoder.failed();
  d.reusable = decoder.reusable();
  return d;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t piece = 1 + data[0] % 61;
  const std::string_view reply = qg::fuzz::as_view(data + 1, size - 1);
  const std::size_t end = qg::response_head_end(reply);
  if (end == std::string_view::npos) return 0;
  const auto head = qg::parse_response_head(reply.substr(0, end));
  if (!head) return 0;
  const std::string_view body = reply.substr(end);
  const Decoded whole = decode(*head, body, body.size() + 1);
  const Decoded pieces = decode(*head, body, piece);
  if (whole.body.size() > body.size()) std::abort();
  if (whole.body != pieces.body || whole.done != pieces.done || whole.failed != pieces.failed ||
      whole.reusable != pieces.reusable)
    std::abort();
  if (whole.done && whole.failed) std::abort();
  return 0;
}
