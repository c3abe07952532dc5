// http/activity_json.cpp — see activity_json.hpp.
#include "http/activity_json.hpp"

#include "messages/civil_time.hpp"

namespace qg {

namespace {

nlohmann::json entries_json(const std::vector<ActivityEntry>& entries) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : entries)
    out.push_back({{"seq", e.seq}, {"ts", format_utc_ms(e.ts)}, {"type", e.type},
                   {"account", e.account}, {"model", e.model}, {"from", e.from}, {"to", e.to},
                   {"reason", e.reason}, {"detail", e.detail}});
  return out;
}

}  // namespace

nlohmann::json activity_to_json(const ActivityView& v) {
  nlohmann::json accounts = nlohmann::json::array();
  for (const auto& [id, buckets] : v.accounts) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& b : buckets)
      list.push_back({{"start", format_utc_ms(b.start)}, {"requests", b.requests},
                      {"input_tokens", b.input_tokens}, {"output_tokens", b.output_tokens},
                      {"tokens", b.input_tokens + b.output_tokens}, {"released", b.released}});
    accounts.push_back({{"id", id}, {"buckets", std::move(list)}});
  }
  return {{"from", format_utc_ms(v.from)},
          {"to", format_utc_ms(v.to)},
          {"bucket_minutes", v.bucket_ms / 60'000},
          {"accounts", std::move(accounts)},
          {"decisions", entries_json(v.decisions)},
          {"switches", entries_json(v.switches)},
          {"alerts", entries_json(v.alerts)}};
}

}  // namespace qg
