// persistence/pg_nodes.cpp — SQL of the nodes table (see the header).
#include "persistence/pg_nodes.hpp"

#include "persistence/leader_decision.hpp"

#include <algorithm>
#include <string>

namespace qg {

void pg_beat(PgConnection& c, const NodeView& self) {
  c.exec("INSERT INTO nodes(node, address, started, last_seen, duties) VALUES ($1, $2, $3, $4, $5) "
         "ON CONFLICT (node) DO UPDATE SET address = EXCLUDED.address, started = EXCLUDED.started, "
         "last_seen = EXCLUDED.last_seen, duties = EXCLUDED.duties",
         {self.node, self.address, std::to_string(self.started), std::to_string(self.last_seen),
          self.duties ? "true" : "false"});
}

std::vector<NodeView> pg_read_nodes(PgConnection& c, TimeMs now, TimeMs beat_every_ms) {
  auto r = c.exec("SELECT node, address, started, last_seen, duties FROM nodes");
  std::vector<NodeView> out;
  for (int i = 0; i < r.rows(); ++i) {
    NodeView n;
    n.node = std::string(r.text(i, 0));
    n.address = std::string(r.text(i, 1));
    n.started = r.int64(i, 2);
    n.last_seen = r.int64(i, 3);
    n.live = node_live(n.last_seen, now, beat_every_ms);
    n.duties = n.live && r.text(i, 4) == "t";  // a dead node's claim means nothing
    out.push_back(std::move(n));
  }
  std::sort(out.begin(), out.end(), [](const NodeView& a, const NodeView& b) {
    return a.live != b.live ? a.live : a.node < b.node;
  });
  return out;
}

}  // namespace qg
