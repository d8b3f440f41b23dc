// mx_plan.cc — the MX plan (mx_plan.h): a stable sort by preference, a
// seeded Fisher-Yates shuffle within each preference (splitmix64), then
// the self-MX cut and duplicate removal.
#include "qmail-remote/mx_plan.h"

#include <algorithm>
#include <array>
#include <set>
#include <utility>

namespace qcell::remote {

namespace {

// splitmix64 (Steele, Lea, Flood 2014): small, fast, and the same on every
// platform, unlike std::shuffle with a standard distribution.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) noexcept : state_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // A number in [0, bound) for bound >= 1; the modulo bias is below 2^-50
  // for the handful of hosts that share a preference.
  std::size_t below(std::size_t bound) noexcept { return static_cast<std::size_t>(next() % bound); }

 private:
  std::uint64_t state_;
};

using AddressKey = std::pair<int, std::array<std::uint8_t, 16>>;

AddressKey key_of(const IpAddress& address) { return {address.family, address.bytes}; }

}  // namespace

bool is_null_mx(std::span<const MxRecord> records) noexcept {
  return records.size() == 1 && records.front().exchange.empty();
}

Result<std::vector<Target>, PlanErrc> plan_targets(std::vector<MxHost> hosts, std::span<const IpAddress> ipme,
                                                   std::uint64_t seed) {
  std::erase_if(hosts, [](const MxHost& host) { return host.name.empty(); });
  bool any_address =
      std::any_of(hosts.begin(), hosts.end(), [](const MxHost& host) { return !host.addresses.empty(); });
  if (!any_address) return fail(PlanErrc::no_address);

  std::stable_sort(hosts.begin(), hosts.end(),
                   [](const MxHost& a, const MxHost& b) { return a.preference < b.preference; });
  SplitMix64 random(seed);
  for (std::size_t begin = 0; begin < hosts.size();) {
    std::size_t end = begin + 1;
    while (end < hosts.size() && hosts[end].preference == hosts[begin].preference) ++end;
    for (std::size_t i = end - begin; i > 1; --i) {
      std::swap(hosts[begin + i - 1], hosts[begin + random.below(i)]);
    }
    begin = end;
  }

  std::set<AddressKey> own;
  for (const IpAddress& address : ipme) own.insert(key_of(address));
  // qmail's prefme: the lowest preference at which we are listed; targets
  // from there on are dropped. 65536 is above every preference.
  std::uint32_t own_preference = 65536;
  for (const MxHost& host : hosts) {
    for (const IpAddress& address : host.addresses) {
      if (own.contains(key_of(address))) own_preference = std::min<std::uint32_t>(own_preference, host.preference);
    }
  }

  std::vector<Target> targets;
  std::set<AddressKey> planned;
  for (const MxHost& host : hosts) {
    if (host.preference >= own_preference) break;  // sorted: every later host is dropped too
    for (const IpAddress& address : host.addresses) {
      if (!planned.insert(key_of(address)).second) continue;
      targets.push_back(Target{host.name, address, host.preference});
    }
  }
  if (targets.empty()) return fail(PlanErrc::self_is_best_mx);
  return targets;
}

}  // namespace qcell::remote
