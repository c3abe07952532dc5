// messages/event_codec.cpp — JSON encode (nlohmann) / decode (simdjson) of event payloads.
#include "messages/event_codec.hpp"

#include "messages/civil_time.hpp"

#include "messages/json_fields.hpp"

#include <array>
#include <cstdio>
#include <type_traits>
#include <utility>

namespace qg {

using namespace json_fields;
using nlohmann::json;

namespace {

// Compact JSON; invalid UTF-8 in strings is replaced rather than throwing.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// ---- encoding ----------------------------------------------------------------------------

std::string encode(const AccountRegistered& v) { return dump(spec_to_json(v.spec)); }
std::string encode(const AccountUpdated& v) { return dump(spec_to_json(v.spec)); }
std::string encode(const AccountRemoved& v) { return ObjectWriter().str("reason", v.reason).done(); }
std::string encode(const QuotaObserved& v) {
  std::string windows = "[";
  for (const auto& w : v.windows) {
    if (windows.size() > 1) windows += ',';
    windows += ObjectWriter()
                   .str("metric", to_string(w.metric))
                   .num("window_s", w.window_s)
                   .num("limit", w.limit)
                   .num("used", w.used)
                   .num("reset_at", w.reset_at)
                   .done();
  }
  windows += ']';
  return ObjectWriter().str("source", to_string(v.source)).raw("windows", windows).done();
}
std::string encode(const ReservationCreated& v) {
  ObjectWriter w;
  w.str("id", v.id).str("model", v.model).usage("estimate", v.estimate).num("expires_at", v.expires_at);
  if (!v.request_id.empty()) w.str("request_id", v.request_id);  // absent in older logs
  if (!v.dialect.empty()) w.str("dialect", v.dialect);
  if (!v.asked.empty()) w.str("asked", v.asked);
  if (!v.client.empty()) w.str("client", v.client);
  if (v.pinned) w.boolean("pinned", true);
  return w.done();
}
std::string encode(const RouteRefused& v) {
  ObjectWriter w;
  w.str("model", v.model).str("dialect", v.dialect);
  if (!v.client.empty()) w.str("client", v.client);
  w.usage("estimate", v.estimate);
  if (!v.request_id.empty()) w.str("request_id", v.request_id);
  return w.str("error", v.error).done();
}
std::string encode(const ReservationCommitted& v) {
  return ObjectWriter().str("id", v.id).usage("usage", v.usage).boolean("estimated", v.estimated).done();
}
std::string encode(const ReservationReleased& v) {
  return ObjectWriter().str("id", v.id).str("reason", v.reason).done();
}
std::string encode(const ReservationExpired& v) { return ObjectWriter().str("id", v.id).done(); }
std::string encode(const RouteSwitched& v) {
  ObjectWriter scores;
  for (const auto& [account, score] : v.scores) scores.real(account, score);
  return ObjectWriter()
      .str("route_key", v.route_key)
      .str("from", v.from)
      .str("to", v.to)
      .str("reason", v.reason)
      .raw("scores", scores.done())
      .done();
}
std::string encode(const CooldownStarted& v) {
  return ObjectWriter()
      .num("until", v.until)
      .str("reason", v.reason)
      .str("detail", v.detail)
      .num("failures", v.failures)
      .done();
}
std::string encode(const CooldownEnded& v) { return ObjectWriter().str("reason", v.reason).done(); }
std::string encode(const SettingChanged& v) {
  return ObjectWriter().str("key", v.key).str("value", v.value).str("source", v.source).done();
}
std::string encode(const AccountDrained& v) { return ObjectWriter().str("by", v.by).done(); }
std::string encode(const AccountResumed& v) { return ObjectWriter().str("by", v.by).done(); }
std::string encode(const ThresholdCrossed& v) {
  return ObjectWriter()
      .str("level", v.level)
      .str("metric", to_string(v.metric))
      .num("window_s", v.window_s)
      .real("used_percent", v.used_percent)
      .done();
}
std::string encode(const AuthFolderImported& v) { return ObjectWriter().str("path", v.path).str("by", v.by).done(); }
std::string encode(const AuthFolderForgotten& v) { return ObjectWriter().str("path", v.path).str("by", v.by).done(); }

// ---- decoding ----------------------------------------------------------------------------

template <class T> T decode(object o);

template <> AccountRegistered decode(object o) { return {spec_from(o)}; }
template <> AccountUpdated decode(object o) { return {spec_from(o)}; }
template <> AccountRemoved decode(object o) { return {get_string(o, "reason")}; }
template <> QuotaObserved decode(object o) {
  QuotaObserved q;
  q.source = get_source(o, "source");
  array windows;
  if (get_array(o, "windows", windows)) {
    for (element e : windows) {
      object w = as_object(e, "windows[]");
      q.windows.push_back(ObservedWindow{get_metric(w, "metric"), get_int(w, "window_s"),
                                         get_int(w, "limit"), get_int(w, "used"),
                                         get_int(w, "reset_at")});
    }
  }
  return q;
}
template <> ReservationCreated decode(object o) {
  return {get_string(o, "id"), get_string(o, "model"), get_usage(o, "estimate"),
          get_int(o, "expires_at"), get_string(o, "request_id"), get_string(o, "dialect"),
          get_string(o, "asked"), get_string(o, "client"), get_bool(o, "pinned")};
}
template <> RouteRefused decode(object o) {
  return {get_string(o, "model"), get_string(o, "dialect"), get_string(o, "client"),
          get_usage(o, "estimate"), get_string(o, "request_id"), get_string(o, "error")};
}
template <> ReservationCommitted decode(object o) {
  return {get_string(o, "id"), get_usage(o, "usage"), get_bool(o, "estimated")};
}
template <> ReservationReleased decode(object o) {
  return {get_string(o, "id"), get_string(o, "reason")};
}
template <> ReservationExpired decode(object o) { return {get_string(o, "id")}; }
template <> RouteSwitched decode(object o) {
  RouteSwitched r{get_string(o, "route_key"), get_string(o, "from"), get_string(o, "to"),
                  get_string(o, "reason"), {}};
  object scores;
  if (get_object(o, "scores", scores)) {
    for (auto [key, value] : scores) {
      double d = 0;
      if (value.get(d)) throw JsonFieldError("field \"scores\" holds a non-number");
      r.scores.emplace(std::string(key), d);
    }
  }
  return r;
}
template <> CooldownStarted decode(object o) {
  return {get_int(o, "until"), get_string(o, "reason"), get_string(o, "detail"),
          get_int(o, "failures")};
}
template <> CooldownEnded decode(object o) { return {get_string(o, "reason")}; }
template <> SettingChanged decode(object o) {
  return {get_string(o, "key"), get_string(o, "value"), get_string(o, "source")};
}
template <> AccountDrained decode(object o) { return {get_string(o, "by")}; }
template <> AccountResumed decode(object o) { return {get_string(o, "by")}; }
template <> ThresholdCrossed decode(object o) {
  return {get_string(o, "level"), get_metric(o, "metric"), get_int(o, "window_s"),
          get_double(o, "used_percent")};
}
template <> AuthFolderImported decode(object o) { return {get_string(o, "path"), get_string(o, "by")}; }
template <> AuthFolderForgotten decode(object o) { return {get_string(o, "path"), get_string(o, "by")}; }

using Decoder = EventPayload (*)(object);
template <class T> EventPayload decode_as(object o) { return decode<T>(o); }

// Type name -> decoder, for every alternative of EventPayload except UnknownEvent.
template <std::size_t... I>
std::array<std::pair<std::string_view, Decoder>, sizeof...(I)> make_decoders(
    std::index_sequence<I...>) {
  return {std::pair<std::string_view, Decoder>{
      event_type(EventPayload{std::in_place_index<I>}),
      &decode_as<std::variant_alternative_t<I, EventPayload>>}...};
}
const auto& decoders() {
  static const auto table =
      make_decoders(std::make_index_sequence<std::variant_size_v<EventPayload> - 1>{});
  return table;
}

void set(std::string* out, std::string text) {
  if (out) *out = std::move(text);
}

}  // namespace

bool is_known_event_type(std::string_view type) {
  for (const auto& entry : decoders())
    if (entry.first == type) return true;
  return false;
}

std::string encode_payload(const EventPayload& payload) {
  return std::visit(
      [](const auto& v) -> std::string {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, UnknownEvent>) return v.raw;
        else return encode(v);
      },
      payload);
}

