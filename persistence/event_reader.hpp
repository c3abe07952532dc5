// persistence/event_reader.hpp — reads the event log ahead on a thread of its own.
//
// `read_events_ahead` scans and decodes rows (EventLog::scan + decode_row) in batches on a
// reader thread while the caller's `each` consumes the batch before: on two cores, reading the
// log overlaps the work done with it (`quotaguard simulate`: reading is about a quarter of it).
// `each` sees the events in seq order on the calling thread, exactly as the plain scan gives
// them; returning false stops the scan. Errors of the scan (StorageError) and exceptions of
// `each` reach the caller after the reader thread has stopped. The log (its connection) is
// used by the reader thread only, for the duration of the call.
#pragma once

#include "persistence/event_log.hpp"

#include <functional>

namespace qg {

void read_events_ahead(EventLog& log, const ScanRange& range, const std::function<bool(Event&)>& each);

}  // namespace qg
