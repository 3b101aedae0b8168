// gather and scatter_add: y[o, j, i] = x[o, index[o·is0 + j·is1 + i·is2], i] and its backward,
// dx[o, index[...], i] += dy[o, j, i] (x, dx [outer, len, inner]; y, dy [outer, count, inner]).
//
// Indices are floats; one that is not an integer in [0, len) is never used to address memory: the
// kernel raises a flag in workspace memory instead, which the host reads back after the launch
// (IndexFlag below) and turns into CORTADO_STATUS_BAD_INDEX.
//
// gather: one output element per thread.
//
// scatter_add, deterministically and with the reference's bits (each dx element's contributions
// summed in double in order of j, then added to dx once, where the sum is not 0), without float
// atomics: the contributions are items, each with a key (the dx row or element it goes to), sorted
// by key with a stable sort (so j stays ascending within a key); then one thread per run of equal
// keys (and per float of a row) sums the run in order and adds it to dx. Items: with is2 == 0
// (index_select, embedding lookups) one per (o, j), moving a row of inner floats; otherwise one per
// (o, i, j), enumerated in that order. The sort: each thread first sorts a chunk of kChunk items
// (insertion sort), then passes merge pairs of sorted runs, each item placed at its own index in
// its run plus its rank in the other run (a binary search: ties go to the left run) -- stable,
// and the same on every run. All indices are checked before dx is touched: a bad one leaves dx as
// it was.
#include "cortado_cuda.h"
#include "grid.h"
#include "index_flag.h"

using cortado::cuda::kThreads;
using cortado::cuda::grid_for;
using cortado::cuda::first_index;
using cortado::cuda::grid_stride;

namespace {

constexpr int64_t kChunk = 16;  // items per thread in the first sort pass

// ---- gather ---------------------------------------------------------------------------------------

__global__ void gather_kernel(int64_t outer, int64_t len, int64_t inner, int64_t count, const float* x, const float* index,
                              int64_t is0, int64_t is1, int64_t is2, float* y, int* flag) {
    const int64_t total = outer * count * inner;
    for (int64_t e = first_index(); e < total; e += grid_stride()) {
        const int64_t i = e % inner, r = e / inner, j = r % count, o = r / count;
        const float v = index[o * is0 + j * is1 + i * is2];
        if (!cortado::cuda::valid_index(v, len)) {
            cortado::cuda::raise_index_flag(flag);
            continue;
        }
        y[e] = x[(o * len + static_cast<int64_t>(v)) * inner + i];
    }
}

// ---- scatter_add ----------------------------------------------------------------------------------

// The items of a scatter: rows (is2 == 0): item n = o·count + j, key = o·len + l (a dx row of
// inner floats); elements: item n = (o·inner + i)·count + j, key = (o·len + l)·inner + i.
struct Scatter {
    int64_t outer, len, inner, count, is0, is1, is2;
    bool rows;

