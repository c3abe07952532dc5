// persistence/snapshot_store.cpp — SQL of the snapshots table.
#include "persistence/snapshot_store.hpp"

namespace qg {

void SnapshotStore::write(std::uint64_t seq, TimeMs ts, int version, std::string_view data,
                          int keep) {
  Transaction tx(db_);
  Statement ins = db_.prepare(
      "INSERT OR REPLACE INTO snapshots(seq, ts, version, data, checksum) VALUES(?1,?2,?3,?4,?5)");
  ins.bind(1, static_cast<std::int64_t>(seq)).bind(2, ts).bind(3, std::int64_t{version});
  ins.bind(4, data).bind(5, snapshot_checksum(data));
  ins.step();
  Statement prune = db_.prepare(
      "DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?1)");
  prune.bind(1, std::int64_t{keep});
  prune.step();
  tx.commit();
}

std::vector<SnapshotRow> SnapshotStore::list() {
  std::vector<SnapshotRow> out;
  Statement st = db_.prepare(
      "SELECT seq, ts, version, data, checksum FROM snapshots ORDER BY seq DESC");
  while (st.step())
    out.push_back(SnapshotRow{static_cast<std::uint64_t>(st.column_int(0)), st.column_int(1),
                              static_cast<int>(st.column_int(2)), std::string(st.column_text(3)),
                              std::string(st.column_text(4))});
  return out;
}

}  // namespace qg
