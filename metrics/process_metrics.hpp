// metrics/process_metrics.hpp — resident and virtual memory, CPU time, open and maximum fds
// and start time of this process, read from /proc at scrape time (Linux; zero where /proc is
// unavailable). Exported under the standard names Prometheus client libraries use
// (process_resident_memory_bytes, ...; metrics/quotaguard_metrics.cpp), so stock dashboards
// and alerts work.
#pragma once

#include <cstdint>

namespace qg::metrics {

struct ProcessSample {
  double resident_memory_bytes = 0;
  double virtual_memory_bytes = 0;
  double max_fds = 0;              // RLIMIT_NOFILE soft limit
  double cpu_seconds = 0;          // user + system
  double open_fds = 0;
  double start_time_seconds = 0;   // unix time the process started
};

ProcessSample read_process_sample();

}  // namespace qg::metrics
