// cell_fixture.cc — TestCell: spawn through the sandbox, line protocol over pipes.
#include "cell_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "qcell/policies.h"

namespace qcell::testing {

sandbox::CellSpec TestCell::default_spec(const std::string& data_dir, const std::string& staging) {
  // The cell comes from the shipped policy; only the scratch view at /data
  // (and Landlock's rules for it) are the test's own.
  auto files = load_policies(QCELL_SOURCE_DIR "/policy");
  if (!files) {
    for (const std::string& e : files.error()) std::fprintf(stderr, "%s\n", e.c_str());
    std::abort();
  }
  const PolicyFile* testcell = nullptr;
  for (const PolicyFile& f : *files) {
    if (f.policy.cell == "qcell-testcell") testcell = &f;
  }
  if (testcell == nullptr) std::abort();
  return spec_from_policy(testcell->policy, data_dir, staging);
}

std::string TestCell::shipped_policy_text() {
  std::ifstream file(QCELL_SOURCE_DIR "/policy/qcell-testcell.policy", std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

sandbox::CellSpec TestCell::spec_from_policy(const Policy& policy, const std::string& data_dir,
                                             const std::string& staging) {
  Installation installation{QCELL_SOURCE_DIR "/policy", QCELL_BINARY_DIR "/bin", staging};
  auto spec = compile_policy(policy, installation);
  if (!spec) {
    std::fprintf(stderr, "%s\n", spec.error().c_str());
    std::abort();
  }
  add_data_view(*spec, data_dir);
  return std::move(spec.value());
}

void TestCell::add_data_view(sandbox::CellSpec& spec, const std::string& data_dir) {
  spec.views.push_back({data_dir, "/data", true});
  spec.landlock.push_back({sandbox::Access::read, "/data"});
  spec.landlock.push_back({sandbox::Access::write, "/data"});
  spec.argv = {"qcell-testcell"};
}

std::string TestCell::start(sandbox::CellSpec spec, int fd3) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return "pipe";
  UniqueFd cell_in(in[0]), cell_out(out[1]), cell_err(err[1]);
  to_cell_.reset(in[1]);
  from_cell_.reset(out[0]);
  log_.reset(err[0]);
  program_.reset(::open(QCELL_BINARY_DIR "/bin/qcell-testcell", O_RDONLY | O_CLOEXEC));
  if (!program_) return "cannot open qcell-testcell";
  spec.program_fd = program_.get();
  spec.fds = {{0, cell_in.get()}, {1, cell_out.get()}, {2, cell_err.get()}};
  if (fd3 >= 0) spec.fds.push_back({3, fd3});
  auto pid = sandbox::spawn_cell(spec, sandbox::probe_walls());
  if (!pid) return sandbox::format_spawn_error(spec.name, pid.error());
  pid_ = *pid;
  return "";
}

std::string TestCell::ask(const std::string& command) {
  std::string line = command + "\n";
  if (!write_full(to_cell_.get(), line).ok()) return "";
  std::string answer;
  for (;;) {
    struct pollfd p {
      from_cell_.get(), POLLIN, 0
    };
    if (::poll(&p, 1, 10000) <= 0) return answer;  // bounded: a silent cell is an answer too
    char c = 0;
    if (::read(from_cell_.get(), &c, 1) != 1) return answer;
    if (c == '\n') return answer;
    answer += c;
  }
}

int TestCell::wait() {
  int status = 0;
  if (pid_ > 0 && ::waitpid(pid_, &status, 0) == pid_) pid_ = -1;
  return status;
}

std::string TestCell::log() {
  std::string text;
  char buffer[4096];
  ::fcntl(log_.get(), F_SETFL, O_NONBLOCK);
  ssize_t n = 0;
  while ((n = ::read(log_.get(), buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
  return text;
}

TestCell::~TestCell() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

ScratchDir::ScratchDir() {
  char pattern[] = "/tmp/qcell-containment-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) std::abort();
  path_ = pattern;
  ::chmod(path_.c_str(), 0755);
}

ScratchDir::~ScratchDir() {
  std::string command = "rm -rf '" + path_ + "'";
  if (std::system(command.c_str()) != 0) std::fprintf(stderr, "cannot remove %s\n", path_.c_str());
}

}  // namespace qcell::testing
