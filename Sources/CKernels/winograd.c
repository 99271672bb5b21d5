#include "CKernels.h"
#include "dnb_clones.h"

// The c loop's loads and stores never alias across iterations (distinct tiles / positions).
// On aarch64 clang's cost model keeps the 6×6-tile (F(4,3)) loops scalar and warns that the
// pragma failed (-Wpass-failed, seen by scripts/check-arm64.sh); the channels are independent
// and contiguous in memory, so the width is set to NEON's 4 floats there (the 4×4-tile loops
// get width 4 from the cost model itself). Not measured on aarch64 hardware.
#if defined(__aarch64__)
#define DNB_VECTORIZE _Pragma("clang loop vectorize(assume_safety) vectorize_width(4)")
#else
#define DNB_VECTORIZE _Pragma("clang loop vectorize(assume_safety)")
#endif
#define INL static inline __attribute__((always_inline))
// Inner loops over tile positions: fully unrolled so the tile lives in registers.
#define UNROLL _Pragma("clang loop unroll(full)")

// ---- 1-D transforms (F(2,3): α = 4; F(4,3): α = 6, points 0, ±1, ±2) ----

INL void bt4(const float *d, int ds, float *o, int os) {
    o[0] = d[0] - d[2 * ds];
    o[os] = d[ds] + d[2 * ds];
    o[2 * os] = d[2 * ds] - d[ds];
    o[3 * os] = d[ds] - d[3 * ds];
}

INL void at4(const float *m, int ms, float *o, int os) {
    o[0] = m[0] + m[ms] + m[2 * ms];
    o[os] = m[ms] - m[2 * ms] - m[3 * ms];
}

INL void a4(const float *y, int ys, float *o, int os) {
    o[0] = y[0];
    o[os] = y[0] + y[ys];
    o[2 * os] = y[0] - y[ys];
    o[3 * os] = -y[ys];
}

INL void bt6(const float *d, int ds, float *o, int os) {
    float d0 = d[0], d1 = d[ds], d2 = d[2 * ds], d3 = d[3 * ds], d4 = d[4 * ds], d5 = d[5 * ds];
    float t1 = d4 - 4 * d2, t2 = d3 - 4 * d1, t3 = d4 - d2, t4 = 2 * (d3 - d1);
    o[0] = 4 * d0 - 5 * d2 + d4;
    o[os] = t1 + t2;
    o[2 * os] = t1 - t2;
    o[3 * os] = t3 + t4;
    o[4 * os] = t3 - t4;
    o[5 * os] = 4 * d1 - 5 * d3 + d5;
}

INL void at6(const float *m, int ms, float *o, int os) {
    float p12 = m[ms] + m[2 * ms], d12 = m[ms] - m[2 * ms];
    float p34 = m[3 * ms] + m[4 * ms], d34 = m[3 * ms] - m[4 * ms];
    o[0] = m[0] + p12 + p34;
    o[os] = d12 + 2 * d34;
    o[2 * os] = p12 + 4 * p34;
    o[3 * os] = d12 + 8 * d34 + m[5 * ms];
}

INL void a6(const float *y, int ys, float *o, int os) {
    float y0 = y[0], y1 = y[ys], y2 = y[2 * ys], y3 = y[3 * ys];
    float e = y0 + y2, od = y1 + y3, e4 = y0 + 4 * y2, o8 = 2 * y1 + 8 * y3;
    o[0] = y0;
    o[os] = e + od;
    o[2 * os] = e - od;
    o[3 * os] = e4 + o8;
    o[4 * os] = e4 - o8;
    o[5 * os] = y3;
}

// ---- tile kernels: the whole 2-D transform of one channel in registers ----

