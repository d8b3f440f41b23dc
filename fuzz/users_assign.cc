// users_assign.cc (fuzz) — the input is parsed as a hostile users/assign;
// when it parses, its users/cdb records are looked up, as qmail-lspawn
// would, for each entry's local part and for the input's first line as a
// hostile local part. The first line also goes through qmail-getpw's rules
// against a small account table, and through a table with corrupt values.
// Every lookup must end without a crash and give only valid assignments.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/users_assign.h"
#include "require.h"

using qcell_fuzz::require;

namespace {


void check(const qcell::Assignment& a) {
  require(a.uid != 0 && !a.home.empty() && a.home.front() == '/' && !a.user.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string_view first_line = input.substr(0, input.find('\n'));
  std::map<std::string, std::string> table = {{"", "-a"}, {"!a", std::string("x\0" "1\0" "2\0/h\0-\0\0", 12)},
                                              {std::string("!b\0", 3), "junk"}};
  auto parsed = qcell::parse_users_assign(std::as_bytes(std::span(data, size)));
  if (parsed) {
    table.clear();
    for (auto& [key, value] : qcell::users_cdb_records(*parsed)) table.emplace(std::move(key), std::move(value));
  }
  auto find = [&](std::string_view key) -> std::optional<std::string> {
    auto it = table.find(std::string(key));
    return it == table.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  auto probe = [&](std::string_view local) {
    auto found = qcell::lookup_users_cdb(local, find);
    if (found && found->has_value()) check(**found);
  };
  probe(first_line);
  if (parsed) {
    for (const qcell::AssignEntry& entry : *parsed) {
      check(entry.assignment);
      auto exact = qcell::lookup_users_cdb(entry.local, find);
      require(exact && exact->has_value());  // its own local part always finds an entry
      probe(entry.local + "-more");
    }
  }
  auto account = [](std::string_view name) -> std::optional<qcell::Account> {
    if (name == "alias") return qcell::Account{7790, 2108, "/var/qmail/alias", true};
    if (name == "joe" || name == "a-b") return qcell::Account{1001, 100, "/home/x", true};
    if (name == "root") return qcell::Account{0, 0, "/root", true};
    return std::nullopt;
  };
  auto assigned = qcell::assignment_from_passwd(first_line, account);
  require(assigned.has_value());
  check(*assigned);
  return 0;
}
