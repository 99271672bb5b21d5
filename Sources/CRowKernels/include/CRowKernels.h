#ifndef DNB_CROWKERNELS_H
#define DNB_CROWKERNELS_H
#include <stddef.h>

// Row-wise and channel-innermost kernels whose Swift versions do not vectorise
// (float reductions stay scalar without reassociation, expf is a library call).
// Each is compiled for AVX-512, AVX2 and baseline and picked at load time on x86-64, once for
// the baseline elsewhere (DNB_CLONES, Sources/CKernels/dnb_clones.h).

// In place: p[r, :] = softmax(scale · p[r, :]) for rows r < rows.
void dnb_softmax_rows(float *p, ptrdiff_t rows, ptrdiff_t n, float scale);

// In place over g: g[r, :] = p[r, :] ⊙ (g[r, :] − ⟨g[r, :], p[r, :]⟩).
void dnb_softmax_backward_rows(const float *p, float *g, ptrdiff_t rows, ptrdiff_t n);

// y = silu(x) and gx += gy · silu'(x) over n elements (gx = … when accumulate is 0).
void dnb_silu(const float *x, float *y, ptrdiff_t n);
void dnb_silu_backward(const float *x, const float *gy, float *gx, ptrdiff_t n, int accumulate);

// Group norm of one sample x[s, c] (S pixels, C channels, G groups of C/G channels):
// writes y (with SiLU applied when silu != 0) and stats[2g] = mean, stats[2g+1] = 1/sqrt(var + eps).
// gamma/beta may be NULL (1 and 0).
void dnb_group_norm_forward(const float *x, ptrdiff_t S, ptrdiff_t C, ptrdiff_t G, const float *gamma,
                            const float *beta, float eps, int silu, float *y, float *stats);

// The same of the channel concatenation [xa | xb] (pixel s: xa[s·ca …], then xb[s·cb …]; y has ca + cb
// channels), without forming it: the UNet's up blocks normalise [previous output | skip].
// The normalisation pass of dnb_group_norm_forward alone, from statistics it wrote: the same y.
void dnb_group_norm_apply(const float *x, ptrdiff_t S, ptrdiff_t C, ptrdiff_t G, const float *gamma,
                          const float *beta, int silu, const float *stats, float *y);
void dnb_group_norm_forward2(const float *xa, ptrdiff_t ca, const float *xb, ptrdiff_t cb, ptrdiff_t S,
                             ptrdiff_t G, const float *gamma, const float *beta, float eps, int silu,
                             float *y, float *stats);

// Backward of dnb_group_norm_forward for one sample: dx += … (dx = … when accumulate is 0), dgamma += Σ dy·x̂,
// dbeta += Σ dy (dx, dgamma, dbeta may be NULL).
// scratch holds S·C floats.
void dnb_group_norm_backward(const float *x, const float *gy, ptrdiff_t S, ptrdiff_t C, ptrdiff_t G,
                             const float *gamma, const float *beta, const float *stats, int silu,
                             float *dx, int accumulate, float *dgamma, float *dbeta, float *scratch);
// dnb_group_norm_backward with gy as its scratch (overwritten), that also writes the forward's output y again
// (the floats dnb_group_norm_apply writes): a norm → convolution pair's backward needs both, and one pass
// then takes each SiLU once for both.
void dnb_group_norm_backward_recomputing(const float *x, float *gy, ptrdiff_t S, ptrdiff_t C, ptrdiff_t G,
                                         const float *gamma, const float *beta, const float *stats, int silu,
                                         float *dx, int accumulate, float *dgamma, float *dbeta, float *y);

// Fused attention for one (batch, head), small head dimension D (attention.c). q, k, v, o and the
// gradients are [L, D] with rows ld floats apart (one head's columns of packed [L, heads·D] tokens).
// Forward writes o = softmax(scale · q kᵀ) v (rows ldo floats apart) and, unless lse is NULL (inference),
// lse[i] = log2 Σ_j exp(scale · q_i·k_j) (for backward).
// Backward adds into dq, dk, dv (accumulate != 0) or overwrites them, recomputing each row of the
// probabilities from lse; o is the forward output, dout its gradient (both with rows ldo floats apart).
// scratch: dnb_attention_scratch_floats(L, D) floats, 64-byte aligned.
ptrdiff_t dnb_attention_scratch_floats(ptrdiff_t L, ptrdiff_t D);
void dnb_attention_forward(const float *q, const float *k, const float *v, float *o, float *lse,
                           ptrdiff_t L, ptrdiff_t D, ptrdiff_t ld, ptrdiff_t ldo, float scale, float *scratch);
void dnb_attention_backward(const float *q, const float *k, const float *v, const float *o,
                            const float *dout, const float *lse, float *dq, float *dk, float *dv,
                            ptrdiff_t L, ptrdiff_t D, ptrdiff_t ld, ptrdiff_t ldo, float scale, float *scratch,
                            int accumulate);
#endif
