"""Times dnb's Jupyter kernel as a client sees it (bench/README.md, "The Jupyter kernel").

usage: kernel_bench.py WORKDIR KERNELSPEC_PREFIX [REPEATS]

- start: from KernelManager.start_kernel() to the kernel_info_reply (the kernel is ready), median of 5 starts;
- empty cell: execute_request of "" to its execute_reply, median of REPEATS (default 200);
- figure trip: `show samples` (re-sends the 64-sample grid `sample n=64` drew: read the PNG, base64, JSON,
  sign, send, and the client's decoding) minus the empty cell, medians of REPEATS / 4.
"""
import os
import statistics
import sys
import time

WORK, PREFIX = sys.argv[1], sys.argv[2]
REPEATS = int(sys.argv[3]) if len(sys.argv) > 3 else 200
os.chdir(WORK)
os.environ["JUPYTER_PATH"] = os.path.join(PREFIX, "share", "jupyter")
for name, sub in [("JUPYTER_DATA_DIR", "data"), ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTER_CONFIG_DIR", "config")]:
    os.environ[name] = os.path.join(WORK, "jupyter", sub)

from jupyter_client.manager import KernelManager  # noqa: E402


def started_kernel():
    km = KernelManager(kernel_name="dnb")
    t0 = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.kernel_info()
    while True:
        reply = kc.get_shell_msg(timeout=30)
        if reply["msg_type"] == "kernel_info_reply":
            return km, kc, time.perf_counter() - t0


def round_trip(kc, code):
    """execute_request sent → execute_reply received, with every iopub message of the cell drained."""
    t0 = time.perf_counter()
    msg_id = kc.execute(code)
    reply = kc.get_shell_msg(timeout=60)
    elapsed = time.perf_counter() - t0
    assert reply["parent_header"]["msg_id"] == msg_id and reply["content"]["status"] == "ok", reply["content"]
    while True:
        message = kc.get_iopub_msg(timeout=10)
        if message["parent_header"].get("msg_id") == msg_id and message["msg_type"] == "status" \
                and message["content"]["execution_state"] == "idle":
            return elapsed, message


starts = []
for _ in range(5):
    km, kc, seconds = started_kernel()
    starts.append(seconds)
    kc.stop_channels()
    km.shutdown_kernel(now=True)

km, kc, _ = started_kernel()
empty = [round_trip(kc, "")[0] for _ in range(REPEATS)]
round_trip(kc, "seed 0\ndataset load name=synthetic count=64 image_size=32\n"
               "model create preset=small sample_size=32\nscheduler create type=ddim\nsample n=64 steps=1")
figure, size = [], 0
for _ in range(max(5, REPEATS // 4)):
    seconds, _ = round_trip(kc, "show samples")
    figure.append(seconds)
size = os.path.getsize(os.path.join(WORK, "out", "kernel", "figures", "samples.png"))
kc.stop_channels()
km.shutdown_kernel(now=True)

ms = lambda values: f"{1000 * statistics.median(values):.1f} ms"
print(f"kernel start to kernel_info_reply: {ms(starts)} (median of {len(starts)}; min {1000 * min(starts):.1f} ms)")
print(f"empty cell round trip: {ms(empty)} (median of {len(empty)}; 90th percentile {1000 * sorted(empty)[int(0.9 * len(empty))]:.1f} ms)")
print(f"64-sample grid ({size} bytes of PNG): cell {ms(figure)}, figure trip {1000 * (statistics.median(figure) - statistics.median(empty)):.1f} ms over the empty cell")
