#include "CRowKernels.h"
#include "../CKernels/dnb_clones.h"  // DNB_CLONES, shared with CKernels
#include <math.h>
#include <stdint.h>
#include <string.h>

// Fused scaled dot-product attention for one (batch, head) with small head dimensions.
//
// Keys and values are transposed into scratch (Kᵀ, Vᵀ: D rows of Lp = L rounded up to 16
// floats, zero padded), so every inner step works on 16 consecutive keys: s = Σ_d q_d·Kᵀ[d],
// the softmax (without the row max where the scores are provably small: forward_block), and
// P·V as D dot products over the keys. Query rows go in blocks of 4 that share
// every load of Kᵀ/Vᵀ; their score rows live in L1 and the [L, L] probability matrix is never
// formed. Backward recomputes each row of P from the log-sum-exp saved by the forward pass (no
// max/sum pass), buffers P and dS for the 4 rows, and updates dKᵀ/dVᵀ once per block.
//
// Measured on Zen 4 (1 thread, B·heads = 256, L = 256, D = 8): forward 10.2 ms, backward 19 ms,
// against 13.6 and 27 ms for the per-head sgemm + softmax path; both are close to the FMA
// bound (7·L²·D multiply-adds and 2·L² exponentials per head, forward + backward).
//
// The vector code uses clang's generic vectors (16 floats): one zmm under the avx512f clone,
// two ymm under avx2, four xmm under the x86-64 baseline, four NEON q registers on aarch64.

// All vector helpers are always inlined: no v16 crosses a call boundary, so the ABI note is moot.
#pragma clang diagnostic ignored "-Wpsabi"

#define INLINE static inline __attribute__((always_inline))

typedef float v16 __attribute__((vector_size(64)));
typedef float v8 __attribute__((vector_size(32)));
typedef float v4 __attribute__((vector_size(16)));
typedef int32_t v16i __attribute__((vector_size(64)));

#define V(p) (*(v16 *)(p))

// Hides where p points, so that loads through it stay inside the loop that follows. There they fold into
// the FMAs as broadcasts from memory ({1to16}); hoisted, the 32–64 splat registers of a block's rows
// spilled, each FMA then loading a whole 64-byte vector from the stack. Backward, one thread: 256 heads of
// L = 256, 21.8–22.2 → 20.9–21.4 ms; 1,024 heads of L = 64, 7.6–7.9 → 6.5–7.1 ms (forward unchanged).
#define OPAQUE(p) __asm__("" : "+r"(p))

INLINE v16 splat(float x) { return (v16){0} + x; }

// max/min through a compare and select, which maps to vmaxps/vminps (the elementwise builtins
// add NaN handling on top).
INLINE v16 vmax(v16 a, v16 b) { v16i m = a > b; return (v16)((m & (v16i)a) | (~m & (v16i)b)); }

#define LOG2E 1.44269504088896341f

// 2^x for −125 ≤ x ≤ 127: x = n + r with n = round(x), |r| ≤ ½, 2^r by a degree-6 polynomial fitted
// for relative error (1.9e-9 in exact arithmetic, ≤ 2 ulp in float32), then n added to the exponent field.
INLINE v16 vexp2_in_range(v16 x) {
    v16 n = __builtin_elementwise_roundeven(x);
    v16 r = x - n;
    v16 y = splat(1.5345649444498122e-4f);
    y = y * r + 1.3399876188486814e-3f;
    y = y * r + 9.618489071726799e-3f;
    y = y * r + 5.550329014658928e-2f;
    y = y * r + 2.4022646248340607e-1f;
    y = y * r + 6.931471824645996e-1f;
    y = y * r + 1.0f;
    return (v16)((v16i)y + (__builtin_convertvector(n, v16i) << 23));
}

