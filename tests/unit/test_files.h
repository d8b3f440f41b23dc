// test_files.h — what several unit tests need around files: a directory
// under /tmp removed with everything in it when the test ends; a memory
// file holding a message, as a stored message descriptor; what a pipe
// holds once its writer is closed; and a Python script's output (Python's
// mailbox and email packages judge what qcell writes).
#pragma once

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>


#include <cstdlib>
#include <string>
#include <vector>

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

// The names in a directory, without those starting with '.'.
inline std::vector<std::string> entries(const std::string& path) {
  std::vector<std::string> names;
  if (DIR* dir = ::opendir(path.c_str())) {
    while (const dirent* e = ::readdir(dir)) {
      if (e->d_name[0] != '.') names.emplace_back(e->d_name);
    }
    ::closedir(dir);
  }
  return names;
}

// Everything readable from `fd` until end of file (its writer closed).
inline std::string drain(int fd) {
  std::string out;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

// Runs `script` with python3, `argument` as sys.argv[1]; its standard
// output, and an EXPECT that it exited 0.
inline std::string run_python(const std::string& script, const std::string& argument) {
  FILE* pipe = ::popen(("python3 - '" + argument + "' <<'PY'\n" + script + "PY\n").c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  if (pipe == nullptr) return "";
  std::string out = drain(::fileno(pipe));
  EXPECT_EQ(::pclose(pipe), 0);
  return out;
}

}  // namespace qcell
