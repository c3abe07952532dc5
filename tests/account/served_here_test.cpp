// Unit tests of quota/served_here.hpp: which accounts known from a shared log this node may
// route to (it holds their credential).
#include "quota/served_here.hpp"

#include <doctest/doctest.h>

using namespace qg;

namespace {
AccountSpec spec(const std::string& provider, const std::string& file = "", const std::string& dir = "") {
  AccountSpec s;
  s.provider = provider;
  s.file = file;
  s.auth_dir = dir;
  return s;
}

LocalCredentials here() {
  LocalCredentials l;
  l.config_accounts = {"key-here"};
  l.cliproxy_auth_dir = "/home/u/.cli-proxy-api";
  l.file_exists = [](const std::string& path) {
    return path == "/home/u/.cli-proxy-api/codex-a.json" || path == "/srv/team/claude-b.json";
  };
  return l;
}
}  // namespace

TEST_CASE("served here: an API-key account only when this node's config lists it") {
  CHECK(served_here("key-here", spec("openai"), here()));
  CHECK_FALSE(served_here("key-elsewhere", spec("openai"), here()));
  CHECK_FALSE(served_here("key-elsewhere", spec("anthropic"), LocalCredentials{}));
}

TEST_CASE("served here: a CLIProxyAPI account only when its auth file is on this node") {
  CHECK(served_here("c1", spec("cliproxy", "codex-a.json"), here()));  // the configured folder
  CHECK(served_here("c2", spec("cliproxy", "claude-b.json", "/srv/team"), here()));  // an imported one
  CHECK_FALSE(served_here("c3", spec("cliproxy", "gemini-c.json"), here()));
  CHECK_FALSE(served_here("c4", spec("cliproxy", "codex-a.json", "/srv/other"), here()));
  CHECK_FALSE(served_here("c5", spec("cliproxy"), here()));  // no file named
  CHECK_FALSE(served_here("c1", spec("cliproxy", "codex-a.json"), LocalCredentials{}));
  // A cliproxy account written in this node's config.yaml is served like any config account.
  CHECK(served_here("key-here", spec("cliproxy"), here()));
}
