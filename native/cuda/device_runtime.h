/* The device runtime of a CUDA kernel library (besides its kernel table): devices, memory, copies,
 * the stream and execution context of each device. Both builds export it — libcortado_cuda over
 * the CUDA runtime, libcortado_cuda_emu over host memory — and Java binds it with
 * dev.cortado.cuda.CudaRuntime. Calls that can fail return 0 or a CORTADO_STATUS_* (the message
 * then in last_error). One stream per device: every kernel and copy of a device is queued on it in
 * call order; copies to the host and release wait for it. */
#ifndef CORTADO_DEVICE_RUNTIME_H
#define CORTADO_DEVICE_RUNTIME_H

#include <stddef.h>

#include "cortado_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cortado_cuda_runtime {
    /* The number of devices, or -1 with the reason in last_error (no driver, no GPU). */
    int (*device_count)(void);
    /* A line naming the device and its memory. */
    const char* (*device_name)(int device);
    /* Device memory: null when the device is out of memory. release waits for the stream first. */
    void* (*alloc)(int device, size_t bytes);
    int (*release)(int device, void* p);
    /* Copies of `bytes`: host to device (queued, the host buffer is read before it returns), device to
     * host (waits for the stream), device to device (queued). */
    int (*copy_to_device)(int device, void* dst, const void* src, size_t bytes);
    int (*copy_to_host)(int device, void* dst, const void* src, size_t bytes);
    int (*copy_on_device)(int device, void* dst, const void* src, size_t bytes);
    int (*fill)(int device, float* dst, size_t n, float value);
    int (*synchronize)(int device);
    /* The context kernels of this device run in: its stream, and workspace in stream order. */
    const cortado_context* (*context)(int device);
    /* The message of the last failed call on this thread ("" if none). */
    const char* (*last_error)(void);
};

/* The library's runtime (static, never null). */
const struct cortado_cuda_runtime* cortado_cuda_runtime_table(void);

#ifdef __cplusplus
}
#endif

#endif
