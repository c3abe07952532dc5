// cli/daemon.cpp — see daemon.hpp.
#include "cli/daemon.hpp"

#include "messages/operations.hpp"
#include "cli/daemon_modules.hpp"
#include "cli/memory_release.hpp"
#include "config/redaction.hpp"
#include "config/logging.hpp"
#include "http/http_server.hpp"
#include "http/shutdown_flag.hpp"
#include "messages/journal_health.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <pthread.h>
#include <sys/resource.h>
#include <thread>

namespace qg {
namespace {

using Clock = std::chrono::steady_clock;

std::string host_port(const std::string& host, int port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// Kills the process if shutdown hangs (an actor never terminating, a stuck handler).
class ShutdownWatchdog {
 public:
  explicit ShutdownWatchdog(std::chrono::milliseconds limit)
      : thread_([this, limit] {
          std::unique_lock lock(mutex_);
          if (!cv_.wait_for(lock, limit, [this] { return done_; })) {
            spdlog::error("shutdown did not finish within {} s; exiting",
                          std::chrono::duration_cast<std::chrono::seconds>(limit).count());
            std::fflush(stderr);
            std::_Exit(1);
          }
        }) {}
  ~ShutdownWatchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// Raises the stream shutdown flag when the drain time is over, and exits at once on a second
// SIGINT/SIGTERM while draining.
class DrainTimer {
 public:
  DrainTimer(std::chrono::milliseconds limit, sigset_t signals)
      : thread_([this, limit, signals] {
          const auto deadline = Clock::now() + limit;
          while (!done_) {
            timespec slice{0, 50'000'000};
            int sig = sigtimedwait(&signals, nullptr, &slice);
            if (sig > 0) {
              spdlog::warn("second signal: exiting now without draining");
              std::fflush(stderr);
              std::_Exit(128 + sig);
            }
            if (!expired_ && Clock::now() >= deadline) {
              expired_ = true;
              spdlog::warn("shutdown timeout reached: ending the remaining streams");
              request_stream_shutdown();
            }
          }
        }) {}
  ~DrainTimer() { finish(); }
  void finish() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> done_{false};
  bool expired_ = false;
  std::thread thread_;
};

// Descriptors the daemon holds besides its connections: the event log, the listener, the
// actor system's and the Telegram client's sockets, with room to spare.
constexpr rlim_t kReservedFiles = 64;

// Each connection is a file descriptor and a stream two (client and upstream): the common soft
// limit of 1024 would refuse connections long before server.max_connections. The soft limit is
// raised to the hard one (as Go's runtime does), and the log says how many streams it allows
// (RUNBOOK.md "Many concurrent streams").
void raise_open_file_limit(int max_connections) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  const rlim_t was = lim.rlim_cur;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) lim.rlim_cur = was;
  }
  const std::string raised = lim.rlim_cur != was ? fmt::format(" (raised from {})", was) : "";
  if (lim.rlim_cur == RLIM_INFINITY) {
    spdlog::info("open files: no limit{}", raised);
    return;
  }
  const rlim_t streams = lim.rlim_cur > kReservedFiles ? (lim.rlim_cur - kReservedFiles) / 2 : 0;
  if (lim.rlim_cur < static_cast<rlim_t>(max_connections) * 2 + kReservedFiles)
    spdlog::warn("open files: limit {}{} allows ~{} concurrent streams, fewer than server.max_connections {}: "
                 "raise the hard limit (systemd LimitNOFILE, docker --ulimit nofile)",
                 lim.rlim_cur, raised, streams, max_connections);
  else
    spdlog::info("open files: limit {}{}, room for ~{} concurrent streams (server.max_connections {})",
                 lim.rlim_cur, raised, streams, max_connections);
}

}  // namespace

struct Daemon::Impl {
  Config config;
  std::atomic<bool> ready{false};
  std::atomic<bool> stop_requested{false};
  Clock::time_point started = Clock::now();

  // Set once the core has started, before the routes open; read by HTTP threads.
  std::atomic<std::shared_ptr<const JournalHealth>> journal;

  // Liveness: 200 while the process runs; "degraded" with the storage error while the event
  // log cannot be written (restarting would lose the events held in memory).
  std::string health_json() const {
    auto uptime = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count();
    nlohmann::json body = {{"status", "ok"}, {"version", QG_VERSION}, {"uptime_s", uptime}};
    if (const auto jh = journal.load()) {
      const auto j = jh->view();
      body["storage"] = {{"ok", j.ok}, {"held_events", j.held}};
      if (!j.ok) {
        body["status"] = "degraded";
        body["storage"]["error"] = j.error;
      }
    }
    return body.dump();
  }

  // Readiness: under storage.on_error: reject a log that cannot be written means every new
  // request is refused, so the daemon is not ready. The storage error then, else nullopt.
  std::optional<std::string> storage_refusal() const {
    const auto jh = journal.load();
    if (!jh || config.storage.on_error != OnJournalError::reject) return std::nullopt;
    auto view = jh->view();
    if (view.ok) return std::nullopt;
    return std::move(view.error);
  }

