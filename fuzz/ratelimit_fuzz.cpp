// fuzz/ratelimit_fuzz.cpp — libFuzzer target: rate-limit headers and 429/error bodies
// (http/ratelimit_parsers). Input: status byte, then NUL-separated fields: the body, then
// header name/value pairs.
#include "fuzz/fuzz_input.hpp"
#include "http/ratelimit_parsers.hpp"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const int kStatuses[] = {200, 400, 401, 403, 404, 429, 500, 503};
  const int status = kStatuses[data[0] % 8];
  auto parts = qg::fuzz::split(qg::fuzz::as_view(data + 1, size - 1), '\0', 41);
  qg::HeaderList headers;
  for (std::size_t i = 1; i + 1 < parts.size(); i += 2)
    headers.emplace_back(std::string(parts[i]), std::string(parts[i + 1]));
  const qg::TimeMs now = 1795971023224;
  auto signals = qg::parse_rate_limit_signals(status, headers, parts[0], now);
  (void)qg::parse_retry_after(headers, now);
  (void)signals.empty();
  return 0;
}
