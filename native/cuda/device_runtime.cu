// The device runtime (device_runtime.h) over the CUDA runtime, or, in the emulated build, over host
// memory (the emulation runs each launch to its end: its "stream" is always idle).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "cortado_cuda.h"
#include "device_runtime.h"

namespace {

using cortado::cuda::fail;

constexpr int kMaxDevices = 64;

#if CORTADO_EMULATED

int device_count() { return 1; }

const char* device_name(int) { return "emulated CUDA device (CPU fibers, host memory)"; }

void* dev_malloc(int, size_t bytes) { return std::aligned_alloc(256, (bytes + 255) / 256 * 256); }

int dev_free(int, void* p) {
    std::free(p);
    return CORTADO_STATUS_OK;
}

int copy(int, void* dst, const void* src, size_t bytes) {
    std::memcpy(dst, src, bytes);
    return CORTADO_STATUS_OK;
}

int synchronize(int) { return CORTADO_STATUS_OK; }

void* workspace(const cortado_context*, size_t bytes) { return dev_malloc(0, bytes); }

void release(const cortado_context*, void* p) { std::free(p); }

const cortado_context* context(int device) {
    static cortado_context contexts[kMaxDevices];
    static std::once_flag once;
    std::call_once(once, [] {
        for (auto& c : contexts) c = cortado_context{nullptr, workspace, release, nullptr};
    });
    return device >= 0 && device < kMaxDevices ? &contexts[device] : nullptr;
}

#else

int check(const char* what, cudaError_t e) { return e == cudaSuccess ? CORTADO_STATUS_OK : fail(what, cudaGetErrorString(e)); }

// Per device: its stream and the context that carries it, made on first use.
// Pinned staging for host copies: two page-locked buffers used in turn, each with an event that
// says when the device has finished the copy that reads or fills it, so the host's memcpy of one
// chunk overlaps the DMA of the other (pageable memory would be staged by the driver, synchronously).
constexpr size_t kStage = 4u << 20;

struct Staging {
    std::mutex lock;  // one copy at a time per device
    void* buffer[2] = {nullptr, nullptr};
    cudaEvent_t done[2] = {nullptr, nullptr};
    bool ready = false;
};

struct Device {
    std::once_flag made;
    cudaStream_t stream = nullptr;
    cortado_context context{};
    char name[256] = "";
    Staging staging;
};
Device devices[kMaxDevices];

void* workspace(const cortado_context* ctx, size_t bytes) {
    void* p = nullptr;
    if (cudaMallocAsync(&p, bytes, static_cast<cudaStream_t>(ctx->stream)) != cudaSuccess) {
        cudaGetLastError();  // clear it: the caller reports NO_WORKSPACE
        return nullptr;
    }
    return p;
}

void release(const cortado_context* ctx, void* p) { cudaFreeAsync(p, static_cast<cudaStream_t>(ctx->stream)); }

Device* device(int d) {
    if (d < 0 || d >= kMaxDevices) return nullptr;
    Device& dev = devices[d];
    std::call_once(dev.made, [&] {
        cudaSetDevice(d);
        cudaStreamCreateWithFlags(&dev.stream, cudaStreamNonBlocking);
        dev.context = cortado_context{dev.stream, workspace, release, nullptr};
        cudaDeviceProp p{};
        if (cudaGetDeviceProperties(&p, d) == cudaSuccess) {
            std::snprintf(dev.name, sizeof dev.name, "%.200s (sm_%d%d, %.1f GiB)", p.name, p.major, p.minor,
                          p.totalGlobalMem / 1073741824.0);
        }
    });
    cudaSetDevice(d);
    return &dev;
}

int device_count() {
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        fail("cudaGetDeviceCount", cudaGetErrorString(e));
        return -1;
    }
    return n;
}

const char* device_name(int d) { return device(d)->name; }

void* dev_malloc(int d, size_t bytes) {
    device(d);
    void* p = nullptr;
    if (cudaMalloc(&p, bytes == 0 ? 1 : bytes) != cudaSuccess) {
        cudaGetLastError();
        return nullptr;
    }
    return p;
}

int dev_free(int d, void* p) {
    Device* dev = device(d);
    int s = check("cudaStreamSynchronize", cudaStreamSynchronize(dev->stream));
    return s != CORTADO_STATUS_OK ? s : check("cudaFree", cudaFree(p));
}

