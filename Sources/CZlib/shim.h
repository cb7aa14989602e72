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
