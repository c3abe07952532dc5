// tests/persistence/state_codec_test.cpp — snapshot encoding is an exact inverse; bad input is
// refused; the replay summary has the documented shape.
#include "persistence/state_codec.hpp"
#include "messages/window_label.hpp"
#include "sample_events.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace qg;

namespace {
SystemState fold(std::uint32_t seed, std::size_t n) {
  SystemState s;
  test::RandomLog log(seed);
  for (std::size_t i = 1; i <= n; ++i) {
    Event e = log.next();
    e.seq = i;
    e.node = i % 3 == 0 ? "" : "n" + std::to_string(i % 2);  // shared logs' node stamps too
    apply(s, e);
  }
  return s;
}
}  // namespace

TEST_CASE("decode_state(encode_state(s)) == s for random folded states") {
  for (std::uint32_t seed : {1u, 2u, 3u, 4u}) {
    CAPTURE(seed);
    const SystemState s = fold(seed, 1500);
    REQUIRE_FALSE(s.accounts.empty());
    std::string err;
    const auto back = decode_state(encode_state(s), &err);
    REQUIRE(back.has_value());
    CHECK(err.empty());
    CHECK(*back == s);
  }
  CHECK(decode_state(encode_state(SystemState{}), nullptr) == SystemState{});
}

TEST_CASE("malformed state text is refused with a reason") {
  std::string err;
  CHECK_FALSE(decode_state("{", &err));
  CHECK(err.find("invalid JSON") != std::string::npos);
  CHECK_FALSE(decode_state(R"({"accounts":[{"windows":[{"origin":"mars"}]}]})", &err));
  CHECK(err.find("mars") != std::string::npos);
  CHECK_FALSE(decode_state(R"({"last_seq":"x"})", &err));
  CHECK_FALSE(decode_state("[]", &err));
}

TEST_CASE("window lengths format as config durations") {
  CHECK(window_label(60) == "1m");
  CHECK(window_label(18000) == "5h");
  CHECK(window_label(86400) == "1d");
  CHECK(window_label(604800) == "7d");
  CHECK(window_label(90) == "90s");
  CHECK(window_label(0) == "unknown");
}

TEST_CASE("state summary lists accounts with windows, status, reservations and counters") {
  SystemState s;
  AccountSpec spec;
  spec.provider = "openai";
  spec.limits = {{Metric::requests, 60, 10}};
  const TimeMs t0 = 1'795'964'640'000;  // 2026-11-29T15:04:00Z
  apply(s, Event{1, t0, "a", AccountRegistered{spec}});
  apply(s, Event{2, t0 + 1000, "a", ReservationCreated{"r1", "m", Usage{1, 0, 0}, t0 + 60000}});
  apply(s, Event{3, t0 + 2000, "a", ReservationCreated{"r2", "m", Usage{1, 0, 0}, t0 + 60000}});
  apply(s, Event{4, t0 + 3000, "a", ReservationCommitted{"r1", Usage{1, 5, 5}, false}});
  apply(s, Event{5, t0 + 3000, "b", AccountRegistered{spec}});
  const auto j = state_summary_json(s, t0 + 3000);
  CHECK(j["last_seq"] == 5);
  REQUIRE(j["accounts"].size() == 2);
  const auto& a = j["accounts"][0];
  CHECK(a["id"] == "a");
  CHECK(a["state"] == "active");
  const auto& w = a["windows"][0];
  CHECK(w["metric"] == "requests");
  CHECK(w["window"] == "1m");
  CHECK(w["limit"] == 10);
  CHECK(w["used"] == 1);
  CHECK(w["reserved"] == 1);
  CHECK(w["remaining"] == 8);
  CHECK(w["reset_at"] == "2026-11-29T15:05:00.000Z");
  CHECK(w["source"] == "config");
  CHECK(a["reservations"].size() == 1);
  CHECK(a["counters"]["committed"] == 1);
  CHECK(state_summary_json(s, t0, "b")["accounts"].size() == 1);
}
