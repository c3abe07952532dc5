// fuzz/telegram_update_fuzz.cpp — libFuzzer target: Telegram Update JSON
// (telegram/telegram_update parse_update_text).
#include "telegram/telegram_update.hpp"
#include "fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto r = qg::telegram::parse_update_text(qg::fuzz::as_view(data, size));
  (void)r;
  return 0;
}