// N×N tile in, α×α out: rows then columns of T (N = α for the input transform Bᵀ d B, N = m for
// the output-gradient transform A y Aᵀ).
#define TRANSFORM_KERNEL(NAME, N, A, T)                                                    \
    DNB_CLONES void NAME(const float *const *p, ptrdiff_t C, float *restrict v, ptrdiff_t vs) { \
        const float *pp[N * N];                                                            \
        UNROLL for (int k = 0; k < N * N; k++) pp[k] = p[k];                                      \
        DNB_VECTORIZE                                                                      \
        for (ptrdiff_t c = 0; c < C; c++) {                                                \
            float d[N * N], t[N * A], o[A * A];                                            \
            UNROLL for (int k = 0; k < N * N; k++) d[k] = pp[k][c];                               \
            UNROLL for (int i = 0; i < N; i++) T(d + i * N, 1, t + i * A, 1);    /* rows */       \
            UNROLL for (int j = 0; j < A; j++) T(t + j, A, o + j, A);            /* columns */    \
            UNROLL for (int k = 0; k < A * A; k++) v[k * vs + c] = o[k];                          \
        }                                                                                  \
    }

#define OUTPUT_LOOP(M, A, AT, STORE)                                                       \
    DNB_VECTORIZE                                                                          \
    for (ptrdiff_t c = 0; c < C; c++) {                                                    \
        float x[A * A], t[M * A], o[M * M];                                                \
        UNROLL for (int k = 0; k < A * A; k++) x[k] = mm[k * ms + c];                             \
        UNROLL for (int j = 0; j < A; j++) AT(x + j, A, t + j, A);               /* columns */    \
        UNROLL for (int r = 0; r < M; r++) AT(t + r * A, 1, o + r * M, 1);       /* rows */       \
        float b = bias[c];                                                                 \
        UNROLL for (int k = 0; k < M * M; k++) STORE;                                             \
    }

#define OUTPUT_KERNEL(NAME, M, A, AT)                                                      \
    DNB_CLONES void NAME(const float *restrict mm, ptrdiff_t ms, ptrdiff_t C, float *const *q, \
                         const float *restrict bias, int accumulate) {                     \
        float *qq[M * M];                                                                  \
        UNROLL for (int k = 0; k < M * M; k++) qq[k] = q[k];                                      \
        if (accumulate) { OUTPUT_LOOP(M, A, AT, qq[k][c] += o[k] + b) }                    \
        else { OUTPUT_LOOP(M, A, AT, qq[k][c] = o[k] + b) }                                \
    }

// The inference epilogue: q = r + ((o + bias) + t), the order in which the recorded path adds
// the convolution's bias, a per-sample bias (ResNet time embedding) and a residual (shortcut),
// so the fused result is the same float for float. t points at C floats, r at the tile's
// residual pixels (a zero pixel where there is none).
#define EPILOGUE_KERNEL(NAME, M, A, AT)                                                    \
    DNB_CLONES void NAME(const float *restrict mm, ptrdiff_t ms, ptrdiff_t C, float *const *q, \
                         const float *const *r, const float *restrict bias, const float *restrict t) { \
        float *qq[M * M];                                                                  \
        const float *rr[M * M];                                                            \
        UNROLL for (int k = 0; k < M * M; k++) { qq[k] = q[k]; rr[k] = r[k]; }                    \
        DNB_VECTORIZE                                                                      \
        for (ptrdiff_t c = 0; c < C; c++) {                                                \
            float x[A * A], tt[M * A], o[M * M];                                           \
            UNROLL for (int k = 0; k < A * A; k++) x[k] = mm[k * ms + c];                         \
            UNROLL for (int j = 0; j < A; j++) AT(x + j, A, tt + j, A);          /* columns */    \
            UNROLL for (int i = 0; i < M; i++) AT(tt + i * A, 1, o + i * M, 1);  /* rows */       \
            float b = bias[c], e = t[c];                                                   \
            UNROLL for (int k = 0; k < M * M; k++) qq[k][c] = rr[k][c] + ((o[k] + b) + e);        \
        }                                                                                  \
    }

TRANSFORM_KERNEL(dnb_wino2_input, 4, 4, bt4)
TRANSFORM_KERNEL(dnb_wino4_input, 6, 6, bt6)
TRANSFORM_KERNEL(dnb_wino2_grad, 2, 4, a4)
TRANSFORM_KERNEL(dnb_wino4_grad, 4, 6, a6)
OUTPUT_KERNEL(dnb_wino2_output, 2, 4, at4)
OUTPUT_KERNEL(dnb_wino4_output, 4, 6, at6)
EPILOGUE_KERNEL(dnb_wino2_output_epilogue, 2, 4, at4)
EPILOGUE_KERNEL(dnb_wino4_output_epilogue, 4, 6, at6)

