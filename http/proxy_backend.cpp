// http/proxy_backend.cpp — names and status classification for the proxy/core seam.
#include "http/proxy_backend.hpp"

namespace qg {

const char* to_string(OutcomeKind k) {
  switch (k) {
    case OutcomeKind::success: return "success";
    case OutcomeKind::rate_limited: return "rate_limited";
    case OutcomeKind::server_error: return "server_error";
    case OutcomeKind::timeout: return "timeout";
    case OutcomeKind::connect_error: return "connect_error";
    case OutcomeKind::auth_error: return "auth_error";
    case OutcomeKind::client_error: return "client_error";
    case OutcomeKind::cancelled: return "cancelled";
  }
  return "success";
}

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
