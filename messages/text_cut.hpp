// messages/text_cut.hpp — shortening text without splitting a UTF-8 character.
//
// Every place that cuts text for display (Telegram replies, error excerpts, command output)
// cuts here: a byte-count cut in the middle of a multi-byte character leaves invalid UTF-8,
// which strict JSON encoders (nlohmann's dump) throw on and the Bot API refuses.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace qg {

// The longest prefix of `text` of at most `max_bytes` bytes that ends on a code-point boundary
// (continuation bytes 10xxxxxx are never the first byte after the cut).
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

// `text` when it fits in `max_bytes`, else its utf8_prefix followed by `ellipsis`.
std::string shorten_text(std::string_view text, std::size_t max_bytes, std::string_view ellipsis = "…");

}  // namespace qg
