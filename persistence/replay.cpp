// persistence/replay.cpp — the replay/audit command's logic (CLI wiring: cli/replay_command.cpp).
#include "persistence/replay.hpp"

#include "messages/event_codec.hpp"
#include "persistence/event_log.hpp"
#include "persistence/log_verifier.hpp"
#include "persistence/state_codec.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <deque>
#include <ostream>

namespace qg {

namespace {

using nlohmann::json;

// A --since/--until value: a seq or a time.
struct Bound {
  std::optional<std::uint64_t> seq;
  std::optional<TimeMs> ts;
};

bool parse_bound(const std::optional<std::string>& text, const char* flag, Bound& out,
                 std::ostream& err) {
  if (!text) return true;
  const std::string& t = *text;
  if (!t.empty() && t.size() <= 19 && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    out.seq = std::stoull(t);
    return true;
  }
  if (auto ts = parse_iso8601(t)) {
    out.ts = *ts;
    return true;
  }
  err << "replay: " << flag << " \"" << t << "\" is neither a seq number nor an ISO 8601 time\n";
  return false;
}

bool before(const Bound& since, const EventRow& row) {
  return (since.seq && row.seq < *since.seq) || (since.ts && row.ts < *since.ts);
}
bool after(const Bound& until, const EventRow& row) {
  return (until.seq && row.seq > *until.seq) || (until.ts && row.ts > *until.ts);
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void print_event_text(std::ostream& out, const Event& e) {
  out << e.seq << "  " << format_iso8601_ms(e.ts) << "  " << event_type(e) << "  "
      << (e.account.empty() ? "-" : e.account) << "  " << encode_payload(e.payload) << '\n';
}

std::string text_of(const json& v) {
  return v.is_string() ? v.get<std::string>() : v.is_null() ? "-" : v.dump();
}

void print_state_text(std::ostream& out, const json& s) {
  out << "state at seq " << s["last_seq"].get<std::uint64_t>() << " (" << text_of(s["at"]) << ")\n";
  for (const auto& a : s["accounts"]) {
    out << "  account " << a["id"].get<std::string>() << "  provider=" << text_of(a["provider"])
        << "  state=" << a["state"].get<std::string>() << "  used=" << a["used_percent"].get<double>()
        << "%";
    if (!a["cooldown_until"].is_null()) out << "  cooldown_until=" << text_of(a["cooldown_until"]);
    out << '\n';
    for (const auto& w : a["windows"])
      out << "    " << text_of(w["metric"]) << "/" << text_of(w["window"]) << "  used "
          << text_of(w["used"]) << "  reserved " << text_of(w["reserved"]) << "  limit "
          << text_of(w["limit"]) << "  remaining " << text_of(w["remaining"]) << "  reset "
          << text_of(w["reset_at"]) << "  (" << text_of(w["source"]) << ")\n";
    const auto& c = a["counters"];
    out << "    open reservations " << a["reservations"].size() << "; created " << c["created"]
        << ", committed " << c["committed"] << ", released " << c["released"] << ", expired "
        << c["expired"] << '\n';
  }
  for (const auto& [key, to] : s["router"]["sticky"].items())
    out << "  route " << key << " -> " << text_of(to) << '\n';
  for (const auto& [key, value] : s["router"]["settings"].items())
    out << "  setting " << key << " = " << text_of(value) << '\n';
}

void progress(const ReplayOptions& o, std::uint64_t n, std::ostream& err) {
  if (o.progress_every && n % o.progress_every == 0) err << "replay: " << n << " events...\n" << std::flush;
}

// Decoded snapshots to compare, ascending by seq; unreadable ones reported right away.
std::deque<SystemState> load_snapshots(EventLog& log, LogVerifier& verifier) {
  std::deque<SystemState> out;
  auto rows = log.snapshots();
  std::reverse(rows.begin(), rows.end());
  for (const auto& row : rows) {
    if (!row.checksum_ok()) { verifier.bad_snapshot(row.seq, "checksum mismatch"); continue; }
    if (row.version != kStateSchemaVersion) continue;  // another build's format: not ours to judge
    std::string error;
    auto state = decode_state(row.data, &error);
    if (!state) { verifier.bad_snapshot(row.seq, "does not decode: " + error); continue; }
    if (state->last_seq != row.seq) {
      verifier.bad_snapshot(row.seq, "content is at seq " + std::to_string(state->last_seq));
      continue;
    }
    out.push_back(std::move(*state));
  }
  return out;
}

int run_verify(EventLog& log, const ReplayOptions& o, std::ostream& out, std::ostream& err) {
  LogVerifier verifier;
  auto snapshots = load_snapshots(log, verifier);
  SystemState state;
  std::string warning;
  log.scan(ScanRange{}, [&](const EventRow& row) {
    Event e = decode_row(row, &warning);
    const bool malformed = std::holds_alternative<UnknownEvent>(e.payload) &&
                           is_known_event_type(row.type) && row.version >= 1 &&
                           row.version <= kEventSchemaVersion;
    verifier.observe(e, warning, malformed);
    apply(state, e);
    while (!snapshots.empty() && snapshots.front().last_seq <= e.seq) {
      if (snapshots.front().last_seq == e.seq) verifier.check_snapshot(snapshots.front(), state);
      else verifier.bad_snapshot(snapshots.front().last_seq, "names a seq missing from the log");
      snapshots.pop_front();
    }
    progress(o, verifier.events(), err);
    return true;
  });
  for (const auto& s : snapshots)
    verifier.bad_snapshot(s.last_seq, "is beyond the last event " + std::to_string(state.last_seq));

  const auto& violations = verifier.violations();
  for (const auto& v : violations) {
    if (o.json) out << dump({{"violation", {{"seq", v.seq}, {"kind", v.kind}, {"message", v.message}}}}) << '\n';
    else out << v.message << '\n';
  }
  if (o.json) {
    out << dump({{"verify", {{"ok", violations.empty()}, {"events", verifier.events()},
                             {"reservations", verifier.reservations()},
                             {"violations", violations.size()}, {"warnings", verifier.warnings()}}}})
        << '\n';
  } else {
    out << "verify: " << (violations.empty() ? "ok" : std::to_string(violations.size()) + " violation(s)")
        << " - " << verifier.events() << " events, " << verifier.reservations() << " reservations";
    if (verifier.warnings()) out << ", " << verifier.warnings() << " events of unknown type/version";
    out << '\n';
  }
  return violations.empty() ? 0 : 1;
}

int run_print(EventLog& log, const ReplayOptions& o, const Bound& since, const Bound& until,
              std::ostream& out, std::ostream& err) {
  SystemState state;
  TimeMs last_ts = 0;
  std::uint64_t applied = 0;
  std::string warning;
  ScanRange range;
  if (until.seq) range.to_seq = *until.seq;
  log.scan(range, [&](const EventRow& row) {
    if (after(until, row)) return false;
    Event e = decode_row(row, &warning);
    if (!warning.empty()) err << "replay: seq " << row.seq << ": " << warning << '\n';
    if (!before(since, row) && (!o.account || *o.account == row.account)) {
      if (o.json) out << event_to_json_line(e) << '\n';
      else print_event_text(out, e);
    }
    apply(state, e);
    last_ts = e.ts;
    progress(o, ++applied, err);
    return true;
  });
  if (!o.events_only) {
    const json summary = state_summary_json(state, last_ts, o.account ? *o.account : "");
    if (o.json) out << dump({{"state", summary}}) << '\n';
    else print_state_text(out, summary);
  }
  return 0;
}

}  // namespace

int run_replay(const ReplayOptions& o, std::ostream& out, std::ostream& err) {
  Bound since, until;
  if (!parse_bound(o.since, "--since", since, err) || !parse_bound(o.until, "--until", until, err))
    return 2;
  try {
    auto log = open_event_log(o.storage, OpenMode::read_only);
    const int rc = o.verify ? run_verify(*log, o, out, err) : run_print(*log, o, since, until, out, err);
    out.flush();
    return rc;
  } catch (const StorageError& e) {
    err << e.what() << '\n';
    return 2;
  }
}

}  // namespace qg
