// See COpenBLASCore.h: select OpenBLAS's kernels by CPU features where 0.3.21–0.3.24 fall back to Prescott.
#define _GNU_SOURCE
#include "COpenBLASCore.h"
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *openblas_get_corename(void);

unsigned dnb_cpu_features(void) {
    unsigned f = 0;
#if defined(__x86_64__)
    // __builtin_cpu_supports also checks that the OS saves the registers (XGETBV), as OpenBLAS does.
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx")) f |= DNB_CPU_AVX;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) f |= DNB_CPU_AVX2_FMA;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) f |= DNB_CPU_AVX512;
#endif
    return f;
}

const char *dnb_blas_better_core(const char *chosen, unsigned features, int user_forced) {
    if (user_forced || chosen == NULL || strcasecmp(chosen, "Prescott") != 0) return NULL;
    // Names as OPENBLAS_CORETYPE takes them. Not "Cooperlake" for AVX-512 BF16: 0.3.21's lookup of that
    // variable stops one entry short of it; its single-precision kernels are SkylakeX's anyway.
    if (features & DNB_CPU_AVX512) return "SkylakeX";
    if (features & DNB_CPU_AVX2_FMA) return "Haswell";
    if (features & DNB_CPU_AVX) return "Sandybridge";
    return NULL;
}

static const char *replaced_core;

const char *dnb_blas_replaced_core(void) { return replaced_core; }

// Runs before main, after OpenBLAS's constructor has chosen its kernels and before any BLAS call.
__attribute__((constructor)) static void dnb_blas_select_core(void) {
    const char *chosen = openblas_get_corename();
    const char *better = dnb_blas_better_core(chosen, dnb_cpu_features(), getenv("OPENBLAS_CORETYPE") != NULL);
    if (better == NULL) return;
    // Exported by DYNAMIC_ARCH builds only: gotoblas_dynamic_quit forgets the choice, gotoblas_dynamic_init
    // makes it again (reading OPENBLAS_CORETYPE) and sets the kernels' blocking parameters. A build for
    // one CPU has neither, and its Prescott is what it was built for.
    void (*quit)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit");
    void (*init)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init");
    if (quit == NULL || init == NULL) return;
    static char previous[32];
    strncpy(previous, chosen, sizeof previous - 1);
    setenv("OPENBLAS_CORETYPE", better, 1);
    quit();
    init();
    unsetenv("OPENBLAS_CORETYPE");  // the process's environment as it was: nothing else reads it now
    const char *now = openblas_get_corename();
    if (now != NULL && strcasecmp(now, "Prescott") != 0) replaced_core = previous;
}
