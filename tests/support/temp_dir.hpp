// tests/support/temp_dir.hpp — a fresh directory under the system temp dir, removed with
// everything in it when the object goes away (set QG_KEEP_TEMP=1 to keep it for debugging).
#pragma once

#include <filesystem>
#include <string>

namespace qg::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "qg-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  // Absolute path of `relative` inside the directory.
  std::string file(const std::string& relative) const;
  // Writes `text` to `relative` (creating parent directories); returns its absolute path.
  std::string write(const std::string& relative, const std::string& text) const;
  // The content of `relative`, or "" when it does not exist.
  std::string read(const std::string& relative) const;

 private:
  std::filesystem::path path_;
};

// The whole content of a file, or "" when it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace qg::test
