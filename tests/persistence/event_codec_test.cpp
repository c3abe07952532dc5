// tests/persistence/event_codec_test.cpp — event payload JSON round trips, tolerant decoding,
// ISO 8601 times and the replay/API event line.
#include "messages/event_codec.hpp"
#include "messages/json_text.hpp"
#include "sample_events.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace qg;

TEST_CASE("every event payload survives encode -> decode -> encode") {
  const auto samples = test::sample_payloads();
  REQUIRE(samples.size() == std::variant_size_v<EventPayload> - 1);
  for (const auto& p : samples) {
    const std::string type(event_type(p));
    CAPTURE(type);
    const std::string json = encode_payload(p);
    std::string warning = "stale";
    const EventPayload back = decode_payload(type, json, kEventSchemaVersion, &warning);
    CHECK(warning.empty());
    CHECK(back.index() == p.index());
    CHECK(encode_payload(back) == json);
    CHECK(is_known_event_type(type));
  }
}

TEST_CASE("decoded fields equal the originals") {
  ReservationCommitted c{"r-9", Usage{1, 20, 30}, true};
  auto back = std::get<ReservationCommitted>(decode_payload("ReservationCommitted", encode_payload(c), 1, nullptr));
  CHECK(back.id == "r-9");
  CHECK(back.usage == Usage{1, 20, 30});
  CHECK(back.estimated);
  AccountRegistered r{test::sample_payloads().size() ? std::get<AccountRegistered>(test::sample_payloads()[0]).spec : AccountSpec{}};
  CHECK(std::get<AccountRegistered>(decode_payload("AccountRegistered", encode_payload(r), 1, nullptr)).spec == r.spec);
}

TEST_CASE("missing fields take defaults so older payloads stay readable") {
  std::string warning;
  auto p = decode_payload("ReservationCreated", R"({"id":"r1"})", 1, &warning);
  CHECK(warning.empty());
  CHECK(std::get<ReservationCreated>(p).id == "r1");
  CHECK(std::get<ReservationCreated>(p).estimate == Usage{});
}

TEST_CASE("ReservationCreated carries the request's x-request-id, without one the field is absent") {
  ReservationCreated with{"r-1", "gpt-4o", Usage{1, 2, 3}, 99, "req-7f3a"};
  const std::string json = encode_payload(with);
  CHECK(json.find(R"("request_id":"req-7f3a")") != std::string::npos);
  CHECK(std::get<ReservationCreated>(decode_payload("ReservationCreated", json, 1, nullptr)).request_id ==
        "req-7f3a");
  ReservationCreated without{"r-2", "gpt-4o", Usage{1, 2, 3}, 99};
  CHECK(encode_payload(without).find("request_id") == std::string::npos);  // older readers see no change
  CHECK(std::get<ReservationCreated>(decode_payload("ReservationCreated", encode_payload(without), 1, nullptr))
            .request_id.empty());
}

TEST_CASE("unknown type, newer version and malformed JSON come back as UnknownEvent with a warning") {
  std::string warning;
  auto unknown = decode_payload("QuotaTeleported", R"({"x":1})", 1, &warning);
  REQUIRE(std::holds_alternative<UnknownEvent>(unknown));
  CHECK(std::get<UnknownEvent>(unknown).raw == R"({"x":1})");
  CHECK(std::get<UnknownEvent>(unknown).type == "QuotaTeleported");
  CHECK(warning.find("unknown event type") != std::string::npos);

  auto newer = decode_payload("ReservationExpired", R"({"id":"r1"})", kEventSchemaVersion + 1, &warning);
  REQUIRE(std::holds_alternative<UnknownEvent>(newer));
  CHECK(warning.find("schema version 2") != std::string::npos);

  for (const char* bad : {"{", "", "[1,2]", "null", R"({"id":5})", R"({"id":"r","estimate":"x"})",
                          R"({"id":"r","estimate":{"requests":1.5}})", "\xff\xfe"}) {
    CAPTURE(bad);
    auto p = decode_payload("ReservationCreated", bad, 1, &warning);
    CHECK(std::holds_alternative<UnknownEvent>(p));
    CHECK(warning.find("malformed ReservationCreated") != std::string::npos);
  }
  auto metric = decode_payload("ThresholdCrossed", R"({"metric":"parsecs"})", 1, &warning);
  CHECK(std::holds_alternative<UnknownEvent>(metric));
  CHECK(warning.find("parsecs") != std::string::npos);
}

