// dns_answer.cc (fuzz) — hostile DNS answer packets through c-ares's
// parsers into read_mx_answer and read_address_answer (A and AAAA). The
// results stay within the caps; MX records are sorted, their exchanges
// lowercased host names without a trailing dot (or the root); A answers
// give IPv4 only, AAAA answers IPv6 or IPv4 from a mapped address; reading
// twice gives the same. Then the MX hosts, given the packet's addresses,
// go through plan_targets with the first address as ipme: the plan is
// sorted, free of ipme and of duplicates.
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/ascii.h"
#include "qmail-remote/dns_answer.h"
#include "qmail-remote/mx_plan.h"
#include "qmail-remote/smtp_routes.h"
#include "require.h"

using qcell::remote::AnswerErrc;
using qcell::remote::IpAddress;
using qcell::remote::MxHost;
using qcell::remote::MxRecord;
using qcell_fuzz::require;

namespace {

std::vector<IpAddress> addresses_of(std::span<const unsigned char> packet, int family) {
  auto read = qcell::remote::read_address_answer(packet, family);
  auto again = qcell::remote::read_address_answer(packet, family);
  require(read.ok() == again.ok());
  if (!read) {
    require(read.error() == again.error());
    require(read.error() == AnswerErrc::no_data || read.error() == AnswerErrc::malformed);
    return {};
  }
  require(*read == *again);
  require(!read->empty() && read->size() <= qcell::remote::dns_answer_limits::addresses);
  for (const IpAddress& address : *read) {
    if (family == AF_INET)
      require(address.family == AF_INET);
    else
      require(address.family == AF_INET6 || address.family == AF_INET);
  }
  return *read;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const unsigned char> packet(data, size);
  auto records = qcell::remote::read_mx_answer(packet);
  auto records_again = qcell::remote::read_mx_answer(packet);
  require(records.ok() == records_again.ok());
  std::vector<MxRecord> mx;
  if (records) {
    require(*records == *records_again);
    mx = *records;
    require(!mx.empty() && mx.size() <= qcell::remote::dns_answer_limits::mx_records);
    for (std::size_t i = 0; i < mx.size(); ++i) {
      if (i > 0) require(mx[i - 1].preference <= mx[i].preference);
      const std::string& name = mx[i].exchange;
      require(name == qcell::ascii_lower(name));
      require(name.empty() || qcell::remote::is_host_name(name));
    }
    if (qcell::remote::is_null_mx(mx)) require(mx.size() == 1 && mx.front().exchange.empty());
  } else {
    require(records.error() == records_again.error());
  }

  std::vector<IpAddress> addresses = addresses_of(packet, AF_INET);
  std::vector<IpAddress> v6 = addresses_of(packet, AF_INET6);
  addresses.insert(addresses.end(), v6.begin(), v6.end());

  std::vector<MxHost> hosts;
  hosts.reserve(mx.size() + 1);
  for (const MxRecord& record : mx) hosts.push_back(MxHost{record.exchange, record.preference, addresses});
  if (hosts.empty()) hosts.push_back(MxHost{"fallback", 0, addresses});
  std::vector<IpAddress> ipme;
  if (!addresses.empty()) ipme.push_back(addresses.front());
  auto plan = qcell::remote::plan_targets(hosts, ipme, size);
  if (plan) {
    std::set<std::pair<int, std::array<std::uint8_t, 16>>> seen;
    for (std::size_t i = 0; i < plan->size(); ++i) {
      const auto& target = (*plan)[i];
      if (i > 0) require((*plan)[i - 1].preference <= target.preference);
      require(!ipme.empty() && !(target.address == ipme.front()));
      require(seen.insert({target.address.family, target.address.bytes}).second);
    }
  }
  return 0;
}
