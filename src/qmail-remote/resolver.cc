// resolver.cc — c-ares driven by a poll loop of our own (resolver.h).
#include "qmail-remote/resolver.h"

#include <arpa/nameser.h>
#include <poll.h>
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>

namespace qcell::remote {

namespace {

// Per try, and tries per server: a silent resolver costs at most 3 s per
// try; the caller's deadline bounds the whole batch.
constexpr int try_timeout_ms = 3000;
constexpr int tries = 3;

struct Pending {
  Lookup* lookup = nullptr;
  std::size_t* open = nullptr;
};

void answered(void* argument, int status, int /*timeouts*/, unsigned char* packet, int length) {
  auto* pending = static_cast<Pending*>(argument);
  Lookup& lookup = *pending->lookup;
  --*pending->open;
  switch (status) {
    case ARES_SUCCESS:
      lookup.status = LookupStatus::answer;
      if (packet != nullptr && length > 0) lookup.packet.assign(packet, packet + length);
      return;
    case ARES_ENODATA: lookup.status = LookupStatus::no_data; return;
    case ARES_ENOTFOUND: lookup.status = LookupStatus::no_domain; return;
    default:
      lookup.status = LookupStatus::failed;
      lookup.detail = ares_strerror(status);
      return;
  }
}

// The servers as c-ares's list: "a,b,c" (its own syntax is ours).
std::string server_list(std::span<const std::string> servers) {
  std::string csv;
  for (const std::string& server : servers) {
    if (!csv.empty()) csv += ',';
    csv += server;
  }
  return csv;
}

}  // namespace

void Resolver::Free::operator()(ares_channel channel) const noexcept { ares_destroy(channel); }

Result<Resolver, std::string> Resolver::make(std::span<const std::string> servers) {
  if (servers.empty()) return fail(std::string("no DNS server is configured"));
  for (const std::string& server : servers) {
    if (server.empty() || server.find(',') != std::string::npos) {
      return fail("DNS server '" + server + "' is not an address");
    }
  }
  // c-ares 1.18 keys its query IDs from rand() when /dev/urandom cannot be
  // opened (resolver.h).
  unsigned seed = 0;
  if (::getrandom(&seed, sizeof seed, 0) != static_cast<ssize_t>(sizeof seed)) {
    return fail(std::string("getrandom failed: no seed for DNS query IDs"));
  }
  std::srand(seed);
  if (int status = ares_library_init(ARES_LIB_INIT_ALL); status != ARES_SUCCESS) {
    return fail(std::string("c-ares: ") + ares_strerror(status));
  }
  // Every setting given, so that c-ares reads no /etc/resolv.conf, no
  // /etc/hosts and asks for no host name: a placeholder server (replaced
  // below), no search domains, no sort list, ndots 1, "b" (DNS only).
  ares_options options{};
  int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_NDOTS | ARES_OPT_SERVERS |
             ARES_OPT_DOMAINS | ARES_OPT_LOOKUPS | ARES_OPT_SORTLIST;
  options.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_EDNS;
  options.timeout = try_timeout_ms;
  options.tries = tries;
  options.ndots = 1;
  in_addr placeholder{};
  placeholder.s_addr = htonl(INADDR_LOOPBACK);
  options.servers = &placeholder;
  options.nservers = 1;
  options.domains = nullptr;
  options.ndomains = 0;
  char lookups[] = "b";
  options.lookups = lookups;
  options.sortlist = nullptr;
  options.nsort = 0;
  options.ednspsz = 1232;  // the DNS flag day 2020 size: no fragmented UDP
  mask |= ARES_OPT_EDNSPSZ;
  ares_channel channel = nullptr;
  if (int status = ares_init_options(&channel, &options, mask); status != ARES_SUCCESS) {
    return fail(std::string("c-ares: ") + ares_strerror(status));
  }
  Resolver resolver(channel);
  const std::string csv = server_list(servers);
  if (int status = ares_set_servers_ports_csv(channel, csv.c_str()); status != ARES_SUCCESS) {
    return fail("DNS servers '" + csv + "': " + ares_strerror(status));
  }
  return resolver;
}

void Resolver::run(std::vector<Lookup>& lookups, Clock::time_point deadline) {
  std::size_t open = lookups.size();
  std::vector<Pending> pending(lookups.size());
  for (std::size_t i = 0; i < lookups.size(); ++i) {
    pending[i] = Pending{&lookups[i], &open};
    lookups[i].status = LookupStatus::failed;
    lookups[i].packet.clear();
    ares_query(channel_.get(), lookups[i].name.c_str(), ns_c_in, lookups[i].type, answered, &pending[i]);
  }
  // Bounded: every round waits at least until c-ares's next timeout or
  // the deadline, and c-ares gives up after tries x servers rounds.
  for (int rounds = 0; open > 0 && rounds < 100000; ++rounds) {
    const auto now = Clock::now();
    if (now >= deadline) break;
    std::array<ares_socket_t, ARES_GETSOCK_MAXNUM> sockets{};
    const int bits = ares_getsock(channel_.get(), sockets.data(), ARES_GETSOCK_MAXNUM);
    std::array<pollfd, ARES_GETSOCK_MAXNUM> polled{};
    nfds_t count = 0;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short events = 0;
      if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
      if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
      if (events == 0) continue;
      polled[count].fd = sockets[static_cast<std::size_t>(i)];
      polled[count].events = events;
      ++count;
    }
    const auto left_ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    timeval most{static_cast<time_t>(left_ms / 1000), static_cast<suseconds_t>((left_ms % 1000) * 1000)};
    timeval wait{};
    timeval* chosen = ares_timeout(channel_.get(), &most, &wait);
    const long long wait_ms = static_cast<long long>(chosen->tv_sec) * 1000 + chosen->tv_usec / 1000 + 1;
    const int ready = ::poll(polled.data(), count, static_cast<int>(std::min<long long>(wait_ms, INT_MAX)));
    if (ready <= 0) {
      ares_process_fd(channel_.get(), ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
      continue;
    }
    for (nfds_t i = 0; i < count; ++i) {
      const bool readable = (polled[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
      const bool writable = (polled[i].revents & POLLOUT) != 0;
      if (!readable && !writable) continue;
      ares_process_fd(channel_.get(), readable ? polled[i].fd : ARES_SOCKET_BAD,
                      writable ? polled[i].fd : ARES_SOCKET_BAD);
    }
  }
  if (open > 0) {
    ares_cancel(channel_.get());  // the callbacks run now, with ARES_ECANCELLED
    for (Lookup& lookup : lookups) {
      if (lookup.status == LookupStatus::failed && lookup.detail == ares_strerror(ARES_ECANCELLED)) {
        lookup.detail = "timed out";
      }
    }
  }
}

}  // namespace qcell::remote
