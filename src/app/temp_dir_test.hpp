#pragma once
// A temporary folder for the app tests, removed with everything in it at the end of the test.
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace phx::app::testing {

/// mkdtemp under the system's temporary folder with `prefix`; removed recursively on destruction.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& prefix = "phx-app") {
    std::string t = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    path = ::mkdtemp(t.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace phx::app::testing
