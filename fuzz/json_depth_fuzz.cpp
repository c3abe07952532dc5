// fuzz/json_depth_fuzz.cpp — libFuzzer target: the nesting bound and text cuts (issue 15).
// When json_too_deep says a text is within 16 levels, nlohmann parses it (or refuses it)
// without trouble and the parsed document really is at most 16 deep; utf8_prefix of valid
// UTF-8 is valid UTF-8 at every length.
#include "fuzz/fuzz_input.hpp"
#include "messages/json_depth.hpp"
#include "messages/text_cut.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>

namespace {

int depth(const nlohmann::json& j, int limit) {
  if (limit < 0) std::abort();  // deeper than the scan said: the bound is wrong
  int deepest = 0;
  if (j.is_array() || j.is_object())
    for (const auto& v : j) deepest = std::max(deepest, depth(v, limit - 1));
  return (j.is_array() || j.is_object()) ? deepest + 1 : 0;
}

bool valid_utf8(std::string_view s) {
  try {
    (void)nlohmann::json(std::string(s)).dump();
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = qg::fuzz::as_view(data, size);
  constexpr int kLimit = 16;
  if (!qg::json_too_deep(text, kLimit)) {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_discarded() && depth(j, kLimit) > kLimit) std::abort();
  }
  if (valid_utf8(text))
    for (std::size_t n = 0; n <= std::min<std::size_t>(size, 64); ++n)
      if (!valid_utf8(qg::utf8_prefix(text, n))) std::abort();
  return 0;
}
