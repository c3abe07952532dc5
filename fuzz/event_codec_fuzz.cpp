// fuzz/event_codec_fuzz.cpp — libFuzzer target: stored event payloads (messages/event_codec
// decode_payload). Input: version byte, event type, NUL, payload JSON. A payload that decodes
// to a known event must re-encode and decode to the same JSON (the log's round trip).
#include "fuzz/fuzz_input.hpp"
#include "messages/event_codec.hpp"

#include <cstdlib>
#include <string>
#include <variant>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int version = data[0] % 3;
  auto parts = qg::fuzz::split(qg::fuzz::as_view(data + 1, size - 1), '\0', 2);
  if (parts.size() < 2) return 0;
  std::string warning;
  auto payload = qg::decode_payload(parts[0], parts[1], version, &warning);
  if (std::holds_alternative<qg::UnknownEvent>(payload)) return 0;
  const std::string once = qg::encode_payload(payload);
  auto again = qg::decode_payload(parts[0], once, version, &warning);
  if (qg::encode_payload(again) != once) std::abort();  // encode/decode is not a fixed point
  (void)qg::parse_iso8601(parts[1]);
  return 0;
}
