// main.cc — the qcell command: turns arguments into calls of qcell_broker.
// Subcommands: check, control-table, version (docs/qcell.md).
#include <unistd.h>

#include <cstdio>
#include <string_view>

#include "core/control.h"
#include "core/fd.h"
#include "qcell/check.h"

namespace {

constexpr std::string_view usage =
    "usage: qcell check [--root DIR]    validate the configuration under DIR (default /var/qmail)\n"
    "       qcell control-table         print the control-file table (Markdown)\n"
    "       qcell version               print the version\n";

int emit(const qcell::CheckReport& report) {
  (void)qcell::write_full(STDOUT_FILENO, report.output);
  (void)qcell::write_full(STDERR_FILENO, report.errors);
  return report.exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    (void)qcell::write_full(STDERR_FILENO, usage);
    return qcell::exit_usage;
  }
  std::string_view command = argv[1];
  if (command == "check") {
    std::string_view root = "/var/qmail";
    for (int i = 2; i < argc; ++i) {
      std::string_view arg = argv[i];
      if (arg == "--root" && i + 1 < argc) {
        root = argv[++i];
      } else {
        std::fprintf(stderr, "qcell check: unknown argument: %s\n%s", argv[i], usage.data());
        return qcell::exit_usage;
      }
    }
    return emit(qcell::check_installation(root));
  }
  if (command == "control-table" && argc == 2) {
    (void)qcell::write_full(STDOUT_FILENO, qcell::control_table_markdown());
    return qcell::exit_ok;
  }
  if (command == "version" && argc == 2) {
    (void)qcell::write_full(STDOUT_FILENO, "qcell " QCELL_VERSION "\n");
    return qcell::exit_ok;
  }
  std::fprintf(stderr, "qcell: unknown command: %s\n%s", argv[1], usage.data());
  return qcell::exit_usage;
}
