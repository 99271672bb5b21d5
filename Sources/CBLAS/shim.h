#include <cblas.h>
// OpenBLAS extras (not in the reference CBLAS header on every system).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
char *openblas_get_corename(void);
// LAPACK's symmetric eigensolver, which Debian's libopenblas carries (reference LAPACK compiled with
// gfortran, hence the trailing hidden lengths of the two character arguments). Used by DNBEvaluation.
#include <stddef.h>
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_len, size_t uplo_len);
