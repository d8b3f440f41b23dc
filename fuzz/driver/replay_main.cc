// replay_main.cc — runs a fuzz harness over every file of its seed corpus
// (and any crash reproducers added there), so that the normal test build
// catches regressions without a fuzzer. Arguments: files or directories.
// Exit 0 when every input ran; 1 when none was found; a harness bug aborts.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

bool read_file(const std::string& path, std::vector<std::uint8_t>& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out.clear();
  std::uint8_t chunk[65536];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0) {
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    out.insert(out.end(), chunk, chunk + n);
  }
  ::close(fd);
  return true;
}

std::size_t replay(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    std::fprintf(stderr, "replay: cannot stat %s\n", path.c_str());
    return 0;
  }
  if (S_ISDIR(st.st_mode)) {
    std::size_t count = 0;
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return 0;
    while (struct dirent* entry = ::readdir(dir)) {
      std::string name = entry->d_name;
      if (name == "." || name == "..") continue;
      count += replay(path + "/" + name);
    }
    ::closedir(dir);
    return count;
  }
  std::vector<std::uint8_t> data;
  if (!read_file(path, data)) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return 0;
  }
  LLVMFuzzerTestOneInput(data.data(), data.size());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t total = 0;
  for (int i = 1; i < argc; ++i) total += replay(argv[i]);
  std::printf("replayed %zu inputs\n", total);
  return total == 0 ? 1 : 0;
}
