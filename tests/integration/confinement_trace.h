// confinement_trace.h — for the programs a caller runs (`lifetime caller`):
// runs one under strace and checks, from the trace of its own process,
// that it confined itself (no_new_privs, Landlock where the kernel has it,
// seccomp, each succeeding) before its first read of hostile input, and
// that its state in /proc shows the walls while it runs.
#pragma once

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace qcell::testing {

inline std::string slurp_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline bool kernel_has_landlock() {
  return ::syscall(SYS_landlock_create_ruleset, nullptr, 0, 1U /* LANDLOCK_CREATE_RULESET_VERSION */) > 0;
}

struct Traced {
  int exit_code = -1;
  std::string trace;  // strace -f output
};

// Runs `argv` under `strace -f` with `environment`, descriptor 0 from
// `input_path` and descriptors 1 and 2 to /dev/null; descriptor 1 is read
// from `fd1_input_path` instead when it is given (qmail-queue's envelope).
inline Traced run_traced(const std::vector<std::string>& argv, const std::map<std::string, std::string>& environment,
                         const std::string& input_path, const std::string& trace_path,
                         const std::string& fd1_input_path = "") {
  std::vector<std::string> full = {"/usr/bin/strace", "-f", "-qq", "-o", trace_path};
  full.insert(full.end(), argv.begin(), argv.end());
  pid_t pid = ::fork();
  if (pid == 0) {
    int in = ::open(input_path.c_str(), O_RDONLY);
    int null = ::open("/dev/null", O_WRONLY);
    int one = fd1_input_path.empty() ? null : ::open(fd1_input_path.c_str(), O_RDONLY);
    ::dup2(in, 0);
    ::dup2(one, 1);
    ::dup2(null, 2);
    std::vector<std::string> env_text;
    for (const auto& [name, value] : environment) env_text.push_back(name + "=" + value);
    // In sanitizer builds: LeakSanitizer cannot work under ptrace.
    if (!environment.count("ASAN_OPTIONS")) env_text.push_back("ASAN_OPTIONS=detect_leaks=0");
    std::vector<char*> args, envp;
    for (const std::string& a : full) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const std::string& e : env_text) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  Traced traced;
  traced.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  traced.trace = slurp_file(trace_path);
  return traced;
}

// The lines of the traced program's own process (the first pid in the
// trace), with `<unfinished ...>` halves joined to their `resumed` rest.
inline std::vector<std::string> own_calls(const std::string& trace) {
  std::vector<std::string> out;
  std::istringstream in(trace);
  std::string line, pid, pending;
  while (std::getline(in, line)) {
    std::string who = line.substr(0, line.find(' '));
    if (pid.empty()) pid = who;
    if (who != pid) continue;
    std::string rest = line.substr(line.find(' ') + 1);
    while (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
    if (std::size_t cut = rest.find(" <unfinished ...>"); cut != std::string::npos) {
      pending = rest.substr(0, cut);
      continue;
    }
    if (rest.rfind("<... ", 0) == 0 && !pending.empty()) {
      std::size_t resumed = rest.find("resumed>");
      rest = pending + (resumed == std::string::npos ? rest : rest.substr(resumed + 8));
      pending.clear();
    }
    out.push_back(rest);
  }
  return out;
}

// Index of the first call starting with `prefix`, containing `contains`
// and, if `result` is not empty, ending with it; -1 if none.
inline long first_call(const std::vector<std::string>& calls, const std::string& prefix,
                       const std::string& result = "", const std::string& contains = "") {
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const std::string& c = calls[i];
    if (c.rfind(prefix, 0) != 0 || c.find(contains) == std::string::npos) continue;
    if (!result.empty() && (c.size() < result.size() || c.compare(c.size() - result.size(), result.size(), result) != 0))
      continue;
    return static_cast<long>(i);
  }
  return -1;
}

// The program's own process set no_new_privs, enforced Landlock (where the
// kernel has it) and loaded its seccomp filter, in that order, each with
// success, before its first call starting with `first_hostile` (and
// containing `contains`), which it did make.
inline ::testing::AssertionResult confined_before(const std::string& trace, const std::string& first_hostile,
                                                  const std::string& contains = "") {
  std::vector<std::string> calls = own_calls(trace);
  long nnp = first_call(calls, "prctl(PR_SET_NO_NEW_PRIVS, 1", "= 0");
  long landlock = first_call(calls, "landlock_restrict_self(", "= 0");
  long seccomp = first_call(calls, "prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER", "= 0");
  long hostile = first_call(calls, first_hostile, "", contains);
  if (nnp < 0 || seccomp < 0 || hostile < 0) {
    return ::testing::AssertionFailure() << "no_new_privs at " << nnp << ", seccomp at " << seccomp << ", "
                                         << first_hostile << " at " << hostile << "\n"
                                         << trace;
  }
  if (kernel_has_landlock() && !(nnp < landlock && landlock < seccomp)) {
    return ::testing::AssertionFailure() << "landlock_restrict_self at " << landlock << ", not between "
                                         << nnp << " and " << seccomp << "\n"
                                         << trace;
  }
  if (!(nnp < seccomp && seccomp < hostile)) {
    return ::testing::AssertionFailure() << "seccomp at " << seccomp << ", " << first_hostile << " at " << hostile
                                         << "\n"
                                         << trace;
  }
  return ::testing::AssertionSuccess();
}

// /proc/PID/status and /proc/PID/limits show the walls of a confined
// caller program: no_new_privs, a seccomp filter, no new process, no core.
inline ::testing::AssertionResult shows_walls(pid_t pid) {
  std::string status = slurp_file("/proc/" + std::to_string(pid) + "/status");
  std::string limits = slurp_file("/proc/" + std::to_string(pid) + "/limits");
  if (status.find("\nNoNewPrivs:\t1\n") == std::string::npos || status.find("\nSeccomp:\t2\n") == std::string::npos) {
    return ::testing::AssertionFailure() << status;
  }
  auto limit_is_zero = [&](const std::string& name) {
    std::size_t at = limits.find(name);
    if (at == std::string::npos) return false;
    std::istringstream words(limits.substr(at + name.size()));
    std::string soft, hard;
    words >> soft >> hard;
    return soft == "0" && hard == "0";
  };
  if (!limit_is_zero("Max processes") || !limit_is_zero("Max core file size")) {
    return ::testing::AssertionFailure() << limits;
  }
  return ::testing::AssertionSuccess();
}

// Waits (at most 5 s) until /proc/PID/status shows a seccomp filter.
inline bool wait_until_filtered(pid_t pid) {
  for (int i = 0; i < 250; ++i) {
    if (slurp_file("/proc/" + std::to_string(pid) + "/status").find("\nSeccomp:\t2\n") != std::string::npos) {
      return true;
    }
    ::usleep(20000);
  }
  return false;
}

}  // namespace qcell::testing
