// The CUDA emulation: what a kernel source of native/cuda sees instead of the CUDA toolkit when
// it is built with g++ (see ../cortado_cuda.h). Each block runs on one OS thread of a small pool,
// its CUDA threads as fibers resumed phase by phase (a phase ends at a __syncthreads); warp
// shuffles and votes wait, as fibers, for every lane their mask names. What the emulation checks
// and what it cannot see: see scheduler.cpp.
#pragma once

#if defined(__CUDACC__)
#error "emu/cuda_emu.h is the g++ emulation of CUDA; nvcc uses the real toolkit"
#endif

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <tuple>

// ---- qualifiers -------------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
// Every CUDA thread of a block runs on the same OS thread, so they share a thread_local; a block
// running concurrently on another OS thread has its own. Unlike on a GPU, static shared memory
// keeps what the previous block on that OS thread left in it (dynamic shared memory is poisoned).
#define __shared__ static thread_local
// __restrict__ is a g++ keyword already.

// ---- vector types -----------------------------------------------------------------------------
struct uint3 {
    unsigned x, y, z;
};
struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
    constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
    constexpr operator uint3() const { return uint3{x, y, z}; }
};
struct __align__(8) float2 { float x, y; };
struct float3 { float x, y, z; };
struct __align__(16) float4 { float x, y, z, w; };
struct __align__(16) double2 { double x, y; };
struct __align__(8) int2 { int x, y; };
struct int3 { int x, y, z; };
struct __align__(16) int4 { int x, y, z, w; };
struct __align__(8) uint2 { unsigned x, y; };
struct __align__(16) uint4 { unsigned x, y, z, w; };
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float3 make_float3(float x, float y, float z) { return {x, y, z}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline double2 make_double2(double x, double y) { return {x, y}; }
inline int2 make_int2(int x, int y) { return {x, y}; }
inline int3 make_int3(int x, int y, int z) { return {x, y, z}; }
inline int4 make_int4(int x, int y, int z, int w) { return {x, y, z, w}; }
inline uint2 make_uint2(unsigned x, unsigned y) { return {x, y}; }
inline uint3 make_uint3(unsigned x, unsigned y, unsigned z) { return {x, y, z}; }
inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return {x, y, z, w}; }

inline constexpr int warpSize = 32;

