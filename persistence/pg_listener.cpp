// persistence/pg_listener.cpp — the LISTEN loop (see the header).
#include "persistence/pg_listener.hpp"

#include "persistence/postgres_event_log.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace qg {

PgListener::PgListener(PgOptions options, std::string own_node, std::function<void()> on_notify)
    : options_(std::move(options)),
      own_node_(std::move(own_node)),
      on_notify_(std::move(on_notify)),
      thread_([this] { run(); }) {}

PgListener::~PgListener() {
  stop_ = true;
  thread_.join();
}

void PgListener::run() {
  using namespace std::chrono_literals;
  std::unique_ptr<PgConnection> c;
  bool warned = false;
  while (!stop_) {
    try {
      if (!c) {
        c = PgConnection::connect(options_);
        c->exec(std::string("LISTEN ") + kEventsChannel);
        if (warned) spdlog::info("event log listener: connected again");
        warned = false;
        on_notify_();  // whatever was appended while not listening
      }
      if (c->wait_for_notification(200ms, own_node_)) on_notify_();
    } catch (const std::exception& e) {
      if (!warned) spdlog::warn("event log listener: {} (following by polling until it is back)", e.what());
      warned = true;
      c.reset();
      for (int i = 0; i < 5 && !stop_; ++i) std::this_thread::sleep_for(200ms);
    }
  }
}

}  // namespace qg
