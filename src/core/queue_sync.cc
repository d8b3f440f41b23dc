// queue_sync.cc — control/queuesync's two words.
#include "core/queue_sync.h"

namespace qcell::queue {

std::optional<SyncMode> parse_sync_mode(std::string_view value) noexcept {
  if (value.empty() || value == "syncfs") return SyncMode::filesystem;
  if (value == "fsync") return SyncMode::files;
  return std::nullopt;
}

std::string_view sync_mode_name(SyncMode mode) noexcept { return mode == SyncMode::files ? "fsync" : "syncfs"; }

}  // namespace qcell::queue
