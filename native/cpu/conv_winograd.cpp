// Winograd's F(2x2, 3x3) (Lavin and Gray, 2016) for unit-stride 3x3 correlations, one image at a
// time (conv_direct.h). With d a 4x4 tile of the padded input, g a 3x3 filter and
//   V = B^T d B,  U = G g G^T,  M = sum over channels of U . V (16 products),  Y = A^T M A,
// Y is the tile's 2x2 outputs. The sums over channels are 16 small matrix products, each run by the
// direct forward kernel as a one-tap window over the tiles. An image goes in chunks of tile rows
// whose transforms stay in L2.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "conv_direct.h"
#include "gemm_driver.h"
#include "simd.h"
#include "thread_pool.h"

namespace cortado {
namespace {

constexpr long kChunkFloats = 1L << 16;  // 256 KB of transformed tiles (V and M) a chunk

// Tiles are numbered t = ty (tw + 1) + tx: one tile per row more than there are, dropped at the
// end, so that each transform is a few long unit-stride loops over all of an image's tiles.

// V[(4 i + j) xi_stride + t] for the tiles t of one padded channel plane (rows of cols = 2 tw + 2).
// B^T d down each tile's rows first, kept as even and odd columns (e[i], o[i]: the floats at 2 x and
// 2 x + 1, tw + 1 a tile row); then (B^T d) B across, from e[t], o[t], e[t + 1], o[t + 1].
CORTADO_CLONES void input_transform(const float* __restrict plane, int th, int tw, int cols, long xi_stride, float* __restrict v,
                                    float* __restrict scratch) {
    const long row = tw + 1, n = th * row;
    float* __restrict e0 = scratch;
    float* __restrict e1 = e0 + n + 1;
    float* __restrict e2 = e1 + n + 1;
    float* __restrict e3 = e2 + n + 1;
    float* __restrict o0 = e3 + n + 1;
    float* __restrict o1 = o0 + n + 1;
    float* __restrict o2 = o1 + n + 1;
    float* __restrict o3 = o2 + n + 1;
    float* __restrict s = o3 + n + 1;  // one row of B^T d, cols floats
    float* const es[4] = {e0, e1, e2, e3};
    float* const os[4] = {o0, o1, o2, o3};
    for (int ty = 0; ty < th; ty++) {
        const float* __restrict r0 = plane + static_cast<long>(2 * ty) * cols;
        const float* __restrict r1 = r0 + cols;
        const float* __restrict r2 = r1 + cols;
        const float* __restrict r3 = r2 + cols;
        // row i of B^T d = a[i] - sign[i] b[i]: r0 - r2, r2 + r1, r2 - r1, r1 - r3
        const float* const as[4] = {r0, r2, r2, r1};
        const float* const bs[4] = {r2, r1, r1, r3};
        const float signs[4] = {1.0f, -1.0f, 1.0f, 1.0f};
        for (int i = 0; i < 4; i++) {
            const float* __restrict a = as[i];
            const float* __restrict b = bs[i];
            const float sign = signs[i];
            for (int x = 0; x < cols; x++) s[x] = a[x] - sign * b[x];
            float* __restrict e = es[i] + ty * row;
            float* __restrict o = os[i] + ty * row;
            for (int x = 0; x <= tw; x++) {
                e[x] = s[2 * x];
                o[x] = s[2 * x + 1];
            }
        }
    }
    for (int i = 0; i < 4; i++) {  // (t = n - 1, a dropped tile, reads e[n]: scratch, never used)
        const float* __restrict e = es[i];
        const float* __restrict o = os[i];
        float* __restrict v0 = v + (4 * i) * xi_stride;
        float* __restrict v1 = v0 + xi_stride;
        float* __restrict v2 = v1 + xi_stride;
        float* __restrict v3 = v2 + xi_stride;
        for (long t = 0; t < n; t++) {
            v0[t] = e[t] - e[t + 1];
            v1[t] = o[t] + e[t + 1];
            v2[t] = e[t + 1] - o[t];
            v3[t] = o[t] - o[t + 1];
        }
    }
}

// One filter's outputs from its 16 planes of M (xi_stride apart): the tail of A^T M A plus the bias,
// cropped (ep aligned with y).
CORTADO_CLONES void output_transform(const float* __restrict m, long xi_stride, int th, int tw, int oh, int ow, float bias,
                                     float* __restrict y, const Epilogue& ep, float* __restrict scratch) {
    const long row = tw + 1, n = th * row;
    float* __restrict y00 = scratch;  // output (2 ty + a, 2 tx + b) of tile t at yab[t]
    float* __restrict y01 = y00 + n;
    float* __restrict y10 = y01 + n;
    float* __restrict y11 = y10 + n;
    for (long t = 0; t < n; t++) {
        float q0[4], q1[4];
        for (int j = 0; j < 4; j++) {  // A^T M: down
            const float a = m[j * xi_stride + t], b = m[(4 + j) * xi_stride + t];
            const float c = m[(8 + j) * xi_stride + t], d = m[(12 + j) * xi_stride + t];
            q0[j] = a + b + c;
            q1[j] = b - c - d;
        }
        y00[t] = q0[0] + q0[1] + q0[2] + bias;  // (A^T M) A: across
        y01[t] = q0[1] - q0[2] - q0[3] + bias;
        y10[t] = q1[0] + q1[1] + q1[2] + bias;
        y11[t] = q1[1] - q1[2] - q1[3] + bias;
    }
    float* __restrict zip = y11 + n;  // one output row, 2 tw floats
    for (int ty = 0; ty < th; ty++) {
        const long at = ty * row;
        for (int a = 0; a < 2 && 2 * ty + a < oh; a++) {  // output rows 2 ty and 2 ty + 1
            const float* __restrict even = (a ? y10 : y00) + at;
            const float* __restrict odd = (a ? y11 : y01) + at;
            for (int tx = 0; tx < tw; tx++) {
                zip[2 * tx] = even[tx];
                zip[2 * tx + 1] = odd[tx];
            }
            ep.at(static_cast<long>(2 * ty + a) * ow).store(zip, ow, y + static_cast<long>(2 * ty + a) * ow);
        }
    }
}

}  // namespace

bool Winograd::transform_filters(const DirectKernels& k, int channels, int outs, const float* w, float* u) {
    const long c = channels, groups = ceil_div(outs, k.fb), xs = groups * c * k.fb;  // u's stride from one xi to the next
    // A filter group at a time, kRun channels at a time through a buffer: the 16 planes of U are a
    // power of two apart often enough that storing to all of them at once thrashes one cache set.
    constexpr int kRun = 32, kMaxFb = 16;  // (FB: 4 or 8)
    std::atomic<bool> bad{false};
    parallel_range(groups, 4, [&](long g0, long g1) {
        float buf[16][kRun * kMaxFb];
        bool ok = true;
        for (long gi = g0; gi < g1; gi++)
            for (long c0 = 0; c0 < c; c0 += kRun) {
                const int run = static_cast<int>(std::min<long>(kRun, c - c0));
                for (int r = 0; r < run; r++)
                    for (int i = 0; i < k.fb; i++) {
                        const long o = gi * k.fb + i;
                        float* dst = &buf[0][r * k.fb + i];
                        if (o >= outs) {  // past the last filter: zeros
                            for (int xi = 0; xi < 16; xi++) dst[xi * kRun * kMaxFb] = 0.0f;
                            continue;
                        }
                        const float* f = w + (o * c + c0 + r) * 9;
                        double gg[4][3], U[4][4];
                        for (int j = 0; j < 3; j++) {  // G g: down the filter
                            gg[0][j] = f[j];
                            gg[1][j] = 0.5 * (static_cast<double>(f[j]) + f[3 + j] + f[6 + j]);
                            gg[2][j] = 0.5 * (static_cast<double>(f[j]) - f[3 + j] + f[6 + j]);
                            gg[3][j] = f[6 + j];
                        }
                        for (int q = 0; q < 4; q++) {  // (G g) G^T: across
                            U[q][0] = gg[q][0];
                            U[q][1] = 0.5 * (gg[q][0] + gg[q][1] + gg[q][2]);
                            U[q][2] = 0.5 * (gg[q][0] - gg[q][1] + gg[q][2]);
                            U[q][3] = gg[q][2];
                        }
                        for (int xi = 0; xi < 16; xi++) {
                            const float v = static_cast<float>(U[xi / 4][xi % 4]);
                            ok &= std::isfinite(v);
                            dst[xi * kRun * kMaxFb] = v;
                        }
                    }
                for (int xi = 0; xi < 16; xi++)
                    std::copy(buf[xi], buf[xi] + run * k.fb, u + xi * xs + (gi * c + c0) * k.fb);
            }
        if (!ok) bad = true;
    });
    return !bad;
}

Winograd::Winograd(const DirectKernels& kernels, const Geometry& geometry, int outputs, const float* w, const float* b,
                   const float* prepared)
    : k(kernels), g(geometry), outs(outputs), groups(static_cast<int>(ceil_div(outputs, kernels.fb))),
      th((geometry.oh + 1) / 2), tw((geometry.ow + 1) / 2), rows(2 * th + 2), cols(2 * tw + 2),
      chunk(chunk_rows(kernels, geometry, outputs)),
      tiles(ceil_div(static_cast<long>(chunk) * (tw + 1), kernels.pb * kernels.vw) * kernels.pb * kernels.vw),
      u(prepared), bias(b ? b : nullptr, b ? b + outputs : nullptr), finite_filters(true) {
    if (prepared) return;
    own.reset(new float[filters_floats(kernels, geometry.channels, outputs)]);
    u = own.get();
    finite_filters = transform_filters(kernels, geometry.channels, outputs, w, own.get());
}

bool Winograd::worth(const DirectKernels& k, const Geometry& g, int outs, int batch, bool prepared) {
    // Per tile, the channel sums take 16 C F products, the transforms touch 16 (C + F) numbers: at
    // 16 channels and filters (8 products a number) ResNet-20's first stage ran 18% slower than the
    // direct kernels, at 32 and 64 (16 and 32) its later stages 8-12% faster. A 7 x 7 output is 16
    // tiles computed as 20 lanes of a 24-lane block for 49 outputs: there the products it saves
    // are spent again (forward at 64 channels, batch 500: 17.4-22.7 ms against 16.1-16.9 direct;
    // data gradient at 512, batch 32: 83-116 against 68-75), so small planes stay direct. The
    // transformed filters (16 C F numbers, written and read once a call) need a hundred or so tiles
    // to pay for: ResNet-18's 14 x 14 at 256 channels and batch 1 (56 tiles) ran 2.1 ms by Winograd
    // and 1.8 by the GEMM, its 28 x 28 at 128 (210 tiles) 1.4 against 1.6. Where 512-bit FMAs run
    // at half rate (a Zen 4) the direct kernels win at 32 channels and filters too (ResNet-20's
    // 14 x 14, batch 128, 2 threads: forward 3.2-3.3 ms against 3.7-4.2, data gradient 3.1-3.3
    // against 3.7-4.3; at batch 500 12.0-12.9 against 14.3-15.6) and are about even at 64.
    // Filters transformed ahead (conv_prepare_filters) leave only the tiles' transforms to pay for:
    // the 14 x 14 at 256 channels and batch 1 (56 tiles), products by the GEMM's micro-kernels
    // (passes), 0.91-0.95 ms against the GEMM's 1.17-1.19.
    const long c = g.channels, f = ceil_div(outs, k.fb) * k.fb;
    const long tiles = static_cast<long>((g.oh + 1) / 2) * ((g.ow + 1) / 2 + 1);
    const long products = half_rate_lanes(k) ? 24 : 16;  // per transformed number, at least
    return c * f >= products * (c + f) && g.out_plane() >= 64 && batch * tiles >= (prepared ? 48 : 128);
}

// Tile rows a chunk: as many as keep its V and M under kChunkFloats, but at least a block of the
// kernel's tiles (at 512 channels a 7x7 image's 20 tiles are one chunk), spread evenly over the image.
int Winograd::chunk_rows(const DirectKernels& k, const Geometry& g, int outs) {
    const int th = (g.oh + 1) / 2, tw = (g.ow + 1) / 2;
    const long per_row = 16L * (g.channels + ceil_div(outs, k.fb) * k.fb) * (tw + 1);
    const long fit = std::max(ceil_div(4 * k.pb * k.vw, tw + 1), kChunkFloats / per_row);
    return static_cast<int>(ceil_div(th, ceil_div(th, fit)));
}

long Winograd::padded() const { return g.channels * static_cast<long>(rows) * cols; }

long Winograd::chunk_scratch() const {
    return 16L * (g.channels + groups * k.fb) * tiles + 9L * (tiles + 1) + cols;  // (output: 4 tiles + 2 tw < 9 (tiles + 1))
}

long Winograd::scratch() const { return padded() + chunk_scratch(); }

bool Winograd::pad(const float* x, float* xp, int c0, int c1) const {
    const long plane = static_cast<long>(rows) * cols;
    return pad_planes(x + c0 * static_cast<long>(g.height) * g.width, c1 - c0, g.height, g.width, g.ph, g.pw, rows, cols, plane,
                      xp + c0 * plane, true);
}

namespace {
// A packer of U's panels at other widths than FB (GEMM's small-panels path): rows x (filters) of
// U[group][channel][FB], one product's, at channel p.
struct UPanels {
    const float* u;
    int fb;
    long c;
    void operator()(int w, long x0, int count, long p0, int kc, float* dst, long q0, long q1) const {
        for (long q = q0; q < q1; q++)
            for (int p = 0; p < kc; p++)
                for (int i = 0; i < w; i++) {
                    const long x = x0 + q * w + i;
                    dst[(q * kc + p) * w + i] = x < x0 + count ? u[(x / fb * c + p0 + p) * fb + x % fb] : 0.0f;
                }
    }
};

// The GEMM's blocking for the products, U's filter groups its A panels (FB rows), or none (mr 0)
// where its micro-kernels take fewer rows than a group (the generic kernels: the direct ones then).
Blocking product_blocking(const DirectKernels& k, int groups) {
    Blocking bl = gemm_blocking(static_cast<long>(groups) * k.fb, 64);
    if (k.fb > bl.mr) return Blocking{};
    bl.mc = static_cast<int>(ceil_div(bl.mc, k.fb)) * k.fb;
    bl.mr = k.fb;
    return bl;
}
}  // namespace

void Winograd::product(const Blocking& bl, int xi, int g0, int g1, const float* v, long ld, int n, float* m) const {
    const long c = g.channels;
    const float* ux = u + static_cast<long>(xi) * groups * c * k.fb;
    if (bl.mr) {  // U's groups read as they lie, V's rows in place
        const float* ug = ux + g0 * c * k.fb;
        const Prepacked<UPanels> a{ug, k.fb, c, UPanels{ug, k.fb, c}};
        gemm_blocked(bl, (g1 - g0) * k.fb, n, 0, c, a, InPlace(Matrix::rows(v, ld)), 0.0f, Matrix::rows(m, ld), 1, NoTail());
        return;
    }
    const int blocks = static_cast<int>(ceil_div(n, k.pb * k.vw)), one_tap = 0;
    for (int gi = g0; gi < g1; gi++)
        k.forward(v, ld, g.channels, &one_tap, 1, ux + gi * c * k.fb, nullptr, false, blocks, ld, m + (gi - g0) * k.fb * ld);
}

void Winograd::tile_rows(const float* xp, float* y, const Epilogue& ep, int g0, int g1, int ty0, float* scratch) const {
    const long c = g.channels, plane = static_cast<long>(rows) * cols, fp = static_cast<long>(groups) * k.fb;
    const int n = std::min(chunk, th - ty0);
    float* v = scratch;
    float* m = v + 16 * c * tiles;
    float* buf = m + 16 * fp * tiles;
    for (long ch = 0; ch < c; ch++) input_transform(xp + ch * plane + 2L * ty0 * cols, n, tw, cols, c * tiles, v + ch * tiles, buf);
    const Blocking bl = product_blocking(k, groups);
    for (int xi = 0; xi < 16; xi++) product(bl, xi, g0, g1, v + xi * c * tiles, tiles, n * (tw + 1), m + (xi * fp + g0 * k.fb) * tiles);
    for (int o = g0 * k.fb; o < std::min(outs, g1 * k.fb); o++)
        output_transform(m + o * tiles, fp * tiles, n, tw, g.oh - 2 * ty0, g.ow, bias.empty() ? 0.0f : bias[o],
                         y + o * g.out_plane() + 2L * ty0 * g.ow, ep.at(o * g.out_plane() + 2L * ty0 * g.ow), buf);
}

namespace {
// An image's tiles, rounded up to the kernel's block; the floats an input or output transform needs.
long all_tiles(const DirectKernels& k, int th, int tw) {
    return ceil_div(static_cast<long>(th) * (tw + 1), k.pb * k.vw) * k.pb * k.vw;
}
long transform_scratch(long tiles, int cols) { return 9L * (tiles + 1) + cols; }
}  // namespace

long Winograd::passes_scratch(int workers) const {
    const long t = all_tiles(k, th, tw);
    return 16L * (g.channels + groups * k.fb) * t + workers * transform_scratch(t, cols);
}

void Winograd::passes(const float* xp, float* y, const Epilogue& ep, int workers, float* scratch) const {
    const long c = g.channels, plane = static_cast<long>(rows) * cols, fp = static_cast<long>(groups) * k.fb;
    const long t = all_tiles(k, th, tw), transform = transform_scratch(t, cols);
    float* v = scratch;
    float* m = v + 16 * c * t;
    float* bufs = m + 16 * fp * t;
    parallel_items(workers, c, [&](int tid, long ch) { input_transform(xp + ch * plane, th, tw, cols, c * t, v + ch * t, bufs + tid * transform); });
    // The 16 products (each an item on the GEMM, each filter group's an item on the direct kernels)
    const Blocking bl = product_blocking(k, groups);
    const int per = bl.mr ? groups : 1;
    parallel_items(workers, 16L * groups / per, [&](int, long item) {
        const int xi = static_cast<int>(item * per / groups), g0 = static_cast<int>(item * per % groups);
        product(bl, xi, g0, g0 + per, v + xi * c * t, t, th * (tw + 1), m + (xi * fp + g0 * k.fb) * t);
    });
    parallel_items(workers, outs, [&](int tid, long o) {
        output_transform(m + o * t, fp * t, th, tw, g.oh, g.ow, bias.empty() ? 0.0f : bias[o], y + o * g.out_plane(),
                         ep.at(o * g.out_plane()), bufs + tid * transform);
    });
}

bool Winograd::image(const float* x, float* y, const Epilogue& ep, int g0, int g1, float* scratch) const {
    if (!pad(x, scratch, 0, g.channels)) return false;
    for (int ty0 = 0; ty0 < th; ty0 += chunk) tile_rows(scratch, y, ep, g0, g1, ty0, scratch + padded());
    return true;
}

}  // namespace cortado
