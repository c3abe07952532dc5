// messages/reservation_json.cpp — see reservation_json.hpp.
#include "messages/reservation_json.hpp"

#include "messages/civil_time.hpp"
#include "messages/json_fields.hpp"

#include <nlohmann/json.hpp>

namespace qg {

using nlohmann::json;

json reservation_view_json(const ReservationView& r) {
  auto time_or_null = [](TimeMs t) { return t > 0 ? json(format_utc_ms(t)) : json(nullptr); };
  return {{"id", r.id}, {"model", r.model}, {"estimate", json_fields::usage_to_json(r.estimate)},
          {"created_at", time_or_null(r.created_at)}, {"expires_at", time_or_null(r.expires_at)}};
}

}  // namespace qg
