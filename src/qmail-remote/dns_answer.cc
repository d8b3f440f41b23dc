// dns_answer.cc — DNS answers through c-ares's parsers (dns_answer.h).
// c-ares allocates the MX list (freed with ares_free_data, as ares.h says);
// the address readers fill our fixed arrays of ares_addrttl/ares_addr6ttl,
// so no hostent is asked for and none needs freeing.
#include "qmail-remote/dns_answer.h"

#include <ares.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/ascii.h"
#include "qmail-remote/smtp_routes.h"

namespace qcell::remote {

namespace {

struct MxReplyFree {
  void operator()(ares_mx_reply* reply) const noexcept { ares_free_data(reply); }
};
using MxReplyList = std::unique_ptr<ares_mx_reply, MxReplyFree>;

AnswerErrc errc_of(int status) noexcept { return status == ARES_ENODATA ? AnswerErrc::no_data : AnswerErrc::malformed; }

// c-ares takes the length as an int; beyond 65535 bytes it is no DNS message.
bool fits(std::span<const unsigned char> packet) noexcept {
  return !packet.empty() && packet.size() <= dns_answer_limits::packet;
}

// How many entries c-ares filled, never more than the array holds.
std::size_t filled(int count) noexcept {
  if (count <= 0) return 0;
  return std::min(static_cast<std::size_t>(count), dns_answer_limits::addresses);
}

}  // namespace

Result<std::vector<MxRecord>, AnswerErrc> read_mx_answer(std::span<const unsigned char> packet) {
  if (!fits(packet)) return fail(AnswerErrc::malformed);
  ares_mx_reply* raw = nullptr;
  int status = ares_parse_mx_reply(packet.data(), static_cast<int>(packet.size()), &raw);
  MxReplyList list(raw);
  if (status != ARES_SUCCESS) return fail(errc_of(status));

  // Every record (bounded by the packet: an MX record takes at least 13
  // bytes), then the most preferred kept.
  std::vector<MxRecord> records;
  bool any = false;
  for (const ares_mx_reply* reply = list.get(); reply != nullptr; reply = reply->next) {
    any = true;
    std::string_view name = reply->host != nullptr ? std::string_view(reply->host) : std::string_view();
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (!name.empty() && !is_host_name(name)) continue;
    records.push_back(MxRecord{reply->priority, ascii_lower(name)});
  }
  if (!any) return fail(AnswerErrc::no_data);
  if (records.empty()) return fail(AnswerErrc::malformed);
  std::stable_sort(records.begin(), records.end(),
                   [](const MxRecord& a, const MxRecord& b) { return a.preference < b.preference; });
  if (records.size() > dns_answer_limits::mx_records) records.resize(dns_answer_limits::mx_records);
  return records;
}

Result<std::vector<IpAddress>, AnswerErrc> read_address_answer(std::span<const unsigned char> packet, int family) {
  if (!fits(packet)) return fail(AnswerErrc::malformed);
  std::vector<IpAddress> addresses;
  int count = static_cast<int>(dns_answer_limits::addresses);
  if (family == AF_INET) {
    std::array<ares_addrttl, dns_answer_limits::addresses> found{};
    int status = ares_parse_a_reply(packet.data(), static_cast<int>(packet.size()), nullptr, found.data(), &count);
    if (status != ARES_SUCCESS) return fail(errc_of(status));
    for (const ares_addrttl& entry : std::span(found).first(filled(count))) {
      std::array<std::uint8_t, 4> bytes{};
      std::memcpy(bytes.data(), &entry.ipaddr, bytes.size());
      addresses.push_back(ipv4_address(bytes));
    }
  } else if (family == AF_INET6) {
    std::array<ares_addr6ttl, dns_answer_limits::addresses> found{};
    int status = ares_parse_aaaa_reply(packet.data(), static_cast<int>(packet.size()), nullptr, found.data(), &count);
    if (status != ARES_SUCCESS) return fail(errc_of(status));
    for (const ares_addr6ttl& entry : std::span(found).first(filled(count))) {
      std::array<std::uint8_t, 16> bytes{};
      std::memcpy(bytes.data(), &entry.ip6addr, bytes.size());
      addresses.push_back(ipv6_address(bytes));
    }
  } else {
    return fail(AnswerErrc::malformed);
  }
  if (addresses.empty()) return fail(AnswerErrc::no_data);
  return addresses;
}

}  // namespace qcell::remote
