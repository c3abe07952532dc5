// tests/cliproxy/cliproxy_test_support.hpp — helpers shared by the CLIProxyAPI tests:
// fixture paths, a self-deleting temp folder, file writing, and the list of secret values in
// the fixtures (to grep outputs for leaks).
#pragma once

#include "tests/support/temp_dir.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace qg::cliproxy::test {

std::filesystem::path fixture_dir();  // tests/fixtures/cliproxy
using qg::test::read_file;  // tests/support/temp_dir.hpp
void write_file(const std::filesystem::path& p, const std::string& bytes);

using TempDir = qg::test::TempDir;

// Every string value (>= 6 chars) directly under a secret key in every auth-types fixture.
std::vector<std::string> fixture_secrets();
// The secret values of `text` found in it ("" when none).
std::string leaked_secret(const std::string& text);

}  // namespace qg::cliproxy::test
