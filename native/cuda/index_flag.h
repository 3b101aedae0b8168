// The bad-index flag: an int in workspace memory that kernels raise when they meet an index or a
// label they must not use (device memory is not checked by the host); the host clears it before
// the kernels and reads it back after them — a synchronous copy on the GPU, plain memory in the
// emulation (whose launches run to their end) — and the call returns CORTADO_STATUS_BAD_INDEX.
#pragma once

#include "cortado_cuda.h"

namespace cortado::cuda {

namespace {

__global__ void clear_index_flag(int* flag) { *flag = 0; }

}  // namespace

__device__ __forceinline__ void raise_index_flag(int* flag) { atomicExch(flag, 1); }

// Whether v is an integer in [0, len) (NaN is not).
__device__ __forceinline__ bool valid_index(float v, int64_t len) {
    return v >= 0.0f && static_cast<double>(v) < static_cast<double>(len) && v == floorf(v);
}

// The flag of one call: begin() takes and clears it, finish() reads it back and releases it.
struct IndexFlag {
    const cortado_context* ctx;
    int* flag = nullptr;

    explicit IndexFlag(const cortado_context* c) : ctx(c) {}

    // CORTADO_STATUS_OK, NO_WORKSPACE, or the clearing launch's status.
    int begin() {
        flag = static_cast<int*>(ctx->workspace(ctx, sizeof(int)));
        if (flag == nullptr) return CORTADO_STATUS_NO_WORKSPACE;
        return CORTADO_LAUNCH(ctx, clear_index_flag, dim3(1), dim3(1), 0, flag);
    }

    // `status` of the kernels run in between, or BAD_INDEX if one raised the flag; releases it.
    int finish(int status) {
        if (flag == nullptr) return status;
        if (status == CORTADO_STATUS_OK) {
            int raised = 0;
#if CORTADO_EMULATED
            raised = *flag;
#else
            cudaStream_t stream = static_cast<cudaStream_t>(ctx->stream);
            cudaError_t e = cudaMemcpyAsync(&raised, flag, sizeof(int), cudaMemcpyDeviceToHost, stream);
            if (e == cudaSuccess) e = cudaStreamSynchronize(stream);
            if (e != cudaSuccess) status = fail("index flag read-back", cudaGetErrorString(e));
#endif
            if (status == CORTADO_STATUS_OK && raised != 0) status = CORTADO_STATUS_BAD_INDEX;
        }
        ctx->release(ctx, flag);
        flag = nullptr;
        return status;
    }
};

}  // namespace cortado::cuda
