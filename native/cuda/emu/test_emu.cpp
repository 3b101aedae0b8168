// Tests of the CUDA emulation (make -C native/cuda emu-test): correct kernels give the right answer
// in every order; the errors the emulation claims to catch are caught; what a barrier costs.
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#if __has_include("cortado_kernels.h")
#include "cortado_cuda.h"  // the kernels' view: checks that it compiles against the emulation
#else
#include "emu/cuda_emu.h"
#define CORTADO_DYNAMIC_SHARED(T, name) T* name = reinterpret_cast<T*>(cortado::emu::dynamic_shared())
#endif

using cortado::emu::Order;

static int failures = 0;
#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            ++failures;                                                     \
            std::printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);     \
            std::printf(__VA_ARGS__);                                       \
            std::printf("\n");                                              \
        }                                                                   \
    } while (0)

struct OrderCase {
    Order order;
    uint64_t seed;
    const char* name;
};
static const OrderCase kOrders[] = {
    {Order::forward, 1, "forward"}, {Order::reverse, 1, "reverse"}, {Order::random, 1, "random:1"}, {Order::random, 2, "random:2"}};

static double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// ---- correct kernels --------------------------------------------------------------------------

__global__ void block_sum(const float* in, float* out) {
    __shared__ float s[256];
    const unsigned t = threadIdx.x;
    s[t] = in[blockIdx.x * blockDim.x + t];
    __syncthreads();
    for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
        if (t < half) s[t] += s[t + half];
        __syncthreads();
    }
    if (t == 0) out[blockIdx.x] = s[0];
}

__global__ void warp_sum(const float* in, float* out) {
    const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
    float v = in[i];
    for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
    if (threadIdx.x % 32 == 0) out[i / 32] = v;
}

__global__ void butterfly(const int* in, int* out) {
    const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
    int v = in[i];
    for (int m = 1; m < 32; m *= 2) v += __shfl_xor_sync(0xffffffffu, v, m);
    out[i] = v;  // every lane holds its warp's sum
}

// Inclusive prefix sums over segments of 16 lanes (width 16), and a double broadcast.
__global__ void scan16(const int* in, int* out, double* lane0) {
    const unsigned i = threadIdx.x;
    int v = in[i];
    for (unsigned d = 1; d < 16; d *= 2) {
        const int u = __shfl_up_sync(0xffffffffu, v, d, 16);
        if (i % 16 >= d) v += u;
    }
    out[i] = v;
    lane0[i] = __shfl_sync(0xffffffffu, double(i) * 1.5, 0);
}

__global__ void ballot(unsigned* out) {
    const unsigned lane = threadIdx.x % 32;
    out[threadIdx.x] = __ballot_sync(0xffffffffu, lane % 3 == 0);
    if (!__all_sync(0xffffffffu, lane < 32) || __any_sync(0xffffffffu, lane > 40)) out[threadIdx.x] = 0;
}

__global__ void add_floats(float* total, int* count) {
    atomicAdd(total, 1.0f);
    atomicAdd(count, 1);
}

__global__ void two_d(int* out, int* err) {
    __shared__ int tile[8][16];
    const unsigned x = threadIdx.x, y = threadIdx.y;
    if (x >= 16 || y >= 8 || threadIdx.z != 0 || blockDim.x != 16 || blockDim.y != 8) atomicAdd(err, 1);
    tile[y][x] = int(y * 16 + x);
    __syncthreads();
    // Each thread reads the element another thread wrote: a transpose within the block.
    const unsigned l = y * 16 + x, ty = l % 8, tx = l / 8;
    out[blockIdx.x * 128 + l] = tile[ty][tx];
}

__global__ void dynamic_poison(int* nan_count, int* misaligned) {
    CORTADO_DYNAMIC_SHARED(float, buf);
    if (reinterpret_cast<uintptr_t>(buf) % 16 != 0) atomicAdd(misaligned, 1);
    if (std::isnan(buf[threadIdx.x])) atomicAdd(nan_count, 1);
    __syncthreads();
    buf[threadIdx.x] = 1.0f;  // the next block must see NaN again
}

__global__ void count_at_barrier(int* out) {
    const int c = __syncthreads_count(threadIdx.x % 4 == 0);
    const bool any = __syncthreads_or(threadIdx.x == 5), all = __syncthreads_and(threadIdx.x < 1000);
    if (threadIdx.x == 0 && blockIdx.x == 0) out[0] = c * 100 + any * 10 + all;
}