// 2^x for x ≤ 127; arguments below −125 give 2^−125·2^r (≈ 2e-38, still normal) instead of underflowing to 0.
INLINE v16 vexp2(v16 x) { return vexp2_in_range(vmax(x, splat(-125.0f))); }

// log2 x for normal x > 0: x = 2^e·f with f in [√½, √2), log2 f = (2/ln 2)·atanh(t), t = (f − 1)/(f + 1),
// |t| ≤ 0.172, by its odd series to t⁹ (the next term is below 2e-9). f − 1 is exact; t carries the rounding of
// f + 1 and of the division: within 4 ulp of log2 over 1 ≤ x < 7e4 (every float to 4, then steps of 1e-4:
// 16.9 M values against double), absolute error ≤ 1.3e-7 for 1 ≤ x < 2. For lse = max + log2 Σ,
// where the sum is ≥ 1, that moves p = 2^(s − lse) by ≤ 1e-7 relative. The scalar log2f calls it
// replaces were 0.9 % of a training step's CPU time (perf).
INLINE v16 vlog2(v16 x) {
    v16i bits = (v16i)x;
    v16i e = ((bits >> 23) & 0xff) - 127;
    v16 f = (v16)((bits & 0x007fffff) | 0x3f800000);
    v16i big = f > splat(1.41421356f);  // all ones where f ≥ √2: halve f, add 1 to e
    f = (v16)((big & (v16i)(f * 0.5f)) | (~big & (v16i)f));
    e -= big;
    v16 t = (f - 1.0f) / (f + 1.0f), t2 = t * t;
    v16 p = splat(1.0f / 9.0f);
    p = p * t2 + 1.0f / 7.0f;
    p = p * t2 + 1.0f / 5.0f;
    p = p * t2 + 1.0f / 3.0f;
    p = p * t2 + 1.0f;
    return __builtin_convertvector(e, v16) + p * t * (float)(2.0 / 0.69314718055994531);
}

INLINE float hsum(v16 v) {
    v8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
           __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
    v4 b = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
    return (b[0] + b[2]) + (b[1] + b[3]);
}

INLINE float hmax(v16 v) {
    float m = v[0];
    for (int l = 1; l < 16; l++) m = m > v[l] ? m : v[l];
    return m;
}

static inline ptrdiff_t padded(ptrdiff_t L) { return (L + 15) & ~(ptrdiff_t)15; }

// Query rows handled together (they share every load of Kᵀ, Vᵀ and every read-modify-write of
// dKᵀ, dVᵀ); rows per block buffer one score row each in scratch.
#define MAX_ROWS 4

ptrdiff_t dnb_attention_scratch_floats(ptrdiff_t L, ptrdiff_t D) {
    return 4 * D * padded(L) + 2 * MAX_ROWS * padded(L);
}

typedef float v8u __attribute__((vector_size(32), aligned(4)));

// 16 keys × 8 values, r[i] = [row i | row i + 8] ↔ r[d] = [value d of rows 0…15]: the register index
// (i, 3 bits) and the lane's low 3 bits (d) swap places, one bit per stage, each stage a two-source
// shuffle of the register pairs that differ in that bit; its own inverse. The scalar loops, one store per
// float, held ~5 % of the forward kernel's samples in sampling (perf annotate).
#define SWAP0_LO 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30
#define SWAP0_HI 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31
#define SWAP1_LO 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29
#define SWAP1_HI 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31
#define SWAP2_LO 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27
#define SWAP2_HI 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31
#define SWAP_STAGE(b, LO, HI)                                                           \
    for (int i = 0; i < 8; i++)                                                         \
        if (!(i & (1 << b))) {                                                          \
            v16 x = r[i], y = r[i | (1 << b)];                                          \
            r[i] = __builtin_shufflevector(x, y, LO);                                   \
            r[i | (1 << b)] = __builtin_shufflevector(x, y, HI);                        \
        }
