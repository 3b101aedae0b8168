#include "fiber.h"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#if defined(__SANITIZE_ADDRESS__)
#define CORTADO_EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CORTADO_EMU_ASAN 1
#endif
#endif
#if defined(CORTADO_EMU_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(__SANITIZE_THREAD__)
#define CORTADO_EMU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CORTADO_EMU_TSAN 1
#endif
#endif
#if defined(CORTADO_EMU_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace cortado::emu::fiber {
namespace {

[[noreturn]] void die(const char* what) {
    std::perror(what);
    std::abort();
}

size_t page_size() {
    static const size_t page = size_t(sysconf(_SC_PAGESIZE));
    return page;
}

// A fiber's first function: tells AddressSanitizer the switch has landed, then runs the entry.
void start(Context* ctx) {
#if defined(CORTADO_EMU_ASAN)
    __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
#endif
    ctx->entry(ctx->arg);
    std::fputs("cortado emu: a fiber's entry returned\n", stderr);
    std::abort();
}

}  // namespace

Stack allocate(size_t size) {
    const size_t page = page_size();
    size = (size + page - 1) / page * page;
    void* p = mmap(nullptr, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                   -1, 0);
    if (p == MAP_FAILED) die("cortado emu: mmap of a fiber stack");
    if (mprotect(p, page, PROT_NONE) != 0) die("cortado emu: mprotect of a fiber stack's guard page");
    return Stack{static_cast<char*>(p) + page, size};
}

void release(Stack stack) {
    if (stack.lo != nullptr) munmap(stack.lo - page_size(), stack.size + page_size());
}

#if !defined(CORTADO_EMU_UCONTEXT)
namespace {
// The MXCSR and x87 control words new fibers start with: the OS thread's, when init_thread ran
// (not those of the fiber that happens to prepare them).
thread_local uint32_t initial_mxcsr = 0x1f80;
thread_local uint16_t initial_fpucw = 0x037f;
}  // namespace
#endif

void init_thread(Context* ctx) {
#if !defined(CORTADO_EMU_UCONTEXT)
    asm volatile("stmxcsr %0" : "=m"(initial_mxcsr));
    asm volatile("fnstcw %0" : "=m"(initial_fpucw));
#endif
#if defined(CORTADO_EMU_TSAN)
    ctx->tsan_fiber = __tsan_get_current_fiber();
#endif
    ctx->stack_lo = nullptr;
    ctx->stack_size = 0;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        void* lo = nullptr;
        size_t size = 0;
        if (pthread_attr_getstack(&attr, &lo, &size) == 0) {
            ctx->stack_lo = lo;
            ctx->stack_size = size;
        }
        pthread_attr_destroy(&attr);
    }
}

#if defined(CORTADO_EMU_UCONTEXT)

namespace {
thread_local Context* starting = nullptr;
void start_uc() { start(starting); }
}  // namespace

void prepare(Context* ctx, Stack stack, void (*entry)(void*), void* arg) {
#if defined(CORTADO_EMU_ASAN)
    __asan_unpoison_memory_region(stack.lo, stack.size);
#endif
#if defined(CORTADO_EMU_TSAN)
    if (ctx->tsan_fiber == nullptr) ctx->tsan_fiber = __tsan_create_fiber(0);
#endif
    ctx->entry = entry;
    ctx->arg = arg;
    ctx->stack_lo = stack.lo;
    ctx->stack_size = stack.size;
    if (getcontext(&ctx->uc) != 0) die("cortado emu: getcontext");
    ctx->uc.uc_stack.ss_sp = stack.lo;
    ctx->uc.uc_stack.ss_size = stack.size;
    ctx->uc.uc_link = nullptr;
    makecontext(&ctx->uc, start_uc, 0);
}

void switch_to(Context* from, Context* to, bool from_dies) {
    if (from == to) return;
#if defined(CORTADO_EMU_ASAN)
    __sanitizer_start_switch_fiber(from_dies ? nullptr : &from->asan_fake_stack, to->stack_lo, to->stack_size);
#else
    (void)from_dies;
#endif
#if defined(CORTADO_EMU_TSAN)
    __tsan_switch_to_fiber(to->tsan_fiber, 0);  // 0: the switch orders what the two fibers do
#endif
    starting = to;  // read by start_uc when `to` runs for the first time
    swapcontext(&from->uc, &to->uc);
#if defined(CORTADO_EMU_ASAN)
    __sanitizer_finish_switch_fiber(from->asan_fake_stack, nullptr, nullptr);
#endif
}

#else  // x86-64 assembly

