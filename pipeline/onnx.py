"""One way to open an ONNX model shipped inside a wheel: CPU only, quiet, a thread budget."""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort  # imported by the models that need it, not at package import


def session(path: Path, threads: int = 0) -> ort.InferenceSession:
    """An inference session on the CPU; ``threads`` > 0 caps the threads one call may use."""
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.enable_cpu_mem_arena = False  # the arena would keep its largest input's buffers for good: freed after each run
    if threads > 0:
        opts.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
