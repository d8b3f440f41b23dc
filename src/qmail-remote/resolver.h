// resolver.h — qmail-remote's DNS lookups, through c-ares (Debian's
// libc-ares 1.18, linked statically). The cell has no filesystem: the
// resolvers come from the snapshot (control/dnsservers, or the broker's
// reading of /etc/resolv.conf), no search list, no hosts file, and no
// /etc/resolv.conf read is relied on. Queries run in this process's own
// poll loop, each batch bounded by one deadline; c-ares uses UDP, and TCP
// when an answer is truncated.
//
// Trust: every answer is hostile; the packets go only to dns_answer.h,
// which reads them with c-ares's own parsers.
//
// Query IDs: c-ares 1.18 keys its ID generator from /dev/urandom, which the
// cell cannot open, and otherwise from rand(); Resolver::make seeds rand()
// from getrandom(2) first, so the IDs are not predictable from outside
// (the kernel's random source port adds its own 16 bits).
#pragma once

#include <ares.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

namespace qcell::remote {

using Clock = std::chrono::steady_clock;

// How a lookup ended.
enum class LookupStatus : std::uint8_t {
  answer,     // a packet with records of the type asked for (or a CNAME chain to them)
  no_data,    // the name exists, with no record of that type
  no_domain,  // NXDOMAIN: the name does not exist (a permanent failure)
  failed,     // SERVFAIL, refused, timeout, no resolver answered: try again later
};

struct Lookup {
  std::string name;
  int type = 0;  // ns_t_mx, ns_t_a, ns_t_aaaa
  LookupStatus status = LookupStatus::failed;
  std::string detail;                 // c-ares's text for a failure
  std::vector<unsigned char> packet;  // for `answer`
};

class Resolver {
 public:
  // `servers`: "192.0.2.53", "192.0.2.53:5353", "2001:db8::53" or
  // "[2001:db8::53]:5353" (control/dnsservers' lines). The error names the
  // line c-ares refused.
  static Result<Resolver, std::string> make(std::span<const std::string> servers);

  // Runs every lookup to its end, or until `deadline` (those still open
  // are `failed`, "timed out").
  void run(std::vector<Lookup>& lookups, Clock::time_point deadline);

  Resolver(Resolver&&) noexcept = default;
  Resolver& operator=(Resolver&&) noexcept = default;
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;
  ~Resolver() = default;

 private:
  struct Free {
    void operator()(ares_channel channel) const noexcept;
  };
  explicit Resolver(ares_channel channel) : channel_(channel) {}
  std::unique_ptr<std::remove_pointer_t<ares_channel>, Free> channel_;
};

}  // namespace qcell::remote
