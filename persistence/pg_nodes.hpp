// persistence/pg_nodes.hpp — the `nodes` table: who shares the PostgreSQL log, and who holds
// the singleton duties.
//
// Each node upserts its row every heartbeat (persistence/leadership.hpp: on the leadership
// connection, once per probe): node id, listen address, start time, last_seen (ms since the
// epoch, the node's clock) and whether it holds the duties. Rows are never deleted by the
// daemon: a node that stopped beating shows as not live (leader_decision.hpp node_live) with
// its last_seen, which is what an operator wants to see after losing one (RUNBOOK "Lose a
// node"); `DELETE FROM nodes WHERE node = '...'` forgets it.
#pragma once

#include "messages/cluster_view.hpp"
#include "persistence/pg_connection.hpp"

#include <vector>

namespace qg {

// Writes (inserts or updates) `self`'s row. Throws StorageError.
void pg_beat(PgConnection& c, const NodeView& self);

// Every row, `live` computed for `now` and the heartbeat interval; live ones first, then by
// node. Throws StorageError.
std::vector<NodeView> pg_read_nodes(PgConnection& c, TimeMs now, TimeMs beat_every_ms);

}  // namespace qg
