// clean_protocol.h — qmail-send's requests to qmail-clean and the answers
// (docs/delivery.md, "qmail-clean"), as qmail 1.03 has them: a request
// names one message's files to remove, the answer is one byte.
//
//   todo/N   remove intd/N, then todo/N (qmail-send has written info, local
//            and remote for it, durably)
//   mess/N   remove intd/N, then mess/(N % 23)/N (the message is finished)
//
//   '+' done (a file already gone counts as done), '!' an unlink failed,
//   'x' the request was not one of the above.
//
// One request per SOCK_SEQPACKET message. qmail-clean runs as qmailq and
// parses what qmail-send (a cell that parses mail) sends: the parser is
// strict (canonical decimal, nothing else), pure and fuzzed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace qcell {

enum class CleanTarget : std::uint8_t { todo, mess };

struct CleanRequest {
  CleanTarget target = CleanTarget::todo;
  std::uint64_t id = 0;
  bool operator==(const CleanRequest&) const = default;
};

inline constexpr char clean_done = '+';
inline constexpr char clean_failed = '!';
inline constexpr char clean_malformed = 'x';

// The longest request: "mess/" and 20 digits.
inline constexpr std::size_t clean_request_max = 25;

// "todo/N" or "mess/N", N canonical decimal (no sign, no leading zero, not
// 0) that fits 64 bits; anything else is nullopt.
std::optional<CleanRequest> parse_clean_request(std::span<const std::byte> frame) noexcept;
std::string encode_clean_request(const CleanRequest& request);

}  // namespace qcell