// cortado_emu_switch(void** save_sp, void** load_sp): pushes the registers the SysV ABI makes
// callee-saved (rbx, rbp, r12-r15, the MXCSR and x87 control words), stores rsp in *save_sp, loads
// rsp from *load_sp (after the store, so switching to oneself returns at once) and pops the same
// from the other stack. Everything else is caller-saved, so the compiler has spilled what it
// needs. ldmxcsr and fldcw are slow (they were 70% of a switch), so the control words are loaded
// only when they differ from the running ones (MXCSR's bits 0-5 are status, not control). A new fiber's stack is laid out by prepare() as if it had called this switch from
// cortado_emu_fiber_trampoline, which passes rbx (the Context) to start().
// No CFI: debuggers and unwinders stop at the trampoline (rip is marked undefined there; rbp = 0).
asm(R"(
    .text
    .p2align 4
    .globl cortado_emu_switch
    .hidden cortado_emu_switch
    .type cortado_emu_switch, @function
cortado_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsp, %rax
    movq (%rsi), %rsp
    movl (%rax), %ecx
    xorl (%rsp), %ecx
    testl $0xffc0, %ecx
    jz 1f
    ldmxcsr (%rsp)
1:
    movw 4(%rax), %cx
    cmpw 4(%rsp), %cx
    je 2f
    fldcw 4(%rsp)
2:
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size cortado_emu_switch, .-cortado_emu_switch

    .p2align 4
    .globl cortado_emu_fiber_trampoline
    .hidden cortado_emu_fiber_trampoline
    .type cortado_emu_fiber_trampoline, @function
cortado_emu_fiber_trampoline:
    .cfi_startproc
    .cfi_undefined rip
    movq %rbx, %rdi
    call cortado_emu_fiber_start
    ud2
    .cfi_endproc
    .size cortado_emu_fiber_trampoline, .-cortado_emu_fiber_trampoline
)");

extern "C" {
void cortado_emu_switch(void** save_sp, void** load_sp) __attribute__((visibility("hidden")));
void cortado_emu_fiber_trampoline() __attribute__((visibility("hidden")));
__attribute__((visibility("hidden"), used)) void cortado_emu_fiber_start(Context* ctx) { start(ctx); }
}

void prepare(Context* ctx, Stack stack, void (*entry)(void*), void* arg) {
#if defined(CORTADO_EMU_ASAN)
    __asan_unpoison_memory_region(stack.lo, stack.size);  // what an abandoned fiber left poisoned
#endif
#if defined(CORTADO_EMU_TSAN)
    if (ctx->tsan_fiber == nullptr) ctx->tsan_fiber = __tsan_create_fiber(0);
#endif
    ctx->entry = entry;
    ctx->arg = arg;
    ctx->stack_lo = stack.lo;
    ctx->stack_size = stack.size;
    // From the 16-aligned top down: an empty slot, the return address (the trampoline; after the
    // switch's ret, rsp is 16-aligned again, as a call instruction wants it), rbp = 0 (ends frame
    // pointer walks), rbx = ctx, r12-r15, then MXCSR and the x87 control word.
    uint64_t* top = reinterpret_cast<uint64_t*>(reinterpret_cast<uintptr_t>(stack.lo + stack.size) & ~uintptr_t(15));
    uint64_t* sp = top - 10;
    sp[0] = uint64_t(initial_mxcsr) | (uint64_t(initial_fpucw) << 32);
    sp[1] = sp[2] = sp[3] = sp[4] = 0;  // r15, r14, r13, r12
    sp[5] = reinterpret_cast<uint64_t>(ctx);  // rbx
    sp[6] = 0;  // rbp
    sp[7] = reinterpret_cast<uint64_t>(&cortado_emu_fiber_trampoline);
    sp[8] = sp[9] = 0;
    ctx->sp = sp;
}

void switch_to(Context* from, Context* to, bool from_dies) {
#if defined(CORTADO_EMU_ASAN)
    __sanitizer_start_switch_fiber(from_dies ? nullptr : &from->asan_fake_stack, to->stack_lo, to->stack_size);
#else
    (void)from_dies;
#endif
#if defined(CORTADO_EMU_TSAN)
    __tsan_switch_to_fiber(to->tsan_fiber, 0);  // 0: the switch orders what the two fibers do
#endif
    cortado_emu_switch(&from->sp, &to->sp);
#if defined(CORTADO_EMU_ASAN)
    __sanitizer_finish_switch_fiber(from->asan_fake_stack, nullptr, nullptr);
#endif
}

#endif

}  // namespace cortado::emu::fiber
