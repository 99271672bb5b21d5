"""Checks dnb's Jupyter kernel and the notebooks dnb writes with Jupyter's own clients: jupyter_client,
jupyter_kernel_test, nbclient and nbformat. Run by the Swift tests (Tests/DNBCommandsTests/JupyterTests.swift);
dnb itself never runs Python.

usage: check_jupyter.py WORKDIR KERNELSPEC_PREFIX CHECK [ARGS...]

WORKDIR is a scratch folder (the kernel's working directory; Jupyter's runtime, data and config folders go
there too, so nothing touches the user's own); KERNELSPEC_PREFIX is where `dnb kernel install --prefix` put
the kernelspec. Each check prints what it saw and exits non-zero with the reason when something is wrong.
"""
import base64
import json
import os
import signal
import sys
import time
import unittest

WORK, PREFIX, CHECK = sys.argv[1], sys.argv[2], sys.argv[3]
ARGS = sys.argv[4:]
os.chdir(WORK)
os.environ["JUPYTER_PATH"] = os.path.join(PREFIX, "share", "jupyter")
for name, sub in [("JUPYTER_DATA_DIR", "data"), ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTER_CONFIG_DIR", "config")]:
    os.environ[name] = os.path.join(WORK, "jupyter", sub)
os.environ["DNB_THREADS"] = "1"

from jupyter_client.manager import KernelManager, start_new_kernel  # noqa: E402

TINY_SETUP = (
    "seed 3\n"
    "dataset load name=synthetic count=32 image_size=16\n"
    "model create sample_size=16 block_out_channels=[8, 16] down_block_types=[DownBlock2D, DownBlock2D] "
    "up_block_types=[UpBlock2D, UpBlock2D] layers_per_block=1 norm_num_groups=4\n"
    "scheduler create type=ddim"
)


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def png_size(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        fail("not a PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def execute(kc, code, timeout=60):
    """Runs a cell; returns the execute_reply content and the iopub messages it caused, in order."""
    messages = []
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=messages.append)
    return reply["content"], messages


# ---------------------------------------------------------------- jupyter_kernel_test

def kernel_tests():
    import jupyter_kernel_test

    class DNBKernelTests(jupyter_kernel_test.KernelTests):
        kernel_name = "dnb"
        language_name = "dnb"
        file_extension = ".dnb"
        code_hello_world = 'print "hello, world"'
        # A warning: a second `train` continues the first, so its lr is not applied.
        code_stderr = TINY_SETUP + "\ntrain max_steps=1 batch_size=4\ntrain max_steps=2 lr=0.5"
        completion_samples = [
            {"text": "mod", "matches": {"model"}},
            {"text": "model cr", "matches": {"create"}},
            {"text": "train epo", "matches": {"epochs="}},
            {"text": "let steps = 3\nprint $ste", "matches": set()},  # nothing bound yet: the cell has not run
        ]
        complete_code_samples = ["print 1", "let n = 3", "for i in 1..3 {\n  print $i\n}", "$n * 2"]
        incomplete_code_samples = ["for i in 1..3 {", "print [1,", "train epochs=1 \\"]
        invalid_code_samples = ["print )", "let = 5", "}"]
        code_generate_error = "trian epochs=1"
        code_execute_result = [
            {"code": "1 + 2", "result": "3"},
            {"code": "len([1, 2, 3])", "result": "3"},
            {"code": '"two" + " words"', "result": '"two words"'},
        ]
        code_display_data = [
            {"code": "dataset load name=synthetic count=32 image_size=16\ndataset show n=4", "mime": "image/png"},
        ]
        supported_history_operations = ("tail", "range", "search")
        code_history_pattern = "1*"
        code_inspect_sample = "train"

    suite = unittest.defaultTestLoader.loadTestsFromTestCase(DNBKernelTests)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    skipped = sorted(test.id().split(".")[-1] + ": " + reason for test, reason in result.skipped)
    print("skipped:", json.dumps(skipped))
    # Not defined for dnb, and why (docs/jupyter.md): it has no pager payloads and no clear_output.
    allowed = {"test_pager", "test_clear_output"}
    unexpected = [s for s in skipped if s.split(":")[0] not in allowed]
    if not result.wasSuccessful() or unexpected or result.testsRun < 12:
        fail(f"{len(result.failures)} failures, {len(result.errors)} errors, unexpected skips {unexpected}, {result.testsRun} run")
    print(f"ok: {result.testsRun} tests, {len(skipped)} skipped")


# ---------------------------------------------------------------- nbclient on a small notebook

def nbclient_run(path):
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=120, kernel_name="dnb", allow_errors=True,
                            resources={"metadata": {"path": WORK}})
    client.execute()
    nbformat.validate(notebook)
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    streams = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    if "Finished epoch" not in streams and "stopped" not in streams:
        fail("no training line in the streams: " + streams[:400])
    images = [o for o in outputs if o.output_type == "display_data" and "image/png" in o.data]
    if not images:
        fail("no image/png output")
    for image in images:
        png = base64.b64decode(image.data["image/png"])
        width, height = png_size(png)
        meta = image.metadata.get("image/png", {})
        if (meta.get("width"), meta.get("height")) != (width, height):
            fail(f"metadata says {meta}, the PNG is {width}x{height}")
        # The figure the kernel sent is the very file the command wrote.
        name = image.data["text/plain"].split()[1].rstrip(":")
        with open(os.path.join(WORK, "out", "kernel", name), "rb") as handle:
            if handle.read() != png:
                fail(f"the image/png of {name} differs from the file")
        print(f"image {name}: {width}x{height}")
    errors = [o for o in outputs if o.output_type == "error"]
    if len(errors) != 1 or "did you mean 'train'" not in errors[0].evalue:
        fail("expected one error output for the bad cell, got " + repr([e.evalue for e in errors]))
    if not any(line.startswith("In[") for line in errors[0].traceback):
        fail("the traceback does not name the cell: " + repr(errors[0].traceback))
    counts = [cell.execution_count for cell in notebook.cells if cell.cell_type == "code"]
    print("execution counts:", counts)
    print("error traceback:", json.dumps(errors[0].traceback))
    nbformat.write(notebook, os.path.join(WORK, "executed.ipynb"))
    print("ok: streams, images and the error as expected")


# ---------------------------------------------------------------- the protocol's sharp edges

def tampered_signature():
    """A message signed with another key is refused: never executed, never answered, logged."""
    from jupyter_client.session import Session

    km, kc = start_new_kernel(kernel_name="dnb", startup_timeout=30)
    try:
        forger = Session(key=b"not-the-key", username="forger")
        message = forger.msg("execute_request", {"code": "let forged = 1", "silent": False, "store_history": True,
                                                  "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
        forger.send(kc.shell_channel.socket, message)
        try:
            reply = kc.get_shell_msg(timeout=2)
            fail("the kernel answered a forged message: " + repr(reply["content"]))
        except Exception as error:  # queue.Empty: no answer, as it should be
            if type(error).__name__ != "Empty":
                raise
        content, _ = execute(kc, "print $forged")
        if content["status"] != "error" or "unknown variable" not in content["evalue"]:
            fail("the forged cell ran: " + repr(content))
        if not km.is_alive():
            fail("the kernel died")
        print("ok: forged execute_request ignored; the next signed request ran:", content["evalue"])
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def interrupt(how):
    """A long train is stopped by an interrupt (a control message, or SIGINT); the next cell sees the model."""
    km, kc = start_new_kernel(kernel_name="dnb", startup_timeout=30)
    try:
        content, _ = execute(kc, TINY_SETUP)
        if content["status"] != "ok":
            fail("setup failed: " + repr(content))
        msg_id = kc.execute("train max_steps=1000000 batch_size=4")
        started = time.time()
        displays, updates, asked, shown, error = [], 0, None, None, {}
        while time.time() - started < 30:
            message = kc.get_iopub_msg(timeout=30)
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind = message["msg_type"]
            if kind == "display_data":
                displays.append(message)
                shown = time.time()
            elif kind == "update_display_data":
                updates += 1
                if updates == 8:
                    if how == "signal":
                        os.kill(km.provisioner.process.pid, signal.SIGINT)
                    else:
                        km.interrupt_kernel()
                    asked = time.time()
            elif kind == "error":
                error = message["content"]
            elif kind == "status" and message["content"]["execution_state"] == "idle":
                break
        if asked is None:
            fail(f"only {updates} progress updates came in {time.time() - started:.0f} s")
        reply = kc.get_shell_msg(timeout=10)["content"]
        elapsed = time.time() - asked
        if len(displays) != 1 or "transient" not in displays[0]["content"]:
            fail(f"expected one progress display with a display_id, got {len(displays)}")
        rate = updates / max(asked - shown + elapsed, 1e-3)
        if rate > 5:
            fail(f"{updates} progress updates, {rate:.1f} a second: more than a few a second")
        if reply["status"] != "error" or error["ename"] != "KeyboardInterrupt":
            fail("the cell did not end with a KeyboardInterrupt: " + repr(reply))
        if elapsed > 10:
            fail(f"the interrupt took {elapsed:.1f} s")
        after, _ = execute(kc, "sample n=1 steps=1")
        if after["status"] != "ok":
            fail("the next cell does not see the model: " + repr(after))
        print(f"ok ({how}): stopped {elapsed:.2f} s after the interrupt; {updates} updates at {rate:.1f}/s; "
              f"error {error['ename']}: {error['evalue']}; the next cell sampled from the model")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def restart():
    km, kc = start_new_kernel(kernel_name="dnb", startup_timeout=30)
    try:
        execute(kc, "let kept = 5")
        before, _ = execute(kc, "print $kept")
        old_pid = km.provisioner.process.pid
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=30)
        after, _ = execute(kc, "print $kept")
        if before["status"] != "ok" or after["status"] != "error" or "unknown variable" not in after["evalue"]:
            fail(f"restart kept the workspace: before {before}, after {after}")
        if km.provisioner.process.pid == old_pid or os.path.exists(f"/proc/{old_pid}"):
            fail("the old kernel process is still there")
        print("ok: after restart:", after["evalue"])
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def killed():
    """kill -9: the client sees a dead kernel and the process is reaped (no zombie)."""
    km, kc = start_new_kernel(kernel_name="dnb", startup_timeout=30)
    pid = km.provisioner.process.pid
    os.kill(pid, signal.SIGKILL)
    deadline = time.time() + 10
    while km.is_alive() and time.time() < deadline:
        time.sleep(0.05)
    if km.is_alive():
        fail("the client still thinks the kernel is alive")
    kc.stop_channels()
    km.cleanup_resources()
    if os.path.exists(f"/proc/{pid}"):
        with open(f"/proc/{pid}/stat") as handle:
            fail("the kernel process is left as: " + handle.read().split()[2])
    print(f"ok: killed kernel {pid} seen dead; no process left")


def orphaned():
    """The process that started the kernel dies without shutting it down: the kernel ends by itself."""
    import subprocess

    spec = json.load(open(os.path.join(PREFIX, "share", "jupyter", "kernels", "dnb", "kernel.json")))
    km = KernelManager(kernel_name="dnb")
    km.write_connection_file()
    argv = [a.replace("{connection_file}", km.connection_file) for a in spec["argv"]]
    # A parent shell that starts the kernel in the background, as jupyter_client does (JPY_PARENT_PID names
    # the parent to watch), and dies at once.
    parent = subprocess.Popen(["sh", "-c", 'JPY_PARENT_PID=$$ exec "$@" & echo $!; sleep 0.5', "sh"] + argv,
                              stdout=subprocess.PIPE, text=True)
    pid = int(parent.stdout.readline())
    parent.wait()
    deadline = time.time() + 5
    while os.path.exists(f"/proc/{pid}") and time.time() < deadline:
        with open(f"/proc/{pid}/stat") as handle:
            if handle.read().split()[2] == "Z":
                break
        time.sleep(0.05)
    alive = os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().split()[2] != "Z"
    km.cleanup_connection_file()
    if alive:
        os.kill(pid, signal.SIGKILL)
        fail("the orphaned kernel kept running")
    print("ok: the orphaned kernel ended by itself")


# ---------------------------------------------------------------- files dnb writes

def validate(paths):
    import nbformat

    for path in paths:
        notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        nbformat.validate(notebook)
        if (notebook.nbformat, notebook.nbformat_minor) != (4, 5):
            fail(f"{path} is nbformat {notebook.nbformat}.{notebook.nbformat_minor}, not 4.5")
        print(f"valid: {path} ({len(notebook.cells)} cells)")


def same_outputs(kernel_path, run_path):
    """The notebook nbclient ran with the kernel and the one `dnb run --to ipynb` wrote carry the same outputs:
    the same kinds in the same order, the same text, PNGs of the same size, the same errors (their tracebacks
    name the cell differently: In[3]:1:1 in the kernel, the .dnb file's line in a run). Stream messages the
    kernel sent apart count as one, as front ends show them; its live progress bars are its own."""
    import nbformat

    def summary(path):
        notebook = nbformat.read(path, as_version=4)
        cells = []
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            outputs = []
            for o in cell.outputs:
                if o.output_type == "display_data" and "<progress" in o.data.get("text/html", ""):
                    continue  # the live progress bar: the kernel's alone, a run's log has its own
                if o.output_type == "stream" and outputs and outputs[-1][:2] == ("stream", o.name):
                    outputs[-1] = ("stream", o.name, outputs[-1][2] + o.text)  # front ends show them as one
                elif o.output_type == "stream":
                    outputs.append(("stream", o.name, o.text))
                elif o.output_type == "display_data":
                    png = o.data.get("image/png")
                    outputs.append(("display_data", sorted(o.data), png_size(base64.b64decode(png)) if png else None, o.data.get("text/plain")))
                else:
                    outputs.append((o.output_type, o.ename, o.evalue, o.traceback[1:]))
            cells.append(outputs)
        return cells

    kernel, run = summary(kernel_path), summary(run_path)
    if kernel != run:
        fail("the kernel's outputs differ from dnb run's:\n" + json.dumps(kernel, indent=1) + "\n" + json.dumps(run, indent=1))
    print(f"ok: the same outputs in {len(kernel)} code cells")


CHECKS = {
    "same-outputs": lambda: same_outputs(ARGS[0], ARGS[1]),
    "kernel-tests": kernel_tests,
    "nbclient": lambda: nbclient_run(ARGS[0]),
    "tampered": tampered_signature,
    "interrupt-message": lambda: interrupt("message"),
    "interrupt-signal": lambda: interrupt("signal"),
    "restart": restart,
    "killed": killed,
    "orphaned": orphaned,
    "validate": lambda: validate(ARGS),
}

if __name__ == "__main__":
    CHECKS[CHECK]()
