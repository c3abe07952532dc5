// http/upstream_headers.hpp — which of a provider's response headers reach the client.
//
// A proxied reply carries the provider's own headers as the provider sent them: its request
// id (Anthropic `request-id`), its rate-limit headers (`anthropic-ratelimit-*`,
// `x-ratelimit-*`, Codex `x-codex-*`), `retry-after` on a relayed error, `openai-*` and the
// rest. Not relayed:
//   - hop-by-hop headers (RFC 9110 §7.6.1: connection, keep-alive, te, trailer,
//     transfer-encoding, upgrade, proxy-*) and content-length: they describe the upstream
//     connection, and the server frames its own reply;
//   - content-type: set with the body; content-encoding: the upstream calls ask for identity
//     coding (Accept-Encoding: identity), so the body relayed is as received, never encoded;
//   - set-cookie: a cookie the provider gave QuotaGuard's connection is not the client's;
//   - authorization, x-api-key, x-goog-api-key: the headers the account's credential goes up
//     in (http/upstream_call.hpp); a provider or gateway echoing them would hand the client the
//     account's key;
//   - x-quotaguard-*: QuotaGuard's own (an upstream QuotaGuard's are not ours);
//   - any header the reply already has (x-request-id, set before routing: the client's id or
//     QuotaGuard's, docs/INTERFACE.md). The provider's own `x-request-id` is kept as
//     `x-quotaguard-upstream-request-id` when it differs.
#pragma once

#include "http/ratelimit_parsers.hpp"
#include "http/reply_head.hpp"  // reply_header, add_reply_header: the relay adds through them

#include <string_view>

namespace httplib {
struct Response;
}

namespace qg {

inline constexpr const char* kUpstreamRequestIdHeader = "x-quotaguard-upstream-request-id";

// True when an upstream response header named `name` (any case) is relayed to the client.
bool relayed_upstream_header(std::string_view name);

// Adds the relayed headers of `upstream` to `res` (skipping names `res` already has) with
// add_reply_header: held for the head's write in the daemon's listener (http/reply_head.hpp).
void relay_upstream_headers(httplib::Response& res, const HeaderList& upstream);

}  // namespace qg
