// http/response_affinity.cpp — see response_affinity.hpp.
#include "http/response_affinity.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace qg {

bool ResponseAffinity::storable(std::string_view id) {
  return !id.empty() && id.size() <= 256 &&
         std::all_of(id.begin(), id.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

ResponseAffinity::ResponseAffinity(ResponseAffinityOptions options, TimeMs now) : opts_(std::move(options)) {
  if (opts_.max_entries == 0) opts_.max_entries = 1;
  if (opts_.path.empty()) return;
  {
    std::ifstream in(opts_.path);
    std::string line;
    while (std::getline(in, line)) {
      ++file_lines_;
      std::istringstream fields(line);
      std::string kind, id, account;
      TimeMs created = 0;
      fields >> kind;
      if (kind == "R" && (fields >> created >> id >> account) && storable(id) && storable(account)) insert(id, account, created);
      else if (kind == "D" && (fields >> id)) map_.erase(id);
    }
  }
  std::lock_guard lock(m_);
  compact(now);  // also drops what expired while the daemon was down
}

void ResponseAffinity::insert(std::string id, std::string account, TimeMs created) {
  auto [it, fresh] = map_.insert_or_assign(id, Entry{std::move(account), created});
  (void)it;
  if (fresh) order_.push_back(std::move(id));
  evict();
}

void ResponseAffinity::evict() {
  while (map_.size() > opts_.max_entries && !order_.empty()) {
    map_.erase(order_.front());
    order_.pop_front();
  }
  if (order_.size() > 2 * opts_.max_entries) {  // drop ids forgotten since
    std::deque<std::string> live;
    for (auto& id : order_)
      if (map_.count(id)) live.push_back(std::move(id));
    order_.swap(live);
  }
}

void ResponseAffinity::append(const std::string& line, TimeMs now) {
  if (opts_.path.empty()) return;
  if (!file_.is_open()) file_.open(opts_.path, std::ios::app);
  file_ << line << '\n';
  file_.flush();  // in the page cache: survives kill -9 of the daemon
  if (!file_) spdlog::warn("response affinity: cannot write {}", opts_.path);
  if (++file_lines_ > 2 * opts_.max_entries) compact(now);
}

void ResponseAffinity::compact(TimeMs now) {
  for (auto it = map_.begin(); it != map_.end();)
    it = now - it->second.created > opts_.ttl_ms ? map_.erase(it) : std::next(it);
  if (opts_.path.empty()) return;
  file_.close();
  const std::string tmp = opts_.path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const auto& id : order_) {
      auto it = map_.find(id);
      if (it == map_.end()) continue;
      out << "R " << it->second.created << ' ' << id << ' ' << it->second.account << '\n';
    }
    if (!out) {
      spdlog::warn("response affinity: cannot write {}", tmp);
      return;
    }
  }
  if (std::rename(tmp.c_str(), opts_.path.c_str()) != 0) spdlog::warn("response affinity: cannot replace {}", opts_.path);
  file_lines_ = map_.size();
}

void ResponseAffinity::remember(std::string_view id, std::string_view account, TimeMs now) {
  if (!storable(id) || !storable(account)) return;
  std::lock_guard lock(m_);
  insert(std::string(id), std::string(account), now);
  append("R " + std::to_string(now) + " " + std::string(id) + " " + std::string(account), now);
}

std::optional<std::string> ResponseAffinity::account_of(std::string_view id, TimeMs now) const {
  std::lock_guard lock(m_);
  auto it = map_.find(std::string(id));
  if (it == map_.end() || now - it->second.created > opts_.ttl_ms) return std::nullopt;
  return it->second.account;
}

void ResponseAffinity::forget(std::string_view id) {
  if (!storable(id)) return;
  std::lock_guard lock(m_);
  if (map_.erase(std::string(id)) == 0) return;
  append("D " + std::string(id), 0);
}

std::size_t ResponseAffinity::size() const {
  std::lock_guard lock(m_);
  return map_.size();
}

}  // namespace qg
