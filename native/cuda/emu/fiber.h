// Fibers for the CUDA emulation: stacks with a guard page and a context switch. On x86-64 the
// switch is a few lines of assembly (fiber.cpp) saving what the SysV ABI says a callee preserves;
// elsewhere, or with -DCORTADO_EMU_UCONTEXT, it is ucontext (measured 255 ns per thread per
// barrier phase against 11-28 ns: swapcontext makes a signal-mask system call). Every switch is announced to AddressSanitizer or ThreadSanitizer
// when the build uses one.
#pragma once

#include <cstddef>

#if !defined(__x86_64__) && !defined(CORTADO_EMU_UCONTEXT)
#define CORTADO_EMU_UCONTEXT 1
#endif
#if defined(CORTADO_EMU_UCONTEXT)
#include <ucontext.h>
#endif

namespace cortado::emu::fiber {

// A fiber's stack: [lo, lo + size), the page below lo inaccessible, so that an overflow is a
// SIGSEGV there rather than corruption of the neighbouring stack.
struct Stack {
    char* lo = nullptr;
    size_t size = 0;
};
Stack allocate(size_t size);
void release(Stack stack);

// A place execution can be switched away from and back to: a fiber, or an OS thread's own stack.
struct Context {
#if defined(CORTADO_EMU_UCONTEXT)
    ucontext_t uc;
#else
    void* sp = nullptr;  // where the switch saved the callee-saved registers
#endif
    void (*entry)(void*) = nullptr;
    void* arg = nullptr;
    const void* stack_lo = nullptr;  // for AddressSanitizer
    size_t stack_size = 0;
    void* asan_fake_stack = nullptr;
    void* tsan_fiber = nullptr;  // for ThreadSanitizer
};

// Makes `ctx` describe the calling OS thread's own stack.
void init_thread(Context* ctx);
// Makes the next switch to `ctx` call entry(arg) on `stack`, from its top; entry must never
// return (it switches away instead). A stack whose previous fiber was abandoned mid-call may be
// prepared again: what that fiber had on it is forgotten.
void prepare(Context* ctx, Stack stack, void (*entry)(void*), void* arg);
// Saves the running context in `from` and resumes `to`; returns when something switches back to
// `from`. `from_dies`: nothing ever will (lets AddressSanitizer drop its bookkeeping for it).
void switch_to(Context* from, Context* to, bool from_dies = false);

}  // namespace cortado::emu::fiber
