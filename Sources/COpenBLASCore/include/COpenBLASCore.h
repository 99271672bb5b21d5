#ifndef DNB_COPENBLASCORE_H
#define DNB_COPENBLASCORE_H

// OpenBLAS's kernel choice, repaired where the library gets it wrong.
//
// A DYNAMIC_ARCH OpenBLAS (Debian's) picks its kernels from the CPU model when it loads. Before 0.3.25,
// an Intel family-6 model it does not know (Raptor Lake, Sapphire and Emerald Rapids, …) falls through to
// the Prescott (SSE3) kernels: OpenMathLib/OpenBLAS#4267, fixed by #4268 in 0.3.25; Debian 12 ships
// 0.3.21. On an Emerald Rapids VM that made dnb's training step 2.3× slower (2.9–3.0 s against 1.26–1.31 s
// at batch 128). A constructor in this target runs after OpenBLAS's own (a dependency's constructors run
// first) and before any BLAS call: when the library settled on Prescott for a CPU with AVX or better, it
// re-initialises OpenBLAS with the kernels the CPU's features call for, as later OpenBLAS does for CPUs
// it does not know. OPENBLAS_CORETYPE, when set, is the user's choice and is left alone.

// CPU features, as a bit set.
enum {
    DNB_CPU_AVX = 1,       // AVX with the OS saving ymm state
    DNB_CPU_AVX2_FMA = 2,  // AVX2 and FMA
    DNB_CPU_AVX512 = 4,    // AVX-512 F, BW, VL and DQ with the OS saving zmm state (OpenBLAS's SkylakeX kernels)
};

// The features of this CPU (0 off x86-64).
unsigned dnb_cpu_features(void);

// The OpenBLAS core to select instead of `chosen` (OpenBLAS's corename), or NULL to keep it: only a
// Prescott choice on a CPU with AVX or better is replaced, and never when the user set OPENBLAS_CORETYPE.
const char *dnb_blas_better_core(const char *chosen, unsigned features, int user_forced);

// The core OpenBLAS had chosen when dnb replaced it at load time, or NULL when it kept the library's choice.
const char *dnb_blas_replaced_core(void);

#endif
