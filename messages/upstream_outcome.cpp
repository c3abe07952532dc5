// messages/upstream_outcome.cpp
#include "messages/upstream_outcome.hpp"

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
    case OutcomeKind::local_exhausted: return "local_exhausted";
  }
  return "success";
}

namespace {
constexpr std::string_view kUpstreamReleasePrefix = "upstream_";
}

std::string upstream_release_reason(OutcomeKind k) {
  return std::string(kUpstreamReleasePrefix) + to_string(k);
}

bool is_upstream_release_reason(std::string_view reason) {
  return reason.starts_with(kUpstreamReleasePrefix);
}

}  // namespace qg
