// messages/event.cpp — names of enums and event types.
#include "messages/event.hpp"

#include "messages/saturating.hpp"

#include <type_traits>

namespace qg {

const char* to_string(Metric m) {
  switch (m) {
    case Metric::requests: return "requests";
    case Metric::tokens: return "tokens";
    case Metric::input_tokens: return "input_tokens";
    case Metric::output_tokens: return "output_tokens";
  }
  return "requests";
}

const char* to_string(QuotaSource s) {
  switch (s) {
    case QuotaSource::config: return "config";
    case QuotaSource::headers: return "headers";
    case QuotaSource::poll: return "poll";
    case QuotaSource::estimated: return "estimated";
  }
  return "config";
}

std::optional<Metric> metric_from_string(std::string_view s) {
  for (Metric m : {Metric::requests, Metric::tokens, Metric::input_tokens, Metric::output_tokens})
    if (s == to_string(m)) return m;
  return std::nullopt;
}

std::optional<QuotaSource> source_from_string(std::string_view s) {
  for (QuotaSource q : {QuotaSource::config, QuotaSource::headers, QuotaSource::poll,
                        QuotaSource::estimated})
    if (s == to_string(q)) return q;
  return std::nullopt;
}

std::int64_t Usage::amount(Metric m) const {
  switch (m) {
    case Metric::requests: return requests;
    case Metric::tokens: return sat_add(input_tokens, output_tokens);
    case Metric::input_tokens: return input_tokens;
    case Metric::output_tokens: return output_tokens;
  }
  return 0;
}

namespace {
template <class T> constexpr std::string_view type_name_of();
#define QG_EVENT_NAME(T) template <> constexpr std::string_view type_name_of<T>() { return #T; }
QG_EVENT_NAME(AccountRegistered)
QG_EVENT_NAME(AccountUpdated)
QG_EVENT_NAME(AccountRemoved)
QG_EVENT_NAME(QuotaObserved)
QG_EVENT_NAME(ReservationCreated)
QG_EVENT_NAME(ReservationCommitted)
QG_EVENT_NAME(ReservationReleased)
QG_EVENT_NAME(ReservationExpired)
QG_EVENT_NAME(RouteSwitched)
QG_EVENT_NAME(CooldownStarted)
QG_EVENT_NAME(CooldownEnded)
QG_EVENT_NAME(SettingChanged)
QG_EVENT_NAME(AccountDrained)
QG_EVENT_NAME(AccountResumed)
QG_EVENT_NAME(ThresholdCrossed)
QG_EVENT_NAME(AuthFolderImported)
QG_EVENT_NAME(AuthFolderForgotten)
QG_EVENT_NAME(RouteRefused)
#undef QG_EVENT_NAME
}  // namespace

std::string_view event_type(const EventPayload& p) {
  return std::visit(
      [](const auto& v) -> std::string_view {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, UnknownEvent>) return v.type;
        else return type_name_of<T>();
      },
      p);
}

std::string_view event_type(const Event& e) { return event_type(e.payload); }

}  // namespace qg
