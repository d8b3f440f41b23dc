// clean_protocol.cc — see clean_protocol.h.
#include "core/clean_protocol.h"

#include <string_view>

#include "core/queue_layout.h"

namespace qcell {

std::optional<CleanRequest> parse_clean_request(std::span<const std::byte> frame) noexcept {
  if (frame.size() > clean_request_max) return std::nullopt;
  std::string_view text(reinterpret_cast<const char*>(frame.data()), frame.size());
  CleanRequest request;
  if (text.substr(0, 5) == "todo/") {
    request.target = CleanTarget::todo;
  } else if (text.substr(0, 5) == "mess/") {
    request.target = CleanTarget::mess;
  } else {
    return std::nullopt;
  }
  auto id = queue::parse_message_id(text.substr(5));
  if (!id || *id == 0) return std::nullopt;
  request.id = *id;
  return request;
}

std::string encode_clean_request(const CleanRequest& request) {
  return std::string(request.target == CleanTarget::todo ? "todo/" : "mess/") + std::to_string(request.id);
}

}  // namespace qcell
