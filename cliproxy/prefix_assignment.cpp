// cliproxy/prefix_assignment.cpp — see prefix_assignment.hpp.
#include "cliproxy/prefix_assignment.hpp"

#include <cctype>
#include <set>

namespace qg::cliproxy {
namespace {

std::string slug(std::string_view s) {
  std::string out;
  for (char raw : s) {
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(raw)));
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '-';
    if (c == '-' && (out.empty() || out.back() == '-')) continue;
    out.push_back(c);
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > 40) out.resize(40);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

std::string base_prefix(const std::string& id, const AccountSpec& spec) {
  std::string type = slug(spec.type);
  std::string who;
  if (!spec.email.empty()) who = slug(spec.email.substr(0, spec.email.find('@')));
  if (who.empty()) {  // id = "<type>-<rest>": use the rest
    std::string rest = id.size() > spec.type.size() + 1 ? id.substr(spec.type.size() + 1) : id;
    who = slug(rest);
  }
  if (type.empty()) return who.empty() ? "acct" : who;
  return who.empty() ? type : type + "-" + who;
}

}  // namespace

std::vector<PrefixAssignment> plan_prefixes(const std::map<std::string, AccountSpec>& accounts) {
  std::set<std::string> taken;
  for (const auto& [id, spec] : accounts)
    if (!spec.prefix.empty()) taken.insert(spec.prefix);
  std::map<std::string, PrefixAssignment> by_file;
  for (const auto& [id, spec] : accounts) {
    if (!spec.prefix.empty()) continue;
    auto it = by_file.find(spec.file);
    if (it != by_file.end()) {
      it->second.account_ids.push_back(id);
      continue;
    }
    std::string base = base_prefix(id, spec), prefix = base;
    for (int n = 2; taken.count(prefix); ++n) prefix = base + "-" + std::to_string(n);
    taken.insert(prefix);
    by_file[spec.file] = PrefixAssignment{spec.file, prefix, {id}};
  }
  std::vector<PrefixAssignment> out;
  for (auto& [file, a] : by_file) out.push_back(std::move(a));
  return out;
}

std::vector<std::string> unpinned_accounts(const std::map<std::string, AccountSpec>& accounts) {
  std::vector<std::string> out;
  for (const auto& [id, spec] : accounts)
    if (spec.prefix.empty()) out.push_back(id);
  return out;
}

}  // namespace qg::cliproxy