// ---- kernel transforms: U = G g Gᵀ and its adjoint, vectorised over output channels ----

// The rows of G (α × 3): o[r] = Σ_k G[r][k] k[k].
INL void g4(const float *k, int ks, float *o, int os) {
    float k0 = k[0], k1 = k[ks], k2 = k[2 * ks];
    o[0] = k0;
    o[os] = 0.5f * (k0 + k1 + k2);
    o[2 * os] = 0.5f * (k0 - k1 + k2);
    o[3 * os] = k2;
}

INL void g6(const float *k, int ks, float *o, int os) {
    float k0 = k[0], k1 = k[ks], k2 = k[2 * ks];
    float e = k0 + k2, q = k0 * (1.0f / 24) + k2 * (1.0f / 6), h = k1 * (1.0f / 12);
    o[0] = k0 * 0.25f;
    o[os] = -(e + k1) * (1.0f / 6);
    o[2 * os] = -(e - k1) * (1.0f / 6);
    o[3 * os] = q + h;
    o[4 * os] = q - h;
    o[5 * os] = k2;
}

// The columns of G (its transpose, 3 × α): o[k] = Σ_r G[r][k] x[r].
INL void gt4(const float *x, int xs, float *o, int os) {
    float x0 = x[0], x1 = x[xs], x2 = x[2 * xs], x3 = x[3 * xs];
    o[0] = x0 + 0.5f * (x1 + x2);
    o[os] = 0.5f * (x1 - x2);
    o[2 * os] = 0.5f * (x1 + x2) + x3;
}

INL void gt6(const float *x, int xs, float *o, int os) {
    float x0 = x[0], x1 = x[xs], x2 = x[2 * xs], x3 = x[3 * xs], x4 = x[4 * xs], x5 = x[5 * xs];
    float p12 = (x1 + x2) * (1.0f / 6), p34 = x3 + x4;
    o[0] = x0 * 0.25f - p12 + p34 * (1.0f / 24);
    o[os] = (x2 - x1) * (1.0f / 6) + (x3 - x4) * (1.0f / 12);
    o[2 * os] = p34 * (1.0f / 6) - p12 + x5;
}

// U[k·ci·co + i·co + o] = (G g Gᵀ)[k] of g[t·ci·co + i·co + o] (t = ky·3 + kx), rows i in [i0, i1).
#define KERNEL_TRANSFORM(NAME, A, G)                                                         \
    DNB_CLONES void NAME(const float *restrict g, ptrdiff_t ci, ptrdiff_t co, float *restrict u, \
                         ptrdiff_t i0, ptrdiff_t i1) {                                       \
        const ptrdiff_t plane = ci * co;                                                     \
        for (ptrdiff_t i = i0; i < i1; i++) {                                                \
            const float *gi = g + i * co;                                                    \
            float *ui = u + i * co;                                                          \
            DNB_VECTORIZE                                                                    \
            for (ptrdiff_t o = 0; o < co; o++) {                                             \
                float d[9], t[A * 3], x[A * A];                                              \
                UNROLL for (int k = 0; k < 9; k++) d[k] = gi[k * plane + o];                        \
                UNROLL for (int kx = 0; kx < 3; kx++) G(d + kx, 3, t + kx, 3);   /* columns */      \
                UNROLL for (int r = 0; r < A; r++) G(t + r * 3, 1, x + r * A, 1); /* rows */         \
                UNROLL for (int k = 0; k < A * A; k++) ui[k * plane + o] = x[k];                    \
            }                                                                                \
        }                                                                                    \
    }

