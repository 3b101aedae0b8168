// The CPU library's kernel table (every slot filled with its cortado_<slot> kernel) and its
// execution context.

#include "cortado_cpu.h"
#include "workspace.h"

namespace {

// Workspace from the cache of workspace.h, 64-byte aligned; the CPU runs each call to its end
// before returning.
void* cached_workspace(const cortado_context*, size_t bytes) { return cortado::workspace_take(bytes); }

void cached_release(const cortado_context*, void* block) { cortado::workspace_give(block); }

const char* no_error() { return ""; }

cortado_kernels make_table() {
    cortado_kernels t{};
    t.abi_hash = CORTADO_KERNELS_ABI_HASH;
    t.last_error = no_error;
#define CORTADO_FILL(slot) t.slot = cortado_##slot;
    CORTADO_KERNEL_LIST(CORTADO_FILL)
#undef CORTADO_FILL
    return t;
}

}  // namespace

long cortado_workspace_cached() { return static_cast<long>(cortado::workspace_cached()); }
long cortado_workspace_trim() { return static_cast<long>(cortado::workspace_trim()); }
void cortado_workspace_fill(float value) { cortado::workspace_fill(value); }

const cortado_context* cortado_cpu_context() {
    static const cortado_context context{nullptr, cached_workspace, cached_release, nullptr};
    return &context;
}

// No workspace at all: for the tests of the status path (a kernel that needs one reports it).
void* no_workspace(const cortado_context*, size_t) { return nullptr; }

const cortado_context* cortado_cpu_context_without_workspace() {
    static const cortado_context context{nullptr, no_workspace, cached_release, nullptr};
    return &context;
}

extern "C" const cortado_kernels* cortado_kernel_table(void) {
    static const cortado_kernels table = make_table();
    return &table;
}