  // /health and /ready: answered by the startup handler until the routes open, then by routes.
  void add_health_routes(HttpServer& http) {
    http.set_startup_handler([this](const std::string& path) {
      HttpServer::StartupReply reply;
      if (path == "/health") {
        reply.status = 200;
        reply.body = health_json();
      } else if (path == "/ready") {
        reply.body = stop_requested ? R"({"status":"stopping"})" : R"({"status":"starting"})";
      } else if (stop_requested) {
        reply.body = R"({"error":{"message":"QuotaGuard is shutting down","type":"server_error",)"
                     R"("code":"stopping"}})";
      } else {
        reply.body = R"({"error":{"message":"QuotaGuard is starting","type":"server_error",)"
                     R"("code":"starting"}})";
      }
      return reply;
    });
    http.with_server([this](httplib::Server& svr) {
      svr.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
        res.set_content(health_json(), "application/json");
      });
      svr.Get("/ready", [this](const httplib::Request&, httplib::Response& res) {
        const auto refusal = ready ? storage_refusal() : std::nullopt;
        if (refusal) {
          res.status = 503;
          res.set_content(nlohmann::json{{"status", "storage_unavailable"}, {"error", *refusal}}.dump(),
                          "application/json");
        } else if (ready) {
          res.set_content(R"({"status":"ready"})", "application/json");
        } else {
          res.status = 503;
          res.set_content(stop_requested ? R"({"status":"stopping"})" : R"({"status":"starting"})",
                          "application/json");
        }
      });
    });
  }

  // Waits for SIGINT/SIGTERM (blocked in every thread) or request_stop().
  int wait_for_stop(const sigset_t& signals) {
    while (!stop_requested) {
      timespec timeout{0, 100'000'000};
      int sig = sigtimedwait(&signals, nullptr, &timeout);
      if (sig > 0) return sig;
    }
    return 0;
  }
};

Daemon::Daemon(Config config) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
}

Daemon::~Daemon() = default;

void Daemon::request_stop() { impl_->stop_requested = true; }

int Daemon::run() {
  const Config& cfg = impl_->config;
  // Signals go to the waiting thread only: block them before any thread exists.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  // SIGHUP reloads the config (systemd ExecReload), like POST /api/v1/reload; its default
  // action would kill the daemon without draining.
  sigset_t waited = signals;
  sigaddset(&waited, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &waited, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  // A file-size limit (ulimit -f) must fail a write with EFBIG, which the journal survives,
  // not kill the process.
  std::signal(SIGXFSZ, SIG_IGN);

  raise_open_file_limit(cfg.server.max_connections);
  MemoryRelease memory_release;  // large transient buffers go back to the OS (memory_release.hpp)

  caf::actor_system_config caf_cfg;
  caf_cfg.set("scheduler.policy", caf::atom("sharing"));
  // server.threads, 0 = one worker per two cores (config/config.hpp actor_scheduler_workers);
  // CAF's own default is at least 4, and spare workers wake each other for every actor message
  // (docs/PERFORMANCE.md, issue 17 third and tenth passes).
  caf_cfg.set("scheduler.max-threads",
              actor_scheduler_workers(cfg.server.threads, std::thread::hardware_concurrency()));
  auto system = std::make_unique<caf::actor_system>(caf_cfg);

  HttpServer http(http_options_from_config(cfg.server));
  impl_->add_health_routes(http);
  std::string error;
  if (!http.bind(error)) {
    spdlog::error("{}", error);
    return 1;
  }
  std::string address = host_port(http.host(), http.port());
  const char* scheme = http.tls() ? " (https)" : "";
  if (log_enabled(LogLevel::info))
    spdlog::info("listening on {}{}", address, scheme);
  else
    std::fprintf(stderr, "listening on %s%s\n", address.c_str(), scheme);

  DaemonServices services;
  DaemonContext ctx{cfg, *system, http, services, [this] { request_stop(); }};
  std::vector<std::pair<std::string, std::unique_ptr<DaemonModule>>> started;
  int code = 0;
  http.start();
  for (auto& registered : registered_daemon_modules()) {
    auto module = registered.make();
    std::string failure = module->start(ctx);
    if (!failure.empty()) {
      spdlog::error("{}: {}", registered.name, failure);
      code = 1;
      break;
    }
    spdlog::debug("module {} started", registered.name);
    started.emplace_back(registered.name, std::move(module));
  }

  if (code == 0) {
    impl_->journal = std::shared_ptr<const JournalHealth>(services.get<JournalHealth>());
    http.open();
    impl_->ready = true;
    spdlog::info("ready (quotaguard {}, {} modules)", QG_VERSION, started.size());
    int sig = 0;
    while ((sig = impl_->wait_for_stop(waited)) == SIGHUP) {
      auto ops = services.get<Operations>();
      if (!ops) continue;
      const auto r = ops->reload("SIGHUP");
      if (r.ok()) spdlog::info("SIGHUP: config reloaded");
      else spdlog::error("SIGHUP: reload failed: {}", redact(r.failure->message));
    }
    spdlog::info("shutting down ({})", sig == SIGINT    ? "SIGINT"
                                       : sig == SIGTERM ? "SIGTERM"
                                                        : "requested");
  }
  impl_->ready = false;
  impl_->stop_requested = true;
  ShutdownWatchdog watchdog(cfg.server.shutdown_timeout + std::chrono::seconds{10});
  // Drain: in-flight requests (streams included) get SHUTDOWN_TIMEOUT to finish; then the
  // remaining streams are ended (http/shutdown_flag.hpp) and commit what they consumed. A
  // second signal exits at once: every commit is atomic, so the log stays consistent and
  // open reservations are expired at the next start.
  DrainTimer drain(cfg.server.shutdown_timeout, signals);
  http.close();  // new requests: 503 "stopping"; requests in flight carry on
  const auto give_up = Clock::now() + cfg.server.shutdown_timeout + std::chrono::seconds{5};
  while (inflight_requests() > 0 && Clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  http.stop();
  drain.finish();
  for (auto it = started.rbegin(); it != started.rend(); ++it) it->second->stop(ctx);
  started.clear();
  impl_->journal.store({});
  services.clear();
  system.reset();  // waits for every actor to terminate
  spdlog::info("stopped");
  return code;
}

}  // namespace qg
