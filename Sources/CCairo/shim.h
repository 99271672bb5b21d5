#include <cairo/cairo.h>
#include <png.h>

#include <errno.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * libpng reports errors by longjmp. Jumping across Swift frames is undefined
 * behaviour, so every libpng call sequence lives in these C helpers: the
 * setjmp and all calls that may longjmp stay inside one C function, and Swift
 * only ever sees a return code plus a message.
 */

/* Points at caller-owned memory, so the message survives the longjmp without
   relying on locals that C leaves indeterminate after one. */
typedef struct {
    char *buffer;
    size_t size;
    /* Writing only: the stream libpng writes to, and the errno of a failed write. */
    FILE *fp;
    int write_errno;
} dnb_png_error_state;

static inline void dnb_png_on_error(png_structp png, png_const_charp message) {
    dnb_png_error_state *state = (dnb_png_error_state *)png_get_error_ptr(png);
    if (state != NULL && state->size > 0) {
        /* libpng says only "Write Error"; the cause (a full disk: ENOSPC, EFBIG) is what users need. */
        if (state->write_errno != 0) {
            snprintf(state->buffer, state->size, "%s", strerror(state->write_errno));
        } else {
            snprintf(state->buffer, state->size, "%s", message);
        }
    }
    png_longjmp(png, 1);
}

/* libpng's default writer, plus the errno of a failed fwrite/fflush for the message. */
static inline void dnb_png_write_data(png_structp png, png_bytep data, size_t length) {
    dnb_png_error_state *state = (dnb_png_error_state *)png_get_io_ptr(png);
    if (fwrite(data, 1, length, state->fp) != length) {
        state->write_errno = errno != 0 ? errno : EIO;
        png_error(png, "Write Error");
    }
}

static inline void dnb_png_flush_data(png_structp png) {
    dnb_png_error_state *state = (dnb_png_error_state *)png_get_io_ptr(png);
    if (fflush(state->fp) != 0) {
        state->write_errno = errno != 0 ? errno : EIO;
        png_error(png, "Write Error");
    }
}

/* Warnings (e.g. about benign chunk oddities) must not reach stderr of the REPL. */
static inline void dnb_png_on_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

/*
 * Writes an 8-bit RGBA image with uncompressed text chunks to `fd`, which the
 * function always takes ownership of (closes it on every path). Text entries
 * with `utf8[i] != 0` become iTXt (UTF-8), the others tEXt (Latin-1).
 * The file is fsync'ed before returning so that a following rename(2) is
 * durable. Returns 0 on success, -1 with a message in `error` otherwise.
 */