TEST_CASE("strings with quotes, control characters and invalid UTF-8 encode to valid JSON") {
  const std::string nasty = std::string("q\"b\\s/n\nt\tc") + '\x01' + "\xc3\xa9";
  ReservationReleased r{"id-1", nasty};
  const auto text = encode_payload(r);
  CHECK(nlohmann::json::parse(text)["reason"] == nasty);
  std::string warning;
  auto back = decode_payload("ReservationReleased", text, 1, &warning);
  CHECK(warning.empty());
  CHECK(std::get<ReservationReleased>(back).reason == nasty);

  ReservationReleased invalid{"id-2", "bad \xff byte"};
  auto decoded = decode_payload("ReservationReleased", encode_payload(invalid), 1, &warning);
  CHECK(warning.empty());
  CHECK(std::get<ReservationReleased>(decoded).reason == "bad \xef\xbf\xbd byte");

  ThresholdCrossed t{"warning", Metric::tokens, 60, 88.0};
  CHECK(std::get<ThresholdCrossed>(decode_payload("ThresholdCrossed", encode_payload(t), 1, nullptr)).used_percent == 88.0);
}

TEST_CASE("an UnknownEvent re-encodes as its raw text") {
  EventPayload p = UnknownEvent{"Future", R"({"a":[1,2]})"};
  CHECK(encode_payload(p) == R"({"a":[1,2]})");
  CHECK(event_type(p) == "Future");
}

TEST_CASE("ISO 8601 format and parse") {
  CHECK(format_iso8601_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_iso8601_ms(1'795'964'645'123) == "2026-11-29T15:04:05.123Z");
  CHECK(format_iso8601_ms(-1) == "1969-12-31T23:59:59.999Z");
  for (TimeMs t : {TimeMs{0}, TimeMs{951'782'400'000}, TimeMs{1'795'964'645'123}, TimeMs{4'102'444'799'999}})
    CHECK(parse_iso8601(format_iso8601_ms(t)) == t);
  CHECK(parse_iso8601("2026-11-29T15:04:05Z") == 1'795'964'645'000);
  CHECK(parse_iso8601("2026-11-29 15:04:05.1") == 1'795'964'645'100);
  CHECK(parse_iso8601("2026-11-29T17:04:05+02:00") == 1'795'964'645'000);
  CHECK(parse_iso8601("2026-11-28") == 1'795'824'000'000);
  CHECK(parse_iso8601("2026-11-29T15:04") == 1'795'964'640'000);
  for (const char* bad : {"", "2026", "2026-13-01", "2026-11-28T25:00", "yesterday", "2026-11-28T15:04:05Zjunk",
                          "2026-11-28T15:04:05."})
    CHECK_FALSE(parse_iso8601(bad).has_value());
}

TEST_CASE("event_to_json_line has the INTERFACE §5 shape") {
  Event e{42, 1'795'964'645'123, "acct \"a\"", ReservationExpired{"r-7"}};
  const auto line = event_to_json_line(e);
  CHECK(line == R"({"seq":42,"ts":"2026-11-29T15:04:05.123Z","type":"ReservationExpired","account":"acct \"a\"","data":{"id":"r-7"}})");
  Event broken{3, 0, "", UnknownEvent{"ReservationExpired", "{not json"}};
  auto j = nlohmann::json::parse(event_to_json_line(broken));
  CHECK(j["data"]["raw"] == "{not json");
  CHECK(j["type"] == "ReservationExpired");
}

TEST_CASE("event JSON: usage objects and plain strings written in place give the same bytes") {
  ReservationCreated created{"r-1", "gpt-4o", Usage{1, 250, 32}, 1790000000000, "req-7f3a", "chat"};
  CHECK(encode_payload(created) ==
        R"({"id":"r-1","model":"gpt-4o","estimate":{"requests":1,"input_tokens":250,"output_tokens":32},)"
        R"("expires_at":1790000000000,"request_id":"req-7f3a","dialect":"chat"})");
  ReservationCommitted committed{"r-1", Usage{1, -5, 9223372036854775807}, false};
  CHECK(encode_payload(committed) ==
        R"({"id":"r-1","usage":{"requests":1,"input_tokens":-5,"output_tokens":9223372036854775807},"estimated":false})");
  // Every ASCII character alone and between plain text: the same literal as nlohmann writes.
  for (int c = 0; c < 128; ++c) {
    CAPTURE(c);
    const std::string one(1, static_cast<char>(c));
    CHECK(json_quote(one) == nlohmann::json(one).dump());
    const std::string mid = "plain " + one + " text";
    CHECK(json_quote(mid) == nlohmann::json(mid).dump());
  }
  CHECK(json_quote("") == "\"\"");
  CHECK(json_quote("caf\xc3\xa9") == nlohmann::json("caf\xc3\xa9").dump());
}
