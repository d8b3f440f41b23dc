// queue_sync.h — control/queuesync: how the qmail-queue cell makes a batch
// of injections durable before it links them into todo/ (docs/queue.md):
//   filesystem  one syncfs(2) per filesystem holding mess/ and intd/ (one,
//               normally): two flushes per batch however large it is;
//   files       fsync(2) of each message, each envelope and each mess/
//               subdirectory used: portable, and untouched by other
//               writers on a filesystem the queue shares.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace qcell::queue {

enum class SyncMode : std::uint8_t { filesystem, files };

// control/queuesync's value (its first line, trimmed): "syncfs" or empty
// (the default), or "fsync"; anything else is refused.
std::optional<SyncMode> parse_sync_mode(std::string_view value) noexcept;
std::string_view sync_mode_name(SyncMode mode) noexcept;  // "syncfs" or "fsync"

}  // namespace qcell::queue
