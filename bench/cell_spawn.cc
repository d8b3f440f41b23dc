// cell_spawn.cc — how long creating one cell takes: from spawn_cell() to the
// cell answering its first command, for the test cell (static-pie), in four
// configurations. Run as root: build/bin/bench_cell_spawn [COUNT]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cell_fixture.h"
#include "sandbox/sandbox.h"

using qcell::testing::ScratchDir;
using qcell::testing::TestCell;
namespace sandbox = qcell::sandbox;

namespace {

struct Figures {
  double median_us;
  double p90_us;
};

Figures measure(const sandbox::CellSpec& spec, int count) {
  std::vector<double> micros;
  for (int i = 0; i < count; ++i) {
    auto start = std::chrono::steady_clock::now();
    {
      TestCell cell;
      std::string error = cell.start(spec);
      if (!error.empty()) {
        std::fprintf(stderr, "spawn failed: %s\n", error.c_str());
        std::exit(1);
      }
      if (cell.ask("ping") != "ok pong") {
        std::fprintf(stderr, "cell did not answer\n");
        std::exit(1);
      }
      micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
      cell.ask("exit 0");
      cell.wait();
    }
  }
  std::sort(micros.begin(), micros.end());
  return {micros[micros.size() / 2], micros[micros.size() * 9 / 10]};
}

}  // namespace

int main(int argc, char** argv) {
  int count = argc > 1 ? std::atoi(argv[1]) : 200;
  ScratchDir data, staging;
  sandbox::CellSpec full = TestCell::default_spec(data.path(), staging.path());

  sandbox::CellSpec none = full;
  none.namespaces = {};
  none.views.clear();
  none.landlock.clear();

  sandbox::CellSpec mount_pid_only = full;
  mount_pid_only.namespaces.net = mount_pid_only.namespaces.ipc = mount_pid_only.namespaces.uts = false;

  sandbox::CellSpec pid_only = none;
  pid_only.namespaces.pid = true;
  sandbox::CellSpec mount_only = full;
  mount_only.namespaces = {};
  mount_only.namespaces.mount = true;

  auto shared = sandbox::create_shared_namespaces({false, false, true, true, true});
  if (!shared) return 1;
  sandbox::CellSpec joined = full;
  joined.shared = shared->view();

  auto shared_all = sandbox::create_shared_namespaces({true, false, true, true, true}, full.views, staging.path());
  if (!shared_all) {
    std::fprintf(stderr, "%s\n", sandbox::format_spawn_error("shared", shared_all.error()).c_str());
    return 1;
  }
  sandbox::CellSpec joined_all = full;
  joined_all.shared = shared_all->view();

  struct Row {
    const char* name;
    const sandbox::CellSpec* spec;
  } rows[] = {
      {"all walls, fresh mount+pid+net+ipc+uts namespaces", &full},
      {"all walls, fresh mount+pid, joined pre-created net+ipc+uts", &joined},
      {"all walls, fresh pid, joined pre-created mount(view)+net+ipc+uts", &joined_all},
      {"all walls, mount+pid only (no net/ipc/uts isolation)", &mount_pid_only},
      {"seccomp+caps+uid+rlimits+landlock scope, no namespaces", &none},
      {"as above plus a fresh pid namespace only", &pid_only},
      {"all walls, fresh mount namespace only (view + pivot_root)", &mount_only},
  };
  std::printf("cell creation to first answer, %d cells each (microseconds)\n", count);
  for (const Row& row : rows) {
    Figures f = measure(*row.spec, count);
    std::printf("%-62s median %8.0f  p90 %8.0f\n", row.name, f.median_us, f.p90_us);
  }
  return 0;
}
