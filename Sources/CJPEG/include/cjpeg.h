// JPEG decoding with libjpeg-turbo behind a setjmp boundary kept inside C.
// libjpeg reports fatal errors by longjmp, which Swift cannot survive; this
// target catches them in C and returns an error message instead.
#ifndef IGCAM_CJPEG_H
#define IGCAM_CJPEG_H
#include <stddef.h>

/// Result of cjpeg_decode. On success `pixels` holds width*height*3 bytes of
/// interleaved RGB (free with cjpeg_free) and `error` is empty.
typedef struct {
    unsigned char *pixels;
    int width;
    int height;
    /// 1 when the failure was the data ending early (truncated file).
    int truncated;
    /// 1 when the header asks for more than `max_pixels` pixels (nothing was allocated).
    int too_large;
    char error[200];
} cjpeg_result;

/// Decodes a JPEG held in memory to 8-bit RGB. Greyscale is expanded to RGB;
/// CMYK/YCCK is converted to RGB (Adobe-inverted storage honoured).
/// Corrupt-data warnings from libjpeg are treated as errors.
/// `max_pixels` bounds width*height (guards against forged headers).
/// Returns 0 on success, -1 on failure (message in `out->error`).
int cjpeg_decode(const unsigned char *data, size_t size, size_t max_pixels, cjpeg_result *out);

/// Frees pixels returned by cjpeg_decode.
void cjpeg_free(unsigned char *pixels);

#endif
