// messages/reservation_view.hpp — a reservation as Operations answers it (no behaviour).
//
// Operations::reservations lists the open ones; Operations::reservation(id) answers one, open
// or already resolved (then only `id` and `status` are known: a resolved reservation no longer
// names its account). Rendered by messages/reservation_json.hpp.
#pragma once

#include "messages/event.hpp"

#include <string>

namespace qg {

struct ReservationView {
  std::string id;
  std::string account;       // "" once resolved
  std::string model;
  std::string status = "active";  // active | committed | released | cancelled | expired
  Usage estimate;
  TimeMs created_at = 0;
  TimeMs expires_at = 0;
  bool active() const { return status == "active"; }
  bool operator==(const ReservationView&) const = default;
};

}  // namespace qg