// dg[t·n + j] += (Gᵀ dU G)[t] of dU[k·n + j], j in [j0, j1): the adjoint of the kernel transform.
#define KERNEL_ADJOINT(NAME, A, GT)                                                          \
    DNB_CLONES void NAME(const float *restrict du, ptrdiff_t n, float *restrict dg, ptrdiff_t j0, ptrdiff_t j1) { \
        DNB_VECTORIZE                                                                        \
        for (ptrdiff_t j = j0; j < j1; j++) {                                                \
            float x[A * A], t[A * 3], y[9];                                                  \
            UNROLL for (int k = 0; k < A * A; k++) x[k] = du[k * n + j];                            \
            UNROLL for (int r = 0; r < A; r++) GT(x + r * A, 1, t + r * 3, 1);  /* rows */          \
            UNROLL for (int kx = 0; kx < 3; kx++) GT(t + kx, 3, y + kx, 3);    /* columns */       \
            UNROLL for (int k = 0; k < 9; k++) dg[k * n + j] += y[k];                               \
        }                                                                                    \
    }

KERNEL_TRANSFORM(dnb_wino2_kernel, 4, g4)
KERNEL_TRANSFORM(dnb_wino4_kernel, 6, g6)
KERNEL_ADJOINT(dnb_wino2_kernel_adjoint, 4, gt4)
KERNEL_ADJOINT(dnb_wino4_kernel_adjoint, 6, gt6)

// out[(8 − t)·ci·co + o·ci + i] = g[t·ci·co + i·co + o]: the flipped, transposed HWIO kernel that
// convolves the output gradient into the input gradient. 16 × 16 blocks keep both sides in cache.
void dnb_kernel_flip_transpose(const float *restrict g, ptrdiff_t ci, ptrdiff_t co, float *restrict out) {
    const ptrdiff_t plane = ci * co;
    for (int t = 0; t < 9; t++) {
        const float *src = g + t * plane;
        float *dst = out + (8 - t) * plane;
        for (ptrdiff_t i0 = 0; i0 < ci; i0 += 16)
            for (ptrdiff_t o0 = 0; o0 < co; o0 += 16) {
                ptrdiff_t i1 = i0 + 16 < ci ? i0 + 16 : ci, o1 = o0 + 16 < co ? o0 + 16 : co;
                for (ptrdiff_t i = i0; i < i1; i++)
                    for (ptrdiff_t o = o0; o < o1; o++) dst[o * ci + i] = src[i * co + o];
            }
    }
}

// ---- pointer tables of one tile ----

void dnb_wino_gather(const float *image, ptrdiff_t h, ptrdiff_t w, ptrdiff_t c, ptrdiff_t iy, ptrdiff_t ix, int size,
                     int upsampled, const float *zero, const float **p) {
    if (!upsampled && iy >= 0 && ix >= 0 && iy + size <= h && ix + size <= w) {  // interior: no tests per pixel
        const float *base = image + (iy * w + ix) * c;
        for (int r = 0; r < size; r++)
            for (int q = 0; q < size; q++) p[r * size + q] = base + (r * w + q) * c;
        return;
    }
    for (int r = 0; r < size; r++) {
        ptrdiff_t y = iy + r;
        int rowInside = y >= 0 && y < h;
        for (int q = 0; q < size; q++) {
            ptrdiff_t x = ix + q;
            const float *px = zero;
            if (rowInside && x >= 0 && x < w)
                px = upsampled ? image + ((y >> 1) * (w >> 1) + (x >> 1)) * c : image + (y * w + x) * c;
            p[r * size + q] = px;
        }
    }
}

void dnb_wino_scatter(float *image, ptrdiff_t h, ptrdiff_t w, ptrdiff_t c, ptrdiff_t y0, ptrdiff_t x0, int m,
                      float *discard, float **q) {
    if (y0 + m <= h && x0 + m <= w) {  // every pixel inside (every tile when h and w are multiples of m)
        float *base = image + (y0 * w + x0) * c;
        for (int r = 0; r < m; r++)
            for (int s = 0; s < m; s++) q[r * m + s] = base + (r * w + s) * c;
        return;
    }
    for (int r = 0; r < m; r++)
        for (int s = 0; s < m; s++) {
            ptrdiff_t y = y0 + r, x = x0 + s;
            q[r * m + s] = (y < h && x < w) ? image + (y * w + x) * c : discard;
        }
}
