// zlib for Swift: inflateInit2/deflateInit2 are macros, so they are wrapped here.
#ifndef CZLIB_H
#define CZLIB_H
#include <zlib.h>

/// inflateInit2(strm, windowBits): 15 + 32 detects gzip and zlib headers.
int czlib_inflate_init2(z_stream *strm, int window_bits);

/// deflateInit2 for gzip output (window_bits 15 + 16) at `level`.
int czlib_deflate_init2(z_stream *strm, int level, int window_bits);
#endif
