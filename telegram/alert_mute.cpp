// telegram/alert_mute.cpp — mute state, its JSON form and the alert filter.
#include "telegram/alert_mute.hpp"

#include "telegram/bot_settings.hpp"
#include "telegram/chat_text.hpp"
#include "messages/duration.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace qg::telegram {

using nlohmann::json;

std::string to_json_text(const MuteState& s) {
  return json{{"until", s.until}, {"reason", s.reason}, {"by", s.by},
              {"suppressed", s.suppressed}, {"suppressed_keys", s.suppressed_keys}}.dump();
}

std::optional<MuteState> mute_state_from_json_text(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  MuteState s;
  try {
    s.until = j.at("until").get<TimeMs>();
    s.reason = j.value("reason", "");
    s.by = j.value("by", "");
    s.suppressed = j.value("suppressed", std::int64_t{0});
    s.suppressed_keys = j.value("suppressed_keys", std::vector<std::string>{});
  } catch (const json::exception&) {
    return std::nullopt;
  }
  if (s.until < 0 || s.suppressed < 0) return std::nullopt;
  return s;
}

std::optional<TimeMs> parse_mute_duration(std::string_view text) {
  const auto d = parse_duration(text);
  if (!d || *d < std::chrono::minutes{1} || *d > std::chrono::hours{24 * 7}) return std::nullopt;
  return d->count();
}

AlertMute::AlertMute(BotStore* store) : store_(store) {
  if (!store_) return;
  try {
    if (const auto saved = store_->get(kStoreKey)) {
      if (auto loaded = mute_state_from_json_text(*saved)) s_ = std::move(*loaded);
      else spdlog::warn("telegram: ignoring an unreadable saved mute");
    }
  } catch (const std::exception& ex) {
    spdlog::warn("telegram: cannot read the saved mute: {}", ex.what());
  }
}

void AlertMute::mute(TimeMs until, std::string reason, std::string by) {
  std::lock_guard lock(mu_);
  s_.until = until;  // extending a mute keeps its count
  s_.reason = std::move(reason);
  s_.by = std::move(by);
  save();
}

MuteState AlertMute::unmute() {
  std::lock_guard lock(mu_);
  MuteState was = s_;
  s_ = MuteState{};
  save();
  return was;
}

MuteState AlertMute::state() const {
  std::lock_guard lock(mu_);
  return s_;
}

bool AlertMute::active(TimeMs now) const {
  std::lock_guard lock(mu_);
  return now < s_.until;
}

std::vector<Alert> AlertMute::filter(std::vector<Alert> alerts, TimeMs now) {
  std::lock_guard lock(mu_);
  if (s_.until == 0) return alerts;
  if (now < s_.until) {
    if (alerts.empty()) return alerts;
    s_.suppressed += static_cast<std::int64_t>(alerts.size());
    for (const auto& a : alerts)
      if (s_.suppressed_keys.size() < MuteState::kMaxKeys) s_.suppressed_keys.push_back(a.key);
    save();
    return {};
  }
  // The mute ran out: say so once, then carry on as normal.
  const std::string note = muted_summary(s_);
  s_ = MuteState{};
  save();
  if (!note.empty()) alerts.insert(alerts.begin(), Alert{note, "mute-ended"});
  return alerts;
}

void AlertMute::save() {
  if (!store_) return;
  try {
    store_->set(kStoreKey, to_json_text(s_));
  } catch (const std::exception& ex) {
    spdlog::warn("telegram: cannot save the mute: {}", ex.what());
  }
}

std::string muted_summary(const MuteState& s) {
  if (s.suppressed == 0) return "";
  std::string out = "🔔 Alerts resumed. " + std::to_string(s.suppressed) + " alert(s) were muted";
  if (!s.suppressed_keys.empty()) {
    out += ":";
    for (std::size_t i = 0; i < s.suppressed_keys.size(); ++i)
      out += (i ? ", " : " ") + std::string("<code>") + html_escape(s.suppressed_keys[i]) + "</code>";
    if (s.suppressed > static_cast<std::int64_t>(s.suppressed_keys.size())) out += ", …";
  }
  return out + ".";
}

}  // namespace qg::telegram
