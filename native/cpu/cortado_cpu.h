// The CPU library's own header: its runtime controls (not kernels; bound by CpuLibrary.java) and
// its kernels, cortado_<slot> for each slot of the kernel table (cortado_kernels.h), declared with
// that slot's type so that a definition whose signature drifts from the table fails to link.
#pragma once
#include <type_traits>

#include "cortado_kernels.h"

// ---- runtime -------------------------------------------------------------------------------
// Threads used by the kernels (the caller counts as one). 1 <= n <= 256.
void cortado_set_threads(int n);
int cortado_threads();
// Micro-kernel instruction set: 0 = portable (SSE2), 1 = AVX2+FMA, 2 = AVX-512F.
// cortado_set_isa returns the ISA in use afterwards (asking for more than the CPU has keeps the best it has).
int cortado_best_isa();
int cortado_set_isa(int isa);
int cortado_isa();

// ---- kernels: every slot of struct cortado_kernels, in its order (kernel_table.cpp checks the count) ----
#define CORTADO_CPU_KERNELS(X)                                                                              \
    X(gemm) X(im2col) X(col2im) X(conv_forward) X(conv_backward_data) X(conv_backward_filter)                \
    X(max_pool_forward) X(max_pool_backward) X(avg_pool_forward) X(avg_pool_backward)                        \
    X(sigmoid_forward) X(sigmoid_backward) X(relu_forward) X(relu_backward) X(tanh_forward) X(tanh_backward) \
    X(softmax_forward) X(softmax_backward) X(log_softmax_forward) X(log_softmax_backward)                    \
    X(softmax_cross_entropy_forward) X(softmax_cross_entropy_backward)                                       \
    X(add) X(mul) X(scale) X(axpy) X(fill) X(bias_add) X(bias_grad)                                          \
    X(sum) X(equal) X(argmax)                                                                                \
    X(copy_strided) X(binary) X(unary) X(unary_backward) X(reduce) X(gather) X(scatter_add) X(gemm_batched)  \
    X(lstm_cell_forward) X(lstm_cell_backward)                                                               \
    X(rand) X(sgd_momentum) X(adam)

#define CORTADO_CPU_DECLARE(slot) std::remove_pointer_t<decltype(cortado_kernels::slot)> cortado_##slot;
CORTADO_CPU_KERNELS(CORTADO_CPU_DECLARE)
#undef CORTADO_CPU_DECLARE
