// fuzz/sse_relay_fuzz.cpp — libFuzzer target: SSE event splitting and its bound (issue 15).
// The first byte picks the event bound (64..16383 bytes) and the read size; the rest is the
// upstream stream, fed in pieces. The relay never holds more than the bound pending, never
// forwards more than it received, and any usage it keeps is within the accepted range.
#include "fuzz/fuzz_input.hpp"
#include "http/sse_relay.hpp"
#include "messages/usage_range.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t bound = 64 + (static_cast<std::size_t>(data[0]) << 6);
  const std::size_t piece = 1 + data[1] % 97;
  std::string_view stream = qg::fuzz::as_view(data + 2, size - 2);
  qg::SseRelay relay(data[0] & 1, qg::Dialect::chat, bound);
  std::string out;
  while (!stream.empty()) {
    const std::size_t n = std::min(piece, stream.size());
    relay.feed(stream.substr(0, n), out);
    stream.remove_prefix(n);
    if (relay.pending_bytes() > bound) std::abort();
  }
  relay.finish(out);
  if (static_cast<std::int64_t>(out.size()) > relay.bytes_in()) std::abort();
  if (relay.usage() && !qg::usage_in_range(*relay.usage())) std::abort();
  return 0;
}
