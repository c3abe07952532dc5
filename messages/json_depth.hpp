// messages/json_depth.hpp — the nesting bound every JSON parser of QuotaGuard enforces first.
//
// nlohmann::json copies, compares and dumps recursively; 100,000 levels of `{"a":` (a 600 KB
// body) overflow the stack. Before any parser sees text from outside (a client body, an
// upstream reply, an auth file, a Telegram update), `json_too_deep` scans it once, without
// recursion and without allocating, and the caller answers with `json_depth_error()`, which
// names the limit. Brackets inside strings (escapes included) do not count.
#pragma once

#include <string>
#include <string_view>

namespace qg {

// Deepest nesting of arrays and objects accepted anywhere (a document `{}` has depth 1).
inline constexpr int kMaxJsonDepth = 128;

// True when `text` nests arrays/objects deeper than `limit`. Malformed text is not judged
// here (the parser reports it); only the depth reached before the first error counts.
bool json_too_deep(std::string_view text, int limit = kMaxJsonDepth);

// "JSON nesting deeper than 128 levels"
std::string json_depth_error(int limit = kMaxJsonDepth);

}  // namespace qg
