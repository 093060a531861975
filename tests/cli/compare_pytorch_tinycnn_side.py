#!/usr/bin/env python3
"""benchmarks/compare_pytorch's tinycnn side, without PyTorch: it runs cnn_benchmark and reads
its --output_json, so a renamed result field stops it. Runs run_tinycnn() on a short real run.
    compare_pytorch_tinycnn_side.py SCRIPT CNN_BENCHMARK"""
import argparse
import importlib.machinery
import importlib.util
import sys

script, program = sys.argv[1], sys.argv[2]
loader = importlib.machinery.SourceFileLoader("compare_pytorch", script)
spec = importlib.util.spec_from_loader("compare_pytorch", loader)
module = importlib.util.module_from_spec(spec)
loader.exec_module(module)
a = argparse.Namespace(num_batches=2, num_warmup_batches=1, threads=1, inter_threads=1, optimizer="momentum",
                       forward_only=False)
r = module.run_tinycnn(program, a, "trivial", 8)
assert r["configuration"]["num_intra_threads"] == 1, r["configuration"]
assert r["summary"]["mean_images_per_sec"] > 0, r["summary"]
assert r["model"]["flops_per_image_counted"] > 0 and r["model"]["parameters"] > 0, r["model"]
assert r["fma_peak_gflops"] > 0 and r["isa"] in ("AVX2+FMA", "AVX-512"), (r["fma_peak_gflops"], r["isa"])
print(f"compare_pytorch read tinycnn's result: {r['summary']['mean_images_per_sec']:.1f} images/s, {r['isa']}")
