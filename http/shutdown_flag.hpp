// http/shutdown_flag.hpp — tells long-running responses that the daemon's drain time is over.
//
// On SIGTERM the daemon stops accepting and lets in-flight requests finish for up to
// SHUTDOWN_TIMEOUT; then it raises this flag and every SSE relay still running ends its stream
// with an error event, cancels the upstream call and commits what was consumed (estimated),
// so the process can flush the journal, write a snapshot and exit 0.
#pragma once

namespace qg {

void request_stream_shutdown();
bool stream_shutdown_requested();

}  // namespace qg
