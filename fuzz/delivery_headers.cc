// delivery_headers.cc (fuzz) — qmail-local's loop check on a hostile
// message: the input is the stored message (in a memory file); the check
// must read only the header, in bounded pieces, and agree with a plain
// search of the header for the exact line. The Return-Path and
// Delivered-To lines made from the input's first line hold one newline.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/delivery_headers.h"
#include "core/fd.h"
#include "core/limits.h"
#include "require.h"

using qcell_fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string_view first = input.substr(0, input.find('\n'));
  for (const std::string& made : {qcell::return_path_line(first), qcell::delivered_to_line(first)}) {
    require(std::count(made.begin(), made.end(), '\n') == 1 && made.back() == '\n');
  }
  static const int fd = ::memfd_create("fuzz-message", MFD_CLOEXEC);
  if (fd < 0 || ::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0) return 0;
  if (!qcell::write_full(fd, input)) return 0;
  const std::string line = "Delivered-To: joe@mx.example";
  auto found = qcell::header_has_line(fd, line);
  require(found.ok());
  // The plain answer: a header line (before the first empty line, within
  // the limit) equal to `line`.
  bool expected = false;
  std::string_view rest = input.substr(0, std::min(input.size(), qcell::limits::header_section));
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    if (end == std::string_view::npos) break;  // an unfinished last line is not a line
    const std::string_view current = rest.substr(0, end);
    if (current.empty()) break;
    if (current == line) {
      expected = true;
      break;
    }
    rest.remove_prefix(end + 1);
  }
  require(*found == expected);
  return 0;
}
