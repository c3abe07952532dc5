// persistence/state_codec.cpp — SystemState <-> JSON (nlohmann writes, simdjson reads).
#include "persistence/state_codec.hpp"
#include "messages/account_json.hpp"
#include "messages/reservation_json.hpp"
#include "quota/account_view.hpp"

#include "messages/event_codec.hpp"
#include "messages/json_fields.hpp"

namespace qg {

using namespace json_fields;
using nlohmann::json;

namespace {

const char* origin_name(WindowOrigin o) { return o == WindowOrigin::config ? "config" : "observed"; }

json window_to_json(const QuotaWindow& w) {
  return {{"metric", to_string(w.metric)}, {"window_s", w.window_s},
          {"origin", origin_name(w.origin)}, {"limit", w.limit}, {"used", w.used},
          {"reserved", w.reserved}, {"reset_at", w.reset_at}, {"source", to_string(w.source)},
          {"observed_at", w.observed_at}, {"alert_level", w.alert_level}};
}

QuotaWindow window_from(object o) {
  QuotaWindow w;
  w.metric = get_metric(o, "metric");
  w.window_s = get_int(o, "window_s");
  const std::string origin = get_string(o, "origin");
  if (origin != "config" && origin != "observed")
    throw JsonFieldError("window origin \"" + origin + "\" is unknown");
  w.origin = origin == "config" ? WindowOrigin::config : WindowOrigin::observed;
  w.limit = get_int(o, "limit");
  w.used = get_int(o, "used");
  w.reserved = get_int(o, "reserved");
  w.reset_at = get_int(o, "reset_at");
  w.source = get_source(o, "source");
  w.observed_at = get_int(o, "observed_at");
  w.alert_level = get_string(o, "alert_level");
  return w;
}

json reservation_to_json(const Reservation& r) {
  json j = {{"id", r.id}, {"model", r.model}, {"estimate", usage_to_json(r.estimate)},
            {"created_at", r.created_at}, {"expires_at", r.expires_at}};
  if (!r.node.empty()) j["node"] = r.node;  // shared logs only: SQLite snapshots stay as they were
  return j;
}

Reservation reservation_from(object o) {
  return {get_string(o, "id"), get_string(o, "model"), get_usage(o, "estimate"),
          get_int(o, "created_at"), get_int(o, "expires_at"), get_string(o, "node")};
}

json counters_to_json(const AccountCounters& c) {
  return {{"created", c.created}, {"committed", c.committed}, {"released", c.released},
          {"expired", c.expired}, {"committed_usage", usage_to_json(c.committed_usage)}};
}

AccountCounters counters_from(object o) {
  AccountCounters c;
  c.created = get_int(o, "created");
  c.committed = get_int(o, "committed");
  c.released = get_int(o, "released");
  c.expired = get_int(o, "expired");
  c.committed_usage = get_usage(o, "committed_usage");
  return c;
}

json burn_to_json(const BurnRate& b) { return {{"level", b.level}, {"at", b.at}, {"since", b.since}}; }

BurnRate burn_from(object o) { return {get_double(o, "level"), get_int(o, "at"), get_int(o, "since")}; }

json account_to_json(const AccountState& a) {
  json windows = json::array(), reservations = json::array();
  for (const auto& w : a.windows) windows.push_back(window_to_json(w));
  for (const auto& [id, r] : a.reservations) reservations.push_back(reservation_to_json(r));
  json out = {{"id", a.id}, {"spec", spec_to_json(a.spec)}, {"removed", a.removed},
              {"drained", a.drained}, {"cooldown_until", a.cooldown_until},
              {"cooldown_reason", a.cooldown_reason}, {"cooldown_detail", a.cooldown_detail},
              {"windows", std::move(windows)}, {"reservations", std::move(reservations)},
              {"counters", counters_to_json(a.counters)}, {"last_event_at", a.last_event_at}};
  if (a.cooldown_failures != 0) out["cooldown_failures"] = a.cooldown_failures;  // absent = 0
  if (!a.registered_by.empty()) out["registered_by"] = a.registered_by;  // shared logs only
  out["burn"] = {{"requests", burn_to_json(a.burn.requests)},
                 {"input_tokens", burn_to_json(a.burn.input_tokens)},
                 {"output_tokens", burn_to_json(a.burn.output_tokens)}};
  return out;
}

AccountState account_from(object o) {
  AccountState a;
  a.id = get_string(o, "id");
  object sub;
  if (get_object(o, "spec", sub)) a.spec = spec_from(sub);
  a.registered_by = get_string(o, "registered_by");
  a.removed = get_bool(o, "removed");
  a.drained = get_bool(o, "drained");
  a.cooldown_until = get_int(o, "cooldown_until");
  a.cooldown_reason = get_string(o, "cooldown_reason");
  a.cooldown_detail = get_string(o, "cooldown_detail");
  a.cooldown_failures = get_int(o, "cooldown_failures");
  array list;
  if (get_array(o, "windows", list))
    for (element e : list) a.windows.push_back(window_from(as_object(e, "windows[]")));
  if (get_array(o, "reservations", list))
    for (element e : list) {
      Reservation r = reservation_from(as_object(e, "reservations[]"));
      a.reservations.emplace(r.id, std::move(r));
    }
  if (get_object(o, "counters", sub)) a.counters = counters_from(sub);
  a.last_event_at = get_int(o, "last_event_at");
  if (get_object(o, "burn", sub)) {
    object b;
    if (get_object(sub, "requests", b)) a.burn.requests = burn_from(b);
    if (get_object(sub, "input_tokens", b)) a.burn.input_tokens = burn_from(b);
    if (get_object(sub, "output_tokens", b)) a.burn.output_tokens = burn_from(b);
  }
  return a;
}

json router_to_json(const RouterState& r) {
  json sticky = json::object(), settings = json::object();
  for (const auto& [key, s] : r.sticky) sticky[key] = {{"account", s.account}, {"since", s.since}};
  for (const auto& [key, v] : r.settings)
    settings[key] = {{"value", v.value}, {"source", v.source}, {"changed_at", v.changed_at}};
  json out = {{"sticky", std::move(sticky)}, {"settings", std::move(settings)},
              {"file_values", r.file_values}, {"last_switch_at", r.last_switch_at}};
  if (!r.node_file_values.empty()) out["node_file_values"] = r.node_file_values;  // shared logs only
  return out;
}

RouterState router_from(object o) {
  RouterState r;
  object sub;
  if (get_object(o, "sticky", sub))
    for (auto [key, value] : sub) {
      object s = as_object(value, "sticky entry");
      r.sticky.emplace(std::string(key), StickyRoute{get_string(s, "account"), get_int(s, "since")});
    }
  if (get_object(o, "settings", sub))
    for (auto [key, value] : sub) {
      object s = as_object(value, "settings entry");
      r.settings.emplace(std::string(key), SettingValue{get_string(s, "value"),
                                                        get_string(s, "source"),
                                                        get_int(s, "changed_at")});
    }
  if (get_object(o, "file_values", sub))
    for (auto [key, value] : sub) {
      std::string_view v;
      if (value.get(v)) throw JsonFieldError("file_values entry is not a string");
      r.file_values.emplace(std::string(key), std::string(v));
    }
  if (get_object(o, "node_file_values", sub))
    for (auto [node, values] : sub) {
      auto& mine = r.node_file_values[std::string(node)];
      for (auto [key, value] : as_object(values, "node_file_values entry")) {
        std::string_view v;
        if (value.get(v)) throw JsonFieldError("node_file_values entry is not a string");
        mine.emplace(std::string(key), std::string(v));
      }
    }
  r.last_switch_at = get_int(o, "last_switch_at");
  return r;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json time_or_null(TimeMs t) { return t > 0 ? json(format_iso8601_ms(t)) : json(nullptr); }

}  // namespace

std::string encode_state(const SystemState& s) {
  json accounts = json::array();
  for (const auto& [id, a] : s.accounts) accounts.push_back(account_to_json(a));
  json folders = json::object();
  for (const auto& [path, f] : s.auth_folders.imported) folders[path] = {{"by", f.by}, {"since", f.since}};
  return dump({{"last_seq", s.last_seq}, {"accounts", std::move(accounts)},
               {"router", router_to_json(s.router)}, {"auth_folders", std::move(folders)}});
}

std::optional<SystemState> decode_state(std::string_view text, std::string* err) {
  try {
    object root = as_object(parse_document(text), "state");
    SystemState s;
    s.last_seq = static_cast<std::uint64_t>(get_int(root, "last_seq"));
    array accounts;
    if (get_array(root, "accounts", accounts))
      for (element e : accounts) {
        AccountState a = account_from(as_object(e, "accounts[]"));
        std::string id = a.id;
        s.accounts.emplace(std::move(id), std::move(a));
      }
    object router;
    if (get_object(root, "router", router)) s.router = router_from(router);
    object folders;
    if (get_object(root, "auth_folders", folders))
      for (auto [path, value] : folders) {
        object f = as_object(value, "auth_folders entry");
        s.auth_folders.imported.emplace(std::string(path), ImportedFolder{get_string(f, "by"), get_int(f, "since")});
      }
    return s;
  } catch (const JsonFieldError& e) {
    if (err) *err = e.what();
    return std::nullopt;
  }
}

nlohmann::json state_summary_json(const SystemState& s, TimeMs now, std::string_view only_account) {
  json accounts = json::array();
  for (const auto& [id, original] : s.accounts) {
    if (!only_account.empty() && id != only_account) continue;
    const AccountView a = account_view(original, now);
    json windows = json::array();
    for (const auto& w : a.windows) windows.push_back(window_view_json(w, now));
    json reservations = json::array();
    for (const auto& [rid, r] : original.reservations)
      reservations.push_back(reservation_view_json(reservation_view(id, r)));
    accounts.push_back({{"id", id}, {"provider", a.provider}, {"enabled", a.enabled},
                        {"removed", a.removed}, {"state", a.state},
                        {"used_percent", a.used_percent},
                        {"cooldown_until", time_or_null(a.cooldown_until)},
                        {"windows", std::move(windows)},
                        {"reservations", std::move(reservations)},
                        {"counters", counters_view_json(a.counters)}});
  }
  json sticky = json::object(), settings = json::object();
  for (const auto& [key, r] : s.router.sticky) sticky[key] = r.account;
  for (const auto& [key, v] : s.router.settings) settings[key] = v.value;
  json folders = json::array();
  for (const auto& [path, f] : s.auth_folders.imported) folders.push_back(path);
  return {{"last_seq", s.last_seq}, {"at", time_or_null(now)}, {"accounts", std::move(accounts)},
          {"router", {{"sticky", std::move(sticky)}, {"settings", std::move(settings)}}},
          {"auth_folders", std::move(folders)}};
}

}  // namespace qg
