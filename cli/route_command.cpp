// cli/route_command.cpp — `quotaguard route --model M [--client-key K] [--dialect D] [--json] [--offline]`.
//
// Prints the decision the router would take now for model M, without reserving anything: the
// chosen account, each candidate's score and windows, and each excluded account with its
// reason. Both sources give a RouteExplanation (messages/route_explanation.hpp): the daemon's
// JSON is read back by http/route_explanation_json.hpp, which also writes `--json`.
//   1. Unless --offline: ask the running daemon, GET /api/v1/route?model=M on --url or
//      server.listen (admin token from config). Its answer is the live view, breakers included.
//   2. If no daemon answers: rebuild the state from the event log (storage.db_path / --db,
//      read-only), bring it in line with config.yaml (config accounts and router settings, as the
//      daemon does at start-up) and decide offline. The output says which source it used.
// Exit: 0 an account was chosen; 1 none qualifies (or the daemon refused the request);
// 2 usage/config/storage error.
#include "actors/router/route_decision.hpp"
#include "actors/router/route_explain.hpp"
#include "http/route_explanation_json.hpp"
#include "messages/route_explanation_text.hpp"
#include "quota/system_state.hpp"
#include "cli/command_registry.hpp"
#include "cli/config_options.hpp"
#include "cli/daemon_query.hpp"
#include "messages/wall_clock.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <memory>

namespace {

using nlohmann::json;

struct RouteFlags {
  qg::LoadOptions load;
  std::string model;
  std::string client_key;
  std::string dialect = "chat";
  std::string url;
  bool json = false;
  bool offline = false;
};

// The daemon's explanation, or nullopt when no daemon answers. `error` is set when one
// answered with an error status.
std::optional<json> ask_daemon(const qg::Config& cfg, const RouteFlags& f, std::string& error) {
  std::multimap<std::string, std::string> params{{"model", f.model}, {"dialect", f.dialect}};
  if (!f.client_key.empty()) params.emplace("client_key", f.client_key);
  auto answer = qg::cli::get_from_daemon(cfg, f.url, "/api/v1/route", params, error);
  if (!answer) return std::nullopt;
  return std::move(answer->body);
}

// The explanation rebuilt from the event log plus config.yaml.
qg::RouteExplanation decide_offline(const qg::Config& cfg, const RouteFlags& f, qg::TimeMs now) {
  const qg::SystemState state = qg::cli::offline_state(cfg, now);
  const qg::RouterSettings settings = qg::cli::offline_settings(cfg, state);
  const qg::RouterView view = qg::make_view(state.accounts, now);
  // The same estimate the daemon explains with (GET /api/v1/route).
  const qg::RouteRequest request{f.model, f.client_key, qg::estimate_usage(0, cfg.reservations.default_max_tokens), {},
                                 qg::parse_dialect(f.dialect).value_or(qg::Dialect::chat)};
  const qg::RouteDecision d = qg::decide(view, state.router, request, settings, now, {}, qg::DecideOptions{true, 4});
  return qg::explain(d, view, settings, now);
}

void run_route(const RouteFlags& f) {
  const auto loaded = qg::cli::load_config_or_exit(f.load);
  std::string daemon_error;
  std::optional<json> document;  // the daemon's answer as it came, for --json
  std::optional<qg::RouteExplanation> explained;
  std::string source = "daemon";
  if (!f.offline) document = ask_daemon(loaded.config, f, daemon_error);
  if (!daemon_error.empty()) {
    std::fprintf(stderr, "quotaguard route: %s\n", daemon_error.c_str());
    qg::cli::exit_with(1);
  }
  if (document) {
    explained = qg::route_explanation_from_json(*document);
    if (!explained) {
      std::printf("unexpected answer: %s\n", document->dump().c_str());
      qg::cli::exit_with(1);
    }
  } else {
    source = "offline (event log " + loaded.config.storage.db_path + ")";
    try {
      explained = decide_offline(loaded.config, f, qg::system_clock_ms());
      document = qg::route_explanation_json(*explained);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "quotaguard route: %s\n", e.what());
      qg::cli::exit_with(2);
    }
  }
  (*document)["source"] = source;
  if (f.json) std::printf("%s\n", document->dump(2).c_str());
  else std::printf("source: %s\n%s", source.c_str(), qg::explain_text(*explained).c_str());
  if (!explained->chosen) qg::cli::exit_with(1);
}

}  // namespace

void add_route_command(CLI::App& root) {
  auto flags = std::make_shared<RouteFlags>();
  auto* cmd = root.add_subcommand("route", "explain the account the router would choose now for a model");
  cmd->add_option("--model", flags->model, "the model a client would ask for")->required();
  cmd->add_option("--client-key", flags->client_key, "client key name/fingerprint (router.route_by_client_key)");
  cmd->add_option("--dialect", flags->dialect, "the client's API dialect: accounts that cannot serve it are excluded")
      ->check(CLI::IsMember({"chat", "messages", "responses", "gemini"}));
  cmd->add_flag("--json", flags->json, "print the decision as JSON");
  cmd->add_option("--url", flags->url, "daemon base URL (default: server.listen)");
  cmd->add_flag("--offline", flags->offline, "do not ask a running daemon; rebuild from the event log");
  qg::cli::add_config_flag(*cmd, flags->load);
  qg::cli::add_db_flag(*cmd, flags->load);
  cmd->callback([flags] { run_route(*flags); });
}
QG_REGISTER_COMMAND(add_route_command);
