// marker.cc — linked into every qcell executable by qcell_add_executable().
//
// It records, in a section of its own, the compile-time hardening facts that
// an ELF file does not otherwise show (the _FORTIFY_SOURCE level, in
// particular: g++ does not record -D options). hardening/check-elf reads the
// section with readelf. It trusts nothing and is never called.

#define QCELL_STR2(x) #x
#define QCELL_STR(x) QCELL_STR2(x)

#if defined(__SANITIZE_ADDRESS__)
#define QCELL_MARK_FORTIFY "fortify=off-asan"
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QCELL_MARK_FORTIFY "fortify=off-asan"
#endif
#endif
#ifndef QCELL_MARK_FORTIFY
#if defined(_FORTIFY_SOURCE)
#define QCELL_MARK_FORTIFY "fortify=" QCELL_STR(_FORTIFY_SOURCE)
#else
#define QCELL_MARK_FORTIFY "fortify=none"
#endif
#endif

#if defined(__SSP_STRONG__)
#define QCELL_MARK_SSP "ssp=strong"
#elif defined(__SSP_ALL__)
#define QCELL_MARK_SSP "ssp=all"
#else
#define QCELL_MARK_SSP "ssp=none"
#endif

#if defined(__CET__)
#define QCELL_MARK_CET "cet=" QCELL_STR(__CET__)
#else
#define QCELL_MARK_CET "cet=none"
#endif

#if defined(__PIE__)
#define QCELL_MARK_PIE "pie=" QCELL_STR(__PIE__)
#else
#define QCELL_MARK_PIE "pie=none"
#endif

extern "C" {
__attribute__((used, section(".qcell.hardening"))) const char qcell_hardening_marker[] =
    "qcell-hardening " QCELL_MARK_FORTIFY " " QCELL_MARK_SSP " " QCELL_MARK_CET " " QCELL_MARK_PIE;
}
