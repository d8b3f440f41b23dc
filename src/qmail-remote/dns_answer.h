// dns_answer.h — reading the DNS answers qmail-remote asks for (MX, A,
// AAAA) into our types. The packet parsing is c-ares's own
// (ares_parse_mx_reply, ares_parse_a_reply, ares_parse_aaaa_reply); this
// only bounds what it returns, checks the names and frees c-ares's data.
//
// Hostile input: the answer packet (from the network, through the
// resolver). Bounded: at most 65535 bytes (the largest DNS message), at
// most dns_answer_limits::mx_records MX records and
// dns_answer_limits::addresses addresses kept from one answer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/limits.h"
#include "core/result.h"
#include "qmail-remote/ip_address.h"
#include "qmail-remote/mx_plan.h"

namespace qcell::remote {

namespace dns_answer_limits {
// The largest DNS message (its length is a 16-bit number over TCP).
inline constexpr std::size_t packet = 65535;
// MX records kept from one answer, the most preferred first, and
// addresses kept from one A or AAAA answer, in answer order (core/limits.h).
inline constexpr std::size_t mx_records = limits::dns_mx_records;
inline constexpr std::size_t addresses = limits::dns_addresses;
}  // namespace dns_answer_limits

enum class AnswerErrc : std::uint8_t {
  no_data,    // the answer holds no record of the type asked for (NODATA or NXDOMAIN)
  malformed,  // c-ares could not parse the packet, or no MX record had a usable name
};

// The MX records of an answer, sorted by preference (stable; at most
// dns_answer_limits::mx_records: the most preferred are kept). Exchange
// names are lowercased with any trailing '.' dropped; the root is "". A
// record whose exchange is not a host name (letters, digits, '-', '_'
// between dots; c-ares writes other bytes as \-escapes) is skipped; if every
// record is skipped the answer is malformed.
Result<std::vector<MxRecord>, AnswerErrc> read_mx_answer(std::span<const unsigned char> packet);

// The addresses of an A (family AF_INET) or AAAA (AF_INET6) answer, in
// answer order, following a CNAME chain inside the answer (c-ares does).
// An IPv4-mapped AAAA address comes back as IPv4 (ip_address.h). Any other
// family is the caller's mistake and reads as malformed.
Result<std::vector<IpAddress>, AnswerErrc> read_address_answer(std::span<const unsigned char> packet, int family);

}  // namespace qcell::remote
