// telegram/bot_commands.cpp — command dispatch: auth, rate limit, validation, verb, format.
#include "telegram/bot_commands.hpp"
#include "telegram/forecast_format.hpp"
#include "messages/text_cut.hpp"

#include "messages/operations.hpp"
#include "config/thresholds_rule.hpp"
#include "telegram/bot_token.hpp"
#include "telegram/chat_format.hpp"
#include "telegram/chat_text.hpp"

#include <nlohmann/json.hpp>

#include <cctype>
#include <charconv>

namespace qg::telegram {

namespace {

using nlohmann::json;

struct CommandInfo {
  const char* name;
  const char* usage;
  const char* description;
};

constexpr CommandInfo kCommands[] = {
    {"qg_status", "/qg_status", "accounts, windows, cooldowns, sticky routes"},
    {"qg_quotas", "/qg_quotas", "quota windows per account"},
    {"qg_forecast", "/qg_forecast", "when each window and model pool runs out at the current pace"},
    {"qg_thresholds", "/qg_thresholds [warning switch critical]", "show or set thresholds (% used)"},
    {"qg_policy", "/qg_policy [name]", "show or set the routing policy"},
    {"qg_fallback", "/qg_fallback [json]", "show or set fallback chains"},
    {"qg_import", "/qg_import [path]", "import CLIProxyAPI accounts (a folder besides auth_dir stays watched)"},
    {"qg_forget", "/qg_forget [path]", "stop watching an imported folder, remove its accounts; alone: list folders"},
    {"qg_export", "/qg_export", "effective config (secrets as ${VAR} references)"},
    {"qg_reload", "/qg_reload", "reload config.yaml"},
    {"qg_drain", "/qg_drain <account>", "stop routing new requests to an account"},
    {"qg_resume", "/qg_resume <account>", "route to a drained account again"},
    {"qg_reset", "/qg_reset <account>", "end an account's cooldown"},
    {"qg_events", "/qg_events [n]", "the last n events (default 10)"},
    {"qg_mute", "/qg_mute [duration] [reason]", "silence alerts for 1m..7d (30m, 2h, 1d); alone: show"},
    {"qg_unmute", "/qg_unmute", "alerts on again"},
    {"qg_help", "/qg_help", "this list"},
    {"settoken", "/settoken <token>", "store the bot token"},
};

const CommandInfo* find_command(const std::string& name) {
  for (const auto& c : kCommands)
    if (name == c.name) return &c;
  return nullptr;
}

std::string usage(const std::string& name, const std::string& why = "") {
  const CommandInfo* c = find_command(name);
  std::string out = "⚠️ ";
  if (!why.empty()) out += html_escape(why) + "\n";
  out += "Usage: <code>" + html_escape(c ? c->usage : name) + "</code>";
  return out;
}

// A number, with an optional '%'; its range is the thresholds rule's (config/thresholds_rule).
std::optional<double> parse_percent(std::string_view s) {
  if (!s.empty() && s.back() == '%') s.remove_suffix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string ok_line(const std::string& text) { return "✅ " + text; }

constexpr const char* kNoAlerts =
    "🔕 Alerts are not running here (no bot with <code>telegram.alert_chat</code>), so there is "
    "nothing to mute.";

// "Alerts muted until 15:04 UTC (in 2h) by telegram:1 — deploy. 3 alert(s) muted so far."
std::string muted_until_text(const MuteState& s, TimeMs now) {
  std::string out = "Alerts muted until " + format_when(s.until, now);
  if (!s.by.empty()) out += " by " + html_escape(s.by);
  if (!s.reason.empty()) out += " — " + html_escape(s.reason);
  out += ".";
  if (s.suppressed > 0) out += " " + std::to_string(s.suppressed) + " alert(s) muted so far.";
  return out;
}

std::string mute_line(const MuteState& s, TimeMs now) { return "🔕 " + muted_until_text(s, now); }

}  // namespace

json command_menu() {
  json list = json::array();
  for (const auto& c : kCommands)
    list.push_back({{"command", c.name}, {"description", c.description}});
  return list;
}

std::string help_text() {
  std::string out = "<b>QuotaGuard commands</b>\n";
  for (const auto& c : kCommands)
    out += "<code>" + html_escape(c.usage) + "</code> — " + html_escape(c.description) + "\n";
  return out;
}

BotCommands::BotCommands(Operations& ops, CommandsOptions options, Clock clock, AlertMute* mute)
    : ops_(ops),
      options_(std::move(options)),
      clock_(std::move(clock)),
      mute_(mute),
      gate_(options_.admins, options_.refusal_quiet_ms),
      limiter_(options_.per_chat) {}

void BotCommands::set_bot_username(std::string name) {
  std::lock_guard lock(mu_);
  bot_username_ = std::move(name);
}

std::optional<Reply> BotCommands::handle(const ChatMessage& m) {
  std::optional<BotCommand> cmd;
  const TimeMs now = clock_();
  {
    std::lock_guard lock(mu_);
    cmd = parse_command(m.text, bot_username_);
    if (!cmd) return std::nullopt;
    if (!gate_.is_admin(m.user_id)) {
      if (!gate_.should_refuse(m.user_id, now)) return std::nullopt;
      return Reply{m.chat_id,
                   "⛔ Not authorised. Your Telegram user id is <code>" + std::to_string(m.user_id) +
                       "</code>; an operator can add it to <code>telegram.admins</code>.",
                   std::nullopt, 0};
    }
    if (!limiter_.try_take(m.chat_id, now)) {
      const auto noticed = rate_noticed_.find(m.chat_id);
      if (noticed != rate_noticed_.end() && now - noticed->second < options_.rate_notice_quiet_ms)
        return std::nullopt;
      if (rate_noticed_.size() > 4096) rate_noticed_.clear();  // bound memory; worst case one extra notice
      rate_noticed_[m.chat_id] = now;
      return Reply{m.chat_id,
                   "⏳ Too many commands; try again in " +
                       compact_duration(limiter_.wait_ms(m.chat_id, now)) + ".",
                   std::nullopt, 0};
    }
  }
  Reply reply{m.chat_id, "", std::nullopt, 0};
  reply.html = run(*cmd, m, reply);
  return reply;
}

std::string BotCommands::run(const BotCommand& cmd, const ChatMessage& m, Reply& reply) {
  const std::string by = "telegram:" + std::to_string(m.user_id);
  const auto& n = cmd.name;
  const auto no_args = [&]() { return cmd.argv.empty(); };
  const auto account_verb = [&](auto verb, const char* done) -> std::string {
    if (cmd.argv.size() != 1) return usage(n, "Give exactly one account id.");
    const auto r = (ops_.*verb)(cmd.argv[0], by);
    if (!r.ok()) return format_error(*r.failure);
    return ok_line(html_escape(cmd.argv[0]) + " " + done + ".");
  };

  if (n == "qg_help") return help_text();
  if (n == "qg_status") {
    if (!no_args()) return usage(n, "/qg_status takes no arguments.");
    std::string out = format_status(ops_.status(), ops_.accounts(), clock_());
    const std::string pools = format_pool_lines(ops_.forecast());
    if (!pools.empty()) out += "\n<b>Pools</b> (forecast)\n" + pools;
    if (mute_ && mute_->active(clock_())) out += "\n" + mute_line(mute_->state(), clock_());
    return out;
  }
  if (n == "qg_forecast") {
    if (!no_args()) return usage(n, "/qg_forecast takes no arguments.");
    return format_forecast(ops_.forecast());
  }
  if (n == "qg_quotas") {
    if (!no_args()) return usage(n, "/qg_quotas takes no arguments.");
    return format_quotas(ops_.accounts(), clock_());
  }
  if (n == "qg_thresholds") return thresholds(cmd, by);
  if (n == "qg_policy") return policy(cmd, by);
  if (n == "qg_fallback") return fallback(cmd, by);
  if (n == "qg_import") {
    const auto r = ops_.import_accounts(cmd.args, by);
    if (!r.ok()) return format_error(*r.failure);
    if (!r.value.errors.empty()) return format_error(OpFailure{OpError::journal_unavailable, r.value.errors.front()});
    std::string done = "Import done.";
    if (r.value.imported)
      done += " The folder stays imported: watched and rescanned until <code>/qg_forget " +
              html_escape(r.value.auth_dir) + "</code>.";
    return ok_line(done + "\n<code>" + html_escape(import_view_json(r.value).dump()) + "</code>");
  }
  if (n == "qg_forget") return forget(cmd, by);
  if (n == "qg_export") {
    if (!no_args()) return usage(n, "/qg_export takes no arguments.");
    reply.document = Document{"quotaguard-export.yaml", ops_.export_yaml(),
                              "Effective configuration. Secrets are written as ${VAR} references: "
                              "set the variables listed at the top of the file, and it loads as "
                              "config.yaml."};
    return "";
  }
  if (n == "qg_reload") {
    if (!no_args()) return usage(n, "/qg_reload takes no arguments.");
    const auto r = ops_.reload(by);
    if (!r.ok()) return format_error(*r.failure);
    return ok_line("Configuration reloaded.\n<code>" + html_escape(reload_view_json(r.value).dump()) + "</code>");
  }
  if (n == "qg_drain") return account_verb(&Operations::drain, "drained: no new requests");
  if (n == "qg_resume") return account_verb(&Operations::resume, "resumed");
  if (n == "qg_reset") return account_verb(&Operations::reset_cooldown, "cooldown cleared");
  if (n == "qg_events") return events(cmd);
  if (n == "qg_mute") return mute(cmd, by);
  if (n == "qg_unmute") {
    if (!no_args()) return usage(n, "/qg_unmute takes no arguments.");
    if (!mute_) return kNoAlerts;
    const MuteState was = mute_->unmute();
    if (was.until <= clock_()) return ok_line("Alerts were not muted.");
    const std::string summary = muted_summary(was);
    return ok_line(summary.empty() ? "Alerts resumed. Nothing was muted." : summary);
  }
  if (n == "settoken") return settoken(cmd, m, reply, by);
  return "Unknown command <code>/" + html_escape(n) + "</code>. Send /qg_help for the list.";
}

std::string BotCommands::thresholds(const BotCommand& cmd, const std::string& by) {
  if (cmd.argv.empty()) {
    const auto r = ops_.get_setting("thresholds");
    return r.ok() ? format_setting(r.value) : format_error(*r.failure);
  }
  if (cmd.argv.size() != 3) return usage(cmd.name, "Give three numbers, e.g. 85 90 95.");
  double v[3];
  static const char* kNames[3] = {"warning", "switch", "critical"};
  for (int i = 0; i < 3; ++i) {
    const auto p = parse_percent(cmd.argv[i]);
    if (!p) return usage(cmd.name, std::string(kNames[i]) + " must be a number, got \"" + cmd.argv[i] + "\".");
    v[i] = *p;
  }
  // The one rule config.yaml and the admin API use, so what is set here loads from an export.
  if (const auto problem = check_thresholds(v[0], v[1], v[2]))
    return usage(cmd.name, problem->field + " " + problem->message + ".");
  const auto r = ops_.put_setting(
      "thresholds", json{{"warning", v[0]}, {"switch", v[1]}, {"critical", v[2]}}, by);
  if (!r.ok()) return format_error(*r.failure);
  return ok_line("Thresholds updated.\n" + format_setting(r.value));
}

std::string BotCommands::policy(const BotCommand& cmd, const std::string& by) {
  if (cmd.argv.empty()) {
    const auto r = ops_.get_setting("policy");
    return r.ok() ? format_setting(r.value) : format_error(*r.failure);
  }
  if (cmd.argv.size() != 1)
    return usage(cmd.name, "Policies: balanced, max_remaining, fill_first, earliest_reset, round_robin, paced.");
  std::string name = cmd.argv[0];
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto r = ops_.put_setting("policy", json{{"policy", name}}, by);
  if (!r.ok()) return format_error(*r.failure);
  return ok_line("Policy updated.\n" + format_setting(r.value));
}

std::string BotCommands::fallback(const BotCommand& cmd, const std::string& by) {
  if (cmd.argv.empty()) {
    const auto r = ops_.get_setting("fallbacks");
    return r.ok() ? format_setting(r.value) : format_error(*r.failure);
  }
  json parsed = json::parse(cmd.args, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object())
    return usage(cmd.name, "The argument must be a JSON object such as {\"gpt-4o\":[\"gpt-4o-mini\"]}.");
  if (parsed.contains("fallback_chains")) parsed = parsed["fallback_chains"];
  const auto r = ops_.put_setting("fallbacks", json{{"fallback_chains", parsed}}, by);
  if (!r.ok()) return format_error(*r.failure);
  return ok_line("Fallback chains updated.\n" + format_setting(r.value));
}

std::string BotCommands::events(const BotCommand& cmd) {
  int n = 10;
  if (cmd.argv.size() > 1) return usage(cmd.name);
  if (cmd.argv.size() == 1) {
    const auto& a = cmd.argv[0];
    const auto [end, ec] = std::from_chars(a.data(), a.data() + a.size(), n);
    if (ec != std::errc() || end != a.data() + a.size() || n < 1 || n > options_.max_events)
      return usage(cmd.name, "n must be a whole number from 1 to " + std::to_string(options_.max_events) + ".");
  }
  const std::uint64_t last = ops_.status().journal_seq;
  const std::uint64_t after = last > static_cast<std::uint64_t>(n) ? last - n : 0;
  const auto page = ops_.events(after, static_cast<std::size_t>(n));
  if (!page.ok()) return format_error(*page.failure);
  return format_events(page.value.events);
}

std::string BotCommands::mute(const BotCommand& cmd, const std::string& by) {
  if (!mute_) return kNoAlerts;
  const TimeMs now = clock_();
  if (cmd.argv.empty())
    return mute_->active(now) ? mute_line(mute_->state(), now) : "🔔 Alerts are on. /qg_mute 2h [reason] silences them.";
  const auto duration = parse_mute_duration(cmd.argv[0]);
  if (!duration)
    return usage(cmd.name, "Give a duration from 1m to 7d (30m, 2h, 1d, 1h30m), then an optional reason.");
  const auto space = cmd.args.find_first_of(" \t\n");
  std::string reason = space == std::string::npos ? "" : cmd.args.substr(space + 1);
  reason.erase(0, reason.find_first_not_of(" \t\n"));
  reason = std::string(utf8_prefix(reason, 200));
  mute_->mute(now + *duration, reason, by);
  return ok_line(muted_until_text(mute_->state(), now) + " /qg_unmute ends it.");
}

std::string BotCommands::forget(const BotCommand& cmd, const std::string& by) {
  if (cmd.args.empty()) {
    const auto r = ops_.auth_folders();
    if (!r.ok()) return format_error(*r.failure);
    std::string out = "<b>CLIProxyAPI folders</b>\nconfigured: <code>" + html_escape(r.value.configured) + "</code>";
    for (const auto& f : r.value.imported)
      out += "\nimported: <code>" + html_escape(f.path) + "</code> (" + std::to_string(f.accounts) +
             " accounts, by " + html_escape(f.by) + ")";
    return out + "\n" + usage(cmd.name);
  }
  const auto r = ops_.forget_folder(cmd.args, by);
  if (!r.ok()) return format_error(*r.failure);
  if (!r.value.errors.empty()) return format_error(OpFailure{OpError::journal_unavailable, r.value.errors.front()});
  return ok_line("Folder forgotten: <code>" + html_escape(r.value.path) + "</code>, " +
                 std::to_string(r.value.removed.size()) + " account(s) removed.");
}

std::string BotCommands::settoken(const BotCommand& cmd, const ChatMessage& m, Reply& reply,
                                  const std::string& by) {
  if (cmd.argv.size() != 1) return usage(cmd.name, "Give the token from @BotFather.");
  if (!looks_like_bot_token(cmd.argv[0]))
    return usage(cmd.name, "That does not look like a bot token (digits:letters, from @BotFather).");
  const auto r = ops_.set_telegram_token(cmd.argv[0], by);
  reply.delete_message_id = m.message_id;
  const std::string warn =
      "\n🧹 Delete your message with the token: it stays in this chat's history otherwise.";
  if (!r.ok()) return format_error(*r.failure) + warn;
  return ok_line("Token stored; the bot switches to it without a restart.") + warn;
}

}  // namespace qg::telegram
