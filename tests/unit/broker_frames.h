// broker_frames.h — builds broker-protocol frames field by field, for the
// codec and descriptor-passing tests (bypassing the encoder on purpose, so
// tests can make frames the encoder would refuse).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "core/netstring.h"

namespace qcell::testing {

// The frame whose payload is `fields`, each a netstring.
inline std::string frame_of(const std::vector<std::string>& fields) {
  std::string payload;
  for (const auto& field : fields) payload += encode_netstring(field);
  return encode_netstring(payload);
}

inline std::string frame_of(std::initializer_list<std::string_view> fields) {
  return frame_of(std::vector<std::string>(fields.begin(), fields.end()));
}

// A valid spawn-remote request frame of exactly `size` bytes (a few
// thousand): recipients of about 900 bytes, then one sized to land on
// `size`. Empty if no such frame was found.
inline std::string remote_frame_of_size(std::size_t size) {
  for (std::size_t full = 900; full > 800; --full) {
    std::vector<std::string> fields{"spawn-remote", "example.net", "a@b"};
    while (frame_of(fields).size() + 1000 < size) fields.push_back(std::string(full - 2, 'x') + "@y");
    fields.emplace_back();
    for (std::size_t last = 3; last <= 1000; ++last) {
      fields.back() = std::string(last - 2, 'x') + "@y";
      std::string frame = frame_of(fields);
      if (frame.size() == size) return frame;
      if (frame.size() > size) break;
    }
  }
  return {};
}

}  // namespace qcell::testing