INLINE void transpose16x8(v16 r[8]) {
    SWAP_STAGE(0, SWAP0_LO, SWAP0_HI)
    SWAP_STAGE(1, SWAP1_LO, SWAP1_HI)
    SWAP_STAGE(2, SWAP2_LO, SWAP2_HI)
}

// dst[d·Lp + j] = src[j·ld + d] for j < L, zero for L ≤ j < Lp.
INLINE void transpose_in(const float *src, float *dst, ptrdiff_t L, ptrdiff_t Lp, ptrdiff_t D, ptrdiff_t ld) {
    ptrdiff_t j = 0;
    if (D == 8) {
        for (; j + 16 <= L; j += 16) {
            v16 r[8];
            for (int i = 0; i < 8; i++) {
                v8u a = *(const v8u *)(src + (j + i) * ld), b = *(const v8u *)(src + (j + i + 8) * ld);
                r[i] = __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            }
            transpose16x8(r);
            for (int d = 0; d < 8; d++) V(dst + d * Lp + j) = r[d];
        }
    }
    for (; j < L; j++) {
        const float *row = src + j * ld;
        for (ptrdiff_t d = 0; d < D; d++) dst[d * Lp + j] = row[d];
    }
    for (ptrdiff_t d = 0; d < D; d++)
        for (ptrdiff_t jj = L; jj < Lp; jj++) dst[d * Lp + jj] = 0;
}

// dst[j·ld + d] (+)= src[d·Lp + j] for j < L.
INLINE void transpose_out(const float *src, float *dst, ptrdiff_t L, ptrdiff_t Lp, ptrdiff_t D, ptrdiff_t ld,
                          int accumulate) {
    ptrdiff_t j = 0;
    if (D == 8) {
        for (; j + 16 <= L; j += 16) {
            v16 r[8];
            for (int d = 0; d < 8; d++) r[d] = V(src + d * Lp + j);
            transpose16x8(r);
            for (int i = 0; i < 8; i++) {
                v8u a = __builtin_shufflevector(r[i], r[i], 0, 1, 2, 3, 4, 5, 6, 7);
                v8u b = __builtin_shufflevector(r[i], r[i], 8, 9, 10, 11, 12, 13, 14, 15);
                v8u *ra = (v8u *)(dst + (j + i) * ld), *rb = (v8u *)(dst + (j + i + 8) * ld);
                if (accumulate) { *ra += a; *rb += b; }
                else { *ra = a; *rb = b; }
            }
        }
    }
    for (; j < L; j++) {
        float *row = dst + j * ld;
        if (accumulate) for (ptrdiff_t d = 0; d < D; d++) row[d] += src[d * Lp + j];
        else for (ptrdiff_t d = 0; d < D; d++) row[d] = src[d * Lp + j];
    }
}

// out[d] (+)= (Σ_j a[j]·bt[d·Lp + j]) · scale over the padded row (D dot products, accumulators in
// registers). Scaled and written here rather than returned through an array, which the compiler wrote
// as two 4-float halves and the caller read back as one 8-float load, too wide to be forwarded from the
// store buffer: perf annotate put 5.5 % of the forward kernel's samples in sampling just after it.
INLINE void dots(const float *a, const float *bt, ptrdiff_t Lp, const ptrdiff_t D, float scale, float *out,
                 int accumulate) {
    v16 acc[D];
    for (ptrdiff_t d = 0; d < D; d++) acc[d] = splat(0);
    for (ptrdiff_t c = 0; c < Lp; c += 16) {
        v16 x = V(a + c);
        for (ptrdiff_t d = 0; d < D; d++) acc[d] += x * V(bt + d * Lp + c);
    }
    if (accumulate) for (ptrdiff_t d = 0; d < D; d++) out[d] += hsum(acc[d]) * scale;
    else for (ptrdiff_t d = 0; d < D; d++) out[d] = hsum(acc[d]) * scale;
}

