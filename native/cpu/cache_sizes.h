// The data caches of the CPU this runs on, read once: what the SGEMM blocking (gemm.cpp) and the
// streaming-store threshold (stream.h) are derived from.
#pragma once

namespace cortado {

// One cache level: the size of one instance, its associativity and line, and how many logical
// CPUs share that instance.
struct CacheLevel {
    long bytes;
    int ways;
    int line;
    int sharing;
};

struct CacheSizes {
    CacheLevel l1d, l2, l3;
};

// The L3 a single thread may count on: an L3 instance divided by the logical CPUs that share it,
// and never more than kL3ShareCap (a hypervisor may report a whole socket's L3, or a CCX shared
// with neighbours that the guest does not see).
constexpr long kL3ShareCap = 4L << 20;
long l3_per_thread(const CacheLevel& l3);

// Read once: sysconf(_SC_LEVEL*_CACHE_*) first; CPUID's deterministic cache parameters (leaf
// 0x8000001D on AMD, 4 on Intel) where sysconf gives 0 or -1, for the sharing count, and for an
// L3 that sysconf reports larger than one instance (glibc reads AMD's socket-wide figure); then
// defaults (32 KiB 8-way L1d, 512 KiB 8-way L2, 8 MiB 16-way L3 shared by every online CPU).
const CacheSizes& cache_sizes();

}  // namespace cortado
