// control_snapshot.h — the control values a cell reads, handed to it as one
// sealed, read-only memory file instead of a view of the control directory
// (a qmail-smtpd cell sees no filesystem at all).
//
// The broker (or qmail-smtpd itself under tcpserver, before it confines
// itself) builds the snapshot from control/: a cdb in a memfd, holding
// "file:NAME" -> the raw bytes of each control file that exists, and
// "morercpthosts:KEY" -> the records of control/morercpthosts.cdb. The
// memfd is then sealed against writing, growing, shrinking and new seals,
// so a cell cannot change what other cells read. Readers parse the file
// contents with the same functions as a control file (control.h).
//
// Trust: the builder reads the administrator's files (trusted, but bounded
// by limits::control_file and the snapshot limit); the reader trusts the
// snapshot's bytes only as far as tinycdb's bounds checks go.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/cdb.h"
#include "core/fd.h"
#include "core/result.h"

namespace qcell {

// Largest snapshot: control files are at most limits::control_file each,
// and a morercpthosts.cdb of a few hundred thousand domains fits.
inline constexpr std::size_t control_snapshot_max = 64 * 1024 * 1024;

// The control files qmail-smtpd reads, put in its snapshot.
inline constexpr std::string_view smtpd_control_files[] = {
    "me",          "smtpgreeting", "localiphost", "rcpthosts",      "badmailfrom", "databytes",
    "timeoutsmtpd", "smtpcert.pem", "smtpkey.pem", "smtpsecrets",
};

// The control files qmail-remote reads, put in its snapshot (never the
// server's key or the SMTP AUTH secrets: a qmail-remote cell talks to
// hostile servers). The broker adds its own entries (remote_extras below).
inline constexpr std::string_view remote_control_files[] = {
    "me", "helohost", "smtproutes", "timeoutconnect", "timeoutremote", "tlsdestinations", "tlsrequired",
    "dnsservers",
};

// Entries the broker works out for qmail-remote, which it could not work
// out in its cell: "ipme" (the host's addresses, one per line), "dnsservers"
// (the resolvers, one per line), and "ca:PATH" (the PEM text of each CA
// file control/tlsdestinations names; "ca:" alone is the system trust store).
struct SnapshotExtra {
  std::string name;
  std::string content;
};
// The largest extra entry (a system trust store is about 200 KiB).
inline constexpr std::size_t snapshot_extra_max = 4 * 1024 * 1024;

// Builds a sealed snapshot of `files` (those that exist) beneath `control`,
// of control/morercpthosts.cdb when it exists, and of `extras`. The error is
// a sentence naming the file, for the broker's log.
Result<UniqueFd, std::string> build_control_snapshot(const DirFd& control, std::span<const std::string_view> files,
                                                     std::span<const SnapshotExtra> extras = {});

class ControlSnapshot {
 public:
  // Takes a snapshot descriptor; refuses one that is not sealed against
  // writing (a cell must not read values another cell could change).
  static Result<ControlSnapshot, std::string> open(UniqueFd fd);

  // The raw bytes of control/NAME, nullopt when it did not exist.
  Result<std::optional<std::string>, CdbError> file(std::string_view name) const;
  // An extra entry of the broker's (SnapshotExtra), nullopt when absent.
  Result<std::optional<std::string>, CdbError> extra(std::string_view name) const;
  // Whether morercpthosts.cdb holds `key`.
  Result<bool, CdbError> morercpthosts(std::string_view key) const;

 private:
  explicit ControlSnapshot(CdbReader reader) : reader_(std::move(reader)) {}
  CdbReader reader_;
};

// Reading a snapshot's control files as a cell does, with the control
// table's defaults (control.h); each error is one line naming the file.
// A single-value file, or `fallback` when it is absent or empty.
Result<std::string, std::string> snapshot_value(const ControlSnapshot& snapshot, std::string_view name,
                                                std::string fallback);
// A list file; absent is an error when `required`, else an empty list.
Result<std::vector<std::string>, std::string> snapshot_list(const ControlSnapshot& snapshot, std::string_view name,
                                                            bool required);
// A number file within its table entry's range, or the entry's default.
Result<std::uint64_t, std::string> snapshot_number(const ControlSnapshot& snapshot, std::string_view name);

}  // namespace qcell
