// temp_dir.h — a directory under /tmp for one test, removed with
// everything in it when the test ends; and a memory file holding a
// message, as a stored message descriptor.
#pragma once

#include <stdlib.h>
#include <sys/mman.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "core/fd.h"

namespace qcell {

class TempDir {
 public:
  explicit TempDir(const char* prefix = "qcell-test") {
    std::string pattern = std::string("/tmp/") + prefix + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    if (std::system(("rm -rf '" + path_ + "'").c_str()) != 0) ADD_FAILURE() << "cannot remove " << path_;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline UniqueFd message_file(const std::string& text) {
  UniqueFd fd(::memfd_create("message", MFD_CLOEXEC));
  EXPECT_TRUE(write_full(fd.get(), text));
  return fd;
}

}  // namespace qcell
