// newu_command.h — `qcell newu [--root DIR]`: qmail-newu. Compiles
// ROOT/users/assign into ROOT/users/cdb (docs/delivery.md, "Which user
// receives a local address"). Runs as root outside any cell; trusts its
// command line, parses users/assign strictly (core/users_assign.h) and
// leaves users/cdb untouched unless the whole file parses. users/cdb is
// replaced atomically: users/cdb.tmp (O_EXCL, a lock against a second run),
// fsync, rename, fsync of users/, so readers see the old table or the new.
#pragma once

namespace qcell {

// argv[1] is "newu". Says what it did on `output_fd` ("qcell newu:
// users/cdb holds 4 entries"), refusals on `error_fd`. Returns 0, 100 (bad
// arguments, a users/assign that does not parse), or 111 (a system call
// failed, users/assign is missing, or users/cdb.tmp exists).
int run_newu_command(int argc, char** argv, int output_fd, int error_fd);

}  // namespace qcell
