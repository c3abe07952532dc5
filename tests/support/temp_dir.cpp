// tests/support/temp_dir.cpp — see temp_dir.hpp.
#include "tests/support/temp_dir.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace qg::test {

TempDir::TempDir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed for " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  const char* keep = std::getenv("QG_KEEP_TEMP");
  if (keep != nullptr && *keep == '1') return;
  std::error_code ec;
  // A test may have made the directory read-only (storage fault tests): make it removable.
  std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ec);
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::file(const std::string& relative) const { return (path_ / relative).string(); }

std::string TempDir::write(const std::string& relative, const std::string& text) const {
  auto target = path_ / relative;
  std::filesystem::create_directories(target.parent_path());
  std::ofstream out(target, std::ios::binary);
  out << text;
  return target.string();
}

std::string TempDir::read(const std::string& relative) const { return read_file(path_ / relative); }

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace qg::test
