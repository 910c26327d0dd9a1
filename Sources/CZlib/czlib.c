#include "czlib.h"

int czlib_inflate_init2(z_stream *strm, int window_bits) {
    return inflateInit2(strm, window_bits);
}

int czlib_deflate_init2(z_stream *strm, int level, int window_bits) {
    return deflateInit2(strm, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
}