static std::mutex ids_mutex;
static std::set<std::thread::id> ids;
__global__ void record_os_thread(int* blocks) {
    if (threadIdx.x == 0) {
        std::lock_guard<std::mutex> lock(ids_mutex);
        ids.insert(std::this_thread::get_id());
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    atomicAdd(blocks, threadIdx.x == 0 ? 1 : 0);
}

// ---- kernels with bugs ------------------------------------------------------------------------

// Each thread should read what its left neighbour wrote: without the barrier it reads whatever
// the shared memory held when the neighbour had not yet run.
__global__ void shift_missing_barrier(int salt, int* out) {
    __shared__ int s[64];
    s[threadIdx.x] = int(threadIdx.x) + salt;
    // missing __syncthreads()
    out[threadIdx.x] = threadIdx.x > 0 ? s[threadIdx.x - 1] : 0;
}
__global__ void shift(int salt, int* out) {
    __shared__ int s[64];
    s[threadIdx.x] = int(threadIdx.x) + salt;
    __syncthreads();
    out[threadIdx.x] = threadIdx.x > 0 ? s[threadIdx.x - 1] : 0;
}

// The lines of the faulty calls, for the messages to name (atomicExch: many threads store them).
static int early_return_line, divergent_line_a, divergent_line_b, shfl_line;
#define OUT out[blockIdx.x * blockDim.x + threadIdx.x]
__global__ void early_return(float* out) {
    if (threadIdx.x >= 100) return;
    OUT = 1; atomicExch(&early_return_line, __LINE__); __syncthreads();
}

__global__ void divergent(float* out) {
    if (threadIdx.x < 64) {
        OUT = 1; atomicExch(&divergent_line_a, __LINE__); __syncthreads();
    } else {
        OUT = 2; atomicExch(&divergent_line_b, __LINE__); __syncthreads();
    }
}

__global__ void partial_warp_shuffle(float* out) {
    atomicExch(&shfl_line, __LINE__); OUT = __shfl_down_sync(0xffffffffu, 1.0f, 1);
}

__global__ void shuffle_after_exit(float* out) {
    if (threadIdx.x == 7) return;
    out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, 1.0f, 1);
}

__global__ void mask_disagree(float* out) {
    const unsigned mask = threadIdx.x < 16 ? 0xffffffffu : 0xffff0000u;
    out[threadIdx.x] = __shfl_sync(mask, 1.0f, 0);
}

__global__ void shuffle_vs_barrier(float* out) {
    if (threadIdx.x == 0) {
        __syncthreads();
    } else {
        out[threadIdx.x] = __shfl_sync(0xffffffffu, 1.0f, 0);
        __syncthreads();
    }
}

__global__ void empty_kernel() {}

__global__ void many_barriers(int phases, int* out) {
    __shared__ int s[256];
    int acc = 0;
    for (int p = 0; p < phases; ++p) {
        s[threadIdx.x] = p + int(threadIdx.x);
        __syncthreads();
        acc += s[(threadIdx.x + 1) % blockDim.x];
        __syncthreads();
    }
    out[blockIdx.x * blockDim.x + threadIdx.x] = acc;
}

__global__ void one_barrier_site(int phases, int* out) {
    __shared__ int s[256];
    int acc = 0;
    for (int p = 0; p < phases; ++p) {
        s[threadIdx.x] = p;
        __syncthreads();
        acc += s[(threadIdx.x + 1) % blockDim.x];
    }
    out[threadIdx.x] = acc;
}

__global__ void many_shuffles(int rounds, int* out) {
    int v = int(threadIdx.x);
    for (int r = 0; r < rounds; ++r) v = __shfl_xor_sync(0xffffffffu, v, 1) + 1;
    out[threadIdx.x] = v;
}

__global__ void fill(int n, int* out) {
    const int i = int(blockIdx.x * blockDim.x + threadIdx.x);
    if (i < n) out[i] = 2 * i;
}

// ---- tests ------------------------------------------------------------------------------------

static std::string error_of(int rc) { return rc == 0 ? std::string("(no error)") : std::string(cortado::emu::last_error()); }

static bool names(const std::string& message, const char* kernel, int line) {
    if (message.find(kernel) == std::string::npos) return false;
    return line == 0 || message.find("test_emu.cpp:" + std::to_string(line)) != std::string::npos;
}

