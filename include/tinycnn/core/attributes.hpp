// Compiler attributes used across the library.
#pragma once

// On a kernel's entry point: every layer type of every model calls the same few kernels, and
// inlining a GEMM engine into each of them made the compiler optimise dozens of copies (about
// 90 % of a model's compile time). Kept out of line, each kernel is compiled once per element
// type; a call per layer costs nothing next to the work inside.
#define TINYCNN_KERNEL [[gnu::noinline]]
