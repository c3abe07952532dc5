// fuzz/auth_file_fuzz.cpp — libFuzzer target: CLIProxyAPI auth files (cliproxy/auth_file).
// Input: file name, NUL, file bytes.
#include "cliproxy/auth_file.hpp"
#include "fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parts = qg::fuzz::split(qg::fuzz::as_view(data, size), '\0', 2);
  const std::string_view name = parts.size() == 2 ? parts[0] : std::string_view("fuzz.json");
  auto info = qg::cliproxy::parse_auth_file(name, parts.back());
  for (const auto& a : info.accounts) (void)qg::cliproxy::sanitize_id_part(a.id);
  return 0;
}
