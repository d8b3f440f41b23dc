// cell_fixture.h — starts qcell-testcell in a cell and talks to it: the
// containment tests' harness. Runs as root (the broker's privilege).
#pragma once

#include <sys/types.h>

#include <string>

#include "core/fd.h"
#include "core/policy.h"
#include "sandbox/sandbox.h"

namespace qcell::testing {

class TestCell {
 public:
  // The test cell's specification: nobody/nogroup, all namespaces, a
  // writable view of `data_dir` at /data, descriptors 0..3.
  static sandbox::CellSpec default_spec(const std::string& data_dir, const std::string& staging);
  // The shipped policy's text, for a test that varies it.
  static std::string shipped_policy_text();
  // The specification of a policy the test wrote (a variant of the shipped
  // one), compiled as the broker compiles it, with the same /data view.
  static sandbox::CellSpec spec_from_policy(const Policy& policy, const std::string& data_dir,
                                            const std::string& staging);
  // What every test cell gets beyond its policy: the writable view of
  // `data_dir` at /data, Landlock's read and write rules for it, its argv.
  static void add_data_view(sandbox::CellSpec& spec, const std::string& data_dir);

  // Starts the cell; returns an empty string on success or the spawn error.
  std::string start(sandbox::CellSpec spec, int fd3 = -1);
  // Sends one command and returns the answer line ("" if the cell died).
  std::string ask(const std::string& command);
  // Waits for the cell to end and returns its wait status.
  int wait();
  pid_t pid() const { return pid_; }
  std::string log();  // what the cell wrote on descriptor 2 so far

  ~TestCell();

 private:
  pid_t pid_ = -1;
  UniqueFd to_cell_;
  UniqueFd from_cell_;
  UniqueFd log_;
  UniqueFd program_;
};

// A scratch directory removed at destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace qcell::testing
