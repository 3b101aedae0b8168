// Direct unit-stride convolution (see conv_direct.h): the drivers. Images are padded one at a time
// into a thread's scratch, where they stay in cache while every filter group reads them.
//   forward          y = x * W (+ bias), FB filters at a time over one padded image
//   data gradient    dx = dY * W', the same forward over dY padded by k - 1 - p, with W' the filters
//                    turned by 180 degrees and their channel and filter axes swapped
//   filter gradient  dW[f, c, t] = sum over images and pixels of dY[f] . (x[c] shifted by tap t);
//                    images go in chunks of fixed size whose partial sums are added in chunk order,
//                    so the bits do not depend on the thread count
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#pragma GCC optimize("no-tree-loop-distribute-patterns")  // rows are short: loops, not memcpy calls
#include "conv_direct.h"
#include "simd.h"
#include "gemm_driver.h"
#include "thread_pool.h"

namespace cortado {

const DirectKernels& direct_kernels() {
    const int isa = cortado_isa();
    return isa >= 2 ? direct_avx512 : isa == 1 ? direct_avx2 : direct_generic;
}

bool half_rate_lanes(const DirectKernels& k) { return k.vw >= 16 && half_rate_avx512(); }

Geometry::Geometry(int c, int h, int w, int kernel_h, int kernel_w, int pad_h, int pad_w, long granule)
    : channels(c), height(h), width(w), kh(kernel_h), kw(kernel_w), ph(pad_h), pw(pad_w), hp(h + 2 * pad_h),
      wp(w + 2 * pad_w), oh(hp - kernel_h + 1), ow(wp - kernel_w + 1), taps(kernel_h * kernel_w), toff(taps) {
    span = ceil_div(static_cast<long>(oh) * wp, granule) * granule;
    ps = std::max(static_cast<long>(hp) * wp, span + static_cast<long>(kh - 1) * wp + kw - 1);
    ps = ceil_div(ps, 16L) * 16;
    for (int t = 0; t < taps; t++) toff[t] = t / kw * wp + t % kw;
}

namespace {

// Whether no value is inf or NaN (their exponent bits all set), without a branch per value.
bool finite(const float* p, long n) {
    uint32_t bad = 0;
    for (long i = 0; i < n; i++) {
        uint32_t bits;
        std::memcpy(&bits, p + i, 4);
        bad |= (bits & 0x7f800000u) == 0x7f800000u;
    }
    return !bad;
}

// row = pw zeros, the w floats of in, zeros up to cols; with `check`, whether those w are finite.
bool pad_row(const float* in, int w, int pw, int cols, float* row, bool check) {
    std::fill(row, row + pw, 0.0f);
    for (int x = 0; x < w; x++) row[pw + x] = in[x];
    std::fill(row + pw + w, row + cols, 0.0f);
    return !check || finite(in, w);
}

// The same 16 floats at a time, each vector whole: input lanes by a masked load, the padding its
// zeros (ResNet-20's 14-float rows took four calls of std::fill, a copy and a check each: 16% of
// its filter gradient).
__attribute__((target("avx512f"))) bool pad_row_avx512(const float* in, int w, int pw, int cols, float* row, bool) {
    const __m512i exponent = _mm512_set1_epi32(0x7f800000);
    __mmask16 bad = 0;
    for (int t = 0; t < cols; t += 16) {
        const __mmask16 inside = lanes(pw - t, pw + w - t);
        const __m512 v = _mm512_maskz_loadu_ps(inside, in + (t - pw));  // (lanes outside are not read)
        bad |= _mm512_mask_cmpeq_epi32_mask(inside, _mm512_and_si512(_mm512_castps_si512(v), exponent), exponent);
        _mm512_mask_storeu_ps(row + t, lanes(0, cols - t), v);
    }
    return bad == 0;
}

}  // namespace

bool pad_planes(const float* src, int channels, int h, int w, int ph, int pw, int rows, int cols, long stride, float* dst,
                bool check) {
    auto row_of = cortado_isa() >= 2 ? pad_row_avx512 : pad_row;
    bool ok = true;
    for (int c = 0; c < channels; c++) {
        const float* s = src + static_cast<long>(c) * h * w;
        float* d = dst + c * stride;
        std::fill(d, d + static_cast<long>(ph) * cols, 0.0f);
        for (int y = 0; y < h; y++) ok &= row_of(s + static_cast<long>(y) * w, w, pw, cols, d + static_cast<long>(ph + y) * cols, check);
        std::fill(d + static_cast<long>(ph + h) * cols, d + stride, 0.0f);
    }
    return ok || !check;
}

namespace {

constexpr long kChunkImages = 256;  // images a filter-gradient chunk holds at most

// The shapes the direct kernels take: unit strides and sizes whose offsets fit an int.
bool usable(const Window& w, int batch, int filters) {
    return w.sh == 1 && w.sw == 1 && batch > 0 && filters > 0 && w.channels > 0 &&
           static_cast<long>(w.height + 2 * w.ph + 1) * (w.width + 2 * w.pw + 1) < (1L << 24);
}

// y's plane (ep aligned with it) from outputs [p0, p1) of one filter (out[p] for p = oy wp + ox),
// columns ox >= ow dropped.
void drop_columns(const Geometry& g, const float* out, long p0, long p1, float* y, const Epilogue& ep) {
    for (long p = p0; p < p1;) {
        const long oy = p / g.wp, ox = p % g.wp, run = std::min<long>(g.wp - ox, p1 - p);
        if (oy >= g.oh) break;
        if (ox < g.ow) ep.at(oy * g.ow + ox).store(out + p - p0, std::min<long>(ox + run, g.ow) - ox, y + oy * g.ow + ox);
        p += run;
    }
}

}  // namespace

DirectPlan::DirectPlan(const DirectKernels& kernels, const Geometry& geometry, int outputs)
    : k(kernels), g(geometry), outs(outputs), groups(static_cast<int>(ceil_div(outputs, kernels.fb))),
      blocked(static_cast<long>(geometry.channels) * geometry.taps * kernels.fb) {
    const long block = k.pb * k.vw, blocks = g.span / block, reach = g.toff[g.taps - 1];
    stretch = std::max(1L, std::min(blocks, ((64L << 10) / g.channels - reach) / block));  // 256 KB of rows
    cc = static_cast<int>(std::max(1L, 4096L / (g.taps * k.fb)));  // 16 KB of filters
}

void DirectPlan::load(const float* w, const float* b) {
    wb.assign(groups * blocked, 0.0f);
    bias.assign(b ? groups * k.fb : 0, 0.0f);
    const long c = g.channels, taps = g.taps;
    parallel_range(groups, 8, [&](long g0, long g1) {
        for (long o = g0 * k.fb; o < std::min<long>(outs, g1 * k.fb); o++) {
            for (long ch = 0; ch < c; ch++)
                for (long t = 0; t < taps; t++) wb[((o / k.fb * c + ch) * taps + t) * k.fb + o % k.fb] = w[(o * c + ch) * taps + t];
            if (b) bias[o] = b[o];
        }
    });
}

long DirectPlan::scratch() const { return g.channels * g.ps + k.fb * stretch * k.pb * k.vw; }

// Outputs go in stretches of blocks whose input rows fit in L2 beside the filters (a large image is
// read from memory once, not once per filter group), and channels in runs whose filters stay in L1.
void DirectPlan::image(const float* x, float* y, const Epilogue& ep, int g0, int g1, float* scratch) const {
    float* xp = scratch;
    float* out = xp + g.channels * g.ps;
    pad(g, x, xp, false);
    const long block = k.pb * k.vw, blocks = g.span / block;
    for (long b0 = 0; b0 < blocks; b0 += stretch) {
        const long nb = std::min(stretch, blocks - b0), p0 = b0 * block;
        for (int gi = g0; gi < g1; gi++) {
            for (int c0 = 0; c0 < g.channels; c0 += cc)
                k.forward(xp + c0 * g.ps + p0, g.ps, std::min(cc, g.channels - c0), g.toff.data(), g.taps,
                          wb.data() + gi * blocked + static_cast<long>(c0) * g.taps * k.fb,
                          bias.empty() ? nullptr : bias.data() + gi * k.fb, c0 > 0, static_cast<int>(nb), nb * block, out);
            for (int i = 0; i < k.fb && gi * k.fb + i < outs; i++)
                drop_columns(g, out + i * nb * block, p0, p0 + nb * block, y + (gi * k.fb + i) * g.out_plane(),
                             ep.at((gi * k.fb + i) * g.out_plane()));
        }
    }
}

namespace {

// At least `channel_taps` channels x taps over a plane small enough that a sixth or more of the
// direct kernels' lanes run past its rows into the padding: the GEMM's case.
bool small_plane(const Geometry& g, long channel_taps) {
    return static_cast<long>(g.channels) * g.taps >= channel_taps && 6 * g.out_plane() < 5 * g.span;
}

// Whether a 3x3 window takes Winograd (a third of the lanes wasted on too few filters: never).
bool winograd(const DirectKernels& k, const Geometry& g, int batch, int outs, bool prepared) {
    return g.kh == 3 && g.kw == 3 && Winograd::worth(k, g, outs, batch, prepared) && 2L * ceil_div(outs, k.fb) * k.fb <= 3L * outs;
}

// y[n, o] = x[n] correlated with filter o of w ([outs][channels][taps]) + bias[o], n < batch. A 3x3
// window takes Winograd's F(2x2, 3x3) where it pays, its filters transformed ahead (`prepared`) or
// here (an image with a non-finite value, or non-finite filters, the direct kernels: their
// products are the reference's, inf and NaN alike). Returns false (nothing written) where the
// caller's GEMM measured faster; `forward`: the caller is the forward.
bool correlate(const cortado_context* ctx, const Geometry& g, int batch, int outs, const float* x, const float* w,
               const float* bias, const float* prepared, const Epilogue& ep, float* y, bool forward) {
    const DirectKernels& k = direct_kernels();
    std::unique_ptr<Winograd> wp(winograd(k, g, batch, outs, prepared != nullptr) && (!bias || finite(bias, outs))
                                     ? new Winograd(k, g, outs, w, bias, prepared) : nullptr);
    if (wp && !wp->finite_filters) wp.reset();
    const bool wino = wp != nullptr;
    // Forward, many channels over a small plane (ResNet-18's 7x7 at 512: 4.8 ms direct, 2.4 by GEMM
    // at batch 1, 64 against 52 at 32; its 14x14 at 256 and batch 1: 2.2 against 1.8) go to the
    // GEMM, whose lanes do not run past the rows; at 64 channels (ResNet-20's last stage) the direct
    // kernels stay faster (the data gradient's GEMM and col2im lost there: 86 ms against 65) —
    // except where 512-bit FMAs run at half rate (a Zen 4, AVX-512, 64 x 7x7: forward at batch 500
    // 17.6 ms direct, 12.5-12.7 by GEMM, at 128 4.5 against 3.2-3.5; data gradient at 128 4.3
    // against 3.1-3.2; conv_data_direct).
    if (forward && !wino && small_plane(g, half_rate_lanes(k) ? 576 : 2304)) return false;
    DirectPlan plan(k, g, outs);
    if (2L * plan.groups * k.fb > 3L * outs) return false;  // a third of the lanes would be wasted (a one-channel dx)
    const int threads = cortado::threads();
    if (!wp) plan.load(w, bias);
    // An image per item; with too few images for the threads, the direct kernels split an image's
    // filter groups between items (two per thread), and Winograd pads each image once and hands
    // out its chunks of tile rows (or, where chunks are too few, runs three passes over the image:
    // Winograd::passes), so that a thread the machine slows down does less instead of holding up
    // the call.
    const bool few = batch < 2 * threads;
    int per = plan.groups;  // filter groups an item takes
    if (few) per = static_cast<int>(ceil_div(plan.groups, std::min<long>(plan.groups, ceil_div(2 * threads, wp ? wp->chunks() : batch))));
    const int splits = static_cast<int>(ceil_div(plan.groups, per));
    const long items = static_cast<long>(batch) * splits, scratch = std::max(plan.scratch(), wp ? wp->scratch() : 0L);
    const long chunk_items = wp ? static_cast<long>(wp->chunks()) * splits : 0;
    const int workers = static_cast<int>(std::min<long>(std::max(items, chunk_items), threads));
    const long wino_scratch = !wp ? 0 : few && splits > 1 ? wp->passes_scratch(threads) : workers * wp->chunk_scratch();
    const long total = std::max(workers * scratch, wp ? wp->padded() + wino_scratch : 0L);
    float* ws = static_cast<float*>(ctx->workspace(ctx, sizeof(float) * total));
    if (!ws) return false;
    const long out_image = static_cast<long>(outs) * g.out_plane();
    // Winograd's images that hold a non-finite value, redone by the direct kernels after
    std::unique_ptr<std::atomic<bool>[]> redo(wp ? new std::atomic<bool>[batch]() : nullptr);
    std::atomic<bool> any_redo{false};
    auto run = [&](bool direct) {
        parallel_items(workers, items, [&](int tid, long item) {
            const long n = item / splits;
            const int g0 = static_cast<int>(item % splits) * per, g1 = std::min(plan.groups, g0 + per);
            float* s = ws + tid * scratch;
            const Epilogue tail = ep.at(n * out_image);
            if (direct) {
                if (!redo || redo[n]) plan.image(x + n * g.image(), y + n * out_image, tail, g0, g1, s);
            } else if (!wp->image(x + n * g.image(), y + n * out_image, tail, g0, g1, s)) {
                redo[n] = true;
                any_redo = true;
            }
        });
    };
    if (wp && few) {
        for (long n = 0; n < batch; n++) {
            std::atomic<bool> finite_image{true};
            parallel_range(g.channels, 8, [&](long c0, long c1) {
                if (!wp->pad(x + n * g.image(), ws, static_cast<int>(c0), static_cast<int>(c1))) finite_image = false;
            });
            if (!finite_image) {
                redo[n] = true;
                any_redo = true;
                continue;
            }
            // Chunks too few to go round without splitting the filter groups (ResNet-18's 28x28 at 128
            // channels: 2 chunks), each split redoing the chunk's input transforms: three passes over
            // the whole image instead (that convolution 1.33-1.37 -> 1.07-1.13 ms; at 56x56, 4
            // chunks, the chunks stay faster: 0.97-1.01 against 1.08-1.21)
            if (splits > 1) {
                wp->passes(ws, y + n * out_image, ep.at(n * out_image), threads, ws + wp->padded());
                continue;
            }
            parallel_items(workers, chunk_items, [&](int tid, long item) {
                const int ty0 = static_cast<int>(item / splits) * wp->chunk;
                const int g0 = static_cast<int>(item % splits) * per, g1 = std::min(plan.groups, g0 + per);
                wp->tile_rows(ws, y + n * out_image, ep.at(n * out_image), g0, g1, ty0, ws + wp->padded() + tid * wp->chunk_scratch());
            });
        }
    } else if (wp) {
        run(false);
    }
    if (!wp || any_redo) {
        if (wp) plan.load(w, bias);
        run(true);
    }
    ctx->release(ctx, ws);
    return true;
}

}  // namespace

bool conv_forward_direct(const cortado_context* ctx, const Window& w, int batch, int filters, const float* x,
                         const float* weight, const float* bias, const float* winograd, const Epilogue& ep, float* y) {
    // a 1x1 window packs nothing the GEMM would not: the GEMM measured faster there
    if (!usable(w, batch, filters) || w.kh * w.kw == 1) return false;
    const DirectKernels& k = direct_kernels();
    const Geometry g(w.channels, w.height, w.width, w.kh, w.kw, w.ph, w.pw, k.pb * k.vw);
    return correlate(ctx, g, batch, filters, x, weight, bias, winograd, ep, y, true);
}

bool conv_forward_winograd(const Window& w, int batch, int filters) {
    if (!usable(w, batch, filters)) return false;
    const DirectKernels& k = direct_kernels();
    return winograd(k, Geometry(w.channels, w.height, w.width, w.kh, w.kw, w.ph, w.pw, k.pb * k.vw), batch, filters, true);
}

bool conv_data_direct(const cortado_context* ctx, const Window& w, int batch, int filters, const float* weight,
                      const float* dy, float* dx) {
    if (!usable(w, batch, filters) || w.ph > w.kh - 1 || w.pw > w.kw - 1) return false;
    // dY's padding would meet an inf or NaN filter (0 x inf) where the reference's col2im has no
    // product at all: such filters go to the GEMM
    if (!finite(weight, static_cast<long>(filters) * w.channels * w.kh * w.kw)) return false;
    const DirectKernels& k = direct_kernels();
    const Geometry g(filters, w.out_h(), w.out_w(), w.kh, w.kw, w.kh - 1 - w.ph, w.kw - 1 - w.pw, k.pb * k.vw);
    // dY padded by k - 1 - p around a small plane is mostly zeros: past twice the GEMM's products
    // (LeNet's second layer: 3x) the GEMM and col2im measured faster
    if (g.span > 2 * w.out_plane()) return false;
    // many filters over a small plane on half-rate AVX-512, as the forward in correlate()
    if (half_rate_lanes(k) && small_plane(g, 576)) return false;
    // filters turned by 180 degrees, channel and filter axes swapped: [channels][filters][taps]
    const long taps = g.taps, c = w.channels;
    std::vector<float> turned(c * filters * taps);
    for (long f = 0; f < filters; f++)
        for (long ch = 0; ch < c; ch++)
            for (long t = 0; t < taps; t++) turned[(ch * filters + f) * taps + t] = weight[(f * c + ch) * taps + taps - 1 - t];
    return correlate(ctx, g, batch, w.channels, dy, turned.data(), nullptr, nullptr, Epilogue{}, dx, false);
}

bool conv_filter_direct(const cortado_context* ctx, const Window& w, int batch, int filters, const float* x,
                        const float* dy, float* dweight) {
    if (!usable(w, batch, filters)) return false;
    const DirectKernels& k = direct_kernels();
    const Geometry g(w.channels, w.height, w.width, w.kh, w.kw, w.ph, w.pw, k.vw);
    // Each (filter group, channel, tap block) ends in a horizontal sum: small planes and large
    // banks (many such sums, little work each) go to the GEMM, which measured faster there.
    if (g.out_plane() < 128 || static_cast<long>(filters) * w.channels > 64L * 64) return false;
    const int groups = static_cast<int>(ceil_div(filters, k.fb)), tblocks = static_cast<int>(ceil_div(g.taps, k.tb));
    const int vectors = static_cast<int>(g.span / k.vw), threads = cortado::threads();
    const long c = w.channels, taps = g.taps, weights = filters * c * taps;
    // per image: its padded planes, then dY's planes spread over rows of wp (zeros past each row,
    // past the last row and in the planes past the last filter)
    const long image = c * g.ps + static_cast<long>(groups) * k.fb * g.span;
    // 256 KB of images a chunk, at most kChunkImages
    const int per = static_cast<int>(std::max(1L, std::min<long>({batch, (64L << 10) / image, kChunkImages})));
    const long chunks = ceil_div(batch, per);
    // a chunk per item; its filter groups split between items only when chunks are too few
    int gper = groups;
    if (chunks < 2 * threads) gper = static_cast<int>(ceil_div(groups, std::min<long>(groups, ceil_div(2 * threads, chunks))));
    const int splits = static_cast<int>(ceil_div(groups, gper));
    const long items = chunks * splits;
    const int workers = static_cast<int>(std::min<long>(items, threads));
    float* ws = static_cast<float*>(ctx->workspace(ctx, sizeof(float) * (workers * per * image + chunks * weights)));
    if (!ws) return false;
    float* partials = ws + workers * per * image;
    std::atomic<bool> all_finite{true};
    parallel_items(workers, items, [&](int tid, long item) {
        const long chunk = item / splits, n0 = chunk * per;
        const int nb = static_cast<int>(std::min<long>(per, batch - n0));
        const int g0 = static_cast<int>(item % splits) * gper, g1 = std::min(groups, g0 + gper);
        float* base = ws + static_cast<long>(tid) * per * image;
        bool ok = true;
        for (int m = 0; m < nb; m++) {
            float* xp = base + m * image;
            float* gp = xp + c * g.ps;
            ok &= pad(g, x + (n0 + m) * g.image(), xp, true);
            // dY's planes of this item's filters as rows of wp, zeros past each row and past the last
            const int f0 = g0 * k.fb, f1 = std::min(filters, g1 * k.fb);
            pad_planes(dy + ((n0 + m) * filters + f0) * g.out_plane(), f1 - f0, g.oh, g.ow, 0, 0, g.oh, g.wp, g.span,
                       gp + f0 * g.span, false);
            std::fill(gp + f1 * g.span, gp + static_cast<long>(g1) * k.fb * g.span, 0.0f);  // planes past the last filter
        }
        if (!ok) {  // 0 x inf at a dropped column would be a NaN the reference does not have
            all_finite = false;
            return;
        }
        float* part = partials + chunk * weights;
        const float* xc[kChunkImages];  // (nothing is allocated on a worker: bad_alloc there would end the process)
        const float* gg[kChunkImages];
        int toff[64];
        float out[256];
        for (int tb = 0; tb < tblocks; tb++) {
            for (int j = 0; j < k.tb; j++) toff[j] = g.toff[std::min<long>(tb * k.tb + j, taps - 1)];  // past the last: a repeat, dropped
            for (int gi = g0; gi < g1; gi++)
                for (long ch = 0; ch < c; ch++) {
                    for (int m = 0; m < nb; m++) {
                        xc[m] = base + m * image + ch * g.ps;
                        gg[m] = base + m * image + c * g.ps + static_cast<long>(gi) * k.fb * g.span;
                    }
                    k.filter(nb, xc, gg, g.span, vectors, toff, out);
                    for (int i = 0; i < k.fb && gi * k.fb + i < filters; i++)
                        for (int j = 0; j < k.tb && tb * k.tb + j < taps; j++)
                            part[((gi * k.fb + i) * c + ch) * taps + tb * k.tb + j] = out[i * k.tb + j];
                }
        }
    });
    if (all_finite) {
        parallel_range(weights, 1L << 14, [&](long b, long e) {
            for (long i0 = b; i0 < e; i0 += 64) {  // 64 weights at a time: each chunk's run of them a vector loop
                const int n = static_cast<int>(std::min(64L, e - i0));
                float s[64] = {};
                for (long ch = 0; ch < chunks; ch++)
                    for (int i = 0; i < n; i++) s[i] += partials[ch * weights + i0 + i];
                std::copy(s, s + n, dweight + i0);
            }
        });
    }
    ctx->release(ctx, ws);
    return all_finite;
}

}  // namespace cortado
