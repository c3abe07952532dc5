// cli/daemon_modules.hpp — how a subsystem plugs into `quotaguard serve` without editing
// cli/daemon.cpp.
//
//   A module is a DaemonModule subclass registered with QG_REGISTER_DAEMON_MODULE(order, Type)
//   (cli/core_module.cpp and cli/telegram_module.cpp are the real ones). start() may block
//   (e.g. recovery), shares objects with later modules through ctx.services, and answers ""
//   or a one-line error; stop() terminates what start() spawned.
//
// Start order is ascending `order` (core 10, leadership 20, cliproxy 40, http routes 50, telegram 60);
// stop runs in reverse after the HTTP listener
// has stopped accepting. Routes must be added in start() (ctx.http.with_server): the
// listener already runs, but until every module has started it answers only /health (200)
// and /ready (503), everything else 503 "starting"; then the routes open (adding routes
// later throws) and /ready turns 200. A module must terminate its actors in stop(): the
// actor system waits for all actors when the daemon ends.
#pragma once

#include "config/config.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <typeindex>
#include <vector>

namespace caf {
class actor_system;
}

namespace qg {

class HttpServer;

// Objects modules share with later modules, one per type.
class DaemonServices {
 public:
  template <typename T>
  void put(std::shared_ptr<T> value) {
    items_[std::type_index(typeid(T))] = std::move(value);
  }
  // The object of type T, or nullptr when no module provided one.
  template <typename T>
  std::shared_ptr<T> get() const {
    auto it = items_.find(std::type_index(typeid(T)));
    return it == items_.end() ? nullptr : std::static_pointer_cast<T>(it->second);
  }
  // Drops every object (the daemon does so after stopping modules, before the actor system
  // ends: actor handles held here would keep detached actors' threads waiting).
  void clear() { items_.clear(); }

 private:
  std::map<std::type_index, std::shared_ptr<void>> items_;
};

struct DaemonContext {
  const Config& config;
  caf::actor_system& system;
  HttpServer& http;
  DaemonServices& services;
  std::function<void()> request_stop;  // ends the daemon as if SIGTERM arrived
};

class DaemonModule {
 public:
  virtual ~DaemonModule() = default;
  // "" on success, else one line saying why the daemon cannot start.
  virtual std::string start(DaemonContext& ctx) = 0;
  virtual void stop(DaemonContext& ctx) { (void)ctx; }
};

struct RegisteredModule {
  int order;
  std::string name;
  std::function<std::unique_ptr<DaemonModule>()> make;
};

bool register_daemon_module(RegisteredModule module);
// Sorted by order, then name.
std::vector<RegisteredModule> registered_daemon_modules();

}  // namespace qg

#define QG_REGISTER_DAEMON_MODULE(order, Type)                                       \
  [[maybe_unused]] static const bool qg_registered_module_##Type =                  \
      ::qg::register_daemon_module(::qg::RegisteredModule{                          \
          order, #Type, [] { return std::unique_ptr<::qg::DaemonModule>(new Type()); }})
