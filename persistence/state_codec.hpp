// persistence/state_codec.hpp — JSON form of the folded state (snapshots, replay output).
//
// `encode_state`/`decode_state` are exact inverses over every field of SystemState: a
// snapshot decodes to a state equal (operator==) to the one encoded. `state_summary_json` is
// the human/audit view printed as the final `{"state":{...}}` line of `replay` and used by
// offline `quotas`. Bump kStateSchemaVersion whenever the encoded shape (or what a fold puts in
// it) changes; snapshots of another version are ignored (startup then replays from an older
// snapshot or from seq 1).
#pragma once

#include "quota/system_state.hpp"

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace qg {

// 6: the same shape, but the sticky-route table is folded differently past kMaxStickyRoutes
// (quota/router_state.hpp trims kStickyTrim at once): a version-5 snapshot of a log with more
// route keys than that would differ from a full replay, so it is not used.
inline constexpr int kStateSchemaVersion = 6;  // 2: AccountState.burn; 3: auth_folders; 4: registered_by; 5: node_file_values

std::string encode_state(const SystemState& s);
// nullopt with `*err` set (may be null) when the text is not a valid encoded state.
std::optional<SystemState> decode_state(std::string_view text, std::string* err);

// {"last_seq":N,"at":"ISO","accounts":[{"id","provider","enabled","state","used_percent",
//   "cooldown_until","windows":[{"metric","window","limit","used","reserved","remaining",
//   "reset_at","source"}],"reservations":[...],"counters":{...}}],"router":{...},
//   "auth_folders":["/imported/folder",...]}
// Windows are rolled forward to `now` first. `only_account` limits the accounts listed.
nlohmann::json state_summary_json(const SystemState& s, TimeMs now,
                                  std::string_view only_account = {});

}  // namespace qg