namespace cortado::emu {

// The order in which a block's runnable threads are resumed in every phase. The default comes
// from env CORTADO_EMU_ORDER = forward | reverse | random[:seed] (seed 1 if none); random draws a
// new permutation per block and phase from (seed, block, phase), so a run is reproducible. Set for
// the whole process (tests use set_order); a launch takes the setting current when it starts.
enum class Order { forward, reverse, random };
void set_order(Order order, uint64_t seed = 1);

// The message of the last failed launch on this thread ("" if none).
const char* last_error();

namespace detail {

template <typename T>
struct identity {
    using type = T;
};

// Runs call(arg) for every thread of grid x block; see launch below.
int launch(const char* name, dim3 grid, dim3 block, size_t shared_bytes, void (*call)(const void*), const void* arg);

// What the current fiber's CUDA thread sees; the scheduler sets it on every switch.
struct Current {
    uint3 thread_idx{0, 0, 0};
    uint3 block_idx{0, 0, 0};
    dim3 block_dim{};
    dim3 grid_dim{};
    void* dynamic_shared = nullptr;
};
inline thread_local Current current;

enum class WarpOp : int { shfl_idx, shfl_up, shfl_down, shfl_xor, ballot, any, all, sync };

// Waits (as a fiber) until every lane of `mask` has arrived at a warp operation, then returns this
// lane's result: the shuffled value's bits, or the vote.
uint64_t warp_op(const char* file, int line, WarpOp op, unsigned mask, uint64_t value, int param, int width);
// Waits until every thread of the block has arrived here; returns how many passed pred != 0.
int syncthreads(const char* file, int line, int pred = 0);
unsigned activemask();

template <typename T>
inline uint64_t to_bits(T v) {
    uint64_t b = 0;
    std::memcpy(&b, &v, sizeof(T));
    return b;
}
template <typename T>
inline T from_bits(uint64_t b) {
    T v;
    std::memcpy(&v, &b, sizeof(T));
    return v;
}

// The warp intrinsics are macros expanding to Site{__FILE__, __LINE__}.op so that an error names
// the line; one overload per type CUDA has.
#define CORTADO_EMU_SHUFFLES(T)                                                                              \
    T shfl(unsigned mask, T v, int lane, int width = warpSize) const {                                      \
        return from_bits<T>(warp_op(file, line, WarpOp::shfl_idx, mask, to_bits(v), lane, width));         \
    }                                                                                                        \
    T shfl_up(unsigned mask, T v, unsigned delta, int width = warpSize) const {                             \
        return from_bits<T>(warp_op(file, line, WarpOp::shfl_up, mask, to_bits(v), int(delta), width));    \
    }                                                                                                        \
    T shfl_down(unsigned mask, T v, unsigned delta, int width = warpSize) const {                           \
        return from_bits<T>(warp_op(file, line, WarpOp::shfl_down, mask, to_bits(v), int(delta), width));  \
    }                                                                                                        \
    T shfl_xor(unsigned mask, T v, int lane_mask, int width = warpSize) const {                             \
        return from_bits<T>(warp_op(file, line, WarpOp::shfl_xor, mask, to_bits(v), lane_mask, width));    \
    }
struct Site {
    const char* file;
    int line;
    CORTADO_EMU_SHUFFLES(int)
    CORTADO_EMU_SHUFFLES(unsigned)
    CORTADO_EMU_SHUFFLES(long)
    CORTADO_EMU_SHUFFLES(unsigned long)
    CORTADO_EMU_SHUFFLES(long long)
    CORTADO_EMU_SHUFFLES(unsigned long long)
    CORTADO_EMU_SHUFFLES(float)
    CORTADO_EMU_SHUFFLES(double)
    unsigned ballot(unsigned mask, int pred) const {
        return unsigned(warp_op(file, line, WarpOp::ballot, mask, pred != 0, 0, warpSize));
    }
    int any(unsigned mask, int pred) const { return int(warp_op(file, line, WarpOp::any, mask, pred != 0, 0, warpSize)); }
    int all(unsigned mask, int pred) const { return int(warp_op(file, line, WarpOp::all, mask, pred != 0, 0, warpSize)); }
    void syncwarp(unsigned mask = 0xffffffffu) const { warp_op(file, line, WarpOp::sync, mask, 0, 0, warpSize); }
};
#undef CORTADO_EMU_SHUFFLES

}  // namespace detail

// Runs kernel(args...) on every thread of grid x block, blocks spread over env CORTADO_EMU_THREADS
// OS threads (default: the hardware's), and returns 0; or nonzero once the other blocks are done,
// after recording in last_error() what a block did wrong (barrier divergence, early return before
// a barrier, a bad warp mask, ...) or that the dimensions are over CUDA's limits.
template <typename... P>
int launch(const char* name, dim3 grid, dim3 block, size_t shared_bytes, void (*kernel)(P...),
           typename detail::identity<P>::type... args) {
    struct Call {
        void (*kernel)(P...);
        std::tuple<P...> args;
        static void run(const void* c) {
            const Call* call = static_cast<const Call*>(c);
            std::apply(call->kernel, call->args);
        }
    };
    const Call call{kernel, std::tuple<P...>(args...)};
    return detail::launch(name, grid, block, shared_bytes, &Call::run, &call);
}

// The current block's dynamic shared memory (launch's shared_bytes, 16-byte aligned), filled with
// 0xFF bytes (NaN as floats) before the block runs.
inline void* dynamic_shared() { return detail::current.dynamic_shared; }

}  // namespace cortado::emu

// ---- thread indices (read-only, per fiber) ----------------------------------------------------
#define threadIdx (static_cast<const uint3&>(::cortado::emu::detail::current.thread_idx))
#define blockIdx (static_cast<const uint3&>(::cortado::emu::detail::current.block_idx))
#define blockDim (static_cast<const dim3&>(::cortado::emu::detail::current.block_dim))
#define gridDim (static_cast<const dim3&>(::cortado::emu::detail::current.grid_dim))

