// main.cc (qmail-queue) — one program, two roles. Started by the broker
// under policy/qmail-queue.policy (argv "qmail-queue qmail-queue" and
// QCELL_CELL=qmail-queue, as compile_policy sets them) it is the queue cell;
// run by anyone else it is the unprivileged front end that injectors call as
// qmail's qmail-queue. Neither role has privilege of its own: a user who
// starts it "as the cell" gets a process that writes, as that user, into
// descriptors that user passed.
#include <cstdlib>
#include <cstring>

int run_queue_cell();  // cell_main.cc
int run_front_end();   // front_end.cc

int main(int argc, char** argv) {
  const char* cell = std::getenv("QCELL_CELL");
  if (argc == 2 && cell != nullptr && std::strcmp(cell, "qmail-queue") == 0 && std::strcmp(argv[1], "qmail-queue") == 0) {
    return run_queue_cell();
  }
  return run_front_end();
}
