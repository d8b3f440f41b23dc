# Hardening.cmake — the compiler and linker hardening every qcell binary gets.
#
# Applied globally (so libraries, programs, tests and fuzz replayers all get
# it) and checked on every built executable by hardening/check-elf, which the
# test suite runs (tests "hardening.*"). Dropping a flag here makes that
# test fail; hardening/probe proves the checker catches each one.
#
# Sanitizer builds (QCELL_SANITIZE) turn off _FORTIFY_SOURCE, which conflicts
# with ASan's interceptors; the hardening test runs on the normal build only.

include_guard(GLOBAL)

# Flags that go on every compile line, in the form both g++ 12 and clang 14 take.
set(QCELL_HARDENING_COMPILE_FLAGS
  -fPIE
  -fstack-protector-strong
  -fstack-clash-protection
  -fcf-protection=full
  -ftrivial-auto-var-init=zero
  -frecord-gcc-switches
)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 16)
  # clang before 16 gates zero-init behind this acknowledgement flag.
  list(APPEND QCELL_HARDENING_COMPILE_FLAGS
    -enable-trivial-auto-var-init-zero-knowing-it-will-be-removed-from-clang)
endif()

set(QCELL_HARDENING_LINK_FLAGS
  -pie
  -Wl,-z,relro
  -Wl,-z,now
  -Wl,-z,noexecstack
)

# _FORTIFY_SOURCE needs optimisation; every build type we use has -O1 or more
# (Debug is mapped to -Og below).
set(QCELL_FORTIFY_FLAGS -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3)

function(qcell_apply_hardening)
  add_compile_options(${QCELL_HARDENING_COMPILE_FLAGS})
  add_link_options(${QCELL_HARDENING_LINK_FLAGS})
  if(NOT QCELL_SANITIZE)
    add_compile_options(${QCELL_FORTIFY_FLAGS})
  endif()
  set(CMAKE_POSITION_INDEPENDENT_CODE ON PARENT_SCOPE)
endfunction()

# Every executable is made through this wrapper: it links the hardening
# marker (a section .qcell.hardening that records the fortify level and the
# other compile-time facts the ELF file cannot show), which check-elf reads.
function(qcell_add_executable name)
  add_executable(${name} ${ARGN} ${PROJECT_SOURCE_DIR}/hardening/marker.cc)
endfunction()

# A cell's program: static-pie (a cell's root holds no libraries), linked
# with the core library built for cells, and, in sanitizer builds, built
# without sanitizers (their runtimes cannot be linked statically; see
# src/core/CMakeLists.txt).
# NAME: the cells' copy of program library LIBRARY. Cells are static-pie,
# and sanitizer runtimes cannot be linked statically: in sanitizer builds
# it is an uninstrumented build of SOURCES linked with LIBRARIES (the
# *_cell copies of the libraries LIBRARY links); otherwise LIBRARY itself.
function(qcell_add_cell_library name library)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  if(QCELL_SANITIZE)
    add_library(${name} STATIC ${ARG_SOURCES})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_compile_options(${name} PRIVATE -fno-sanitize=all)
    target_link_libraries(${name} PUBLIC ${ARG_LIBRARIES})
  else()
    add_library(${name} ALIAS ${library})
  endif()
endfunction()

function(qcell_add_cell name)
  qcell_add_executable(${name} ${ARGN})
  target_link_options(${name} PRIVATE -static-pie)
  target_link_libraries(${name} PRIVATE qcell_core_cell)
  if(QCELL_SANITIZE)
    target_compile_options(${name} PRIVATE -fno-sanitize=all)
    target_link_options(${name} PRIVATE -fno-sanitize=all)
  endif()
endfunction()
