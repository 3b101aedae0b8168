// Cached workspace blocks (workspace.h). Each block carries its size in a 64-byte header before
// the memory it hands out; free blocks are kept by size, up to kLimit bytes in all.
#include "workspace.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>

namespace cortado {
namespace {

constexpr size_t kHeader = 64;
constexpr size_t kLimit = size_t{512} << 20;

std::mutex lock;
std::multimap<size_t, void*> free_blocks;  // capacity -> the block's base (header included)
size_t cached = 0;

size_t& capacity_of(void* base) { return *static_cast<size_t*>(base); }

}  // namespace

void* workspace_take(size_t bytes) {
    const size_t capacity = (bytes + 4095) / 4096 * 4096;  // whole pages: near sizes share blocks
    {
        std::lock_guard<std::mutex> guard(lock);
        const auto it = free_blocks.lower_bound(capacity);
        if (it != free_blocks.end() && it->first <= 2 * capacity) {
            void* base = it->second;
            cached -= it->first;
            free_blocks.erase(it);
            return static_cast<char*>(base) + kHeader;
        }
    }
    void* base = std::aligned_alloc(64, kHeader + capacity);
    if (!base) {
        workspace_trim();  // the cache's blocks may be what the system lacks
        base = std::aligned_alloc(64, kHeader + capacity);
        if (!base) return nullptr;
    }
    capacity_of(base) = capacity;
    return static_cast<char*>(base) + kHeader;
}

void workspace_give(void* block) {
    if (!block) return;
    void* base = static_cast<char*>(block) - kHeader;
    const size_t capacity = capacity_of(base);
    {
        std::lock_guard<std::mutex> guard(lock);
        if (cached + capacity <= kLimit) {
            // first among blocks of its size: the next call takes the block used last, still in cache
            free_blocks.emplace_hint(free_blocks.lower_bound(capacity), capacity, base);
            cached += capacity;
            return;
        }
    }
    std::free(base);
}

size_t workspace_trim() {
    std::multimap<size_t, void*> all;
    size_t bytes;
    {
        std::lock_guard<std::mutex> guard(lock);
        all.swap(free_blocks);
        bytes = cached;
        cached = 0;
    }
    for (auto& [capacity, base] : all) std::free(base);
    return bytes;
}

void workspace_fill(float value) {
    std::lock_guard<std::mutex> guard(lock);
    for (auto& [capacity, base] : free_blocks) {
        float* p = reinterpret_cast<float*>(static_cast<char*>(base) + kHeader);
        std::fill(p, p + capacity / sizeof(float), value);
    }
}

size_t workspace_cached() {
    std::lock_guard<std::mutex> guard(lock);
    return cached;
}

}  // namespace cortado
