// http/activity_json.hpp — GET /api/v1/activity's JSON form of qg::ActivityView.
//
//   {"from","to": RFC 3339 UTC, "bucket_minutes": N,
//    "accounts":[{"id","buckets":[{"start","requests","input_tokens","output_tokens","tokens",
//                                  "released"}]}],                  (non-empty buckets only)
//    "decisions"|"switches"|"alerts":[{"seq","ts","type","account","model","from","to",
//                                      "reason","detail"}]}         (newest first)
// docs/ADMIN_API.md documents the fields.
#pragma once

#include "messages/activity_view.hpp"

#include <nlohmann/json.hpp>

namespace qg {

nlohmann::json activity_to_json(const ActivityView& v);

}  // namespace qg
