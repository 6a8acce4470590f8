// Thin shim over libpng's simplified API (png_image_*), which reports errors
// through return codes instead of setjmp/longjmp and so is safe from Swift.
// The function-like macros of png.h are not visible to Swift; these inline
// functions expose the ones IGImaging needs.
#ifndef IGCAM_CPNG_SHIM_H
#define IGCAM_CPNG_SHIM_H
#include <png.h>
#include <stddef.h>

static inline png_uint_32 cpng_image_version(void) { return PNG_IMAGE_VERSION; }
static inline png_uint_32 cpng_format_rgb(void) { return PNG_FORMAT_RGB; }
static inline png_uint_32 cpng_format_rgba(void) { return PNG_FORMAT_RGBA; }
static inline size_t cpng_image_size(const png_image *img) { return PNG_IMAGE_SIZE(*img); }
static inline png_int_32 cpng_row_stride(const png_image *img) { return (png_int_32)PNG_IMAGE_ROW_STRIDE(*img); }
static inline const char *cpng_message(const png_image *img) { return img->message; }
static inline png_uint_32 cpng_flag_16bit_srgb(void) { return PNG_IMAGE_FLAG_16BIT_sRGB; }
static inline png_uint_32 cpng_flag_fast(void) { return PNG_IMAGE_FLAG_FAST; }
static inline size_t cpng_png_size_max(const png_image *img) { return (size_t)PNG_IMAGE_PNG_SIZE_MAX(*img); }
static inline int cpng_has_error(const png_image *img) { return (img->warning_or_error & PNG_IMAGE_ERROR) != 0; }

#endif
