// The CPU library's own header: its runtime controls and execution context (not kernels; bound by
// CpuLibrary.java) and its kernels, cortado_<slot> for every slot of the generated kernel table
// (cortado_kernels.h), each defined with CORTADO_KERNEL(slot) { ... } in the file of its family.
#pragma once

#include "cortado_kernels.h"

// ---- runtime -------------------------------------------------------------------------------
// Threads used by the kernels (the caller counts as one). 1 <= n <= 256.
void cortado_set_threads(int n);
int cortado_threads();
// Micro-kernel instruction set: 0 = portable (SSE2), 1 = AVX2+FMA, 2 = AVX-512F.
// cortado_set_isa returns the ISA in use afterwards (asking for more than the CPU has keeps the best it has).
int cortado_best_isa();
int cortado_set_isa(int isa);
int cortado_isa();
// SGEMM cache blocking. Caches as 12 longs: L1d, L2, L3, each {bytes, ways, line bytes, logical
// CPUs sharing one instance}. cortado_cache_sizes: those the blocking was derived from (the
// machine's, read once), and a 13th long, the L3 bytes one thread counts on. cortado_gemm_set_caches: derive every kernel's blocking from `caches`
// instead (tests; null: the machine's again; not while kernels run). cortado_gemm_derive_blocks:
// {mc, kc, nc} for an mr x nr micro-kernel and those caches (large_c: a C larger than L2;
// stream_b: kc sized for the A micro-panel, gemm.cpp's derive_blocks).
// cortado_gemm_blocking: {mr, nr, mc, kc, nc} an m x n C gets with the ISA in use.
void cortado_cache_sizes(long* out);
void cortado_gemm_set_caches(const long* caches);
void cortado_gemm_derive_blocks(const long* caches, int mr, int nr, int large_c, int stream_b, int* out);
// Whether this CPU's AVX-512 tiles size kc for the A micro-panel, B streaming from L2 (Zen 4).
int cortado_gemm_streams_b();
void cortado_gemm_blocking(long m, long n, int* out);
// Workspace blocks the kernels freed, kept for the next call (workspace.h): bytes cached now;
// trim frees them all and returns the bytes freed.
long cortado_workspace_cached();
long cortado_workspace_trim();
// Tests: writes value over every cached block (no kernel may count on what its workspace holds).
void cortado_workspace_fill(float value);
// The context every call runs in: no stream (calls are synchronous), workspace from the cache above.
const cortado_context* cortado_cpu_context();
// A context that never has workspace (tests of the status path).
const cortado_context* cortado_cpu_context_without_workspace();

// ---- kernels: declared from the table's slot types, so a definition that is not the declared
// kernel fails to compile or link ----
#define CORTADO_CPU_DECLARE(slot) cortado_##slot##_fn cortado_##slot;
CORTADO_KERNEL_LIST(CORTADO_CPU_DECLARE)
#undef CORTADO_CPU_DECLARE