// The device's staging buffers, made on first use (a status).
int staging(Device* dev) {
    Staging& st = dev->staging;
    if (st.ready) return CORTADO_STATUS_OK;
    for (int i = 0; i < 2; i++) {
        int s = check("cudaMallocHost (staging)", cudaMallocHost(&st.buffer[i], kStage));
        if (s == CORTADO_STATUS_OK) s = check("cudaEventCreate", cudaEventCreateWithFlags(&st.done[i], cudaEventDisableTiming));
        if (s != CORTADO_STATUS_OK) return s;
    }
    st.ready = true;
    return CORTADO_STATUS_OK;
}

// Host to device through the staging buffers: queued on the stream; returns once the host memory
// has been read (copied into staging).
int copy_to_device(int d, void* dst, const void* src, size_t bytes) {
    Device* dev = device(d);
    std::lock_guard<std::mutex> hold(dev->staging.lock);
    int s = staging(dev);
    Staging& st = dev->staging;
    for (size_t done = 0, i = 0; s == CORTADO_STATUS_OK && done < bytes; done += kStage, i ^= 1) {
        const size_t len = bytes - done < kStage ? bytes - done : kStage;
        s = check("cudaEventSynchronize (staging)", cudaEventSynchronize(st.done[i]));  // its last copy has read it
        if (s != CORTADO_STATUS_OK) break;
        std::memcpy(st.buffer[i], static_cast<const char*>(src) + done, len);
        s = check("cudaMemcpyAsync (host to device)",
                  cudaMemcpyAsync(static_cast<char*>(dst) + done, st.buffer[i], len, cudaMemcpyHostToDevice, dev->stream));
        if (s == CORTADO_STATUS_OK) s = check("cudaEventRecord", cudaEventRecord(st.done[i], dev->stream));
    }
    return s;
}

// Device to host through the staging buffers, two chunks in flight: chunk k's DMA into buffer
// k % 2 runs while the host copies chunk k - 1 out of the other; waits for the stream's earlier work.
int copy_to_host(int d, void* dst, const void* src, size_t bytes) {
    Device* dev = device(d);
    std::lock_guard<std::mutex> hold(dev->staging.lock);
    int s = staging(dev);
    Staging& st = dev->staging;
    const size_t chunks = (bytes + kStage - 1) / kStage;
    auto length = [&](size_t k) { return k + 1 < chunks ? kStage : bytes - k * kStage; };
    auto drain = [&](size_t k) {  // chunk k, whose DMA was queued: wait for it, copy it out
        int r = check("cudaEventSynchronize (staging)", cudaEventSynchronize(st.done[k & 1]));
        if (r == CORTADO_STATUS_OK) std::memcpy(static_cast<char*>(dst) + k * kStage, st.buffer[k & 1], length(k));
        return r;
    };
    for (size_t k = 0; s == CORTADO_STATUS_OK && k < chunks; k++) {
        s = check("cudaMemcpyAsync (device to host)", cudaMemcpyAsync(st.buffer[k & 1], static_cast<const char*>(src) + k * kStage,
                                                                     length(k), cudaMemcpyDeviceToHost, dev->stream));
        if (s == CORTADO_STATUS_OK) s = check("cudaEventRecord", cudaEventRecord(st.done[k & 1], dev->stream));
        if (s == CORTADO_STATUS_OK && k > 0) s = drain(k - 1);  // buffer (k-1) % 2 is free again after this
    }
    if (s == CORTADO_STATUS_OK && chunks > 0) s = drain(chunks - 1);
    return s;
}

int copy_on_device(int d, void* dst, const void* src, size_t bytes) {
    return check("cudaMemcpyAsync (device to device)", cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, device(d)->stream));
}

int synchronize(int d) { return check("cudaStreamSynchronize", cudaStreamSynchronize(device(d)->stream)); }

const cortado_context* context(int d) {
    Device* dev = device(d);
    return dev ? &dev->context : nullptr;
}

#endif

// The table's fill kernel, on the device's stream.
int fill(int d, float* dst, size_t n, float value) { return cortado_fill(context(d), static_cast<int64_t>(n), value, dst); }

const char* runtime_last_error() { return cortado::cuda::last_error(); }

cortado_cuda_runtime make_runtime() {
#if CORTADO_EMULATED
    return cortado_cuda_runtime{device_count, device_name, dev_malloc, dev_free, copy, copy, copy, fill, synchronize, context, runtime_last_error};
#else
    return cortado_cuda_runtime{device_count, device_name, dev_malloc, dev_free, copy_to_device, copy_to_host, copy_on_device, fill,
                                synchronize, context, runtime_last_error};
#endif
}

}  // namespace

extern "C" const cortado_cuda_runtime* cortado_cuda_runtime_table(void) {
    static const cortado_cuda_runtime runtime = make_runtime();
    return &runtime;
}
