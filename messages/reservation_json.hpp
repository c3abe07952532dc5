// messages/reservation_json.hpp — the JSON form of an open qg::ReservationView:
// {"id","model","estimate":{"requests","input_tokens","output_tokens"},"created_at","expires_at"}
// (times RFC 3339 or null). GET /api/v1/reservations adds "account"; the replay summary lists
// them under their account; the advisory API (http/advisory_routes) adds its Go fields.
#pragma once

#include "messages/reservation_view.hpp"

#include <nlohmann/json_fwd.hpp>

namespace qg {

nlohmann::json reservation_view_json(const ReservationView& r);

}  // namespace qg