// q2[r·D + d] = q[(i0 + r)·ld + d] · scale·log2 e: R query rows scaled for scores in base 2.
INLINE void scaled_rows(const float *q, ptrdiff_t i0, const int R, const ptrdiff_t D, ptrdiff_t ld, float scale,
                        float *q2) {
    for (int r = 0; r < R; r++)
        for (ptrdiff_t d = 0; d < D; d++) q2[r * D + d] = q[(i0 + r) * ld + d] * (scale * LOG2E);
}

// s[r] = the scores of R scaled rows (q2) against the 16 keys from c, −∞ on the padding keys (tail, in the
// last block).
INLINE void scores(const float *q2, const float *kt, ptrdiff_t c, const int R, ptrdiff_t Lp, const ptrdiff_t D,
                   v16 tail, v16 *s) {
    for (int r = 0; r < R; r++) s[r] = splat(0);
    const float *Q = q2;
    OPAQUE(Q);
    for (ptrdiff_t d = 0; d < D; d++) {
        v16 kd = V(kt + d * Lp + c);
        for (int r = 0; r < R; r++) s[r] += kd * Q[r * D + d];
    }
    if (c == Lp - 16)
        for (int r = 0; r < R; r++) s[r] += tail;
}

// Softmax is taken in base 2: with q pre-multiplied by scale·log2(e), 2^(s − max) equals
// exp(scale·(q·k) − max). lse holds log2 Σ_j 2^(s_j) per query row.
INLINE void forward_rows(const float *q, float *o, float *lse, const float *kt, const float *vt, float *e,
                         v16 tail, ptrdiff_t i0, const int R, ptrdiff_t Lp, const ptrdiff_t D, ptrdiff_t ld,
                         ptrdiff_t ldo, float scale) {
    float q2[R][D];
    scaled_rows(q, i0, R, D, ld, scale, &q2[0][0]);
    v16 vm[R];
    for (int r = 0; r < R; r++) vm[r] = splat(-INFINITY);
    for (ptrdiff_t c = 0; c < Lp; c += 16) {
        v16 s[R];
        scores(&q2[0][0], kt, c, R, Lp, D, tail, s);
        for (int r = 0; r < R; r++) {
            V(e + r * Lp + c) = s[r];
            vm[r] = vmax(vm[r], s[r]);
        }
    }
    v16 rowMax = splat(0), rowSum = splat(1);  // lanes 0..<R: the rows' max and Σ 2^(s − max)
    for (int r = 0; r < R; r++) {
        float *er = e + r * Lp;
        const float m = hmax(vm[r]);
        // 2^(s − m): the padding lanes become ~1e-38, which neither changes a sum ≥ 1 nor,
        // against zero-padded Vᵀ, the output.
        v16 vs = splat(0);
        for (ptrdiff_t c = 0; c < Lp; c += 16) {
            v16 x = vexp2(V(er + c) - m);
            V(er + c) = x;
            vs += x;
        }
        const float sum = hsum(vs), inv = 1.0f / sum;
        rowMax[r] = m;
        rowSum[r] = sum;
        dots(er, vt, Lp, D, inv, o + (i0 + r) * ldo, 0);
    }
    if (lse) {  // none in inference
        v16 l = rowMax + vlog2(rowSum);
        for (int r = 0; r < R; r++) lse[i0 + r] = l[r];
    }
}

