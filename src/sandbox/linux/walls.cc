// walls.cc — what the running kernel offers, probed without side effects,
// and how a missing wall is named in logs and errors.
#include <unistd.h>

#include "sandbox/linux/landlock.h"
#include "sandbox/sandbox.h"

namespace qcell::sandbox {

namespace {
bool exists(const char* path) noexcept { return ::access(path, F_OK) == 0; }

struct WallName {
  bool Walls::*member;
  std::string_view name;
};
constexpr WallName wall_names[] = {
    {&Walls::landlock, "landlock"},
    {&Walls::landlock_scope, "landlock-scope"},
    {&Walls::landlock_net, "landlock-net"},
    {&Walls::mount_namespace, "mount-namespace"},
    {&Walls::pid_namespace, "pid-namespace"},
    {&Walls::net_namespace, "net-namespace"},
    {&Walls::ipc_namespace, "ipc-namespace"},
    {&Walls::uts_namespace, "uts-namespace"},
};
}  // namespace

Walls probe_walls() {
  Walls walls;
  int abi = landlock_abi();
  walls.landlock = abi >= 1;
  walls.landlock_scope = abi >= 6;
  walls.landlock_net = abi >= 4;
  walls.mount_namespace = exists("/proc/self/ns/mnt");
  walls.pid_namespace = exists("/proc/self/ns/pid");
  walls.net_namespace = exists("/proc/self/ns/net");
  walls.ipc_namespace = exists("/proc/self/ns/ipc");
  walls.uts_namespace = exists("/proc/self/ns/uts");
  return walls;
}

std::string describe_walls(const Walls& walls) {
  std::string out;
  for (const WallName& w : wall_names) {
    if (!out.empty()) out += ' ';
    out += w.name;
    out += walls.*w.member ? "=yes" : "=no";
  }
  out += " landlock-abi=" + std::to_string(landlock_abi());
  return out;
}

std::string missing_walls(const Walls& required, const Walls& available) {
  std::string out;
  for (const WallName& w : wall_names) {
    if (required.*w.member && !(available.*w.member)) {
      if (!out.empty()) out += ", ";
      out += w.name;
    }
  }
  return out;
}

}  // namespace qcell::sandbox
