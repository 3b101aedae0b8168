// Writing large outputs past the caches. An output too large to stay in the last-level cache next
// to its inputs is written with non-temporal (streaming) stores: a regular store first reads
// each line it fills (one more memory pass), a streaming store of a whole line does not. A copy
// then moves 2 bytes of memory per byte instead of 3, and so do the strided copy's permutes and
// the elementwise kernels. Smaller outputs keep regular stores, so the next op finds them cached.
#pragma once
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "cache_sizes.h"
#include "cortado_cpu.h"

// v16 values never cross a call that is not inlined into an AVX-512 function: the ABI notes do not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace cortado {

// Outputs of at least this many bytes are streamed: 3/8 of the last-level cache (about where
// glibc's memcpy starts streaming), at least 1 MiB, at most 32 MiB.
inline long stream_bytes() {
    static const long bytes = std::max(1L << 20, std::min(32L << 20, cache_sizes().l3.bytes / 8 * 3));
    return bytes;
}

// Whether a kernel writing `bytes` streams them (with AVX-512 stores: the ISA in use must have them).
inline bool streams(long bytes) { return bytes >= stream_bytes() && cortado_isa() >= 2; }

// Streaming stores are weakly ordered: a thread that made some fences before its results are read
// elsewhere (the end of its part of a parallel region).
inline void stream_fence() { _mm_sfence(); }

// 16 floats, for the streaming loops (GCC vector extensions: the ops' arithmetic, comparisons and
// selects are written once for float and for v16).
typedef float v16 __attribute__((vector_size(64)));
typedef int32_t i16 __attribute__((vector_size(64)));

inline bool aligned64(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 63) == 0; }

// y[i] = f(i) for i < n (f(i) a float, fv(i) the v16 at i): scalar up to the first 64-byte
// boundary of y, then whole vectors streamed, then a scalar tail.
template <class F, class FV>
__attribute__((target("avx512f"), always_inline)) inline void stream_run(float* y, long n, const F& f, const FV& fv) {
    long i = 0;
    for (; i < n && !aligned64(y + i); i++) y[i] = f(i);
    for (; i + 16 <= n; i += 16) _mm512_stream_ps(y + i, static_cast<__m512>(fv(i)));
    for (; i < n; i++) y[i] = f(i);
}

__attribute__((always_inline)) inline v16 load16(const float* p) {
    v16 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

}  // namespace cortado