static void test_correct(const OrderCase& o) {
    cortado::emu::set_order(o.order, o.seed);
    const int blocks = 64;
    std::vector<float> in(blocks * 256), out(blocks, -1.0f);
    for (size_t i = 0; i < in.size(); ++i) in[i] = float(i % 7);
    int rc = cortado::emu::launch("block_sum", dim3(blocks), dim3(256), 0, block_sum, in.data(), out.data());
    CHECK(rc == 0, "%s", error_of(rc).c_str());
    for (int b = 0; b < blocks; ++b) {
        float expect = 0;
        for (int t = 0; t < 256; ++t) expect += in[b * 256 + t];
        CHECK(out[b] == expect, "%s: block_sum[%d] = %g, expected %g", o.name, b, out[b], expect);
    }

    std::vector<float> wout(blocks * 256 / 32, -1.0f);
    rc = cortado::emu::launch("warp_sum", dim3(blocks), dim3(256), 0, warp_sum, in.data(), wout.data());
    CHECK(rc == 0, "%s", error_of(rc).c_str());
    for (size_t w = 0; w < wout.size(); ++w) {
        float expect = 0;
        for (int l = 0; l < 32; ++l) expect += in[w * 32 + l];
        CHECK(wout[w] == expect, "%s: warp_sum[%zu] = %g, expected %g", o.name, w, wout[w], expect);
    }

    std::vector<int> iin(128), iout(128, -1);
    for (int i = 0; i < 128; ++i) iin[i] = i * i;
    rc = cortado::emu::launch("butterfly", dim3(1), dim3(128), 0, butterfly, iin.data(), iout.data());
    CHECK(rc == 0, "%s", error_of(rc).c_str());
    for (int i = 0; i < 128; ++i) {
        int expect = 0;
        for (int l = 0; l < 32; ++l) expect += iin[i / 32 * 32 + l];
        CHECK(iout[i] == expect, "%s: butterfly[%d] = %d, expected %d", o.name, i, iout[i], expect);
    }

    std::vector<double> lane0(64);
    rc = cortado::emu::launch("scan16", dim3(1), dim3(64), 0, scan16, iin.data(), iout.data(), lane0.data());
    CHECK(rc == 0, "%s", error_of(rc).c_str());
    for (int i = 0; i < 64; ++i) {
        int expect = 0;
        for (int j = i / 16 * 16; j <= i; ++j) expect += iin[j];
        CHECK(iout[i] == expect, "%s: scan16[%d] = %d, expected %d", o.name, i, iout[i], expect);
        CHECK(lane0[i] == (i / 32 * 32) * 1.5, "%s: shfl double [%d] = %g", o.name, i, lane0[i]);
    }

    std::vector<unsigned> bout(64, 1);
    rc = cortado::emu::launch("ballot", dim3(1), dim3(64), 0, ballot, bout.data());
    CHECK(rc == 0, "%s", error_of(rc).c_str());
    unsigned expect_ballot = 0;
    for (int l = 0; l < 32; l += 3) expect_ballot |= 1u << l;
    for (int i = 0; i < 64; ++i) CHECK(bout[i] == expect_ballot, "%s: ballot[%d] = 0x%08x", o.name, i, bout[i]);

    float total = 0;
    int count = 0;
    rc = cortado::emu::launch("add_floats", dim3(500), dim3(256), 0, add_floats, &total, &count);
    CHECK(rc == 0, "%s", error_of(rc).c_str());
    CHECK(total == 128000.0f && count == 128000, "%s: atomicAdd total %g count %d", o.name, total, count);

    std::vector<int> tout(4 * 128, -1);
    int err = 0;
    rc = cortado::emu::launch("two_d", dim3(4), dim3(16, 8), 0, two_d, tout.data(), &err);
    CHECK(rc == 0, "%s", error_of(rc).c_str());
    CHECK(err == 0, "%s: two_d saw bad indices %d times", o.name, err);
    for (int b = 0; b < 4; ++b) {
        for (int l = 0; l < 128; ++l) {
            const int expect = (l % 8) * 16 + l / 8;
            CHECK(tout[b * 128 + l] == expect, "%s: two_d[%d][%d] = %d, expected %d", o.name, b, l, tout[b * 128 + l], expect);
        }
    }

    int nans = 0, misaligned = 0;
    rc = cortado::emu::launch("dynamic_poison", dim3(8), dim3(64), 64 * sizeof(float), dynamic_poison, &nans, &misaligned);
    CHECK(rc == 0, "%s", error_of(rc).c_str());
    CHECK(nans == 8 * 64 && misaligned == 0, "%s: dynamic shared: %d NaN of %d, %d misaligned", o.name, nans, 8 * 64, misaligned);

    int c = -1;
    rc = cortado::emu::launch("count_at_barrier", dim3(2), dim3(96), 0, count_at_barrier, &c);
    CHECK(rc == 0, "%s", error_of(rc).c_str());
    CHECK(c == 24 * 100 + 10 + 1, "%s: __syncthreads_count/or/and gave %d", o.name, c);

    std::vector<int> sout(64 * 256, -1);
    rc = cortado::emu::launch("many_barriers", dim3(64), dim3(256), 0, many_barriers, 5, sout.data());
    CHECK(rc == 0, "%s", error_of(rc).c_str());
    for (int i = 0; i < 64 * 256; ++i) {
        const int t = i % 256, expect = 10 + 5 * ((t + 1) % 256);
        if (sout[i] != expect) {
            CHECK(sout[i] == expect, "%s: many_barriers[%d] = %d, expected %d", o.name, i, sout[i], expect);
            break;
        }
    }

    std::vector<int> r(64, -1);
    static int salt = 1000;
    salt += 100;
    rc = cortado::emu::launch("shift", dim3(1), dim3(64), 0, shift, salt, r.data());
    CHECK(rc == 0, "%s", error_of(rc).c_str());
    for (int t = 1; t < 64; ++t) CHECK(r[t] == t - 1 + salt, "%s: shift[%d] = %d", o.name, t, r[t]);
}

