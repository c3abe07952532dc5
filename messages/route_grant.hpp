// messages/route_grant.hpp — the answer to a RouteRequest: a reservation on an account, or why
// none could be made.
//
// The router actor builds it (`grant` / `refusal` in actors/router/router_actor.cpp, the one
// place each is made) with what the account actor said at admission (provider, base URL, model
// prefix); `CoreProxyBackend::route_and_reserve` completes it with what only the daemon's
// credentials know (the upstream key, the default base URL, the prefixed model) and hands it
// to the proxy. The router's ranked plan before reserving is a RouteDecision
// (actors/router/route_decision.hpp), not an answer.
#pragma once

#include "messages/event.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace qg {

struct RouteGrant {
  bool ok = false;
  // When ok:
  std::string account_id;
  std::string reservation_id;        // "" when decided without a reservation (RouteRequest::reserve false)
  std::string model_used;            // differs from the asked model after a fallback
  std::string model_upstream;        // value for the body's "model": model_used, `<prefix>/<model>` for CLIProxyAPI
  double score = 0;
  std::string reason;                // why this account (policy zone, fallback, drain)
  std::vector<std::string> alternatives;
  TimeMs expires_at = 0;
  std::string provider;              // openai | anthropic | gemini | cliproxy (decides the auth header)
  std::string base_url;              // OpenAI-style base incl. version path, e.g. http://127.0.0.1:8317/v1
                                     // ("" from the router: the provider's default, e.g. cliproxy.base_url)
  std::string prefix;                // the account's model prefix at admission
  std::string api_key;               // upstream credential (CoreProxyBackend); NEVER logged or echoed
  // When !ok:
  int http_status = 429;             // 429 quota exhausted, 404 unknown model/account, 503 journal down
  std::string error_code;            // quota_exhausted | model_not_found | not_found | unavailable
  std::string error_message;
  std::int64_t retry_after_s = 0;    // seconds to the earliest known reset (429), 0 = unknown
};

}  // namespace qg
