// messages/proxy_backend.cpp — names and status classification for the proxy/core seam.
#include "messages/proxy_backend.hpp"

namespace qg {

OutcomeKind classify_status(int status, const RateLimitSignals& signals) {
  if (status >= 200 && status < 300) return OutcomeKind::success;
  if (status == 429) return OutcomeKind::rate_limited;
  if ((status == 402 || status == 403) && signals.quota_exhausted) return OutcomeKind::rate_limited;
  if (status == 401 || status == 403) return OutcomeKind::auth_error;
  if (status == 408) return OutcomeKind::timeout;
  if (status >= 500) return OutcomeKind::server_error;
  return OutcomeKind::client_error;
}

}  // namespace qg