// ---- synchronisation --------------------------------------------------------------------------
#define __syncthreads() ((void)::cortado::emu::detail::syncthreads(__FILE__, __LINE__))
#define __syncthreads_count(pred) ::cortado::emu::detail::syncthreads(__FILE__, __LINE__, (pred))
#define __syncthreads_and(pred)                                         \
    (::cortado::emu::detail::syncthreads(__FILE__, __LINE__, (pred)) == \
     int(blockDim.x * blockDim.y * blockDim.z))
#define __syncthreads_or(pred) (::cortado::emu::detail::syncthreads(__FILE__, __LINE__, (pred)) != 0)
#define __syncwarp ::cortado::emu::detail::Site{__FILE__, __LINE__}.syncwarp
#define __shfl_sync ::cortado::emu::detail::Site{__FILE__, __LINE__}.shfl
#define __shfl_up_sync ::cortado::emu::detail::Site{__FILE__, __LINE__}.shfl_up
#define __shfl_down_sync ::cortado::emu::detail::Site{__FILE__, __LINE__}.shfl_down
#define __shfl_xor_sync ::cortado::emu::detail::Site{__FILE__, __LINE__}.shfl_xor
#define __ballot_sync ::cortado::emu::detail::Site{__FILE__, __LINE__}.ballot
#define __any_sync ::cortado::emu::detail::Site{__FILE__, __LINE__}.any
#define __all_sync ::cortado::emu::detail::Site{__FILE__, __LINE__}.all
// The lanes of this warp that exist and have not returned (a GPU gives the lanes converged here).
inline unsigned __activemask() { return ::cortado::emu::detail::activemask(); }

// Blocks of a launch run concurrently on several OS threads: the fences are real ones.
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_system() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

