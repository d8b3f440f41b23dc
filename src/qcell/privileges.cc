// privileges.cc — the broker's own capability drop, with libcap.
#include "qcell/privileges.h"

#include <errno.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <iterator>

namespace qcell {

namespace {
// Why each is kept: CAP_SYS_ADMIN (clone with new namespaces, mount,
// pivot_root, setns, sethostname), CAP_SYS_CHROOT (setns into a mount
// namespace), CAP_SETPCAP (the cell drops its bounding set and locks its
// securebits), CAP_SETUID and CAP_SETGID (the cell changes to its role),
// CAP_KILL (stopping cells that run as other users).
constexpr cap_value_t kept[] = {CAP_KILL, CAP_SETGID, CAP_SETUID, CAP_SETPCAP, CAP_SYS_CHROOT, CAP_SYS_ADMIN};
}  // namespace

std::string drop_broker_privileges() {
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    if (!CAP_IS_SUPPORTED(cap)) continue;
    if (std::find(std::begin(kept), std::end(kept), cap) != std::end(kept)) continue;
    if (cap_drop_bound(static_cast<cap_value_t>(cap)) != 0) return std::string("cap_drop_bound: ") + ::strerror(errno);
  }
  if (cap_reset_ambient() != 0) return std::string("cap_reset_ambient: ") + ::strerror(errno);
  cap_t caps = cap_init();
  if (caps == nullptr) return "cap_init failed";
  bool ok = cap_set_flag(caps, CAP_PERMITTED, static_cast<int>(std::size(kept)), kept, CAP_SET) == 0 &&
            cap_set_flag(caps, CAP_EFFECTIVE, static_cast<int>(std::size(kept)), kept, CAP_SET) == 0 &&
            cap_set_proc(caps) == 0;
  int err = errno;
  cap_free(caps);
  if (!ok) return std::string("cap_set_proc: ") + ::strerror(err);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return std::string("no_new_privs: ") + ::strerror(errno);
  return "";
}

}  // namespace qcell
