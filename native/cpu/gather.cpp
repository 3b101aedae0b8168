// gather and scatter_add: y[o, j, i] = x[o, index[o·is0 + j·is1 + i·is2], i] and its backward,
// dx[o, index[...], i] += dy[o, j, i] (x, dx [outer, len, inner]; y, dy [outer, count, inner]).
//
// With is2 == 0 (index_select, an embedding lookup) one index moves a whole row of inner floats;
// otherwise (torch.gather) every element has its own.
//
// scatter_add sums every dx element's contributions in double in order of j and adds the sum to
// dx once: the reference's additions in its order, so its bits. No two threads write one dx
// element: rows: the (j) are sorted by their index (stable), and a thread owns whole runs of one
// index; per element: threads own blocks of columns (o, i), each summing into a dense double
// buffer over l.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <numeric>
#include <vector>

#include "cortado_cpu.h"
#include "simd.h"
#include "thread_pool.h"

namespace {

inline long index_at(const float* index, long k) { return static_cast<long>(index[k]); }

CORTADO_CLONES void gather_run(const float* __restrict xo, long inner, const float* __restrict idx, long is2,
                               float* __restrict y, long i0, long n) {
    for (long i = i0; i < i0 + n; i++) y[i] = xo[static_cast<long>(idx[i * is2]) * inner + i];
}

CORTADO_CLONES void add_row(const float* __restrict dy, double* __restrict acc, long n) {
    for (long i = 0; i < n; i++) acc[i] += dy[i];
}

// dx[i] = dx[i] + acc[i] where acc[i] != 0 (an element no contribution changed keeps its bits),
// then acc[i] = 0.
CORTADO_CLONES void flush_row(double* __restrict acc, float* __restrict dx, long n) {
    for (long i = 0; i < n; i++) {
        if (acc[i] != 0.0) dx[i] = static_cast<float>(dx[i] + acc[i]);
        acc[i] = 0.0;
    }
}

struct Free {
    void operator()(double* p) const { std::free(p); }
};

// Runs body(q0, q1, buffer) over [0, items) split into ranges as parallel_range splits them, each
// range with its own zeroed buffer of `doubles` doubles, allocated here first (so that running out
// of memory throws on the calling thread, never in a worker).
template <class Body>
void parallel_with_buffers(long items, long grain, long doubles, const Body& body) {
    const int want = static_cast<int>(std::max(1L, std::min<long>(cortado::threads(), items / std::max(1L, grain))));
    std::vector<std::unique_ptr<double, Free>> buffers;
    for (int t = 0; t < want; t++) {
        buffers.emplace_back(static_cast<double*>(std::calloc(std::max(1L, doubles), sizeof(double))));
        if (!buffers.back()) throw std::bad_alloc();
    }
    if (want == 1) return body(0L, items, buffers[0].get());
    cortado::parallel(want, [&](int tid, int nt, cortado::Barrier&) {
        long q0, q1;
        cortado::split(items, nt, tid, q0, q1);
        if (q0 < q1) body(q0, q1, buffers[tid].get());
    }, true);
}

// is2 == 0: every (o, j) moves one row. The rows j of each o are sorted by their index (stable: j
// ascending within an index; one sort serves every o when is0 == 0, index_select's backward); then
// each run of one dx row is summed in double and added to it. A thread owns the runs that start in
// its range of the sorted (o, j).
void scatter_rows(long outer, long len, long inner, long count, const float* index, long is0, long is1, const float* dy,
                  float* dx) {
    const long sorts = is0 == 0 ? 1 : outer;
    std::unique_ptr<long[]> order(new long[sorts * count]);
    cortado::parallel_range(sorts, std::max(1L, CORTADO_GRAIN / count), [&](long s0, long s1) {
        for (long s = s0; s < s1; s++) {
            long* first = order.get() + s * count;
            std::iota(first, first + count, 0L);
            std::stable_sort(first, first + count, [&](long p, long q) {
                return index_at(index, s * is0 + p * is1) < index_at(index, s * is0 + q * is1);
            });
        }
    });
    const long total = outer * count;
    auto row = [&](long e) { return order[(is0 == 0 ? 0 : e / count) * count + e % count]; };  // j of sorted (o, p)
    auto key = [&](long e) { return e / count * len + index_at(index, e / count * is0 + row(e) * is1); };  // its dx row
    parallel_with_buffers(total, std::max(1L, CORTADO_GRAIN / inner), inner, [&](long e0, long e1, double* acc) {
        while (e0 > 0 && e0 < e1 && key(e0) == key(e0 - 1)) e0++;
        for (long e = e0; e < e1;) {
            const long k = key(e);
            for (; e < total && key(e) == k; e++) add_row(dy + (e / count * count + row(e)) * inner, acc, inner);
            flush_row(acc, dx + k * inner, inner);
        }
    });
}

}  // namespace

CORTADO_KERNEL(gather) {
    const long rows = outer * count;
    if (rows == 0 || inner == 0) return CORTADO_STATUS_OK;
    if (is2 == 0) {
        cortado::parallel_range(rows, std::max(1L, CORTADO_GRAIN / inner), [&](long r0, long r1) {
            for (long r = r0; r < r1; r++) {
                const long o = r / count, j = r % count;
                const float* from = x + (o * len + index_at(index, o * is0 + j * is1)) * inner;
                if (inner == 1) y[r] = *from;
                else std::memcpy(y + r * inner, from, sizeof(float) * inner);
            }
        });
        return CORTADO_STATUS_OK;
    }
    cortado::parallel_range(rows * inner, CORTADO_GRAIN, [&](long e0, long e1) {
        for (long e = e0; e < e1;) {
            const long r = e / inner, i = e % inner, n = std::min(inner - i, e1 - e);
            const long o = r / count, j = r % count;
            gather_run(x + o * len * inner, inner, index + o * is0 + j * is1, is2, y + r * inner, i, n);
            e += n;
        }
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(scatter_add) {
    if (outer == 0 || count == 0 || inner == 0) return CORTADO_STATUS_OK;
    if (is2 == 0) {
        scatter_rows(outer, len, inner, count, index, is0, is1, dy, dx);
        return CORTADO_STATUS_OK;
    }
    // columns (o, block of w values of i), each with a dense double buffer over (l, i)
    const long w = std::max(1L, std::min<long>(inner, (1L << 14) / std::max<long>(1, len)));
    const long blocks = (inner + w - 1) / w;
    parallel_with_buffers(outer * blocks, std::max(1L, CORTADO_GRAIN / (count * w)), len * w, [&](long q0, long q1, double* acc) {
        for (long q = q0; q < q1; q++) {
            const long o = q / blocks, i0 = q % blocks * w, n = std::min(w, inner - i0);
            const float* idx = index + o * is0 + i0 * is2;
            const float* g = dy + o * count * inner + i0;
            float* d = dx + o * len * inner + i0;
            for (long j = 0; j < count; j++)
                for (long i = 0; i < n; i++) acc[index_at(idx, j * is1 + i * is2) * w + i] += g[j * inner + i];
            for (long j = 0; j < count; j++)
                for (long i = 0; i < n; i++) {
                    const long l = index_at(idx, j * is1 + i * is2);
                    double& a = acc[l * w + i];
                    if (a != 0.0) d[l * inner + i] = static_cast<float>(d[l * inner + i] + a);
                    a = 0.0;
                }
        }
    });
    return CORTADO_STATUS_OK;
}