    __device__ __forceinline__ int64_t items() const { return rows ? outer * count : outer * inner * count; }
    __device__ __forceinline__ int64_t width() const { return rows ? inner : 1; }
};

// keys[n], items[n] = n for every item; a bad index raises the flag (its key is then 0).
__global__ void scatter_keys_kernel(Scatter s, const float* index, int64_t* keys, int64_t* items, int* flag) {
    const int64_t n_items = s.items();
    for (int64_t n = first_index(); n < n_items; n += grid_stride()) {
        const int64_t j = n % s.count, c = n / s.count;  // c: o (rows) or o·inner + i
        const int64_t o = s.rows ? c : c / s.inner, i = s.rows ? 0 : c % s.inner;
        const float v = index[o * s.is0 + j * s.is1 + i * s.is2];
        int64_t key = 0;
        if (cortado::cuda::valid_index(v, s.len)) {
            const int64_t row = o * s.len + static_cast<int64_t>(v);
            key = s.rows ? row : row * s.inner + i;
        } else {
            cortado::cuda::raise_index_flag(flag);
        }
        keys[n] = key;
        items[n] = n;
    }
}

// Sorts each chunk of kChunk items in place (stable insertion sort), one chunk per thread.
__global__ void sort_chunks_kernel(int64_t n_items, int64_t* keys, int64_t* items) {
    const int64_t chunks = (n_items + kChunk - 1) / kChunk;
    for (int64_t c = first_index(); c < chunks; c += grid_stride()) {
        const int64_t begin = c * kChunk, end = begin + kChunk < n_items ? begin + kChunk : n_items;
        for (int64_t p = begin + 1; p < end; p++) {
            const int64_t k = keys[p], it = items[p];
            int64_t q = p;
            while (q > begin && keys[q - 1] > k) {
                keys[q] = keys[q - 1];
                items[q] = items[q - 1];
                q--;
            }
            keys[q] = k;
            items[q] = it;
        }
    }
}

// The first position in [lo, hi) whose key is > k (Upper) or >= k (else).
template <bool Upper>
__device__ __forceinline__ int64_t bound(const int64_t* keys, int64_t lo, int64_t hi, int64_t k) {
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (Upper ? keys[mid] <= k : keys[mid] < k) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

// One merge pass: sorted runs of `width` items, pairs merged from (keys, items) into (okeys, oitems).
__global__ void merge_kernel(int64_t n_items, int64_t width, const int64_t* keys, const int64_t* items, int64_t* okeys,
                             int64_t* oitems) {
    for (int64_t p = first_index(); p < n_items; p += grid_stride()) {
        const int64_t start = p / (2 * width) * (2 * width);
        const int64_t mid = start + width < n_items ? start + width : n_items;
        const int64_t end = mid + width < n_items ? mid + width : n_items;
        const int64_t k = keys[p];
        int64_t to;
        if (p < mid) to = p + (bound<false>(keys, mid, end, k) - mid);  // after the right run's smaller keys
        else to = (p - mid) + bound<true>(keys, start, mid, k);         // after the left run's keys <= k
        okeys[to] = k;
        oitems[to] = items[p];
    }
}

// Per run of equal keys (and per float w of a row): the run's dy summed in double in order, added
// to dx once where the sum is not 0.
__global__ void scatter_apply_kernel(Scatter s, const int64_t* keys, const int64_t* items, const float* dy, float* dx) {
    const int64_t n_items = s.items(), width = s.width(), total = n_items * width;
    for (int64_t t = first_index(); t < total; t += grid_stride()) {
        const int64_t p = t / width, w = t % width;
        const int64_t k = keys[p];
        if (p > 0 && keys[p - 1] == k) continue;  // not the first of its run
        double acc = 0.0;
        for (int64_t q = p; q < n_items && keys[q] == k; q++) {
            const int64_t n = items[q];
            int64_t at;
            if (s.rows) {
                at = n * s.inner + w;  // dy row (o·count + j)
            } else {
                const int64_t j = n % s.count, c = n / s.count, o = c / s.inner, i = c % s.inner;
                at = (o * s.count + j) * s.inner + i;
            }
            acc += static_cast<double>(dy[at]);
        }
        if (acc != 0.0) {
            float& d = dx[k * width + w];
            d = static_cast<float>(static_cast<double>(d) + acc);
        }
    }
}

}  // namespace

CORTADO_KERNEL(gather) {
    const int64_t total = outer * count * inner;
    if (total <= 0) return CORTADO_STATUS_OK;
    cortado::cuda::IndexFlag bad(ctx);
    int status = bad.begin();
    if (status == CORTADO_STATUS_NO_WORKSPACE) return status;
    if (status == CORTADO_STATUS_OK) {
        status = CORTADO_LAUNCH(ctx, gather_kernel, grid_for(total), kThreads, 0, outer, len, inner, count, x, index, is0, is1, is2,
                                y, bad.flag);
    }
    return bad.finish(status);
}

CORTADO_KERNEL(scatter_add) {
    if (outer <= 0 || count <= 0 || inner <= 0) return CORTADO_STATUS_OK;
    const Scatter s{outer, len, inner, count, is0, is1, is2, is2 == 0};
    const int64_t n_items = s.rows ? outer * count : outer * inner * count;
    // two buffers of keys and items
    int64_t* base = static_cast<int64_t*>(ctx->workspace(ctx, sizeof(int64_t) * 4 * static_cast<size_t>(n_items)));
    if (!base) return CORTADO_STATUS_NO_WORKSPACE;
    int64_t* keys[2] = {base, base + n_items};
    int64_t* items[2] = {keys[1] + n_items, keys[1] + 2 * n_items};

    cortado::cuda::IndexFlag bad(ctx);
    int status = bad.begin();
    if (status == CORTADO_STATUS_OK) {
        status = CORTADO_LAUNCH(ctx, scatter_keys_kernel, grid_for(n_items), kThreads, 0, s, index, keys[0], items[0], bad.flag);
    }
    status = bad.finish(status);  // BAD_INDEX leaves dx untouched
    int cur = 0;
    if (status == CORTADO_STATUS_OK) {
        status = CORTADO_LAUNCH(ctx, sort_chunks_kernel, grid_for((n_items + kChunk - 1) / kChunk), kThreads, 0, n_items, keys[0],
                                items[0]);
    }
    for (int64_t width = kChunk; status == CORTADO_STATUS_OK && width < n_items; width *= 2) {
        status = CORTADO_LAUNCH(ctx, merge_kernel, grid_for(n_items), kThreads, 0, n_items, width, keys[cur], items[cur],
                                keys[1 - cur], items[1 - cur]);
        cur = 1 - cur;
    }
    if (status == CORTADO_STATUS_OK) {
        status = CORTADO_LAUNCH(ctx, scatter_apply_kernel, grid_for(n_items * (s.rows ? inner : 1)), kThreads, 0, s, keys[cur], items[cur], dy,
                                dx);
    }
    ctx->release(ctx, base);
    return status;
}
