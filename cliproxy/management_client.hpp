// cliproxy/management_client.hpp — HTTP client for CLIProxyAPI's management API (/v0/management).
//
// Every call makes exactly ONE HTTP request and never retries: CLIProxyAPI bans an IP for
// 30 minutes after 5 failed key attempts, so a 401 (wrong/missing key) or a 403 ban latches
// the client: later calls return the same error without touching the network until
// `reset_lockout()` (after the operator fixed the key). A 404 means the management API is
// disabled on their side (no secret-key) — the caller disables its collector with one warning.
// The key is sent as `Authorization: Bearer` and never appears in errors or logs.
// The server's version comes from the `X-CPA-VERSION` header of any response.
// Thread-safety: one client per thread (the collector actor owns one).
#pragma once

#include "cliproxy/quota_parsers.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qg::cliproxy {

enum class ManagementErrorKind {
  none,
  unauthorized,   // 401: wrong or missing management key — stop and alert, never retry
  banned,         // 403 "IP banned ..." — stop and alert
  forbidden,      // other 403 (remote management disabled / key not set on their side)
  disabled,       // 404: management API not enabled (no secret-key) — disable the collector
  unreachable,    // connection refused / timeout — retry at the next poll
  server_error,   // 5xx
  bad_response,   // unexpected status or body
};
const char* to_string(ManagementErrorKind k);

struct ManagementError {
  ManagementErrorKind kind = ManagementErrorKind::none;
  int status = 0;          // HTTP status (0 when no response)
  std::string message;     // one line, no secrets
  explicit operator bool() const { return kind != ManagementErrorKind::none; }
};

// A parsed "vX.Y.Z" (X-CPA-VERSION); major 0 = unknown.
struct CpaVersion {
  int major = 0, minor = 0, patch = 0;
  std::string text;
  bool at_least(int ma, int mi = 0) const { return major > ma || (major == ma && minor >= mi); }
};
CpaVersion parse_cpa_version(std::string_view text);

template <class T>
struct ManagementResult {
  std::optional<T> value;
  ManagementError error;
  bool ok() const { return value.has_value(); }
};

class ManagementClient {
 public:
  struct Options {
    int connect_timeout_ms = 3000;
    int read_timeout_ms = 15000;
  };
  // base_url like "http://127.0.0.1:8317" (http or https); key = plaintext management key.
  ManagementClient(std::string base_url, std::string management_key);
  ManagementClient(std::string base_url, std::string management_key, Options options);
  ~ManagementClient();
  ManagementClient(const ManagementClient&) = delete;
  ManagementClient& operator=(const ManagementClient&) = delete;

  // GET /v0/management/auth-files
  ManagementResult<std::vector<ManagedAuthFile>> list_auth_files();
  // POST /v0/management/api-call with a body from build_quota_api_call.
  ManagementResult<ApiCallResponse> api_call(const std::string& request_json);
  // PATCH /v0/management/auth-files/fields {"name","prefix"} (setup --assign-prefixes).
  ManagementResult<bool> set_prefix(const std::string& file_name, const std::string& prefix);
  // POST /v0/management/reset-quota {"auth_index"} (v7+); returns the models cleared.
  ManagementResult<std::vector<std::string>> reset_quota(const std::string& auth_index);

  // Version seen on the last response (major 0 until one arrived).
  const CpaVersion& version() const { return version_; }
  // Requests actually sent (tests check "exactly one request" after a 401).
  int requests_sent() const { return requests_sent_; }
  // The latched 401/ban error, if any.
  const ManagementError& lockout() const { return lockout_; }
  void reset_lockout() { lockout_ = {}; }

 private:
  struct Reply {
    int status = 0;
    std::string body;
  };
  // One request; nullopt with `error` set on failure (and the lockout latched for 401/ban).
  std::optional<Reply> send(const char* method, const std::string& path, const std::string& body,
                            ManagementError& error);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  CpaVersion version_;
  ManagementError lockout_;
  int requests_sent_ = 0;
};

}  // namespace qg::cliproxy
