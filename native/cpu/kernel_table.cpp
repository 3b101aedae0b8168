// The CPU library's kernel table: every slot filled with its cortado_<slot> kernel.
#include <cstddef>

#include "cortado_cpu.h"

namespace {

#define CORTADO_COUNT(slot) +1
constexpr std::size_t kListed = 0 CORTADO_CPU_KERNELS(CORTADO_COUNT);
#undef CORTADO_COUNT
static_assert(sizeof(cortado_kernels) == offsetof(cortado_kernels, gemm) + kListed * sizeof(void (*)()),
              "CORTADO_CPU_KERNELS must list every slot of struct cortado_kernels");

cortado_kernels make_table() {
    cortado_kernels t{};
    t.abi_version = CORTADO_KERNELS_ABI_VERSION;
#define CORTADO_FILL(slot) t.slot = cortado_##slot;
    CORTADO_CPU_KERNELS(CORTADO_FILL)
#undef CORTADO_FILL
    return t;
}

}  // namespace

extern "C" const cortado_kernels* cortado_kernel_table(void) {
    static const cortado_kernels table = make_table();
    return &table;
}
