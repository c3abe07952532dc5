// cli/quotas_command.cpp — `quotaguard quotas [--json] [--url URL] [--config P] [--db P]`.
//
// Prints a quota table per account and window.
//   1. Asks the running daemon: GET /api/v1/accounts on --url, else server.listen, with the
//      admin token from config or QUOTAGUARD_ADMIN_TOKEN (the loader applies the env var).
//   2. If no daemon answers: rebuilds the state from the event log (storage.db_path / --db,
//      or PostgreSQL with storage.backend: postgres; read-only, newest snapshot + tail), brings in the accounts and limits of config.yaml
//      the way the daemon does at start-up, and labels the output
//      "offline (from event log at seq N)".
// --json prints {"source", "accounts":[INTERFACE §4 account objects]} (offline also "seq").
// FORECAST: each window's forecast at the current pace (docs/FORECAST.md): "runs out in 1h5m
// (40m before reset)", "resets first, 120 unused", "idle".
// Exit: 0 shown; 1 the daemon answered with an error (e.g. 401: wrong token); 2 usage,
// config or storage error.
#include "cli/command_registry.hpp"
#include "cli/config_options.hpp"
#include "cli/daemon_query.hpp"
#include "cli/forecast_text.hpp"
#include "messages/forecast_json.hpp"
#include "messages/wall_clock.hpp"
#include "persistence/state_codec.hpp"
#include "quota/forecast.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <optional>

namespace {

using nlohmann::json;

struct QuotasFlags {
  qg::LoadOptions load;
  std::string url;
  bool json = false;
};

// The state summary of the event log plus config.yaml, each window with its `forecast`.
json rebuild_offline(const qg::Config& cfg, std::uint64_t& seq) {
  const qg::TimeMs now = qg::system_clock_ms();
  qg::SystemState state = qg::cli::offline_state(cfg, now);
  seq = state.last_seq;
  json summary = qg::state_summary_json(state, now);
  qg::attach_window_forecasts(summary["accounts"],
                              qg::forecast(state.accounts, qg::cli::offline_settings(cfg, state), now));
  return summary;
}

std::string cell(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>().empty() ? "-" : v.get<std::string>();
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v.get<double>());
    return buf;
  }
  return v.dump();
}

void print_table(const json& accounts) {
  std::vector<std::vector<std::string>> rows = {
      {"ACCOUNT", "PROVIDER", "STATE", "METRIC", "WINDOW", "USED", "RESERVED", "LIMIT",
       "REMAINING", "USED%", "RESETS AT", "SOURCE", "FORECAST"}};
  const qg::TimeMs now = qg::system_clock_ms();
  for (const auto& a : accounts) {
    const std::vector<std::string> head = {cell(a.value("id", json())), cell(a.value("provider", json())),
                                           cell(a.value("state", json()))};
    const json windows = a.value("windows", json::array());
    if (windows.empty()) {
      auto row = head;
      row.insert(row.end(), {"-", "-", "-", "-", "-", "-", "-", "-", "-", "-"});
      rows.push_back(row);
    }
    for (const auto& w : windows) {
      auto row = head;
      const std::int64_t limit = w.value("limit", json(0)).is_number() ? w["limit"].get<std::int64_t>() : 0;
      const double used = w.value("used", json(0)).is_number() ? w["used"].get<double>() : 0;
      const double reserved = w.value("reserved", json(0)).is_number() ? w["reserved"].get<double>() : 0;
      const std::string percent = limit > 0 ? cell(json((used + reserved) * 100.0 / static_cast<double>(limit))) + "%" : "-";
      row.insert(row.end(), {cell(w.value("metric", json())), cell(w.value("window", json())),
                             cell(w.value("used", json())), cell(w.value("reserved", json())),
                             limit > 0 ? std::to_string(limit) : "unknown",
                             limit > 0 ? cell(w.value("remaining", json())) : "-", percent,
                             cell(w.value("reset_at", json())), cell(w.value("source", json())),
                             w.contains("forecast") ? qg::cli::forecast_cell(w["forecast"], now) : "-"});
      rows.push_back(row);
    }
  }
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

void run_quotas(const QuotasFlags& f) {
  const auto loaded = qg::cli::load_config_or_exit(f.load);
  std::string error;
  json out;
  auto live = qg::cli::get_from_daemon(loaded.config, f.url, "/api/v1/accounts", {}, error);
  if (live && !live->body.contains("accounts")) error = "daemon at " + live->where + " did not answer an accounts list";
  if (live && error.empty()) {
    out = {{"source", "daemon at " + live->where}, {"accounts", live->body["accounts"]}};
  } else if (!error.empty()) {
    std::fprintf(stderr, "quotaguard quotas: %s\n", error.c_str());
    qg::cli::exit_with(1);
  } else {
    std::uint64_t seq = 0;
    try {
      json summary = rebuild_offline(loaded.config, seq);
      out = {{"source", "offline (from event log at seq " + std::to_string(seq) + ")"},
             {"seq", seq},
             {"db_path", loaded.config.storage.db_path},
             {"accounts", summary.value("accounts", json::array())}};
    } catch (const std::exception& e) {
      std::fprintf(stderr, "quotaguard quotas: %s\n", e.what());
      qg::cli::exit_with(2);
    }
  }
  if (f.json) {
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }
  std::printf("source: %s\n", out["source"].get<std::string>().c_str());
  print_table(out["accounts"]);
}

}  // namespace

void add_quotas_command(CLI::App& root) {
  auto flags = std::make_shared<QuotasFlags>();
  auto* cmd = root.add_subcommand("quotas", "quota table per account and window from the running daemon");
  cmd->add_flag("--json", flags->json, "print {\"source\",\"accounts\":[...]} as JSON");
  cmd->add_option("--url", flags->url, "daemon base URL, e.g. http://127.0.0.1:8318 (default: server.listen)");
  qg::cli::add_config_flag(*cmd, flags->load);
  qg::cli::add_db_flag(*cmd, flags->load);
  cmd->callback([flags] { run_quotas(*flags); });
}
QG_REGISTER_COMMAND(add_quotas_command);
