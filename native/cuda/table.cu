// The CUDA library's kernel table: every slot filled with its cortado_<slot> kernel (each defined
// with CORTADO_KERNEL in the file of its family), and the per-thread message of the last failure.
#include <string>

#include "cortado_cuda.h"

namespace cortado::cuda {

namespace {
thread_local std::string last;
}

int fail(const char* what, const char* message) {
    last = std::string(what) + ": " + (message ? message : "unknown error");
    return CORTADO_STATUS_DEVICE_ERROR;
}

const char* last_error() { return last.c_str(); }

}  // namespace cortado::cuda

namespace {

const char* table_last_error() { return cortado::cuda::last_error(); }

cortado_kernels make_table() {
    cortado_kernels t{};
    t.abi_hash = CORTADO_KERNELS_ABI_HASH;
    t.last_error = table_last_error;
#define CORTADO_FILL(slot) t.slot = cortado_##slot;
    CORTADO_KERNEL_LIST(CORTADO_FILL)
#undef CORTADO_FILL
    return t;
}

}  // namespace

extern "C" const cortado_kernels* cortado_kernel_table(void) {
    static const cortado_kernels table = make_table();
    return &table;
}
