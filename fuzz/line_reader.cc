// line_reader.cc (fuzz) — feeds hostile bytes through LineReader (over a
// memfd) under both over-long policies and several maxima, and traps when a
// returned line breaks an invariant: no delimiter inside, within the maximum,
// the bytes of the input in order, and memory bounded by max + one chunk.
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/fd.h"
#include "core/limits.h"
#include "core/line_reader.h"
#include "require.h"

using qcell_fuzz::require;

namespace {


void run(std::string_view input, std::size_t max_line, qcell::OverlongPolicy policy, char delimiter) {
  qcell::UniqueFd fd(::memfd_create("fuzz_line_reader", MFD_CLOEXEC));
  require(fd.valid());
  require(qcell::write_full(fd.get(), input).ok());
  require(::lseek(fd.get(), 0, SEEK_SET) == 0);

  qcell::LineReaderOptions options;
  options.max_line = max_line;
  options.overlong = policy;
  options.delimiter = delimiter;
  qcell::LineReader reader(fd.get(), options);

  std::size_t position = 0;  // where the next line starts in `input`, when known
  bool position_known = true;
  for (int round = 0; round < 10000; ++round) {
    auto line = reader.read_line(std::chrono::seconds(5));
    require(reader.buffer_capacity() <= max_line + qcell::limits::read_chunk);
    if (!line) {
      auto kind = line.error().kind;
      require(kind != qcell::LineErrc::timeout && kind != qcell::LineErrc::io && kind != qcell::LineErrc::no_memory);
      if (kind == qcell::LineErrc::too_long && policy == qcell::OverlongPolicy::resynchronise) {
        require(line.error().discarded >= max_line - 1);
        position_known = false;
        continue;
      }
      if (kind == qcell::LineErrc::end_of_file && position_known) require(position == input.size());
      return;
    }
    std::string_view text = *line;
    require(text.size() < max_line);
    require(text.find(delimiter) == std::string_view::npos);
    if (position_known) {
      require(input.substr(position, text.size()) == text);
      require(input[position + text.size()] == delimiter);
      position += text.size() + 1;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::size_t max_line = 1 + (data[0] & 0x3f);  // 1..64: over-long lines are common
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  run(input, max_line, qcell::OverlongPolicy::refuse, '\n');
  run(input, max_line, qcell::OverlongPolicy::resynchronise, '\n');
  run(input, max_line, qcell::OverlongPolicy::resynchronise, '\0');
  return 0;
}
