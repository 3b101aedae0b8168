// The CPU context's workspace: kernels' temporary memory (padded images, Winograd transforms,
// im2col copies, transposed products), kept for the next call instead of going back to the system.
// Megabytes a call freed to the system came back as fresh pages that faulted on first touch:
// about 2,300 page faults per ResNet-18 call at batch 1 (ONNX Runtime's arena: none).
#pragma once
#include <cstddef>

namespace cortado {

// A block of at least `bytes`, 64-byte aligned: a cached one that fits (at most twice the size
// asked for), else a new one; null when the system has no memory left.
void* workspace_take(size_t bytes);
// A block from workspace_take back to the cache (or to the system, past the cache's limit).
void workspace_give(void* block);
// Frees every cached block; returns the bytes freed.
size_t workspace_trim();
// Writes value over every cached block (tests: a kernel must not count on its workspace's contents).
void workspace_fill(float value);
// Bytes in cached blocks (not in use).
size_t workspace_cached();

}  // namespace cortado
