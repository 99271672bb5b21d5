#ifndef DNB_CKERNELS_H
#define DNB_CKERNELS_H
#include <stddef.h>

// Winograd F(m×m, 3×3) tile transforms over channels (NHWC: a pixel's C channels are contiguous).
// Each function transforms one tile for every channel c in [0, C); vectorised over c, with
// AVX-512 / AVX2 / baseline clones chosen at load time on x86-64, one baseline build
// elsewhere (DNB_CLONES, dnb_clones.h).
// Tile elements are given as pointer tables (row-major over the tile): out-of-image input pixels
// point at a zero buffer, out-of-image output pixels at a scratch buffer.

// V[k·vs + c] = (Bᵀ d B)[k], k = i·α + j, d[r][q] = p[r·α + q][c]; α = m + 2.
void dnb_wino2_input(const float *const *p, ptrdiff_t C, float *v, ptrdiff_t vs);
void dnb_wino4_input(const float *const *p, ptrdiff_t C, float *v, ptrdiff_t vs);

// Y[k·vs + c] = (A y Aᵀ)[k], y[r][s] = p[r·m + s][c] (the output-gradient transform of the weight gradient).
void dnb_wino2_grad(const float *const *p, ptrdiff_t C, float *v, ptrdiff_t vs);
void dnb_wino4_grad(const float *const *p, ptrdiff_t C, float *v, ptrdiff_t vs);

// o = (Aᵀ M A) + bias, M[k] = mm[k·ms + c]; q[r·m + s][c] = o[r][s], or += o[r][s] with accumulate.
// bias must point at C floats (zeros for none).
void dnb_wino2_output(const float *mm, ptrdiff_t ms, ptrdiff_t C, float *const *q, const float *bias, int accumulate);
void dnb_wino4_output(const float *mm, ptrdiff_t ms, ptrdiff_t C, float *const *q, const float *bias, int accumulate);

// The inference epilogue (forward only): q[r·m + s][c] = res[r·m + s][c] + ((o[r][s] + bias[c]) + t[c]).
// t: a per-sample bias (zeros for none); res: residual pixels (a zero pixel for none). q and res may
// point at the same pixels (each element is read before it is written).
void dnb_wino2_output_epilogue(const float *mm, ptrdiff_t ms, ptrdiff_t C, float *const *q, const float *const *res,
                               const float *bias, const float *t);
void dnb_wino4_output_epilogue(const float *mm, ptrdiff_t ms, ptrdiff_t C, float *const *q, const float *const *res,
                               const float *bias, const float *t);

// Kernel transforms of F(m×m, 3×3) over HWIO kernels, vectorised over the output channels.
// U[k·ci·co + i·co + o] = (G g Gᵀ)[k], g[t·ci·co + i·co + o] (t = ky·3 + kx), for rows i in [i0, i1).
void dnb_wino2_kernel(const float *g, ptrdiff_t ci, ptrdiff_t co, float *u, ptrdiff_t i0, ptrdiff_t i1);
void dnb_wino4_kernel(const float *g, ptrdiff_t ci, ptrdiff_t co, float *u, ptrdiff_t i0, ptrdiff_t i1);
// The adjoint (weight gradient): dg[t·n + j] += (Gᵀ dU G)[t], dU[k·n + j], for j in [j0, j1).
void dnb_wino2_kernel_adjoint(const float *du, ptrdiff_t n, float *dg, ptrdiff_t j0, ptrdiff_t j1);
void dnb_wino4_kernel_adjoint(const float *du, ptrdiff_t n, float *dg, ptrdiff_t j0, ptrdiff_t j1);
// out[(8 − t)·ci·co + o·ci + i] = g[t·ci·co + i·co + o]: the input gradient's flipped, transposed kernel.
void dnb_kernel_flip_transpose(const float *g, ptrdiff_t ci, ptrdiff_t co, float *out);

// Pointer tables of one tile (row-major over the tile). Gather: the size×size pixels at (iy, ix) of an
// h×w NHWC image of c channels, `zero` outside it; with `upsampled`, pixel (y, x) is pixel (y/2, x/2) of
// an (h/2)×(w/2) image (its nearest 2× upsampling, read in place). Scatter: the m×m output pixels at
// (y0, x0), `discard` outside the image.
void dnb_wino_gather(const float *image, ptrdiff_t h, ptrdiff_t w, ptrdiff_t c, ptrdiff_t iy, ptrdiff_t ix, int size,
                     int upsampled, const float *zero, const float **p);
void dnb_wino_scatter(float *image, ptrdiff_t h, ptrdiff_t w, ptrdiff_t c, ptrdiff_t y0, ptrdiff_t x0, int m,
                      float *discard, float **q);

#endif