static inline int dnb_png_write_rgba(int fd, const unsigned char *rgba,
                                     uint32_t width, uint32_t height,
                                     const char *const *keys, const char *const *values,
                                     const int *utf8, int text_count,
                                     char *error, size_t error_size) {
    dnb_png_error_state state = { error, error_size, NULL, 0 };
    if (error_size > 0) error[0] = '\0';

    FILE *fp = fdopen(fd, "wb");
    state.fp = fp;
    if (fp == NULL) {
        snprintf(error, error_size, "cannot open stream: %s", strerror(errno));
        close(fd);
        return -1;
    }

    /* Everything that needs freeing after a longjmp is allocated before setjmp,
       so no local is modified between setjmp and longjmp (no volatile needed). */
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &state,
                                              dnb_png_on_error, dnb_png_on_warning);
    png_infop info = png != NULL ? png_create_info_struct(png) : NULL;
    png_bytep *rows = (png_bytep *)malloc(sizeof(png_bytep) * (height > 0 ? height : 1));
    png_textp texts = (png_textp)calloc(text_count > 0 ? (size_t)text_count : 1, sizeof(png_text));
    if (png == NULL || info == NULL || rows == NULL || texts == NULL) {
        snprintf(error, error_size, "out of memory");
        if (png != NULL) png_destroy_write_struct(&png, info != NULL ? &info : NULL);
        free(rows);
        free(texts);
        fclose(fp);
        return -1;
    }
    for (uint32_t y = 0; y < height; y++) {
        rows[y] = (png_bytep)(rgba + (size_t)y * width * 4);
    }
    for (int i = 0; i < text_count; i++) {
        texts[i].key = (png_charp)keys[i];
        texts[i].text = (png_charp)values[i];
        if (utf8[i]) {
            texts[i].compression = PNG_ITXT_COMPRESSION_NONE;
            texts[i].itxt_length = strlen(values[i]);
            texts[i].lang = NULL;
            texts[i].lang_key = NULL;
        } else {
            texts[i].compression = PNG_TEXT_COMPRESSION_NONE;
            texts[i].text_length = strlen(values[i]);
        }
    }

    if (setjmp(png_jmpbuf(png))) {
        if (error_size > 0 && error[0] == '\0') snprintf(error, error_size, "libpng error");
        png_destroy_write_struct(&png, &info);
        free(rows);
        free(texts);
        fclose(fp);
        return -1;
    }
    png_set_write_fn(png, &state, dnb_png_write_data, dnb_png_flush_data);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB_ALPHA,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (text_count > 0) {
        png_set_text(png, info, texts, text_count);
    }
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    free(texts);

    if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
        snprintf(error, error_size, "cannot flush file: %s", strerror(errno));
        fclose(fp);
        return -1;
    }
    if (fclose(fp) != 0) {
        snprintf(error, error_size, "cannot close file: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* A decoded PNG: pixels always expanded to 8-bit RGBA, text chunks in file order. */
typedef struct {
    uint32_t width;
    uint32_t height;
    unsigned char *rgba;
    int text_count;
    char **keys;
    char **values;
    int *utf8;
    char error[256];
} dnb_png_image;

static inline void dnb_png_image_free(dnb_png_image *image) {
    free(image->rgba);
    for (int i = 0; i < image->text_count; i++) {
        free(image->keys[i]);
        free(image->values[i]);
    }
    free(image->keys);
    free(image->values);
    free(image->utf8);
    image->rgba = NULL;
    image->keys = NULL;
    image->values = NULL;
    image->utf8 = NULL;
    image->text_count = 0;
}

/* Copies the text chunks libpng has collected so far; 0 on success. */
static inline int dnb_png_copy_text(png_structp png, png_infop info, dnb_png_image *out) {
    png_textp text = NULL;
    int count = 0;
    png_get_text(png, info, &text, &count);
    if (count <= 0) return 0;
    out->keys = (char **)calloc((size_t)count, sizeof(char *));
    out->values = (char **)calloc((size_t)count, sizeof(char *));
    out->utf8 = (int *)calloc((size_t)count, sizeof(int));
    if (out->keys == NULL || out->values == NULL || out->utf8 == NULL) return -1;
    for (int i = 0; i < count; i++) {
        out->keys[i] = strdup(text[i].key != NULL ? text[i].key : "");
        out->values[i] = strdup(text[i].text != NULL ? text[i].text : "");
        out->utf8[i] = text[i].compression >= PNG_ITXT_COMPRESSION_NONE;
        out->text_count = i + 1;
        if (out->keys[i] == NULL || out->values[i] == NULL) return -1;
    }
    return 0;
}

/*
 * Reads any PNG at `path` into `out` (8-bit RGBA). Returns 0 on success;
 * on failure -1 with `out->error` set. Call dnb_png_image_free either way.
 */
static inline int dnb_png_read_rgba(const char *path, dnb_png_image *out) {
    memset(out, 0, sizeof *out);
    dnb_png_error_state state = { out->error, sizeof out->error };

    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        snprintf(out->error, sizeof out->error, "%s", strerror(errno));
        return -1;
    }
    unsigned char signature[8];
    if (fread(signature, 1, 8, fp) != 8 || png_sig_cmp(signature, 0, 8) != 0) {
        snprintf(out->error, sizeof out->error, "not a PNG file");
        fclose(fp);
        return -1;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state,
                                             dnb_png_on_error, dnb_png_on_warning);
    png_infop info = png != NULL ? png_create_info_struct(png) : NULL;
    if (png == NULL || info == NULL) {
        snprintf(out->error, sizeof out->error, "out of memory");
        if (png != NULL) png_destroy_read_struct(&png, NULL, NULL);
        fclose(fp);
        return -1;
    }
    /* Allocated after setjmp, hence volatile pointers (their values must survive longjmp). */
    png_bytep *volatile rows = NULL;

    if (setjmp(png_jmpbuf(png))) {
        if (out->error[0] == '\0') snprintf(out->error, sizeof out->error, "libpng error");
        png_destroy_read_struct(&png, &info, NULL);
        free(rows);
        fclose(fp);
        return -1;
    }
    png_init_io(png, fp);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);

    png_byte color_type = png_get_color_type(png, info);
    png_byte bit_depth = png_get_bit_depth(png, info);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (bit_depth == 16) png_set_strip_16(png);
    if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    if (!(color_type & PNG_COLOR_MASK_ALPHA) && !png_get_valid(png, info, PNG_INFO_tRNS)) {
        png_set_filler(png, 0xff, PNG_FILLER_AFTER);
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    uint32_t width = png_get_image_width(png, info);
    uint32_t height = png_get_image_height(png, info);
    if (png_get_rowbytes(png, info) != (size_t)width * 4) {
        png_error(png, "unexpected row layout after conversion to RGBA");
    }
    out->rgba = (unsigned char *)malloc((size_t)width * height * 4 + 1);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (height > 0 ? height : 1));
    if (out->rgba == NULL || rows == NULL) {
        png_error(png, "out of memory");
    }
    for (uint32_t y = 0; y < height; y++) {
        rows[y] = out->rgba + (size_t)y * width * 4;
    }
    png_read_image(png, rows);
    /* Text chunks may follow the image data; reading the end merges them into info. */
    png_read_end(png, info);
    out->width = width;
    out->height = height;
    if (dnb_png_copy_text(png, info, out) != 0) {
        png_error(png, "out of memory");
    }
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    fclose(fp);
    return 0;
}
