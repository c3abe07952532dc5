// quota/reservation_ids.hpp — globally unique reservation ids.
//
// "res_" + 24 hex digits: 64 random bits from the OS at start-up plus a process-wide counter,
// so ids never repeat across restarts or accounts and contain nothing secret.
#pragma once

#include <string>

namespace qg {
std::string new_reservation_id();
}
