// Loops that the compiler vectorises get a clone per instruction set, picked at load time.
#pragma once
#define CORTADO_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
// Elementwise work is split over the pool only past this many floats per thread.
#define CORTADO_GRAIN (1L << 15)
