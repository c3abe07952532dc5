// metrics/process_metrics.hpp — resident memory, CPU time, open fds and start time of this
// process, read from /proc at scrape time (Linux; zero where /proc is unavailable).
#pragma once

#include <cstdint>

namespace qg::metrics {

struct ProcessSample {
  double resident_memory_bytes = 0;
  double cpu_seconds = 0;          // user + system
  double open_fds = 0;
  double start_time_seconds = 0;   // unix time the process started
};

ProcessSample read_process_sample();

}  // namespace qg::metrics
