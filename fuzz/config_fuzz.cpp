// fuzz/config_fuzz.cpp — libFuzzer target: config.yaml text (config/config_loader
// load_config_text) with a fixed environment, so `${VAR}` expansion is exercised too.
#include "config/config_loader.hpp"
#include "fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  qg::LoadOptions options;
  options.getenv = qg::env_from_map({{"OPENAI_API_KEY", "sk-fuzz"}, {"EMPTY", ""}});
  options.search_dir = "/nonexistent-qg-fuzz";
  auto r = qg::load_config_text(qg::fuzz::as_view(data, size), "fuzz.yaml", options);
  (void)r.ok();
  return 0;
}
