#ifndef DNB_CLONES_H
#define DNB_CLONES_H

// DNB_CLONES marks a kernel compiled once per instruction set and dispatched at load time.
//
// x86-64: AVX-512, AVX2 and baseline (SSE2) clones, the best one picked by the loader
// (target_clones), so one binary runs on any x86-64 and uses what it has.
// Other architectures: one baseline build. aarch64's baseline has NEON, which clang's generic
// vectors (vector_size) map to. The x86 feature names mean nothing there: clang 21 ignores them
// silently, GCC rejects them. scripts/check-arm64.sh compiles every C file of the package for
// aarch64-linux-gnu with -Wall -Werror, and this macro with GCC too.
//
// Define DNB_CLONES before including this header to build one variant alone
// (e.g. -DDNB_CLONES='__attribute__((target("avx2")))').
#ifndef DNB_CLONES
#if defined(__x86_64__)
#define DNB_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DNB_CLONES
#endif
#endif

#endif
