// mx_plan.h — from a domain's MX hosts (their names resolved to addresses)
// to the ordered list of addresses qmail-remote tries: preference order,
// a random order among equal preferences, qmail's self-MX rule, duplicates
// tried once; and RFC 7505's null MX. Pure: the caller does the DNS
// queries (dns_answer.h reads their answers) and gives the seed.
//
// Hostile input: everything here comes from DNS answers (names, counts,
// preferences, addresses); the work is bounded by what the caller read
// (dns_answer.h caps the records and addresses of one answer).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "qmail-remote/ip_address.h"

namespace qcell::remote {

struct MxRecord {
  std::uint16_t preference = 0;
  std::string exchange;  // lowercased, no trailing '.'; "" is the root
  bool operator==(const MxRecord&) const = default;
};

// RFC 7505 null MX ("this domain accepts no mail"): exactly one record and
// its exchange is the root. RFC 7505 3 writes it with preference 0; a lone
// root exchange at another preference cannot lead anywhere either, so the
// preference is not checked. A root exchange among other records is not a
// null MX (RFC 7505 3: such a domain "MUST NOT" publish other MX records,
// so this is a broken domain): the root is skipped and the others are used
// (plan_targets drops a host named "").
bool is_null_mx(std::span<const MxRecord> records) noexcept;

struct MxHost {
  std::string name;  // the exchange; the domain itself for the A/AAAA fallback (preference 0)
  std::uint16_t preference = 0;
  std::vector<IpAddress> addresses;  // in the order to try them
};

struct Target {
  std::string host;
  IpAddress address;
  std::uint16_t preference = 0;
  bool operator==(const Target&) const = default;
};

enum class PlanErrc : std::uint8_t {
  // An address of ours (ipme) is among the best MX hosts: qmail's permanent
  // "Sorry. Although I'm listed as a best-preference MX or A for that host,
  // it isn't in my control/locals file, so I don't treat it as local. (#5.4.6)"
  self_is_best_mx,
  // No host has an address (no_address wins over self_is_best_mx).
  no_address,
};

// The targets in the order to try them:
//  - hosts named "" (the root) are dropped;
//  - hosts in preference order, lowest first; among hosts of equal
//    preference a random order drawn from `seed` (the same seed gives the
//    same order everywhere: the shuffle is ours, not the library's); a
//    host's own addresses stay together in the order given;
//  - qmail's self-MX rule: when an address of a target is in `ipme`, every
//    target whose preference is >= the lowest such preference is dropped
//    (with a relay from control/smtproutes qmail does not apply the rule:
//    pass an empty ipme there);
//  - an address already planned is not tried again (its first place wins).
Result<std::vector<Target>, PlanErrc> plan_targets(std::vector<MxHost> hosts, std::span<const IpAddress> ipme,
                                                   std::uint64_t seed);

}  // namespace qcell::remote