static void test_several_os_threads() {
    cortado::emu::set_order(Order::forward, 1);
    ids.clear();
    int blocks = 0;
    const int rc = cortado::emu::launch("record_os_thread", dim3(200), dim3(64), 0, record_os_thread, &blocks);
    CHECK(rc == 0, "%s", error_of(rc).c_str());
    CHECK(blocks == 200, "record_os_thread ran %d blocks", blocks);
    const char* env = std::getenv("CORTADO_EMU_THREADS");
    CHECK(ids.size() > 1 || std::atoi(env) == 1, "the blocks ran on %zu OS threads", ids.size());
    std::printf("  200 blocks ran on %zu OS threads\n", ids.size());
}

// Launches from several host threads at once share the pool; each sees its own errors.
static void test_concurrent_launches() {
    cortado::emu::set_order(Order::random, 5);
    std::atomic<int> wrong{0};
    auto host = [&](int id) {
        std::vector<int> out(4 * 256);
        std::vector<float> junk(256);
        for (int k = 0; k < 150; ++k) {
            if (id == 1 && k % 10 == 0) {
                const int rc = cortado::emu::launch("early_return", dim3(2), dim3(128), 0, early_return, junk.data());
                if (rc == 0 || std::string(cortado::emu::last_error()).find("early_return") == std::string::npos) ++wrong;
                continue;
            }
            const int rc = cortado::emu::launch("many_barriers", dim3(4), dim3(256), 0, many_barriers, 2, out.data());
            if (rc != 0) ++wrong;
            for (int i = 0; i < 4 * 256; ++i) wrong += out[i] != 1 + 2 * ((i % 256 + 1) % 256);
        }
    };
    std::thread a(host, 0), b(host, 1), c(host, 2);
    a.join(), b.join(), c.join();
    CHECK(wrong == 0, "%d wrong results or errors from launches on 3 host threads", wrong.load());
    std::printf("launches from 3 host threads at once: %s\n", wrong == 0 ? "ok" : "FAILED");
}

