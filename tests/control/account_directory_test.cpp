// The core's account directory follows the account events (no stale specs after a removal).
#include "actors/control/account_directory.hpp"

#include <doctest/doctest.h>

using namespace qg;

namespace {
AccountSpec spec(const std::string& model) {
  AccountSpec s;
  s.provider = "openai";
  s.models = {model};
  return s;
}
}  // namespace

TEST_CASE("account directory: registered, updated, removed - the handle stays for open reservations") {
  AccountDirectory dir;
  dir.add("a", account_actor{}, spec("gpt-4o"));
  REQUIRE(dir.spec("a"));
  CHECK(dir.spec("a")->models == std::vector<std::string>{"gpt-4o"});

  dir.apply(Event{1, 0, "a", AccountUpdated{spec("gpt-4.1")}});
  CHECK(dir.spec("a")->models == std::vector<std::string>{"gpt-4.1"});

  dir.apply(Event{2, 0, "a", AccountRemoved{"gone from config"}});
  CHECK_FALSE(dir.spec("a").has_value());
  CHECK(dir.specs().empty());           // GET /v1/models no longer lists its models
  CHECK(dir.handle("a").has_value());   // commits and releases still reach its actor

  dir.apply(Event{3, 0, "a", AccountRegistered{spec("gpt-4o")}});
  CHECK(dir.specs().count("a") == 1);
  dir.apply(Event{4, 0, "b", QuotaObserved{}});  // not an account event: ignored
  CHECK_FALSE(dir.handle("b").has_value());
}

TEST_CASE("account directory: the reservation index finds the holder, forgets resolved ones, stays bounded") {
  AccountDirectory dir;
  dir.note_reservation("r1", "a");
  dir.note_reservation("r2", "b");
  CHECK(dir.reservation_account("r1") == std::optional<std::string>("a"));
  CHECK(dir.reservation_account("r2") == std::optional<std::string>("b"));
  dir.forget_reservation("r1");
  CHECK_FALSE(dir.reservation_account("r1").has_value());
  CHECK_FALSE(dir.reservation_account("never").has_value());
  for (std::size_t i = 0; i < AccountDirectory::kMaxIndexed; ++i) dir.note_reservation("x" + std::to_string(i), "a");
  // The cap was reached: the index started afresh (lookups then ask every account).
  CHECK_FALSE(dir.reservation_account("r2").has_value());
  CHECK(dir.reservation_account("x" + std::to_string(AccountDirectory::kMaxIndexed - 1)).has_value());
}
