// probe.cc — the program hardening/probe builds in one variant per hardening
// flag (all flags, and each one dropped in turn) to prove that
// hardening/check-elf notices every missing flag. It is never installed.
//
// The code gives each flag something to act on: a fixed stack buffer written
// through strncpy (stack protector, _FORTIFY_SOURCE's __strncpy_chk), a copy
// into a heap buffer whose size is only known at run time (what
// _FORTIFY_SOURCE=3's __builtin_dynamic_object_size adds over level 2), a
// frame larger than a page (stack clash probes), automatic arrays that
// -ftrivial-auto-var-init=zero clears before use, and an indirect call (CET's
// endbr64 landing pads).
//
// Usage: probe [TEXT]   prints TEXT, truncated to 63 bytes.

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

// Called through a pointer, so it needs an endbr64 landing pad under IBT.
__attribute__((noinline)) std::size_t shout(const char* text) { return static_cast<std::size_t>(std::puts(text)); }

std::size_t (*volatile g_out)(const char*) = shout;

}  // namespace

int main(int argc, char** argv) {
  const char* arg = argc > 1 ? argv[1] : "probe";

  // Stack buffer filled with strncpy: stack protector canary and fortify's
  // compile-time object size.
  char line[64];
  std::strncpy(line, arg, sizeof line - 1);
  line[sizeof line - 1] = '\0';

  // Heap buffer sized at run time: only _FORTIFY_SOURCE=3 checks this memcpy.
  const std::size_t len = std::strlen(line) + 1;
  char* copy = static_cast<char*>(std::malloc(len));
  if (copy == nullptr) {
    return 1;
  }
  std::memcpy(copy, line, len);

  // A frame bigger than a page: stack clash protection probes it.
  volatile char page[8192];
  page[len] = 1;

  const std::size_t written = g_out(copy);
  std::free(copy);
  return written == 0 || page[len] != 1 ? 1 : 0;
}
