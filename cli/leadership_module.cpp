// cli/leadership_module.cpp — who holds the singleton duties, inside `serve` (order 20).
//
// Starts persistence/leadership.hpp (one node on SQLite; the advisory lock and heartbeats on
// PostgreSQL), shares it through DaemonServices for the duties that follow it — the CLIProxyAPI
// module (rescans, quota polls), the Telegram module (polling, alerts) — drives the core's
// expiry sweeps with it (who holds the duties, which nodes are live), and feeds "cluster" in GET /api/v1/status.
#include "actors/control/core.hpp"
#include "actors/control/core_operations.hpp"
#include "cli/daemon_modules.hpp"
#include "persistence/leadership.hpp"
#include "persistence/postgres_event_log.hpp"

#include <spdlog/spdlog.h>

namespace qg {
namespace {

class LeadershipModule : public DaemonModule {
 public:
  std::string start(DaemonContext& ctx) override {
    auto core = ctx.services.get<Core>();
    if (!core) return "the core is not running";
    const StorageConfig& storage = ctx.config.storage;
    LeadershipOptions options;
    options.address = ctx.config.server.listen;
    if (storage.backend == StorageBackend::postgres) {
      options.node = effective_node_id(storage.postgres.node_id);
      leadership_ = Leadership::postgres({storage.postgres.dsn, false, storage.postgres.statement_timeout}, options);
      if (!leadership_->holding())
        spdlog::info("leadership: node {} follows; another node holds the singleton duties", options.node);
    } else {
      options.node = effective_node_id("");
      leadership_ = Leadership::single_node(options);
    }
    std::weak_ptr<std::atomic<bool>> sweeps = core->sweep_duty();
    subscription_ = leadership_->subscribe([sweeps](bool holding) {
      if (auto flag = sweeps.lock()) flag->store(holding);
    });
    std::weak_ptr<Leadership> weak = leadership_;
    core->live_nodes()->set_source([weak] {
      auto l = weak.lock();
      return l ? l->live_nodes() : std::set<std::string>{};
    });
    std::static_pointer_cast<CoreOperations>(core->operations_ptr())->set_cluster_source([weak] {
      auto l = weak.lock();
      return l ? l->view() : ClusterView{};
    });
    ctx.services.put(leadership_);
    return "";
  }

  void stop(DaemonContext&) override {
    if (!leadership_) return;
    leadership_->unsubscribe(subscription_);
    leadership_->stop();  // frees the lock for the next node
  }

 private:
  std::shared_ptr<Leadership> leadership_;
  int subscription_ = 0;
};
QG_REGISTER_DAEMON_MODULE(20, LeadershipModule);

}  // namespace
}  // namespace qg
