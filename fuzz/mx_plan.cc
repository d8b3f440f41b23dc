// mx_plan.cc (fuzz) — hostile MX hosts, addresses and ipme, decoded from the
// input, through plan_targets. The plan is sorted by preference, holds no
// address of ipme and no address twice, every address in it came from the
// input under the same host and preference, a host's addresses keep their
// order and stay together, every address of a kept host is planned (here or
// earlier), the same seed gives the same plan, and the errors are the
// documented ones: no_address exactly when no named host has an address,
// self_is_best_mx only when an address of ipme is in the input.
//
// Input: 8 bytes of seed, then operations of one byte each (and operands):
//   0: a new host: 1 byte of preference (0..7, so that preferences repeat),
//      its name "h<n>" ("" when the byte's high bit is set)
//   1: a new host: 2 bytes of preference (0..65535)
//   2: an address from a fixed pool (1 byte: index) to the current host
//   3: an address from the pool to ipme
//   4: 4 raw bytes as an IPv4 address to the current host
//   5: 16 raw bytes as an IPv6 address to the current host
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "qmail-remote/ip_address.h"
#include "qmail-remote/mx_plan.h"
#include "require.h"

using qcell::remote::IpAddress;
using qcell::remote::MxHost;
using qcell::remote::PlanErrc;
using qcell::remote::Target;
using qcell_fuzz::require;

namespace {

// Bounds per input, so that a long input stays fast.
constexpr std::size_t max_hosts = 128;
constexpr std::size_t max_addresses = 64;

const std::array<IpAddress, 8>& pool() {
  static const std::array<IpAddress, 8> addresses = [] {
    std::array<IpAddress, 8> result{};
    constexpr std::array<const char*, 8> texts = {"192.0.2.1",   "192.0.2.2",   "198.51.100.1", "127.0.0.1",
                                                  "2001:db8::1", "2001:db8::2", "::1",          "::ffff:192.0.2.1"};
    for (std::size_t i = 0; i < result.size(); ++i) result.at(i) = *qcell::remote::parse_ip_address(texts.at(i));
    return result;
  }();
  return addresses;
}

class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const { return at_ >= size_; }
  std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  template <std::size_t N>
  std::array<std::uint8_t, N> bytes() {
    std::array<std::uint8_t, N> result{};
    for (auto& b : result) b = byte();
    return result;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

using Key = std::pair<int, std::array<std::uint8_t, 16>>;
Key key_of(const IpAddress& address) { return {address.family, address.bytes}; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader reader(data, size);
  std::uint64_t seed = 0;
  for (int i = 0; i < 8; ++i) seed = (seed << 8) | reader.byte();
  std::vector<MxHost> hosts;
  std::vector<IpAddress> ipme;
  while (!reader.empty()) {
    std::uint8_t op = reader.byte();
    switch (op % 6) {
      case 0:
      case 1: {
        if (hosts.size() >= max_hosts) return 0;
        MxHost host;
        host.preference = op % 6 == 0 ? static_cast<std::uint16_t>(reader.byte() % 8)
                                      : static_cast<std::uint16_t>(reader.byte() << 8 | reader.byte());
        if ((op & 0x80) == 0) host.name = "h" + std::to_string(hosts.size());
        hosts.push_back(std::move(host));
        break;
      }
      case 2:
        if (hosts.empty() || hosts.back().addresses.size() >= max_addresses) return 0;
        hosts.back().addresses.push_back(pool().at(reader.byte() % pool().size()));
        break;
      case 3:
        if (ipme.size() >= max_addresses) return 0;
        ipme.push_back(pool().at(reader.byte() % pool().size()));
        break;
      case 4:
        if (hosts.empty() || hosts.back().addresses.size() >= max_addresses) return 0;
        hosts.back().addresses.push_back(qcell::remote::ipv4_address(reader.bytes<4>()));
        break;
      case 5:
        if (hosts.empty() || hosts.back().addresses.size() >= max_addresses) return 0;
        hosts.back().addresses.push_back(qcell::remote::ipv6_address(reader.bytes<16>()));
        break;
    }
  }

  std::set<Key> own;
  for (const IpAddress& address : ipme) own.insert(key_of(address));
  bool any_address = false;
  bool any_own = false;
  std::map<std::string, const MxHost*> by_name;
  for (const MxHost& host : hosts) {
    if (host.name.empty()) continue;
    by_name[host.name] = &host;
    for (const IpAddress& address : host.addresses) {
      any_address = true;
      if (own.contains(key_of(address))) any_own = true;
    }
  }

  auto plan = qcell::remote::plan_targets(hosts, ipme, seed);
  auto again = qcell::remote::plan_targets(hosts, ipme, seed);
  require(plan.ok() == again.ok());
  if (!plan) {
    require(plan.error() == again.error());
    if (plan.error() == PlanErrc::no_address) require(!any_address);
    if (plan.error() == PlanErrc::self_is_best_mx) require(any_address && any_own);
    return 0;
  }
  require(any_address);
  require(*plan == *again);
  const std::vector<Target>& targets = *plan;
  require(!targets.empty());

  std::uint32_t own_preference = 65536;
  for (const MxHost& host : hosts) {
    if (host.name.empty()) continue;
    for (const IpAddress& address : host.addresses) {
      if (own.contains(key_of(address))) own_preference = std::min<std::uint32_t>(own_preference, host.preference);
    }
  }

  std::set<Key> seen;
  std::map<std::string, std::size_t> next_index;  // per host: where in its addresses the last target was found
  std::set<std::string> finished;                 // hosts whose run of targets has ended
  std::string current;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const Target& target = targets[i];
    if (i > 0) require(targets[i - 1].preference <= target.preference);
    require(target.preference < own_preference);
    require(!own.contains(key_of(target.address)));
    require(seen.insert(key_of(target.address)).second);
    auto host = by_name.find(target.host);
    require(host != by_name.end());
    require(host->second->preference == target.preference);
    const auto& addresses = host->second->addresses;
    auto from = addresses.begin() + static_cast<std::ptrdiff_t>(next_index[target.host]);
    auto found = std::find(from, addresses.end(), target.address);
    require(found != addresses.end());
    next_index[target.host] = static_cast<std::size_t>(found - addresses.begin()) + 1;
    if (target.host != current) {
      require(!finished.contains(target.host));
      if (!current.empty()) finished.insert(current);
      current = target.host;
    }
  }
  // Every address of a host below our preference is planned.
  for (const auto& [name, host] : by_name) {
    if (host->preference >= own_preference) continue;
    for (const IpAddress& address : host->addresses) require(seen.contains(key_of(address)));
  }
  return 0;
}
