// Runs every C kernel of the package on fixed pseudo-random inputs and prints the results, one
// number a line (%.9g). scripts/check-arm64.sh builds it for x86-64 and for aarch64 and, when
// qemu-aarch64 is installed, runs both and compares: the aarch64 path must agree with the x86-64
// one to float32 rounding (vector widths differ, so sums are taken in another order).
#include "CKernels.h"
#include "CRowKernels.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t state = 0x9E3779B97F4A7C15u;
static float uniform(void) {  // in [-1, 1)
    state = state * 6364136223846793005u + 1442695040888963407u;
    return (float)((double)(state >> 40) / (double)(1u << 24) * 2 - 1);
}
static float *randoms(ptrdiff_t n) {
    float *p = aligned_alloc(64, (size_t)((n * 4 + 63) / 64 * 64));
    for (ptrdiff_t i = 0; i < n; i++) p[i] = uniform();
    return p;
}
static void print(const char *what, const float *p, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) printf("%s %td %.9g\n", what, i, p[i]);
}

int main(void) {
    // Row kernels: 3 rows of 37 (not a multiple of any vector width).
    enum { R = 3, N = 37 };
    float *p = randoms(R * N), *g = randoms(R * N);
    dnb_softmax_rows(p, R, N, 1.7f);
    print("softmax", p, R * N);
    dnb_softmax_backward_rows(p, g, R, N);
    print("softmax_backward", g, R * N);
    float *x = randoms(N), *y = randoms(N), *gx = randoms(N);
    dnb_silu(x, y, N);
    print("silu", y, N);
    dnb_silu_backward(x, y, gx, N, 1);
    print("silu_backward", gx, N);

    // Group norm of one sample: 7 pixels, 12 channels, 3 groups, with SiLU.
    enum { S = 7, C = 12, G = 3 };
    float *gx2 = randoms(S * C), *gy2 = randoms(S * C), *gamma = randoms(C), *beta = randoms(C);
    float *gn = randoms(S * C), *stats = randoms(2 * G), *dx = randoms(S * C), *dgamma = randoms(C),
          *dbeta = randoms(C), *scratch = randoms(S * C);
    dnb_group_norm_forward(gx2, S, C, G, gamma, beta, 1e-5f, 1, gn, stats);
    print("group_norm", gn, S * C);
    dnb_group_norm_apply(gx2, S, C, G, gamma, beta, 1, stats, gn);
    print("group_norm_apply", gn, S * C);
    dnb_group_norm_backward(gx2, gy2, S, C, G, gamma, beta, stats, 1, dx, 1, dgamma, dbeta, scratch);
    print("group_norm_dx", dx, S * C);
    print("group_norm_dgamma", dgamma, C);
    print("group_norm_dbeta", dbeta, C);
    float *gy3 = randoms(S * C), *dx3 = randoms(S * C), *y3 = randoms(S * C);
    dnb_group_norm_backward_recomputing(gx2, gy3, S, C, G, gamma, beta, stats, 1, dx3, 0, dgamma, dbeta, y3);
    print("group_norm_recomputing_dx", dx3, S * C);
    print("group_norm_recomputing_y", y3, S * C);
    print("group_norm_recomputing_d", gy3, S * C);

    // Attention for one head: L = 19 tokens, D = 8, rows ld = 16 floats apart.
    enum { L = 19, D = 8, LD = 16 };
    float *q = randoms(L * LD), *k = randoms(L * LD), *v = randoms(L * LD), *o = randoms(L * LD),
          *lse = randoms(L), *dout = randoms(L * LD), *dq = randoms(L * LD), *dk = randoms(L * LD),
          *dv = randoms(L * LD), *ascratch = randoms(dnb_attention_scratch_floats(L, D));
    dnb_attention_forward(q, k, v, o, lse, L, D, LD, LD, 0.35f, ascratch);
    print("attention", o, L * LD);
    print("attention_lse", lse, L);
    dnb_attention_backward(q, k, v, o, dout, lse, dq, dk, dv, L, D, LD, LD, 0.35f, ascratch, 0);
    print("attention_dq", dq, L * LD);
    print("attention_dk", dk, L * LD);
    print("attention_dv", dv, L * LD);

    // Winograd tiles over 21 channels: F(2,3) (α = 4) and F(4,3) (α = 6).
    enum { WC = 21 };
    float *pixels = randoms(36 * WC), *vout = randoms(36 * WC), *bias = randoms(WC), *q36[36];
    const float *p36[36];
    for (int t = 0; t < 36; t++) { p36[t] = pixels + t * WC; q36[t] = pixels + t * WC; }
    dnb_wino2_input(p36, WC, vout, WC);
    print("wino2_input", vout, 16 * WC);
    dnb_wino4_input(p36, WC, vout, WC);
    print("wino4_input", vout, 36 * WC);
    dnb_wino2_grad(p36, WC, vout, WC);
    print("wino2_grad", vout, 16 * WC);
    dnb_wino4_grad(p36, WC, vout, WC);
    print("wino4_grad", vout, 36 * WC);
    float *tiles = randoms(36 * WC), *outputs = randoms(16 * WC);
    for (int t = 0; t < 16; t++) q36[t] = outputs + t * WC;
    dnb_wino2_output(tiles, WC, WC, q36, bias, 0);
    dnb_wino4_output(tiles, WC, WC, q36, bias, 1);
    print("wino_output", outputs, 16 * WC);
    return 0;
}
