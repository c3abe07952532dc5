// quota/account_view.hpp — AccountState -> AccountView (messages/account_view.hpp), the one
// place the operator's view of an account is made (the daemon's Operations, the replay summary
// and the test fakes all call it). Pure: `now` injected.
#pragma once

#include "messages/account_view.hpp"
#include "messages/reservation_view.hpp"
#include "quota/account_state.hpp"

#include <string>
#include <vector>

namespace qg {

// The account at `now`: windows rolled forward, state and used percent at `now`.
AccountView account_view(const AccountState& s, TimeMs now);

// An open reservation of `account`.
ReservationView reservation_view(const std::string& account, const Reservation& r);

// Gives every window of `accounts` the forecast `f` makes for it (matched by account id,
// metric, window length and limit; a config and an observed window may share a length).
void attach_forecasts(std::vector<AccountView>& accounts, const ForecastView& f);

}  // namespace qg
