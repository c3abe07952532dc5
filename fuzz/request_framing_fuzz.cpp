// fuzz/request_framing_fuzz.cpp — libFuzzer target: request framing and credentials (issue 15).
// The input is header names and values separated by NUL bytes. An accepted header list has
// no control character anywhere, a single length or chunked (never both); an extracted
// credential never holds a control character.
#include "fuzz/fuzz_input.hpp"
#include "http/client_auth.hpp"
#include "http/request_framing.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = qg::fuzz::split(qg::fuzz::as_view(data, size), '\0', 64);
  qg::FramingHeaders headers;
  for (std::size_t i = 0; i + 1 < parts.size(); i += 2) headers.emplace_back(parts[i], parts[i + 1]);
  const qg::Framing f = qg::check_framing(headers);
  if (f.error == qg::FramingError::none && f.chunked && f.has_length) std::abort();
  for (const auto& [name, value] : headers) {
    for (const auto cred : {qg::bearer_credential(value), qg::header_credential(value)}) {
      if (!cred) continue;
      for (unsigned char c : *cred)
        if (c < 0x20 || c == 0x7f) std::abort();
      if (cred->empty()) std::abort();
    }
    if (f.error == qg::FramingError::none)
      for (unsigned char c : std::string(name) + std::string(value))
        if ((c < 0x20 && c != '\t') || c == 0x7f) std::abort();
  }
  return 0;
}