static void test_missing_barrier() {
    std::vector<int> r(64, -1);
    const int salts[2] = {7000, 8000};
    for (int k = 0; k < 2; ++k) {
        cortado::emu::set_order(k == 0 ? Order::forward : Order::reverse, 1);
        std::fill(r.begin(), r.end(), -1);
        const int rc = cortado::emu::launch("shift_missing_barrier", dim3(1), dim3(64), 0, shift_missing_barrier, salts[k], r.data());
        CHECK(rc == 0, "%s", error_of(rc).c_str());
        int wrong = 0;
        for (int t = 1; t < 64; ++t) wrong += r[t] != t - 1 + salts[k];
        std::printf("  missing __syncthreads, %s: out[1..3] = %d %d %d (right: %d %d %d), %d of 63 wrong\n",
                    k == 0 ? "forward" : "reverse", r[1], r[2], r[3], salts[k], salts[k] + 1, salts[k] + 2, wrong);
        if (k == 0) CHECK(wrong == 0, "forward order hides the race");
        if (k == 1) CHECK(wrong == 63, "reverse order must show the race");
    }
}

static void expect_error(const char* what, int rc, const char* kernel, int line, const char* needle) {
    const std::string m = error_of(rc);
    CHECK(rc != 0, "%s: not reported", what);
    CHECK(names(m, kernel, line), "%s: the message does not name the kernel and line %d: %s", what, line, m.c_str());
    CHECK(needle == nullptr || m.find(needle) != std::string::npos, "%s: no '%s' in: %s", what, needle, m.c_str());
    std::printf("  %s -> %s\n", what, m.c_str());
}

static void test_errors() {
    std::vector<float> out(1024);
    for (const OrderCase& o : kOrders) {
        cortado::emu::set_order(o.order, o.seed);
        int rc = cortado::emu::launch("early_return", dim3(3), dim3(128), 0, early_return, out.data());
        CHECK(rc != 0 && names(error_of(rc), "early_return", early_return_line), "%s: %s", o.name, error_of(rc).c_str());
        rc = cortado::emu::launch("divergent", dim3(3), dim3(128), 0, divergent, out.data());
        CHECK(rc != 0 && names(error_of(rc), "divergent", divergent_line_a) && names(error_of(rc), "divergent", divergent_line_b),
              "%s: %s", o.name, error_of(rc).c_str());
        rc = cortado::emu::launch("partial_warp_shuffle", dim3(2), dim3(48), 0, partial_warp_shuffle, out.data());
        CHECK(rc != 0 && names(error_of(rc), "partial_warp_shuffle", shfl_line), "%s: %s", o.name, error_of(rc).c_str());
    }
    cortado::emu::set_order(Order::forward, 1);
    int rc = cortado::emu::launch("early_return", dim3(3), dim3(128), 0, early_return, out.data());
    expect_error("early return before a barrier", rc, "early_return", early_return_line, "returned");
    rc = cortado::emu::launch("divergent", dim3(3), dim3(128), 0, divergent, out.data());
    expect_error("divergent barrier", rc, "divergent", divergent_line_b, "divergent");
    rc = cortado::emu::launch("partial_warp_shuffle", dim3(2), dim3(48), 0, partial_warp_shuffle, out.data());
    expect_error("full-mask shuffle in a warp of 16 lanes", rc, "partial_warp_shuffle", shfl_line, "do not exist");
    rc = cortado::emu::launch("shuffle_after_exit", dim3(1), dim3(32), 0, shuffle_after_exit, out.data());
    expect_error("shuffle naming a lane that returned", rc, "shuffle_after_exit", 0, "returned");
    cortado::emu::set_order(Order::reverse, 1);
    rc = cortado::emu::launch("shuffle_after_exit", dim3(1), dim3(32), 0, shuffle_after_exit, out.data());
    expect_error("the same, reverse order", rc, "shuffle_after_exit", 0, "returned");
    cortado::emu::set_order(Order::forward, 1);
    rc = cortado::emu::launch("mask_disagree", dim3(1), dim3(32), 0, mask_disagree, out.data());
    expect_error("lanes disagree on the mask", rc, "mask_disagree", 0, "mask");
    rc = cortado::emu::launch("shuffle_vs_barrier", dim3(1), dim3(32), 0, shuffle_vs_barrier, out.data());
    expect_error("shuffle waiting for a lane at __syncthreads", rc, "shuffle_vs_barrier", 0, "never arrive");
    rc = cortado::emu::launch("empty_kernel", dim3(1), dim3(2048), 0, empty_kernel);
    expect_error("block of 2048 threads", rc, "empty_kernel", 0, "limits");
    rc = cortado::emu::launch("empty_kernel", dim3(1, 70000), dim3(32), 0, empty_kernel);
    expect_error("grid.y of 70000", rc, "empty_kernel", 0, "limits");

    // After errors (abandoned fibers), correct kernels still run right.
    test_correct(kOrders[3]);
}

