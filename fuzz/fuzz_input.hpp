// fuzz/fuzz_input.hpp — splitting one libFuzzer input into the parts a target needs.
//
// Targets that take more than one value (a header list, a status and a body, an event type
// and its JSON) read them from the input: a leading selector byte, then fields separated by
// a NUL byte. Pure helpers, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace qg::fuzz {

// Splits `data` on `sep` (at most `max_parts` parts; the last keeps the rest).
inline std::vector<std::string_view> split(std::string_view data, char sep, std::size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    const auto at = data.find(sep);
    if (at == std::string_view::npos) break;
    parts.push_back(data.substr(0, at));
    data.remove_prefix(at + 1);
  }
  parts.push_back(data);
  return parts;
}

inline std::string_view as_view(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace qg::fuzz
