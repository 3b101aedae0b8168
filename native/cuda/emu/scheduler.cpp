// The emulation's scheduler: blocks over a pool of OS threads, each block's CUDA threads as fibers
// on one of them, resumed phase by phase.
//
// A block runs like this: its threads start one after another (in the launch's order) on a fiber
// each; a thread that returns leaves its fiber to the next thread, so a block without barriers is a
// plain loop on one fiber. A thread that reaches __syncthreads or a warp operation parks its fiber
// and passes control on: first to threads a completed warp operation released (ready queue), then to
// threads not started yet. When nothing is left to run the phase ends; if every live thread waits at
// the same __syncthreads they are all released, in the order of the next phase, and so on.
//
// What is checked, reported by launch() as an error naming the kernel and the line:
//   - a __syncthreads some threads reach while others have returned (early return);
//   - threads waiting at different __syncthreads (divergent barrier);
//   - a warp operation whose mask names lanes that do not exist (a full mask in a partial warp),
//     have returned, or never arrive (they wait elsewhere), or that omits the calling lane; lanes
//     of one operation with different masks, kinds or widths;
//   - block dimensions CUDA refuses.
// What it cannot see: the lanes of a warp do not run in lock-step, so code that relies on implicit
// warp synchronisation without __syncwarp is not caught (nor is it correct on Volta and later);
// memory is the host's (x86 is stronger than a GPU's weak model, so a missing __threadfence or
// volatile goes unnoticed); float results are the host's IEEE ones (no FMA contraction, no
// approximate __expf); static __shared__ memory is not poisoned between blocks; races between
// threads of a block show only through the orders (reverse, random) a test runs them in.
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdarg>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cuda_emu.h"
#include "fiber.h"