// The best of three runs (the first also creates the fibers and touches their stacks).
template <typename F>
static double best_of_3(F run) {
    double best = 1e30;
    for (int k = 0; k < 3; ++k) {
        const double t0 = now();
        run();
        best = std::min(best, now() - t0);
    }
    return best;
}

static void measure() {
    cortado::emu::set_order(Order::forward, 1);
    std::vector<int> out(1 << 20);
    const int phases = 1000;
    int rc = 0;
    double t = best_of_3([&] { rc |= cortado::emu::launch("one_barrier_site", dim3(1), dim3(256), 0, one_barrier_site, phases, out.data()); });
    CHECK(rc == 0, "%s", error_of(rc).c_str());
    std::printf("  __syncthreads, one site: 256 threads x %d barriers: %.2f ms, %.1f ns per thread per phase\n", phases,
                t * 1e3, t / (256.0 * phases) * 1e9);
    // A thread resumes at the previous barrier's call site while the CPU predicts the current one.
    t = best_of_3([&] { rc |= cortado::emu::launch("many_barriers", dim3(1), dim3(256), 0, many_barriers, phases / 2, out.data()); });
    CHECK(rc == 0, "%s", error_of(rc).c_str());
    std::printf("  __syncthreads, two sites in turn (mispredicted returns): %.2f ms, %.1f ns per thread per phase\n",
                t * 1e3, t / (256.0 * phases) * 1e9);

    t = best_of_3([&] { rc |= cortado::emu::launch("many_shuffles", dim3(1), dim3(256), 0, many_shuffles, phases, out.data()); });
    CHECK(rc == 0, "%s", error_of(rc).c_str());
    CHECK(out[0] == phases + (phases % 2 ? 1 : 0), "many_shuffles[0] = %d", out[0]);
    std::printf("  __shfl_xor_sync: 256 threads x %d shuffles: %.2f ms, %.1f ns per thread per shuffle\n", phases, t * 1e3,
                t / (256.0 * phases) * 1e9);

    const int n = 1 << 20;
    t = best_of_3([&] { rc |= cortado::emu::launch("fill", dim3(n / 256), dim3(256), 0, fill, n, out.data()); });
    CHECK(rc == 0, "%s", error_of(rc).c_str());
    bool right = true;
    for (int i = 0; i < n; ++i) right &= out[i] == 2 * i;
    CHECK(right, "fill gave wrong values");
    volatile int sink = 0;
    const double loop = best_of_3([&] {
        for (int i = 0; i < n; ++i) out[i] = 2 * i + sink;
    });
    std::printf("  barrier-free launch of 1M threads (4096 blocks of 256): %.2f ms, %.1f ns per thread (a plain loop: %.2f ms)\n",
                t * 1e3, t / n * 1e9, loop * 1e3);

    const int launches = 10000;
    t = best_of_3([&] {
        for (int k = 0; k < launches; ++k) rc |= cortado::emu::launch("fill", dim3(1), dim3(32), 0, fill, 32, out.data());
    });
    std::printf("  a launch of 1 block of 32 threads: %.2f us\n", t / launches * 1e6);
    t = best_of_3([&] {
        for (int k = 0; k < launches / 10; ++k) rc |= cortado::emu::launch("fill", dim3(8), dim3(32), 0, fill, 256, out.data());
    });
    std::printf("  a launch of 8 blocks of 32 threads (the pool's threads woken): %.2f us\n", t / (launches / 10) * 1e6);
    CHECK(rc == 0, "%s", error_of(rc).c_str());
}

int main() {
    setenv("CORTADO_EMU_THREADS", "4", 0);  // several OS threads even on a small machine
    const double t0 = now();
    for (const OrderCase& o : kOrders) {
        test_correct(o);
        std::printf("correct kernels, %s order: %s\n", o.name, failures == 0 ? "ok" : "FAILED");
    }
    test_several_os_threads();
    test_concurrent_launches();
    std::printf("missing barrier:\n");
    test_missing_barrier();
    std::printf("errors:\n");
    test_errors();
    std::printf("costs:\n");
    measure();
    std::printf("%s: %d failures, %.2f s\n", failures == 0 ? "emu tests passed" : "emu tests FAILED", failures, now() - t0);
    return failures == 0 ? 0 : 1;
}
