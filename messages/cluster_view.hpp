// messages/cluster_view.hpp — the nodes sharing the event log, as GET /api/v1/status shows
// them ("cluster"). Types only.
//
// On PostgreSQL every node beats into the `nodes` table (persistence/pg_nodes.hpp) each
// second and the node holding the singleton duties says so (persistence/leadership.hpp); on
// SQLite the one node is the whole cluster and always holds the duties.
#pragma once

#include "messages/event.hpp"

#include <string>
#include <vector>

namespace qg {

struct NodeView {
  std::string node;       // storage.postgres.node_id (the host name by default)
  std::string address;    // its server.listen
  TimeMs started = 0;
  TimeMs last_seen = 0;   // its last heartbeat
  bool live = false;      // beat within the last three heartbeat intervals
  bool duties = false;    // holds the singleton duties (as of its last heartbeat)
  bool operator==(const NodeView&) const = default;
};

struct ClusterView {
  std::string backend = "sqlite";  // sqlite | postgres
  std::string node;                // this node
  bool duties = true;              // whether this node holds the duties now
  std::vector<NodeView> nodes;     // every node that ever beat, live ones first, then by name
};

}  // namespace qg
