// metrics/process_metrics.cpp — see process_metrics.hpp.
#include "metrics/process_metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace qg::metrics {

namespace {

double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

// Field 22 of /proc/self/stat (starttime, in clock ticks since boot). The command name in
// field 2 may contain spaces, so fields are counted from the last ')'.
double start_time_seconds() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return 0;
  auto close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) {
      const long ticks = sysconf(_SC_CLK_TCK);
      return boot_time_seconds() + std::stod(field) / static_cast<double>(ticks > 0 ? ticks : 100);
    }
  }
  return 0;
}

double count_open_fds() {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return 0;
  double n = 0;
  while (auto* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the descriptor opendir itself holds
}

}  // namespace

ProcessSample read_process_sample() {
  ProcessSample s;
  {
    std::ifstream in("/proc/self/statm");
    double size_pages = 0, resident_pages = 0;
    if (in >> size_pages >> resident_pages) {
      const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
      s.resident_memory_bytes = resident_pages * page;
      s.virtual_memory_bytes = size_pages * page;
    }
  }
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0)
    s.max_fds = files.rlim_cur == RLIM_INFINITY ? 0 : static_cast<double>(files.rlim_cur);
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    s.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                    static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  }
  s.open_fds = count_open_fds();
  static const double start = start_time_seconds();
  s.start_time_seconds = start;
  return s;
}

}  // namespace qg::metrics
