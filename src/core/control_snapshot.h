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
#include <optional>
#include <span>
#include <string>
#include <string_view>

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

// Builds a sealed snapshot of `files` (those that exist) beneath `control`,
// and of control/morercpthosts.cdb when it exists. The error is a sentence
// naming the file, for the broker's log.
Result<UniqueFd, std::string> build_control_snapshot(const DirFd& control, std::span<const std::string_view> files);

class ControlSnapshot {
 public:
  // Takes a snapshot descriptor; refuses one that is not sealed against
  // writing (a cell must not read values another cell could change).
  static Result<ControlSnapshot, std::string> open(UniqueFd fd);

  // The raw bytes of control/NAME, nullopt when it did not exist.
  Result<std::optional<std::string>, CdbError> file(std::string_view name) const;
  // Whether morercpthosts.cdb holds `key`.
  Result<bool, CdbError> morercpthosts(std::string_view key) const;

 private:
  explicit ControlSnapshot(CdbReader reader) : reader_(std::move(reader)) {}
  CdbReader reader_;
};

}  // namespace qcell