namespace cortado::emu {
namespace {

using detail::WarpOp;

constexpr unsigned kMaxThreads = 1024;

// ---- settings ---------------------------------------------------------------------------------

struct OrderSetting {
    std::atomic<int> order{int(Order::forward)};
    std::atomic<uint64_t> seed{1};
    OrderSetting() {
        const char* env = std::getenv("CORTADO_EMU_ORDER");
        if (env == nullptr || *env == 0) return;
        std::string s(env);
        if (s == "forward") {
            order = int(Order::forward);
        } else if (s == "reverse") {
            order = int(Order::reverse);
        } else if (s.rfind("random", 0) == 0) {
            order = int(Order::random);
            if (s.size() > 7 && s[6] == ':') seed = std::strtoull(s.c_str() + 7, nullptr, 0);
        } else {
            std::fprintf(stderr, "cortado emu: CORTADO_EMU_ORDER=%s is not forward, reverse or random[:seed]\n", env);
        }
    }
};
OrderSetting& order_setting() {
    static OrderSetting setting;
    return setting;
}

size_t env_size(const char* name, size_t fallback) {
    const char* env = std::getenv(name);
    if (env == nullptr || *env == 0) return fallback;
    char* end = nullptr;
    unsigned long long v = std::strtoull(env, &end, 0);
    if (*end == 'k' || *end == 'K') v <<= 10;
    if (*end == 'm' || *end == 'M') v <<= 20;
    return v > 0 ? size_t(v) : fallback;
}

size_t stack_size() {
#if defined(__SANITIZE_ADDRESS__)
    static const size_t size = env_size("CORTADO_EMU_STACK", 256 << 10);  // redzones need room
#else
    static const size_t size = env_size("CORTADO_EMU_STACK", 64 << 10);
#endif
    return size;
}

thread_local std::string last_error_message;

uint64_t splitmix(uint64_t& s) {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// ---- a launch ---------------------------------------------------------------------------------

struct Launch {
    const char* name;
    dim3 grid, block;
    size_t shared_bytes;
    void (*call)(const void*);
    const void* arg;
    Order order;
    uint64_t seed;
    uint64_t blocks;
    std::atomic<uint64_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex error_mutex;
    std::string error;  // the first block's error
    int helpers = 0;    // pool threads working on it (under the pool's mutex)
};

// ---- a block's threads and warps --------------------------------------------------------------

struct Where {
    const char* file = "";
    int line = 0;
};
bool same(Where a, Where b) { return a.line == b.line && (a.file == b.file || std::strcmp(a.file, b.file) == 0); }

enum class State : uint8_t { running, ready, at_barrier, at_warp, done };

struct Fiber;

struct Thread {
    Fiber* fiber;
    State state;
    uint3 idx;
    Where site;       // where it waits
    WarpOp op;       // the warp operation it waits at
    int param;       // its lane / delta / lane mask
    uint64_t value;  // its operand; the result once released
};

// A warp operation some lanes of `mask` have arrived at. The open ones of a warp have disjoint masks.
struct Collective {
    unsigned mask, arrived;
    WarpOp op;
    int width;
    Where site;
};

struct Warp {
    unsigned lanes;  // the lanes that exist
    unsigned done;   // the lanes that have returned
    int open;        // how many of `collectives` are open
    Collective collectives[32];
};

struct Fiber {
    fiber::Context ctx;
    fiber::Stack stack;
    Thread* thread = nullptr;  // the CUDA thread it runs, if any
    bool prepared = false;
};

const char* op_name(WarpOp op) {
    switch (op) {
        case WarpOp::shfl_idx: return "__shfl_sync";
        case WarpOp::shfl_up: return "__shfl_up_sync";
        case WarpOp::shfl_down: return "__shfl_down_sync";
        case WarpOp::shfl_xor: return "__shfl_xor_sync";
        case WarpOp::ballot: return "__ballot_sync";
        case WarpOp::any: return "__any_sync";
        case WarpOp::all: return "__all_sync";
        case WarpOp::sync: return "__syncwarp";
    }
    return "?";
}

// One per OS thread that runs blocks: its fibers and the state of the block it runs.
struct Worker {
    fiber::Context scheduler;  // the OS thread's own stack, where run_block waits for a phase to end
    std::vector<std::unique_ptr<Fiber>> fibers;
    std::vector<Fiber*> free_fibers;  // fibers without a thread: parked in fiber_main or unprepared

    const Launch* launch = nullptr;
    uint64_t block_linear = 0;
    unsigned n = 0;         // threads in the block
    unsigned bx = 1, by = 1, bxy = 1;
    unsigned started = 0;   // threads started so far (phase 0 starts them in order)
    unsigned done = 0;      // threads returned
    unsigned waiting = 0;   // threads at the barrier
    Where barrier;          // the __syncthreads they wait at
    unsigned phase = 0;
    uint64_t rng = 0;
    Thread* cur = nullptr;  // the running CUDA thread
    bool failed = false;
    std::string error;
    std::vector<Thread> threads = std::vector<Thread>(kMaxThreads);
    std::vector<uint32_t> perm = std::vector<uint32_t>(kMaxThreads);  // the phase's order (random)
    std::vector<uint32_t> queue = std::vector<uint32_t>(kMaxThreads);  // ready threads, a ring
    unsigned queue_head = 0, queue_count = 0;
    std::vector<Warp> warps = std::vector<Warp>(kMaxThreads / 32);
    std::vector<unsigned char> shared_buffer;

    Worker() { fiber::init_thread(&scheduler); }
    ~Worker() {
        for (auto& f : fibers) fiber::release(f->stack);
    }

    // The k-th thread of the phase's order.
    unsigned at(unsigned k) const {
        switch (launch->order) {
            case Order::forward: return k;
            case Order::reverse: return n - 1 - k;
            default: return perm[k];
        }
    }
    void new_phase_order() {
        if (launch->order != Order::random) return;
        uint64_t s = launch->seed ^ (block_linear * 0x9e3779b97f4a7c15ull) ^ (uint64_t(phase) << 48);
        rng = splitmix(s);
        for (unsigned i = 0; i < n; ++i) perm[i] = i;
        for (unsigned i = n; i > 1; --i) std::swap(perm[i - 1], perm[splitmix(rng) % i]);
    }

    unsigned index(const Thread* t) const { return unsigned(t - threads.data()); }
    uint3 idx_of(unsigned i) const { return uint3{i % bx, i / bx % by, i / bxy}; }
    void enter(Thread* t) {
        cur = t;
        detail::current.thread_idx = t->idx;
    }
    void push_ready(unsigned i) {
        threads[i].state = State::ready;
        queue[(queue_head + queue_count++) % kMaxThreads] = i;
    }

    Fiber* free_fiber() {
        Fiber* f;
        if (!free_fibers.empty()) {
            f = free_fibers.back();
            free_fibers.pop_back();
        } else {
            fibers.push_back(std::make_unique<Fiber>());
            f = fibers.back().get();
            f->stack = fiber::allocate(stack_size());
        }
        if (!f->prepared) {
            fiber::prepare(&f->ctx, f->stack, &fiber_main, f);
            f->prepared = true;
        }
        return f;
    }

    // Where control goes when the running fiber cannot go on: a released thread, else a fiber to
    // start the next thread on, else the scheduler (the phase is over).
    fiber::Context* pick() {
        if (failed) return &scheduler;
        if (queue_count > 0) {
            Thread* t = &threads[queue[queue_head]];
            queue_head = (queue_head + 1) % kMaxThreads;
            --queue_count;
            t->state = State::running;
            enter(t);
            return &t->fiber->ctx;
        }
        if (started < n) return &free_fiber()->ctx;
        cur = nullptr;
        return &scheduler;
    }

    // The running thread t waits (its state says where) until something releases it.
    void wait(Thread* t) { fiber::switch_to(&t->fiber->ctx, pick()); }

    // Records the block's error and abandons the running fiber for good.
    [[noreturn]] __attribute__((format(printf, 2, 3))) void fail(const char* format, ...) {
        char message[1024];
        va_list args;
        va_start(args, format);
        std::vsnprintf(message, sizeof message, format, args);
        va_end(args);
        record(message);
        fiber::switch_to(&cur->fiber->ctx, &scheduler, true);
        __builtin_unreachable();
    }
    void record(const char* message) {
        if (failed) return;
        failed = true;
        const uint3 b = detail::current.block_idx;
        char head[512];
        std::snprintf(head, sizeof head, "kernel %s, block (%u,%u,%u): ", launch->name, b.x, b.y, b.z);
        error = head;
        error += message;
    }
    const char* who(unsigned i, char* buffer, size_t size) const {
        uint3 t = idx_of(i);
        std::snprintf(buffer, size, "thread (%u,%u,%u)", t.x, t.y, t.z);
        return buffer;
    }

    static void fiber_main(void* arg);
    bool run_block(const Launch& l, uint64_t b);
    void end_phase();
    void thread_returned(Thread* t);
    uint64_t warp_op(Where site, WarpOp op, unsigned mask, uint64_t value, int param, int width);
    void complete(Warp& w, unsigned base, Collective& c);
};

thread_local Worker* this_worker = nullptr;
thread_local std::unique_ptr<Worker> worker_owner;

Worker& worker() {
    if (this_worker == nullptr) {
        worker_owner = std::make_unique<Worker>();
        this_worker = worker_owner.get();
    }
    return *this_worker;
}

// A fiber runs threads not started yet, one after another, for as long as no thread is ready to
// resume; then it parks itself as free. It stays on its OS thread.
void Worker::fiber_main(void* arg) {
    Fiber* f = static_cast<Fiber*>(arg);
    Worker& w = *this_worker;
    for (;;) {
        while (!w.failed && w.queue_count == 0 && w.started < w.n) {
            const unsigned i = w.at(w.started++);
            Thread* t = &w.threads[i];
            t->fiber = f;
            t->state = State::running;
            // Field by field: copying a uint3 built in registers makes g++ store two halves and
            // load them as one, a stalled store forwarding that costs more than the rest here.
            unsigned x = i, y = 0, z = 0;
            if (w.n != w.bx) x = i % w.bx, y = i / w.bx % w.by, z = i / w.bxy;
            t->idx.x = x, t->idx.y = y, t->idx.z = z;
            uint3& current = detail::current.thread_idx;
            current.x = x, current.y = y, current.z = z;
            f->thread = t;
            w.cur = t;
            w.launch->call(w.launch->arg);
            w.thread_returned(t);
            f->thread = nullptr;
        }
        w.free_fibers.push_back(f);
        fiber::switch_to(&f->ctx, w.pick());
    }
}

void Worker::thread_returned(Thread* t) {
    const unsigned i = index(t);
    t->state = State::done;
    ++done;
    Warp& w = warps[i / 32];
    const unsigned bit = 1u << (i % 32);
    w.done |= bit;
    for (int k = 0; k < w.open; ++k) {
        const Collective& c = w.collectives[k];
        if (c.mask & bit) {
            char name[64];
            fail("%s (lane %u of warp %u) returned while lanes 0x%08x wait for it at %s (%s:%d, mask 0x%08x)",
                 who(i, name, sizeof name), i % 32, i / 32, c.arrived, op_name(c.op), c.site.file, c.site.line,
                 c.mask);
        }
    }
}

bool Worker::run_block(const Launch& l, uint64_t b) {
    launch = &l;
    block_linear = b;
    n = l.block.x * l.block.y * l.block.z;
    bx = l.block.x;
    by = l.block.y;
    bxy = l.block.x * l.block.y;
    started = done = waiting = phase = 0;
    queue_head = queue_count = 0;
    failed = false;
    cur = nullptr;
    for (unsigned k = 0; k < (n + 31) / 32; ++k) {
        const unsigned lanes = std::min(32u, n - 32 * k);
        warps[k].lanes = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1;
        warps[k].done = 0;
        warps[k].open = 0;
    }
    detail::Current& c = detail::current;
    c.block_idx = uint3{unsigned(b % l.grid.x), unsigned(b / l.grid.x % l.grid.y), unsigned(b / l.grid.x / l.grid.y)};
    c.block_dim = l.block;
    c.grid_dim = l.grid;
    if (l.shared_bytes > 0) {
        if (shared_buffer.size() < l.shared_bytes + 16) shared_buffer.resize(l.shared_bytes + 16);
        void* p = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(shared_buffer.data()) + 15) & ~uintptr_t(15));
        std::memset(p, 0xff, l.shared_bytes);
        c.dynamic_shared = p;
    } else {
        c.dynamic_shared = nullptr;
    }
    new_phase_order();
    for (;;) {
        fiber::switch_to(&scheduler, pick());  // runs the phase
        if (!failed) end_phase();
        if (failed || done == n) break;
    }
    if (failed) {
        // The block's fibers that hold a thread are abandoned where they stand; their stacks are
        // prepared afresh before reuse (kernel locals are trivially destructible).
        for (auto& f : fibers) {
            if (f->thread != nullptr) {
                f->thread = nullptr;
                f->prepared = false;
                free_fibers.push_back(f.get());
            }
        }
    }
    cur = nullptr;
    launch = nullptr;
    return !failed;
}

// Nothing is left to run: either the block is done, or every live thread waits at one barrier,
// or something waits for what never comes.
void Worker::end_phase() {
    if (done == n) return;
    char name[64];
    for (unsigned k = 0; k < (n + 31) / 32; ++k) {
        const Warp& w = warps[k];
        if (w.open == 0) continue;
        const Collective& c = w.collectives[0];
        const unsigned missing = c.mask & ~c.arrived;
        const unsigned lane = unsigned(__builtin_ctz(missing));
        const Thread& t = threads[32 * k + lane];
        char message[1024];
        std::snprintf(message, sizeof message,
                      "%s at %s:%d in warp %u (mask 0x%08x) waits for lanes 0x%08x that never arrive: %s (lane %u) "
                      "waits at %s %s:%d",
                      op_name(c.op), c.site.file, c.site.line, k, c.mask, missing, who(32 * k + lane, name, sizeof name),
                      lane, t.state == State::at_barrier ? "__syncthreads" : op_name(t.op), t.site.file, t.site.line);
        record(message);
        return;
    }
    if (done > 0) {
        unsigned r = 0;
        while (threads[r].state != State::done) ++r;
        char message[1024];
        std::snprintf(message, sizeof message,
                      "__syncthreads at %s:%d is reached by %u threads while %u have returned (%s among them): "
                      "early return before a barrier",
                      barrier.file, barrier.line, waiting, done, who(r, name, sizeof name));
        record(message);
        return;
    }
    // Every thread waits at `barrier`: release them all in the next phase's order.
    ++phase;
    new_phase_order();
    unsigned count = 0;
    for (unsigned i = 0; i < n; ++i) count += unsigned(threads[i].value);
    for (unsigned k = 0; k < n; ++k) {
        const unsigned i = at(k);
        threads[i].value = count;
        push_ready(i);
    }
    waiting = 0;
}

uint64_t Worker::warp_op(Where site, WarpOp op, unsigned mask, uint64_t value, int param, int width) {
    Thread* t = cur;
    const unsigned i = index(t), lane = i % 32, bit = 1u << lane;
    Warp& w = warps[i / 32];
    char name[64];
    if (width < 1 || width > 32 || (width & (width - 1)) != 0) {
        fail("%s at %s:%d: width %d is not a power of 2 up to 32", op_name(op), site.file, site.line, width);
    }
    if (mask & ~w.lanes) {
        fail("%s at %s:%d: mask 0x%08x names lanes 0x%08x that do not exist (warp %u has %d lanes)", op_name(op),
             site.file, site.line, mask, mask & ~w.lanes, i / 32, __builtin_popcount(w.lanes));
    }
    if (!(mask & bit)) {
        fail("%s at %s:%d: %s (lane %u) calls it with mask 0x%08x, which does not name it", op_name(op), site.file,
             site.line, who(i, name, sizeof name), lane, mask);
    }
    if (mask & w.done) {
        fail("%s at %s:%d: mask 0x%08x names lanes 0x%08x that have returned", op_name(op), site.file, site.line, mask,
             mask & w.done);
    }
    Collective* c = nullptr;
    for (int k = 0; k < w.open; ++k) {
        Collective& o = w.collectives[k];
        if ((o.mask & mask) == 0) continue;
        if (o.mask != mask) {
            fail("%s at %s:%d: %s (lane %u) has mask 0x%08x, lanes 0x%08x wait at %s (%s:%d) with mask 0x%08x",
                 op_name(op), site.file, site.line, who(i, name, sizeof name), lane, mask, o.arrived, op_name(o.op),
                 o.site.file, o.site.line, o.mask);
        }
        if (o.op != op || o.width != width) {
            fail("%s at %s:%d (width %d): %s (lane %u) arrives while lanes 0x%08x wait at %s (%s:%d, width %d)",
                 op_name(op), site.file, site.line, width, who(i, name, sizeof name), lane, o.arrived, op_name(o.op),
                 o.site.file, o.site.line, o.width);
        }
        c = &o;
    }
    if (c == nullptr) {
        c = &w.collectives[w.open++];
        *c = Collective{mask, 0, op, width, site};
    }
    t->state = State::at_warp;
    t->site = site;
    t->op = op;
    t->param = param;
    t->value = value;
    c->arrived |= bit;
    if (c->arrived != mask) {
        wait(t);
    } else {
        complete(w, i & ~31u, *c);
        t->state = State::running;
    }
    return t->value;
}

// The last lane of c has arrived: computes every lane's result, closes c, queues the other lanes.
void Worker::complete(Warp& w, unsigned base, Collective& c) {
    uint64_t in[32];
    unsigned ballot = 0;
    for (unsigned l = 0; l < 32; ++l) {
        if (!(c.mask >> l & 1)) continue;
        in[l] = threads[base + l].value;
        if (in[l] != 0) ballot |= 1u << l;
    }
    const int width = c.width;
    for (unsigned l = 0; l < 32; ++l) {
        if (!(c.mask >> l & 1)) continue;
        Thread& t = threads[base + l];
        const int64_t lane = l, first = lane & ~int64_t(width - 1), last = first + width - 1;
        int64_t j = lane;
        bool in_range = true;
        switch (c.op) {
            case WarpOp::shfl_idx: j = first + (t.param & (width - 1)); break;
            case WarpOp::shfl_up: j = lane - unsigned(t.param), in_range = j >= first; break;
            case WarpOp::shfl_down: j = lane + unsigned(t.param), in_range = j <= last; break;
            case WarpOp::shfl_xor: j = lane ^ (t.param & 31), in_range = j <= last; break;
            case WarpOp::ballot: t.value = ballot; continue;
            case WarpOp::any: t.value = ballot != 0; continue;
            case WarpOp::all: t.value = ballot == c.mask; continue;
            case WarpOp::sync: t.value = 0; continue;
        }
        // A source lane outside the mask gives an undefined value on a GPU: here all ones (NaN).
        t.value = !in_range ? in[l] : (c.mask >> j & 1) ? in[j] : ~uint64_t(0);
    }
    const unsigned mask = c.mask;
    const unsigned self = index(cur);  // the lane that arrived last goes on without waiting
    c = w.collectives[--w.open];
    unsigned lanes[32], count = 0;
    for (unsigned l = 0; l < 32; ++l) {
        if ((mask >> l & 1) && base + l != self) lanes[count++] = base + l;
    }
    if (launch->order == Order::reverse) std::reverse(lanes, lanes + count);
    if (launch->order == Order::random) {
        for (unsigned k = count; k > 1; --k) std::swap(lanes[k - 1], lanes[splitmix(rng) % k]);
    }
    for (unsigned k = 0; k < count; ++k) push_ready(lanes[k]);
}

// ---- the pool of OS threads -------------------------------------------------------------------

void run_blocks(Launch& l) {
    Worker& w = worker();
    for (;;) {
        const uint64_t b = l.next.fetch_add(1, std::memory_order_relaxed);
        if (b >= l.blocks || l.failed.load(std::memory_order_relaxed)) return;
        if (!w.run_block(l, b)) {
            std::lock_guard<std::mutex> lock(l.error_mutex);
            if (!l.failed.load()) l.error = w.error;
            l.failed = true;
        }
    }
}

class Pool {
public:
    Pool() {
        unsigned size = unsigned(env_size("CORTADO_EMU_THREADS", std::max(1u, std::thread::hardware_concurrency())));
        for (unsigned k = 1; k < size; ++k) std::thread([this] { help(); }).detach();
        helpers_ = size - 1;
    }
    // Runs every block of l, on this thread and the pool's.
    void run(Launch& l) {
        const bool share = helpers_ > 0 && l.blocks > 1;
        if (share) {
            std::lock_guard<std::mutex> lock(mutex_);
            jobs_.push_back(&l);
        }
        if (share) work_.notify_all();
        run_blocks(l);
        if (share) {
            std::unique_lock<std::mutex> lock(mutex_);
            jobs_.erase(std::find(jobs_.begin(), jobs_.end(), &l));
            idle_.wait(lock, [&] { return l.helpers == 0; });
        }
    }

private:
    Launch* find_job() {
        for (Launch* l : jobs_) {
            if (l->next.load(std::memory_order_relaxed) < l->blocks && !l->failed.load(std::memory_order_relaxed)) return l;
        }
        return nullptr;
    }
    void help() {
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
            Launch* l = nullptr;
            // Blocks are claimed outside the lock: the job found is the one to help with.
            work_.wait(lock, [&] { return (l = find_job()) != nullptr; });
            ++l->helpers;
            lock.unlock();
            run_blocks(*l);
            lock.lock();
            if (--l->helpers == 0) idle_.notify_all();
        }
    }