// forward_rows for rows whose scores provably lie in [−60, 60] (forward_block): there 2^s, its sums and
// the P·V products stay far inside float's normal range, and softmax does not depend on a shift, so the
// row max is not needed. One sweep over the keys then takes the exponentials as the dot products come
// out, where forward_rows stores the scores, finds their max, and reads them back. The floats differ from
// forward_rows' by rounding (a few ulp; AttentionFastPathTests). One thread, 16 images × 8 heads of
// D = 8 (/tmp C harness, alternating, best of 9): L = 256 4.57–4.63 → 4.25–4.28 ms, L = 64 1.86–1.88 →
// 1.41–1.51 ms.
INLINE void forward_rows_unshifted(const float *q, float *o, float *lse, const float *kt, const float *vt, float *e,
                                   v16 tail, ptrdiff_t i0, const int R, ptrdiff_t Lp, const ptrdiff_t D,
                                   ptrdiff_t ld, ptrdiff_t ldo, float scale) {
    float q2[R][D];
    scaled_rows(q, i0, R, D, ld, scale, &q2[0][0]);
    v16 vs[R];
    for (int r = 0; r < R; r++) vs[r] = splat(0);
    for (ptrdiff_t c = 0; c < Lp; c += 16) {
        v16 s[R];
        scores(&q2[0][0], kt, c, R, Lp, D, tail, s);  // the padding keys' 2^−125 meet zero-padded Vᵀ
        for (int r = 0; r < R; r++) {
            // |s| ≤ 60 but on padding keys (−∞, the last block only): the clamp there alone.
            v16 x = c == Lp - 16 ? vexp2(s[r]) : vexp2_in_range(s[r]);
            V(e + r * Lp + c) = x;
            vs[r] += x;
        }
    }
    v16 rowSum = splat(1);
    for (int r = 0; r < R; r++) {
        const float sum = hsum(vs[r]);
        rowSum[r] = sum;
        dots(e + r * Lp, vt, Lp, D, 1.0f / sum, o + (i0 + r) * ldo, 0);
    }
    if (lse) {  // sums ≥ 2^−60: normal floats, as vlog2 needs
        v16 l = vlog2(rowSum);
        for (int r = 0; r < R; r++) lse[i0 + r] = l[r];
    }
}

// The largest squared norm of `rows` vectors of D floats, row stride ld. NaN if any element is NaN.
INLINE float max_norm2(const float *x, ptrdiff_t rows, const ptrdiff_t D, ptrdiff_t ld) {
    float m = 0;
    for (ptrdiff_t j = 0; j < rows; j++) {
        float n = 0;
        for (ptrdiff_t d = 0; d < D; d++) n += x[j * ld + d] * x[j * ld + d];
        if (n != n) return n;
        m = m > n ? m : n;
    }
    return m;
}

// R query rows from i0. |s| ≤ |q|·|k|·scale·log2 e (Cauchy–Schwarz); with kk = the keys' largest |k|² times
// (scale·log2 e)², rows whose bound is below 60 take forward_rows_unshifted, the others forward_rows.
// NaN or ∞ in q or k fails the test (comparisons with NaN are false). A 1-epoch tutorial model sampled
// 50 steps: 42.6 M rows unshifted, 136 not.
INLINE void forward_block(const float *q, float *o, float *lse, const float *kt, const float *vt, float *e, v16 tail,
                          ptrdiff_t i0, const int R, ptrdiff_t Lp, const ptrdiff_t D, ptrdiff_t ld, ptrdiff_t ldo,
                          float scale, float kk) {
    if (max_norm2(q + i0 * ld, R, D, ld) * kk < 3600.0f)
        forward_rows_unshifted(q, o, lse, kt, vt, e, tail, i0, R, Lp, D, ld, ldo, scale);
    else
        forward_rows(q, o, lse, kt, vt, e, tail, i0, R, Lp, D, ld, ldo, scale);
}

