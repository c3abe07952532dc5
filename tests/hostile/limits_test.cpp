// Hostile input, pure parts (issue 15): each case fails on the code before its fix.
//   1  json_too_deep / YAML nesting bound      13  credentials and request framing
//   3  ReservationGuard settles on a throw     5,6 saturating windows, usage range in validate
//   4  SseRelay: bound and bare CR             9   sticky-route table bound, model bound
//   17 cutting text on code-point boundaries   10  ElasticThreadPool grows past idle workers
#include "quota/account_state.hpp"
#include "messages/usage_range.hpp"
#include "quota/router_settings.hpp"
#include "quota/router_state.hpp"
#include "http/dialect_request.hpp"
#include "messages/text_bounds.hpp"
#include "telegram/chat_format.hpp"
#include "config/config_loader.hpp"
#include "http/client_auth.hpp"
#include "http/elastic_thread_pool.hpp"
#include "http/request_framing.hpp"
#include "http/request_parser.hpp"
#include "http/reservation_guard.hpp"
#include "http/sse_relay.hpp"
#include "messages/json_depth.hpp"
#include "messages/saturating.hpp"
#include "messages/text_cut.hpp"
#include "persistence/log_verifier.hpp"
#include "tests/hostile/hostile_net.hpp"  // nested_json

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <limits>
#include <stdexcept>
#include <thread>

using namespace qg;
using qg::test::nested_json;

namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

