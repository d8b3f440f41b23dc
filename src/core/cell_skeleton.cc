// cell_skeleton.cc — descriptor check and logging for cells.
#include "core/cell_skeleton.h"

#include <fcntl.h>
#include <sys/uio.h>

#include <algorithm>

namespace qcell {

bool holds_exactly(std::initializer_list<int> expected, int& wrong) noexcept {
  for (int fd = 0; fd < cell_descriptor_ceiling; ++fd) {
    bool open = ::fcntl(fd, F_GETFD) >= 0;
    bool wanted = std::find(expected.begin(), expected.end(), fd) != expected.end();
    if (open != wanted) {
      wrong = fd;
      return false;
    }
  }
  return true;
}

void cell_log(std::string_view text) noexcept {
  char newline = '\n';
  iovec parts[2] = {{const_cast<char*>(text.data()), text.size()}, {&newline, 1}};
  if (::writev(2, parts, 2) < 0) return;  // a gone log pipe: nothing to tell anyone
}

}  // namespace qcell
