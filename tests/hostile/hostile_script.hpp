// tests/hostile/hostile_script.hpp — the hostile upstream's behaviours, chosen by the model the
// client asked for (shared by the hostile-upstream suite and the one-daemon soak).
//
//   ok             a plain completion, usage 3 + 4
//   reset-digits   the same, with an anthropic-ratelimit reset of 400 fraction digits (item 3)
//   no-blank-line  an SSE event that never ends: 3 MB without a blank line (item 4)
//   bare-cr        SSE events separated by bare CRs, usage 7 + 9 (item 4)
//   slow-stream    five events 450 ms apart (2.25 s), usage 2 + 5 (item 7)
//   negative-usage / max-usage   prompt_tokens -1,000,000 / INT64_MAX (item 6)
//   huge-json      a 3 MB completion (item 2)
//   drip           100 bytes every 300 ms of a 100,000-byte body (item 11)
//
// `served` counts the answers that began with a 2xx status line: what a provider would bill.
#pragma once

#include "tests/hostile/hostile_net.hpp"

#include <atomic>
#include <string>

namespace qg::test {

bool hostile_upstream(const std::string& request, const ScriptedUpstream::Conn& conn, std::atomic<int>& served);

// The model of a JSON request body ("" when there is none).
std::string model_of(const std::string& request);

}  // namespace qg::test