EventPayload decode_payload(std::string_view type, std::string_view json_text, int version,
                            std::string* warning) {
  set(warning, {});
  auto unknown = [&] { return UnknownEvent{std::string(type), std::string(json_text)}; };
  Decoder decoder = nullptr;
  for (const auto& [name, fn] : decoders())
    if (name == type) decoder = fn;
  if (!decoder) {
    set(warning, "unknown event type \"" + std::string(type) + "\"; kept unparsed");
    return unknown();
  }
  if (version > kEventSchemaVersion || version < 1) {
    set(warning, "event type " + std::string(type) + " has schema version " +
                     std::to_string(version) + ", this build reads up to " +
                     std::to_string(kEventSchemaVersion) + "; kept unparsed");
    return unknown();
  }
  try {
    return decoder(as_object(parse_document(json_text), "payload"));
  } catch (const JsonFieldError& e) {
    set(warning, "malformed " + std::string(type) + " payload (" + e.what() + "); kept unparsed");
    return unknown();
  }
}

// ---- time ----------------------------------------------------------------------------------

std::string format_iso8601_ms(TimeMs t) { return format_utc_ms(t); }

std::optional<TimeMs> parse_iso8601(std::string_view s) {
  TimeTextRules rules;
  rules.date_only = true;  // `replay --since 2026-04-10`
  return parse_utc_ms(s, rules);
}

std::string event_to_json_line(const Event& e) {
  std::string data = encode_payload(e.payload);
  if (std::holds_alternative<UnknownEvent>(e.payload) && !json::accept(data))
    data = dump(json{{"raw", data}});
  std::string line = "{\"seq\":" + std::to_string(e.seq) + ",\"ts\":\"" + format_iso8601_ms(e.ts) +
                     "\",\"type\":";
  append_json_string(line, event_type(e));
  line += ",\"account\":";
  append_json_string(line, e.account);
  line += ",\"data\":";
  line += data;
  line += '}';
  return line;
}

}  // namespace qg
