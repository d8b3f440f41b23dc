// privileges.h — what the broker keeps of root once it has started: only
// the capabilities that creating cells needs. Everything else (module
// loading, raw I/O, ptrace, network administration, DAC override, ...) is
// dropped from the effective, permitted, inheritable and bounding sets, and
// no_new_privs is set, so that a bug in the broker's loop cannot use more.
#pragma once

#include <string>

namespace qcell {

// The capabilities kept, by name, for logs and docs.
inline constexpr const char* broker_capabilities =
    "cap_kill,cap_setgid,cap_setuid,cap_setpcap,cap_sys_chroot,cap_sys_admin";

// Drops to broker_capabilities. Returns an error message, or "" on success.
std::string drop_broker_privileges();

}  // namespace qcell
