// The data caches, from sysconf, CPUID and defaults (see cache_sizes.h).
#include "cache_sizes.h"

#include <cpuid.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace cortado {
namespace {

// Levels 1..3 of the data/unified caches from CPUID's deterministic cache parameters: leaf
// 0x8000001D on AMD (with topology extensions), leaf 4 on Intel; zeros where there is none.
void read_cpuid(CacheLevel (&levels)[4]) {
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return;
    const unsigned maxLeaf = a;
    char vendor[13] = {};
    std::memcpy(vendor, &b, 4);
    std::memcpy(vendor + 4, &d, 4);
    std::memcpy(vendor + 8, &c, 4);
    unsigned leaf;
    if (!std::strcmp(vendor, "AuthenticAMD") || !std::strcmp(vendor, "HygonGenuine")) {
        if (!__get_cpuid(0x80000001, &a, &b, &c, &d) || !(c & (1u << 22))) return;  // no topology extensions
        leaf = 0x8000001D;
    } else {
        if (maxLeaf < 4) return;
        leaf = 4;
    }
    for (unsigned i = 0; i < 16; i++) {
        __cpuid_count(leaf, i, a, b, c, d);
        const unsigned type = a & 31, level = (a >> 5) & 7;
        if (type == 0) break;  // no more caches
        if (type == 2 || level < 1 || level > 3) continue;  // instruction caches; L4
        const long line = (b & 0xfff) + 1, partitions = ((b >> 12) & 0x3ff) + 1, ways = ((b >> 22) & 0x3ff) + 1;
        const long bytes = line * partitions * ways * (static_cast<long>(c) + 1);
        const bool fully = a & (1u << 9);
        levels[level] = {bytes, static_cast<int>(fully ? bytes / line : ways), static_cast<int>(line),
                         static_cast<int>(((a >> 14) & 0xfff) + 1)};
    }
}

CacheLevel merged(int size, int assoc, int linesize, const CacheLevel& cpuid, CacheLevel fallback) {
    CacheLevel l = fallback;
    const long sys = sysconf(size), sysWays = sysconf(assoc), sysLine = sysconf(linesize);
    if (sys > 0) l.bytes = cpuid.bytes > 0 ? std::min(sys, cpuid.bytes) : sys;
    else if (cpuid.bytes > 0) l.bytes = cpuid.bytes;
    if (sysWays > 0) l.ways = static_cast<int>(sysWays);
    else if (cpuid.ways > 0) l.ways = cpuid.ways;
    if (sysLine > 0) l.line = static_cast<int>(sysLine);
    else if (cpuid.line > 0) l.line = cpuid.line;
    if (cpuid.sharing > 0) l.sharing = cpuid.sharing;
    return l;
}

CacheSizes read_caches() {
    CacheLevel cpuid[4] = {};
    read_cpuid(cpuid);
    const int online = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
    return {merged(_SC_LEVEL1_DCACHE_SIZE, _SC_LEVEL1_DCACHE_ASSOC, _SC_LEVEL1_DCACHE_LINESIZE, cpuid[1], {32L << 10, 8, 64, 1}),
            merged(_SC_LEVEL2_CACHE_SIZE, _SC_LEVEL2_CACHE_ASSOC, _SC_LEVEL2_CACHE_LINESIZE, cpuid[2], {512L << 10, 8, 64, 1}),
            merged(_SC_LEVEL3_CACHE_SIZE, _SC_LEVEL3_CACHE_ASSOC, _SC_LEVEL3_CACHE_LINESIZE, cpuid[3], {8L << 20, 16, 64, online})};
}

}  // namespace

long l3_per_thread(const CacheLevel& l3) { return std::min(kL3ShareCap, l3.bytes / std::max(1, l3.sharing)); }

const CacheSizes& cache_sizes() {
    static const CacheSizes sizes = read_caches();
    return sizes;
}

}  // namespace cortado
