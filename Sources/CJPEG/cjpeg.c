#include "cjpeg.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    int truncated;
} igcam_jpeg_err;

static void igcam_error_exit(j_common_ptr cinfo) {
    igcam_jpeg_err *err = (igcam_jpeg_err *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

/* Warnings that do not indicate damaged pixel data are ignored; every other
   warning (premature end, bad Huffman code, hit marker, ...) is fatal, so a
   damaged file is reported rather than silently decoded to grey. */
static int igcam_benign_warning(int code) {
    switch (code) {
    case JWRN_EXTRANEOUS_DATA:
    case JWRN_ADOBE_XFORM:
    case JWRN_JFIF_MAJOR:
    case JWRN_BOGUS_ICC:
        return 1;
    default:
        return 0;
    }
}

static void igcam_emit_message(j_common_ptr cinfo, int msg_level) {
    igcam_jpeg_err *err = (igcam_jpeg_err *)cinfo->err;
    if (msg_level >= 0) return; /* trace messages */
    int code = cinfo->err->msg_code;
    if (igcam_benign_warning(code)) return;
    if (code == JWRN_JPEG_EOF) err->truncated = 1;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

static void igcam_output_message(j_common_ptr cinfo) { (void)cinfo; }

int cjpeg_decode(const unsigned char *data, size_t size, size_t max_pixels, cjpeg_result *out) {
    struct jpeg_decompress_struct cinfo;
    igcam_jpeg_err jerr;
    unsigned char *volatile pixels = NULL;
    unsigned char *volatile row = NULL;

    memset(out, 0, sizeof(*out));
    memset(&jerr, 0, sizeof(jerr));
    if (data == NULL || size == 0) {
        snprintf(out->error, sizeof(out->error), "no data");
        return -1;
    }
    cinfo.err = jpeg_std_error(&jerr.pub);
    jerr.pub.error_exit = igcam_error_exit;
    jerr.pub.emit_message = igcam_emit_message;
    jerr.pub.output_message = igcam_output_message;

    if (setjmp(jerr.jump)) {
        snprintf(out->error, sizeof(out->error), "%s", jerr.message[0] ? jerr.message : "libjpeg error");
        out->truncated = jerr.truncated;
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        free(row);
        return -1;
    }

    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);

    if (cinfo.image_width == 0 || cinfo.image_height == 0) {
        snprintf(out->error, sizeof(out->error), "image has zero size");
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    if ((size_t)cinfo.image_width * (size_t)cinfo.image_height > max_pixels) {
        snprintf(out->error, sizeof(out->error), "image %ux%u exceeds the %zu-pixel limit",
                 cinfo.image_width, cinfo.image_height, max_pixels);
        out->too_large = 1;
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }

    int cmyk = (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK);
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    jpeg_start_decompress(&cinfo);

    const size_t w = cinfo.output_width, h = cinfo.output_height;
    const int comps = cinfo.output_components;
    if ((cmyk && comps != 4) || (!cmyk && comps != 3)) {
        snprintf(out->error, sizeof(out->error), "unexpected %d output components", comps);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    pixels = (unsigned char *)malloc(w * h * 3);
    row = (unsigned char *)malloc(w * (size_t)comps);
    if (!pixels || !row) {
        snprintf(out->error, sizeof(out->error), "out of memory for %zux%zu image", w, h);
        jpeg_destroy_decompress(&cinfo);
        free(pixels); free(row);
        return -1;
    }
    const int adobe_inverted = cinfo.saw_Adobe_marker;
    while (cinfo.output_scanline < cinfo.output_height) {
        size_t y = cinfo.output_scanline;
        JSAMPROW rp = row;
        if (jpeg_read_scanlines(&cinfo, &rp, 1) != 1) {
            snprintf(out->error, sizeof(out->error), "could not read scanline %zu", y);
            jpeg_destroy_decompress(&cinfo);
            free(pixels); free(row);
            return -1;
        }
        unsigned char *dst = pixels + y * w * 3;
        if (!cmyk) {
            memcpy(dst, row, w * 3);
        } else {
            for (size_t x = 0; x < w; x++) {
                unsigned c = row[4 * x], m = row[4 * x + 1], yy = row[4 * x + 2], k = row[4 * x + 3];
                if (!adobe_inverted) { c = 255 - c; m = 255 - m; yy = 255 - yy; k = 255 - k; }
                /* now c,m,y,k hold 255 - ink; R = (255-C)(255-K)/255 */
                dst[3 * x] = (unsigned char)((c * k + 127) / 255);
                dst[3 * x + 1] = (unsigned char)((m * k + 127) / 255);
                dst[3 * x + 2] = (unsigned char)((yy * k + 127) / 255);
            }
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(row);
    out->pixels = pixels;
    out->width = (int)w;
    out->height = (int)h;
    return 0;
}

void cjpeg_free(unsigned char *pixels) { free(pixels); }