// D is a compile-time constant in the specialised instances below (the accumulators then
// live in registers) and a run-time value in the generic one.
INLINE void forward_impl(const float *q, const float *k, const float *v, float *o, float *lse,
                         ptrdiff_t L, const ptrdiff_t D, ptrdiff_t ld, ptrdiff_t ldo, float scale, float *scratch,
                         const int R) {
    const ptrdiff_t Lp = padded(L);
    float *kt = scratch, *vt = kt + D * Lp, *e = vt + D * Lp;
    transpose_in(k, kt, L, Lp, D, ld);
    transpose_in(v, vt, L, Lp, D, ld);
    v16 tail = splat(0);
    for (ptrdiff_t j = L; j < Lp; j++) tail[j - (Lp - 16)] = -INFINITY;
    // Up to 16 keys (one block) every row keeps its max: one key then gets p = 1 exactly, so q and k get
    // exactly zero gradients, as in PyTorch (PackedAttentionTests, L = 1); the max costs little there.
    const float kk = L > 16 ? max_norm2(k, L, D, ld) * (scale * LOG2E) * (scale * LOG2E) : INFINITY;
    ptrdiff_t i = 0;
    for (; i + R <= L; i += R) forward_block(q, o, lse, kt, vt, e, tail, i, R, Lp, D, ld, ldo, scale, kk);
    for (; i < L; i++) forward_block(q, o, lse, kt, vt, e, tail, i, 1, Lp, D, ld, ldo, scale, kk);
}

// Backward for R query rows from i0, in three sweeps over the keys:
// (a) p = 2^(s − lse) and dS = p ⊙ (dO·Vᵀ − dO·O) for the R rows, buffered;
// (b) dQ_r = scale · dS_r · K (D dot products per row);
// (c) dKᵀ += scale · Qᵀ dS and dVᵀ += dOᵀ P, one load and store of dKᵀ/dVᵀ per R rows.
INLINE void backward_rows(const float *q, const float *o, const float *dout, const float *lse, float *dq,
                          const float *kt, const float *vt, float *dkt, float *dvt, float *pbuf, float *dsbuf,
                          ptrdiff_t i0, const int R, ptrdiff_t Lp, const ptrdiff_t D, ptrdiff_t ld, ptrdiff_t ldo,
                          float scale, int accumulate) {
    float q2[R][D], qs[R][D], g[R][D], di[R], l[R];
    for (int r = 0; r < R; r++) {
        const float *qi = q + (i0 + r) * ld, *oi = o + (i0 + r) * ldo, *gi = dout + (i0 + r) * ldo;
        di[r] = 0;
        for (ptrdiff_t d = 0; d < D; d++) {
            q2[r][d] = qi[d] * (scale * LOG2E);
            qs[r][d] = qi[d] * scale;
            g[r][d] = gi[d];
            di[r] += g[r][d] * oi[d];
        }
        l[r] = lse[i0 + r];
    }
    // (a) Padding keys get p ≠ 0 here, but they meet zero Kᵀ in dQ and their dK, dV columns are dropped.
    for (ptrdiff_t c = 0; c < Lp; c += 16) {
        v16 s[R], dp[R];
        for (int r = 0; r < R; r++) { s[r] = splat(0); dp[r] = splat(0); }
        const float *Q = &q2[0][0], *G = &g[0][0];
        OPAQUE(Q);
        OPAQUE(G);
        for (ptrdiff_t d = 0; d < D; d++) {
            v16 kd = V(kt + d * Lp + c), vd = V(vt + d * Lp + c);
            for (int r = 0; r < R; r++) { s[r] += kd * Q[r * D + d]; dp[r] += vd * G[r * D + d]; }
        }
        for (int r = 0; r < R; r++) {
            v16 p = vexp2(s[r] - l[r]);
            V(pbuf + r * Lp + c) = p;
            V(dsbuf + r * Lp + c) = p * (dp[r] - di[r]);
        }
    }
    // (b)
    for (int r = 0; r < R; r++) dots(dsbuf + r * Lp, kt, Lp, D, scale, dq + (i0 + r) * ld, accumulate);
    // (c)
    for (ptrdiff_t c = 0; c < Lp; c += 16) {
        v16 ds[R], p[R];
        for (int r = 0; r < R; r++) { ds[r] = V(dsbuf + r * Lp + c); p[r] = V(pbuf + r * Lp + c); }
        const float *QS = &qs[0][0], *G = &g[0][0];
        OPAQUE(QS);
        OPAQUE(G);
        for (ptrdiff_t d = 0; d < D; d++) {
            v16 dk = V(dkt + d * Lp + c), dv = V(dvt + d * Lp + c);
            for (int r = 0; r < R; r++) {
                dk += ds[r] * QS[r * D + d];
                dv += p[r] * G[r * D + d];
            }
            V(dkt + d * Lp + c) = dk;
            V(dvt + d * Lp + c) = dv;
        }
    }
}

