// main.cc (qmail-inject) — run.h does the work.
#include <cstddef>
#include <span>

#include "qmail-inject/run.h"

int main(int argc, char** argv) {
  return qcell::inject::run_qmail_inject(
      std::span<const char* const>(argv + (argc > 0 ? 1 : 0), static_cast<std::size_t>(argc > 0 ? argc - 1 : 0)),
      "qmail-inject");
}
