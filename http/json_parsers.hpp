// http/json_parsers.hpp — simdjson parsers kept per thread, bounded in depth.
//
// simdjson sizes a parser's depth buffers for 1,024 levels (~9 KiB) by default, and every
// worker thread — one per connection or stream, up to server.max_connections — keeps the
// parsers it used. Ours are made for messages/json_depth.hpp's bound instead: a request deeper
// than that is refused before it is parsed, an upstream document deeper than that does not
// parse (the relay treats it as malformed). Measured: ~18 KiB less per streaming thread.
#pragma once

#include "messages/json_depth.hpp"

#include <simdjson.h>

namespace qg {

inline simdjson::dom::parser bounded_dom_parser() {
  simdjson::dom::parser p;
  [[maybe_unused]] const auto error = p.allocate(64, kMaxJsonDepth + 1);  // grows with documents, keeps the depth
  return p;
}

inline simdjson::ondemand::parser bounded_ondemand_parser() {
  simdjson::ondemand::parser p;
  [[maybe_unused]] const auto error = p.allocate(64, kMaxJsonDepth + 1);
  return p;
}

}  // namespace qg