    std::mutex mutex_;
    std::condition_variable work_, idle_;
    std::vector<Launch*> jobs_;
    unsigned helpers_ = 0;
};

// Never destroyed: its threads wait for work until the process exits.
Pool& pool() {
    static Pool* p = new Pool;
    return *p;
}

int refuse(const char* format, ...) __attribute__((format(printf, 1, 2)));
int refuse(const char* format, ...) {
    char message[1024];
    va_list args;
    va_start(args, format);
    std::vsnprintf(message, sizeof message, format, args);
    va_end(args);
    last_error_message = message;
    return 1;
}

}  // namespace

void set_order(Order order, uint64_t seed) {
    order_setting().order = int(order);
    order_setting().seed = seed;
}

const char* last_error() { return last_error_message.c_str(); }

namespace detail {

int launch(const char* name, dim3 grid, dim3 block, size_t shared_bytes, void (*call)(const void*), const void* arg) {
    const uint64_t threads = uint64_t(block.x) * block.y * block.z;
    if (threads == 0 || grid.x == 0 || grid.y == 0 || grid.z == 0) return 0;
    if (threads > kMaxThreads || block.x > 1024 || block.y > 1024 || block.z > 64) {
        return refuse("kernel %s: block (%u,%u,%u) is over CUDA's limits (1024 threads; x, y <= 1024, z <= 64)", name,
                      block.x, block.y, block.z);
    }
    if (grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535) {
        return refuse("kernel %s: grid (%u,%u,%u) is over CUDA's limits (x < 2^31, y, z <= 65535)", name, grid.x,
                      grid.y, grid.z);
    }
    if (this_worker != nullptr && this_worker->launch != nullptr) {
        return refuse("kernel %s: launched from inside kernel %s", name, this_worker->launch->name);
    }
    Launch l;
    l.name = name;
    l.grid = grid;
    l.block = block;
    l.shared_bytes = shared_bytes;
    l.call = call;
    l.arg = arg;
    l.order = Order(order_setting().order.load());
    l.seed = order_setting().seed.load();
    l.blocks = uint64_t(grid.x) * grid.y * grid.z;
    pool().run(l);
    if (l.failed) {
        last_error_message = l.error;
        return 1;
    }
    return 0;
}

uint64_t warp_op(const char* file, int line, WarpOp op, unsigned mask, uint64_t value, int param, int width) {
    Worker* w = this_worker;
    if (w == nullptr || w->cur == nullptr) {
        std::fprintf(stderr, "cortado emu: %s (%s:%d) called outside a kernel\n", op_name(op), file, line);
        std::abort();
    }
    return w->warp_op(Where{file, line}, op, mask, value, param, width);
}

int syncthreads(const char* file, int line, int pred) {
    Worker* w = this_worker;
    if (w == nullptr || w->cur == nullptr) {
        std::fprintf(stderr, "cortado emu: __syncthreads (%s:%d) called outside a kernel\n", file, line);
        std::abort();
    }
    Thread* t = w->cur;
    const Where site{file, line};
    if (w->waiting == 0) {
        w->barrier = site;
    } else if (!same(w->barrier, site)) {
        char name[64];
        w->fail("divergent barrier: %s waits at __syncthreads %s:%d while %u threads wait at __syncthreads %s:%d",
                w->who(w->index(t), name, sizeof name), file, line, w->waiting, w->barrier.file, w->barrier.line);
    }
    ++w->waiting;
    t->state = State::at_barrier;
    t->site = site;
    t->value = pred != 0;
    w->wait(t);
    return int(t->value);
}

unsigned activemask() {
    Worker* w = this_worker;
    if (w == nullptr || w->cur == nullptr) return 0;
    const unsigned i = w->index(w->cur);
    return w->warps[i / 32].lanes & ~w->warps[i / 32].done;
}

}  // namespace detail
}  // namespace cortado::emu
