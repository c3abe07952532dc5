// tests/cliproxy/prefix_assignment_test.cpp — prefixes for `setup --assign-prefixes`.
#include "cliproxy/prefix_assignment.hpp"

#include <doctest/doctest.h>

using namespace qg;
using namespace qg::cliproxy;

namespace {
AccountSpec spec(const std::string& type, const std::string& email, const std::string& file,
                 const std::string& prefix = "") {
  AccountSpec s;
  s.provider = "cliproxy";
  s.origin = "cliproxy";
  s.type = type;
  s.email = email;
  s.file = file;
  s.prefix = prefix;
  return s;
}
}  // namespace

TEST_CASE("unique readable prefixes, one per file, existing prefixes respected") {
  std::map<std::string, AccountSpec> accounts = {
      {"codex-alice@example.com-9605fdb5", spec("codex", "alice@example.com", "a.json")},
      {"codex-alice@work.example-12345678", spec("codex", "alice@work.example", "b.json")},
      {"claude-dave@example.com", spec("claude", "dave@example.com", "c.json", "claude-dave")},
      {"claude-dave@other.example", spec("claude", "Dave@other.example", "d.json")},
      {"gemini-bob@example.com-p1", spec("gemini", "bob@example.com", "g.json")},
      {"gemini-bob@example.com-p2", spec("gemini", "bob@example.com", "g.json")},
      {"kimi-b95791af", spec("kimi", "", "k.json")},
  };
  auto plan = plan_prefixes(accounts);
  std::map<std::string, PrefixAssignment> by_file;
  for (auto& a : plan) by_file[a.file] = a;
  CHECK(plan.size() == 5);
  CHECK(by_file["a.json"].prefix == "codex-alice");
  CHECK(by_file["b.json"].prefix == "codex-alice-2");
  CHECK(by_file["d.json"].prefix == "claude-dave-2");  // "claude-dave" is taken by c.json
  CHECK(by_file["g.json"].prefix == "gemini-bob");
  CHECK(by_file["g.json"].account_ids.size() == 2);
  CHECK(by_file["k.json"].prefix == "kimi-b95791af");
  CHECK_FALSE(by_file.count("c.json"));
  for (auto& a : plan) CHECK(a.prefix.find('/') == std::string::npos);
  CHECK(unpinned_accounts(accounts).size() == 6);
}
