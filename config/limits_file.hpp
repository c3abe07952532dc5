// config/limits_file.hpp — the per-account limits `quotaguard simulate --accounts-limits FILE` reads.
//
//   codex-a:                       # account id
//     - {metric: requests, window: 5h, limit: 200}
//     - {metric: tokens, window: 7d, limit: 5000000}
//   claude-b: []                   # no configured limits
//
// Each item has the shape of config.yaml's `accounts[].limits[]` (the same reader checks it).
#pragma once

#include "messages/event.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace qg {

struct LimitsFile {
  std::map<std::string, std::vector<LimitSpec>> limits;  // account id -> its limits
  std::string error;                                     // one line naming the file; "" = ok
};

LimitsFile parse_limits_file(std::string_view yaml, std::string_view label);

}  // namespace qg