// ---- atomics (relaxed, as CUDA's; truly atomic across OS threads) -----------------------------
#define CORTADO_EMU_ATOMIC_INT(T)                                                                         \
    inline T atomicAdd(T* a, T v) { return __atomic_fetch_add(a, v, __ATOMIC_RELAXED); }                  \
    inline T atomicSub(T* a, T v) { return __atomic_fetch_sub(a, v, __ATOMIC_RELAXED); }                  \
    inline T atomicAnd(T* a, T v) { return __atomic_fetch_and(a, v, __ATOMIC_RELAXED); }                  \
    inline T atomicOr(T* a, T v) { return __atomic_fetch_or(a, v, __ATOMIC_RELAXED); }                    \
    inline T atomicXor(T* a, T v) { return __atomic_fetch_xor(a, v, __ATOMIC_RELAXED); }                  \
    inline T atomicExch(T* a, T v) { return __atomic_exchange_n(a, v, __ATOMIC_RELAXED); }                \
    inline T atomicCAS(T* a, T compare, T v) {                                                            \
        __atomic_compare_exchange_n(a, &compare, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);           \
        return compare;                                                                                   \
    }                                                                                                     \
    inline T atomicMax(T* a, T v) {                                                                       \
        T old = __atomic_load_n(a, __ATOMIC_RELAXED);                                                     \
        while (old < v && !__atomic_compare_exchange_n(a, &old, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) { \
        }                                                                                                 \
        return old;                                                                                       \
    }                                                                                                     \
    inline T atomicMin(T* a, T v) {                                                                       \
        T old = __atomic_load_n(a, __ATOMIC_RELAXED);                                                     \
        while (old > v && !__atomic_compare_exchange_n(a, &old, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) { \
        }                                                                                                 \
        return old;                                                                                       \
    }
CORTADO_EMU_ATOMIC_INT(int)
CORTADO_EMU_ATOMIC_INT(unsigned)
CORTADO_EMU_ATOMIC_INT(long long)
CORTADO_EMU_ATOMIC_INT(unsigned long long)
#undef CORTADO_EMU_ATOMIC_INT

#define CORTADO_EMU_ATOMIC_FLOAT(T)                                                                       \
    inline T atomicAdd(T* a, T v) {                                                                       \
        T old, sum;                                                                                       \
        __atomic_load(a, &old, __ATOMIC_RELAXED);                                                         \
        do {                                                                                              \
            sum = old + v;                                                                                \
        } while (!__atomic_compare_exchange(a, &old, &sum, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));    \
        return old;                                                                                       \
    }                                                                                                     \
    inline T atomicExch(T* a, T v) {                                                                      \
        T old;                                                                                            \
        __atomic_exchange(a, &v, &old, __ATOMIC_RELAXED);                                                 \
        return old;                                                                                       \
    }
CORTADO_EMU_ATOMIC_FLOAT(float)
CORTADO_EMU_ATOMIC_FLOAT(double)
#undef CORTADO_EMU_ATOMIC_FLOAT

// ---- loads, bit casts, integer intrinsics -----------------------------------------------------
template <typename T>
inline T __ldg(const T* p) { return *p; }
inline int __float_as_int(float x) { return ::cortado::emu::detail::from_bits<int>(::cortado::emu::detail::to_bits(x)); }
inline unsigned __float_as_uint(float x) { return ::cortado::emu::detail::from_bits<unsigned>(::cortado::emu::detail::to_bits(x)); }
inline float __int_as_float(int x) { return ::cortado::emu::detail::from_bits<float>(::cortado::emu::detail::to_bits(x)); }
inline float __uint_as_float(unsigned x) { return ::cortado::emu::detail::from_bits<float>(::cortado::emu::detail::to_bits(x)); }
inline long long __double_as_longlong(double x) { return ::cortado::emu::detail::from_bits<long long>(::cortado::emu::detail::to_bits(x)); }
inline double __longlong_as_double(long long x) { return ::cortado::emu::detail::from_bits<double>(::cortado::emu::detail::to_bits(x)); }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz(unsigned(x)); }
inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll((unsigned long long)x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline unsigned __brev(unsigned x) {
    unsigned r = 0;
    for (int i = 0; i < 32; ++i, x >>= 1) r = (r << 1) | (x & 1u);
    return r;
}
inline int __mul24(int a, int b) { return int(((long long)(a << 8 >> 8)) * (b << 8 >> 8)); }
inline unsigned __umul24(unsigned a, unsigned b) { return (a & 0xffffffu) * (b & 0xffffffu); }
inline int __mulhi(int a, int b) { return int(((long long)a * b) >> 32); }
inline unsigned __umulhi(unsigned a, unsigned b) { return unsigned(((unsigned long long)a * b) >> 32); }
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
    return (unsigned long long)(((unsigned __int128)a * b) >> 64);
}

// ---- float intrinsics: the host's IEEE functions (a GPU's fast ones are less accurate) -------
inline float __fdividef(float a, float b) { return a / b; }
inline float __expf(float x) { return expf(x); }
inline float __exp10f(float x) { return powf(10.0f, x); }
inline float __logf(float x) { return logf(x); }
inline float __log2f(float x) { return log2f(x); }
inline float __log10f(float x) { return log10f(x); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __tanf(float x) { return tanf(x); }
inline float __powf(float a, float b) { return powf(a, b); }
inline void __sincosf(float x, float* s, float* c) { *s = sinf(x); *c = cosf(x); }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float __frsqrt_rn(float x) { return 1.0f / sqrtf(x); }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline float __fsqrt_rn(float x) { return sqrtf(x); }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline float __saturatef(float x) { return x > 0.0f ? (x < 1.0f ? x : 1.0f) : 0.0f; }  // NaN -> 0
inline int __float2int_rn(float x) { return int(nearbyintf(x)); }
inline int __float2int_rz(float x) { return int(x); }
inline int __float2int_rd(float x) { return int(floorf(x)); }
inline int __float2int_ru(float x) { return int(ceilf(x)); }
inline unsigned __float2uint_rn(float x) { return unsigned(nearbyintf(x)); }
inline float __int2float_rn(int x) { return float(x); }

// CUDA's global min/max for integers and floats.
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline unsigned min(int a, unsigned b) { return min(unsigned(a), b); }
inline unsigned max(int a, unsigned b) { return max(unsigned(a), b); }
inline unsigned min(unsigned a, int b) { return min(a, unsigned(b)); }
inline unsigned max(unsigned a, int b) { return max(a, unsigned(b)); }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline unsigned long long min(unsigned long long a, unsigned long long b) { return a < b ? a : b; }
inline unsigned long long max(unsigned long long a, unsigned long long b) { return a > b ? a : b; }
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline double max(double a, double b) { return fmax(a, b); }