bool valid_utf8(std::string_view s) {
  try {
    (void)nlohmann::json(std::string(s)).dump();  // the strict dump the Bot API client uses
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

struct RecordingBackend : ProxyBackend {
  std::vector<std::string> released, committed;
  RouteGrant route_and_reserve(const RouteRequest&) override { return {}; }
  void commit(const std::string&, const std::string& id, const Usage&, bool) override { committed.push_back(id); }
  void release(const std::string&, const std::string& id, const std::string& reason) override {
    released.push_back(id + ":" + reason);
  }
  void report_outcome(const std::string&, const UpstreamOutcome&) override {}
  std::vector<std::string> models() override { return {}; }
};

}  // namespace

TEST_CASE("item 1: nesting deeper than the limit is found without recursion, strings ignored") {
  CHECK_FALSE(json_too_deep(nested_json(kMaxJsonDepth)));
  CHECK(json_too_deep(nested_json(kMaxJsonDepth + 1)));
  CHECK(json_too_deep(nested_json(100'000)));  // the segfault of the report
  CHECK(json_too_deep(std::string(200'000, '[')));
  CHECK_FALSE(json_too_deep("{\"a\":\"" + std::string(1000, '[') + "\"}"));
  CHECK_FALSE(json_too_deep("{\"a\":\"\\\"" + std::string(1000, '{') + "\"}"));  // escaped quote stays inside
  CHECK(json_depth_error().find("128") != std::string::npos);
  // Every parser on the request path says so, naming the limit.
  auto r = parse_request(ApiEndpoint::chat_completions, "{\"model\":\"m\",\"x\":" + nested_json(100'000) + "}");
  REQUIRE_FALSE(r.request);
  CHECK(r.error.find("nesting deeper than 128") != std::string::npos);
}

TEST_CASE("item 1: YAML nested beyond the bound is a config error, not a crash") {
  auto flow = load_config_text("router: {fallback_chains: {a: " + std::string(100'000, '[') + "}}", "deep.yaml");
  CHECK_FALSE(flow.ok());
  CHECK(flow.error.find("nesting deeper than 64") != std::string::npos);
  std::string block = "server:\n";
  for (int i = 1; i < 400; ++i) block += std::string(static_cast<std::size_t>(i), ' ') + "k" + std::to_string(i) + ":\n";
  auto indent = load_config_text(block, "deep.yaml");
  CHECK_FALSE(indent.ok());
  CHECK(indent.error.find("256 columns") != std::string::npos);
  // Brackets in quotes and comments do not count; ordinary files are untouched.
  auto fine = load_config_text("log: {level: \"" + std::string(100, '[') + "\"}  # " + std::string(100, '{') + "\n",
                               "ok.yaml");
  CHECK(fine.error.find("nesting") == std::string::npos);
}

TEST_CASE("item 13: one credential check, Bearer in any case, control characters refused") {
  CHECK(bearer_credential("Bearer k1") == std::optional<std::string_view>("k1"));
  CHECK(bearer_credential("bearer k1") == std::optional<std::string_view>("k1"));
  CHECK(bearer_credential("BEARER k1") == std::optional<std::string_view>("k1"));
  CHECK_FALSE(bearer_credential("Basic k1"));
  CHECK_FALSE(bearer_credential("Bearer "));
  CHECK_FALSE(bearer_credential("Bearerk1"));
  CHECK_FALSE(bearer_credential(std::string_view("Bearer k1\0junk", 14)));
  CHECK_FALSE(bearer_credential("Bearer k1\r\nX: y"));
  CHECK_FALSE(header_credential(std::string_view("k1\0", 3)));
  ClientAuth auth({"k1", "k2"});
  CHECK(auth.check("bearer k2").value_or("") == key_fingerprint("k2"));
  CHECK_FALSE(auth.check(std::string_view("Bearer k1\0junk", 14)));
  CHECK_FALSE(auth.check("Bearer k3"));
  auth.replace({"k3"});  // item 16: reload rotates
  CHECK_FALSE(auth.check("Bearer k1"));
  CHECK(auth.check("Bearer k3"));
  CHECK(ClientAuth(std::vector<std::string>{}).check("").value_or("x").empty());  // open
  CHECK(secret_matches("tok", "tok"));
  CHECK_FALSE(secret_matches("tok", std::string_view("tok\0", 4)));
}

TEST_CASE("item 13: ambiguous framing is refused") {
  CHECK(check_framing({{"Content-Length", "5"}}).content_length == 5);
  CHECK(check_framing({{"Content-Length", "5"}, {"content-length", "5"}}).error == FramingError::none);
  CHECK(check_framing({{"Content-Length", "5"}, {"Content-Length", "6"}}).error == FramingError::duplicate_content_length);
  CHECK(check_framing({{"Content-Length", "5, 6"}}).error == FramingError::duplicate_content_length);
  CHECK(check_framing({{"Content-Length", "-1"}}).error == FramingError::bad_content_length);
  CHECK(check_framing({{"Content-Length", "99999999999999999999"}}).error == FramingError::bad_content_length);
  CHECK(check_framing({{"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}}).error ==
        FramingError::length_with_transfer_encoding);
  CHECK(check_framing({{"Transfer-Encoding", "gzip, chunked"}}).error == FramingError::unsupported_transfer_encoding);
  CHECK(check_framing({{"Transfer-Encoding", "chunked"}}).chunked);
  CHECK(check_framing({{"Authorization", std::string_view("Bearer k\0j", 10)}}).error == FramingError::control_character);
}

TEST_CASE("item 3: the reservation guard settles on every exit, exceptions included") {
  RecordingBackend b;
  try {
    ReservationGuard g(b, "a1", "r1");
    throw std::out_of_range("stod");  // what time_text threw from inside the relay
  } catch (const std::out_of_range&) {
  }
  REQUIRE(b.released.size() == 1);
  CHECK(b.released[0] == "r1:proxy_error");
  { ReservationGuard g(b, "a1", "r2"); }  // a path that forgot to settle
  CHECK(b.released.back() == "r2:proxy_abandoned");
  {
    ReservationGuard g(b, "a1", "r3");
    g.commit(Usage{1, 2, 3}, false);
  }
  {
    ReservationGuard g(b, "a1", "r4");
    g.hand_over();
  }
  try {  // the upstream served, then reading its answer threw: counted, not free
    ReservationGuard g(b, "a1", "r5");
    g.upstream_served(Usage{1, 10, 20});
    throw std::out_of_range("stod");
  } catch (const std::out_of_range&) {
  }
  CHECK(b.committed == std::vector<std::string>{"r3", "r5"});
  CHECK(b.released.size() == 2);
}

TEST_CASE("item 4: the SSE relay splits bare CR lines and bounds a pending event") {
  SseRelay relay(false);
  std::string out;
  relay.feed("data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\r\rdata: {\"choices\":[],", out);
  relay.feed("\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}\r", out);
  relay.feed("\r", out);  // a CR at the end of a read waits for a possible LF
  relay.feed("data: [DONE]\r\n\r\n", out);
  CHECK(relay.events() == 3);
  CHECK(relay.saw_done());
  REQUIRE(relay.usage());
  CHECK(relay.usage()->output_tokens == 4);
  CHECK(relay.content_bytes() == 2);

  SseRelay bounded(false, Dialect::chat, 64 * 1024);
  std::string big(10'000, 'x');
  out.clear();
  bounded.feed("data: ", out);
  for (int i = 0; i < 20 && !bounded.overflowed(); ++i) bounded.feed(big, out);  // never a blank line
  CHECK(bounded.overflowed());
  CHECK(bounded.pending_bytes() == 0);  // freed, not kept until the stream ends
  CHECK(out.empty());
}

TEST_CASE("items 5 and 6: windows saturate, usage outside the range is refused and reported") {
  CHECK(sat_add(kMax, 1) == kMax);
  CHECK(sat_mul(kMax, 128) == kMax);
  CHECK(sat_sub(std::numeric_limits<std::int64_t>::min(), 1) == std::numeric_limits<std::int64_t>::min());
  CHECK(estimate_usage(kMax, kMax).output_tokens == kMaxUsagePerRequest);
  CHECK(estimate_usage(kMax, 0).input_tokens == kMaxUsagePerRequest);

  AccountState s;
  s.id = "a";
  s.spec.provider = "openai";
  QuotaWindow w;
  w.metric = Metric::tokens;
  w.window_s = 60;
  w.limit = 200;
  s.windows.push_back(w);
  const TimeMs now = 1'000'000;
  CHECK_FALSE(admission_refusal(s, Usage{1, 0, kMax}, now).empty());  // 213/200 no more
  CHECK(validate(s, ReservationCreated{"r", "m", Usage{1, 0, kMax}, now + 1000}, now).verdict == Verdict::reject);
  apply(s, Event{1, now, "a", ReservationCreated{"r1", "m", Usage{1, 5, 5}, now + 60'000}});
  for (const Usage bad : {Usage{1, -1'000'000, 5}, Usage{1, kMax, 0}, Usage{-1, 0, 0}}) {
    const Validation v = validate(s, ReservationCommitted{"r1", bad, false}, now);
    CHECK(v.verdict == Verdict::reject);
    CHECK(v.reason.find("out of range") != std::string::npos);
  }
  CHECK(validate(s, ReservationCommitted{"r1", Usage{1, 5, 5}, false}, now).verdict == Verdict::accept);
  CHECK(validate(s, QuotaObserved{QuotaSource::headers, {ObservedWindow{Metric::tokens, 60, 100, -5, 0}}}, now).verdict ==
        Verdict::reject);
  // Replayed from a log written before the fix: the window saturates and verify says why.
  apply(s, Event{2, now, "a", ReservationCommitted{"r1", Usage{1, kMax, kMax}, false}});
  CHECK(s.windows[0].used == kMax);
  CHECK(s.counters.committed_usage.input_tokens == kMax);
  LogVerifier verifier;
  verifier.observe(Event{1, now, "a", ReservationCreated{"r1", "m", Usage{1, 5, 5}, now}}, "", false);
  verifier.observe(Event{2, now, "a", ReservationCommitted{"r1", Usage{1, -1'000'000, 5}, false}}, "", false);
  REQUIRE(verifier.violations().size() == 1);
  CHECK(verifier.violations()[0].kind == "usage_range");
  // The edge: an upstream's absurd usage is no usage at all.
  auto info = inspect_completion_json(R"({"choices":[],"usage":{"prompt_tokens":-1000000,"completion_tokens":3}})");
  CHECK_FALSE(info.usage);
  CHECK(info.usage_out_of_range);
  info = inspect_completion_json(R"({"choices":[],"usage":{"prompt_tokens":9223372036854775807,"completion_tokens":3}})");
  CHECK_FALSE(info.usage);
}

TEST_CASE("items 5, 8, 9: request numbers and names are bounded at the edge") {
  auto ask = [](ApiEndpoint e, const std::string& body) { return parse_request(e, body); };
  auto r = ask(ApiEndpoint::chat_completions, R"({"model":"m","max_tokens":9223372036854775807,"messages":[]})");
  CHECK_FALSE(r.request);
  CHECK(r.param == "max_tokens");
  r = ask(ApiEndpoint::chat_completions, R"({"model":"m","max_tokens":1000000000,"n":128,"messages":[]})");
  REQUIRE(r.request);
  CHECK(r.request->max_tokens == kMaxRequestTokens);
  CHECK_FALSE(ask(ApiEndpoint::chat_completions, R"({"model":"m","n":129,"messages":[]})").request);
  CHECK_FALSE(ask(ApiEndpoint::chat_completions, "{\"model\":\"" + std::string(257, 'm') + "\",\"messages\":[]}").request);
  CHECK(ask(ApiEndpoint::chat_completions, "{\"model\":\"" + std::string(256, 'm') + "\",\"messages\":[]}").request);
  r = ask(ApiEndpoint::embeddings, R"({"model":"e","input":"x","stream":true})");
  CHECK_FALSE(r.request);
  CHECK(r.param == "stream");
}

TEST_CASE("item 9: the sticky-route table is bounded, forgetting the oldest switch") {
  RouterState s;
  for (std::size_t i = 0; i < kMaxStickyRoutes + 50; ++i)
    apply(s, Event{i + 1, static_cast<TimeMs>(1000 + i), "", RouteSwitched{"model-" + std::to_string(i), "", "a", "x", {}}});
  // At the 4097th key the table went down to kMaxStickyRoutes - kStickyTrim at once (the 513
  // oldest forgotten); 49 more came after.
  CHECK(s.sticky.size() == kMaxStickyRoutes - kStickyTrim + 49);
  CHECK(s.sticky.count("model-0") == 0);
  CHECK(s.sticky.count("model-" + std::to_string(kStickyTrim)) == 0);
  CHECK(s.sticky.count("model-" + std::to_string(kStickyTrim + 1)) == 1);
  CHECK(s.sticky.count("model-" + std::to_string(kMaxStickyRoutes + 49)) == 1);
}

TEST_CASE("item 17: text is cut on code-point boundaries") {
  const std::string euro = "\xE2\x82\xAC";  // 3 bytes
  std::string text;
  for (int i = 0; i < 100; ++i) text += euro;
  for (std::size_t n = 0; n < 20; ++n) CHECK(valid_utf8(utf8_prefix(text, n)));
  CHECK(utf8_prefix(text, 4) == euro);
  CHECK_FALSE(valid_utf8(text.substr(0, 4)));  // what substr(0, n) did
  CHECK(valid_utf8(shorten_text(text, 200)));
  // /qg_events: 200 bytes of event data ending inside a character still makes a valid reply.
  const std::vector<Event> events{Event{1, 1000, "", SettingChanged{"router.policy", "xy" + text, "test"}}};
  CHECK(valid_utf8(telegram::format_events(events)));
}

TEST_CASE("item 10: the worker pool starts a thread for each connection beyond the idle ones") {
  ElasticThreadPool pool(2, 300, std::chrono::milliseconds(200));
  std::atomic<int> running{0};
  std::atomic<bool> release{false};
  for (int i = 0; i < 250; ++i)  // 250 "idle connections" hold their workers
    pool.enqueue([&] {
      ++running;
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    });
  std::atomic<bool> served{false};
  pool.enqueue([&] { served = true; });  // one more client is not starved
  for (int i = 0; i < 400 && !served; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(served);
  CHECK(pool.threads() >= 251);
  release = true;
  for (int i = 0; i < 400 && pool.threads() > 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(pool.threads() == 2);  // idle extra threads exit
  pool.shutdown();
}

TEST_CASE("item 9: client names are bounded in one place, for every parser and setting") {
  CHECK(name_refusal("model", std::string(kMaxNameBytes, 'm')).empty());
  const std::string refusal = name_refusal("model", std::string(kMaxNameBytes + 1, 'm'));
  CHECK(refusal == "model: must be at most 256 bytes without control characters");
  CHECK_FALSE(name_refusal("id", "a\nb").empty());
  CHECK(text_refusal("path", std::string(kMaxTextBytes + 1, 'p')).find("4096") != std::string::npos);
  // Every dialect's model and token count are bounded like /v1/chat/completions'.
  const std::string long_model = "{\"model\":\"" + std::string(257, 'm') + "\",\"max_tokens\":5,\"messages\":[]}";
  for (Dialect d : {Dialect::messages, Dialect::responses}) {
    auto r = parse_dialect_request(d, long_model);
    CHECK_FALSE(r.request);
    CHECK(r.param == "model");
    auto big = parse_dialect_request(d, R"({"model":"m","max_tokens":9223372036854775807,"max_output_tokens":9223372036854775807})");
    CHECK_FALSE(big.request);
  }
  CHECK_FALSE(parse_dialect_request(Dialect::gemini, R"({"generationConfig":{"maxOutputTokens":1000000001}})").request);
  CHECK(parse_dialect_request(Dialect::gemini, R"({"generationConfig":{"maxOutputTokens":1000000000}})").request);
  // Fallback chains: names and counts, refused without quoting the value.
  RouterSettings s;
  auto errs = apply_setting_text(s, kSettingFallbackChains, "{\"" + std::string(100'000, 'x') + "\":[\"m\"]}");
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].size() < 200);
  errs = apply_setting_text(s, kSettingFallbackChains, "{\"m\":[\"" + std::string(300, 'x') + "\"]}");
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].find("xxxxxxxxxx") == std::string::npos);
  nlohmann::json many = nlohmann::json::object();
  for (std::size_t i = 0; i <= kMaxListItems; ++i) many["m" + std::to_string(i)] = {"alt"};
  CHECK_FALSE(apply_setting_text(s, kSettingFallbackChains, many.dump()).empty());
  CHECK(s.fallback_chains.empty());
  CHECK(apply_setting_text(s, kSettingFallbackChains, "{\"" + std::string(256, 'x') + "\":[\"m\"]}").empty());
}

TEST_CASE("item 9: an account keeps at most kMaxObservedWindows observed windows") {
  AccountState s;
  s.id = "a";
  QuotaObserved q{QuotaSource::headers, {}};
  for (std::int64_t i = 1; i <= static_cast<std::int64_t>(kMaxObservedWindows); ++i)
    q.windows.push_back(ObservedWindow{Metric::requests, i * 60, 100, 1, 0});
  CHECK(validate(s, q, 1000).verdict == Verdict::accept);
  apply(s, Event{1, 1000, "a", q});
  // The same windows again: within the bound (a repeated header observation is a noop, issue 17).
  CHECK(validate(s, q, 2000).verdict == Verdict::noop);
  QuotaObserved one_more{QuotaSource::headers, {ObservedWindow{Metric::tokens, 60, 100, 1, 0}}};
  const Validation v = validate(s, one_more, 2000);
  CHECK(v.verdict == Verdict::reject);
  CHECK(v.reason.find("at most 32 observed windows") != std::string::npos);
}

TEST_CASE("item 9: a flood of new route keys at the sticky bound trims the table once per kStickyTrim keys") {
  // Every RouteSwitched past the bound used to scan the whole table for the one oldest choice:
  // one client sending new model names made each of its requests cost the router (and replay)
  // a 4096-entry scan (36 us an apply at -O2, against 0.4 us below the bound). Now a trim drops
  // kStickyTrim choices at once, so the whole-table pass comes once per kStickyTrim new keys.
  // Counted, not timed (no timed assertions in the suite).
  RouterState s;
  std::size_t trims = 0, lowest = kMaxStickyRoutes, before = 0;
  for (std::size_t i = 0; i < 5 * kMaxStickyRoutes; ++i) {
    apply(s, Event{i + 1, static_cast<TimeMs>(1000 + i), "", RouteSwitched{"m-" + std::to_string(i), "", "a", "initial", {}}});
    const std::size_t after = s.sticky.size();
    CHECK(after <= kMaxStickyRoutes);
    if (after < before) ++trims;  // before the change: never (one out, one in, the size unchanged)
    if (i >= kMaxStickyRoutes) lowest = std::min(lowest, after);
    before = after;
  }
  CHECK(lowest == kMaxStickyRoutes - kStickyTrim);  // before: kMaxStickyRoutes
  CHECK(trims >= 1);
  CHECK(trims <= 4 * kMaxStickyRoutes / kStickyTrim + 1);
}