INLINE void backward_impl(const float *q, const float *k, const float *v, const float *o, const float *dout,
                          const float *lse, float *dq, float *dk, float *dv,
                          ptrdiff_t L, const ptrdiff_t D, ptrdiff_t ld, ptrdiff_t ldo, float scale, float *scratch,
                          const int R, int accumulate) {
    const ptrdiff_t Lp = padded(L);
    float *kt = scratch, *vt = kt + D * Lp, *dkt = vt + D * Lp, *dvt = dkt + D * Lp;
    float *pbuf = dvt + D * Lp, *dsbuf = pbuf + MAX_ROWS * Lp;
    transpose_in(k, kt, L, Lp, D, ld);
    transpose_in(v, vt, L, Lp, D, ld);
    memset(dkt, 0, (size_t)(2 * D * Lp) * sizeof(float));
    ptrdiff_t i = 0;
    for (; i + R <= L; i += R)
        backward_rows(q, o, dout, lse, dq, kt, vt, dkt, dvt, pbuf, dsbuf, i, R, Lp, D, ld, ldo, scale, accumulate);
    for (; i < L; i++)
        backward_rows(q, o, dout, lse, dq, kt, vt, dkt, dvt, pbuf, dsbuf, i, 1, Lp, D, ld, ldo, scale, accumulate);
    transpose_out(dkt, dk, L, Lp, D, ld, accumulate);
    transpose_out(dvt, dv, L, Lp, D, ld, accumulate);
}

DNB_CLONES void dnb_attention_forward(const float *q, const float *k, const float *v, float *o, float *lse,
                                  ptrdiff_t L, ptrdiff_t D, ptrdiff_t ld, ptrdiff_t ldo, float scale, float *scratch) {
    switch (D) {
    case 4: forward_impl(q, k, v, o, lse, L, 4, ld, ldo, scale, scratch, MAX_ROWS); break;
    case 8: forward_impl(q, k, v, o, lse, L, 8, ld, ldo, scale, scratch, MAX_ROWS); break;
    case 16: forward_impl(q, k, v, o, lse, L, 16, ld, ldo, scale, scratch, MAX_ROWS); break;
    default: forward_impl(q, k, v, o, lse, L, D, ld, ldo, scale, scratch, MAX_ROWS); break;
    }
}

DNB_CLONES void dnb_attention_backward(const float *q, const float *k, const float *v, const float *o,
                                   const float *dout, const float *lse, float *dq, float *dk, float *dv,
                                   ptrdiff_t L, ptrdiff_t D, ptrdiff_t ld, ptrdiff_t ldo, float scale,
                                   float *scratch, int accumulate) {
    switch (D) {
    case 4: backward_impl(q, k, v, o, dout, lse, dq, dk, dv, L, 4, ld, ldo, scale, scratch, MAX_ROWS, accumulate); break;
    case 8: backward_impl(q, k, v, o, dout, lse, dq, dk, dv, L, 8, ld, ldo, scale, scratch, MAX_ROWS, accumulate); break;
    case 16: backward_impl(q, k, v, o, dout, lse, dq, dk, dv, L, 16, ld, ldo, scale, scratch, MAX_ROWS, accumulate); break;
    default: backward_impl(q, k, v, o, dout, lse, dq, dk, dv, L, D, ld, ldo, scale, scratch, MAX_ROWS, accumulate); break;
    }
}
