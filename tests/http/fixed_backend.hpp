// tests/http/fixed_backend.hpp — a ProxyBackend over a fixed account list, for proxy tests.
//
// Not the thing under test (the daemon's backend is the router/account actors): it picks the
// first account, in list order, that serves the model and was not excluded, and records every
// call so tests can check what the proxy reported. Thread-safe.
#pragma once

#include "messages/proxy_backend.hpp"

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace qg::test {

struct FixedAccount {
  std::string id;
  std::string base_url;
  std::string api_key;
  std::vector<std::string> models;      // empty = any
  std::string model_upstream;           // "" = the asked model
};

struct Commit {
  std::string account, reservation;
  Usage usage;
  bool estimated = false;
};
struct Release {
  std::string account, reservation, reason;
};
struct ReportedOutcome {
  std::string account;
  UpstreamOutcome outcome;
};

class FixedBackend : public ProxyBackend {
 public:
  explicit FixedBackend(std::vector<FixedAccount> accounts) : accounts_(std::move(accounts)) {}

  RouteGrant route_and_reserve(const RouteRequest& ask) override {
    std::lock_guard lock(m_);
    asks.push_back(ask);
    for (const auto& a : accounts_) {
      bool excluded = false;
      for (const auto& e : ask.exclude) excluded |= e == a.id;
      bool serves = a.models.empty();
      for (const auto& m : a.models) serves |= m == ask.model;
      if (excluded || !serves) continue;
      RouteGrant g;
      g.ok = true;
      g.account_id = a.id;
      g.reservation_id = "r" + std::to_string(++next_reservation_);
      g.model_upstream = a.model_upstream.empty() ? ask.model : a.model_upstream;
      g.base_url = a.base_url;
      g.provider = "openai";
      g.api_key = a.api_key;
      open_.insert(g.reservation_id);
      return g;
    }
    RouteGrant refusal;
    refusal.http_status = 429;
    refusal.error_code = "quota_exhausted";
    refusal.error_message = "No account can serve model " + ask.model + ".";
    refusal.retry_after_s = refusal_retry_after_s;
    return refusal;
  }
  void commit(const std::string& account, const std::string& reservation, const Usage& usage,
              bool estimated) override {
    std::lock_guard lock(m_);
    resolved_twice |= open_.erase(reservation) == 0;
    commits.push_back({account, reservation, usage, estimated});
  }
  void release(const std::string& account, const std::string& reservation, const std::string& reason) override {
    std::lock_guard lock(m_);
    resolved_twice |= open_.erase(reservation) == 0;
    releases.push_back({account, reservation, reason});
  }
  void report_outcome(const std::string& account, const UpstreamOutcome& outcome) override {
    std::lock_guard lock(m_);
    outcomes.push_back({account, outcome});
  }
  // A commit with its outcome in one hand-over (one message to the account in the daemon).
  void commit_reporting(const std::string& account, const std::string& reservation, const Usage& usage,
                        bool estimated, const UpstreamOutcome& outcome) override {
    {
      std::lock_guard lock(m_);
      ++settled_together;
    }
    ProxyBackend::commit_reporting(account, reservation, usage, estimated, outcome);
  }
  std::vector<std::string> models() override {
    std::lock_guard lock(m_);
    std::vector<std::string> out;
    for (const auto& a : accounts_) out.insert(out.end(), a.models.begin(), a.models.end());
    return out;
  }

  // Snapshot helpers (copies under the lock).
  std::vector<Commit> commits_copy() { std::lock_guard lock(m_); return commits; }
  std::vector<Release> releases_copy() { std::lock_guard lock(m_); return releases; }
  std::vector<ReportedOutcome> outcomes_copy() { std::lock_guard lock(m_); return outcomes; }
  std::size_t open_reservations() { std::lock_guard lock(m_); return open_.size(); }
  int settled_together_count() { std::lock_guard lock(m_); return settled_together; }

  std::int64_t refusal_retry_after_s = 0;
  std::vector<RouteRequest> asks;
  std::vector<Commit> commits;
  std::vector<Release> releases;
  std::vector<ReportedOutcome> outcomes;
  bool resolved_twice = false;
  int settled_together = 0;  // commit_reporting calls (each also recorded in commits and outcomes)

 private:
  std::mutex m_;
  std::vector<FixedAccount> accounts_;
  std::set<std::string> open_;
  int next_reservation_ = 0;
};

}  // namespace qg::test
