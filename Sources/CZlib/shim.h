#include <zlib.h>

// deflateInit2 and inflateInit2 are macros (they pass ZLIB_VERSION and sizeof(z_stream)),
// which Swift cannot call; these wrappers expand them in C.
static inline int respaldo_deflateInit2(z_streamp strm, int level, int windowBits,
                                        int memLevel, int strategy) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, memLevel, strategy);
}

static inline int respaldo_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}

// crc32_combine may be a macro (crc32_combine64 when off_t is 64-bit); this wrapper lets Swift
// call whichever the headers select, with a length type that is 64-bit everywhere.
static inline uLong respaldo_crc32_combine(uLong crc1, uLong crc2, long long len2) {
    return crc32_combine(crc1, crc2, (z_off_t)len2);
}
