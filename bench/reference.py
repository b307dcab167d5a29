"""PyTorch side of `npm run bench`: a long-lived worker driven by JSON lines on stdin.

The coordinator (bench/run.ts) speaks the same protocol to this worker and to the mmgen worker
(bench/harness/node-worker.ts), so steps of both sides are interleaved rep by rep in one run.
Each request is one JSON object per line; each answer is one JSON object per line on stdout.

  {"cmd": "hello"}                                  -> {"pid", "runtime", "threads"}
  {"cmd": "build", "model": "dcgan", "seed": 1}     -> {"parameters", "buildMs"}
  {"cmd": "run", "steps": k}                        -> {"ms", "cpuMs", "waitMs": [per step], "losses"}
  {"cmd": "rss"}                                    -> {"rssKb", "peakKb"}
  {"cmd": "tinyop", "op": "addScalar", "calls": n, "rounds": r} -> {"us": [...]}
  {"cmd": "profile", "steps": k}                    -> {"calls", "callsPerStep", "phases", ...}
  {"cmd": "exit"}

Run with Debian's interpreter (/usr/bin/python3, python3-torch), single threaded.
"""
import os

# BLAS and OpenMP read their thread counts when the libraries load: set them before importing torch.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of bench/models
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "models"))

import importlib
import json
import time
import traceback

import torch

torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass  # already set

MODELS = ("dcgan", "gru", "transformer", "vae", "score", "ddim")


def read_status():
    """VmRSS and VmHWM (peak RSS) of this process in kB, from /proc/self/status."""
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, amount = line.split(":")
                values[name] = int(amount.split()[0])
    return {"rssKb": values["VmRSS"], "peakKb": values["VmHWM"]}


def main_thread_times():
    """CPU time and run-queue wait of the main thread in ms, from the kernel's schedstat (as the mmgen worker)."""
    with open(f"/proc/self/task/{os.getpid()}/schedstat") as schedstat:
        cpu, wait = schedstat.read().split()[:2]
    return int(cpu) / 1e6, int(wait) / 1e6


class Worker:
    def __init__(self):
        self.bench = None
        self.warmed_up = set()

    def hello(self, request):
        return {"pid": os.getpid(), "runtime": f"torch {torch.__version__}, python {sys.version.split()[0]}",
                "threads": torch.get_num_threads()}

    def build(self, request):
        name = request["model"]
        if name not in MODELS:
            raise ValueError(f"unknown model {name!r}; expected one of {', '.join(MODELS)}")
        started = time.perf_counter()
        self.bench = importlib.import_module(name).Bench(int(request.get("seed", 1)))
        parameters = sum(p.numel() for module in self.bench.modules for p in module.parameters())
        return {"parameters": parameters, "buildMs": (time.perf_counter() - started) * 1000}

    def run(self, request):
        if self.bench is None:
            raise RuntimeError("run before build: send {\"cmd\": \"build\", \"model\": ...} first")
        times, cpu_times, waits, losses = [], [], [], []
        for _ in range(int(request["steps"])):
            cpu_before, wait_before = main_thread_times()
            started = time.perf_counter()
            losses = self.bench.step()
            times.append((time.perf_counter() - started) * 1000)
            cpu_after, wait_after = main_thread_times()
            cpu_times.append(cpu_after - cpu_before)
            waits.append(wait_after - wait_before)
        return {"ms": times, "cpuMs": cpu_times, "waitMs": waits, "losses": losses}

    def rss(self, request):
        return read_status()

    def tinyop(self, request):
        """Microseconds per call of a tiny op on a 4-element tensor; the result is freed by refcount."""
        calls, rounds, op = int(request["calls"]), int(request.get("rounds", 5)), request.get("op", "addScalar")
        x = torch.ones(4)
        other = torch.full((4,), 2.0)
        if op == "addScalar":
            def loop():
                for _ in range(calls):
                    y = x.add(1)
                    del y
        elif op == "mulTensor":
            def loop():
                for _ in range(calls):
                    y = x.mul(other)
                    del y
        else:
            raise ValueError(f"unknown tiny op {op!r}; expected addScalar or mulTensor")
        results = []
        if op not in self.warmed_up:  # first request only: warm-up round
            loop()
            self.warmed_up.add(op)
        cpu_results = []
        for _ in range(rounds):
            cpu_before = main_thread_times()[0]
            started = time.perf_counter()
            loop()
            results.append((time.perf_counter() - started) * 1e6 / calls)
            cpu_results.append((main_thread_times()[0] - cpu_before) * 1000 / calls)
        return {"us": results, "cpuUs": cpu_results}

    def profile(self, request):
        """CPU time per phase, and the ATen ops called straight from Python (the analogue of mmgen's N-API calls)."""
        if self.bench is None:
            raise RuntimeError("profile before build")
        steps = int(request.get("steps", 2))
        phases = {"backward": 0.0, "optimizer": 0.0}
        original_backward = torch.Tensor.backward
        optimizers = [value for value in vars(self.bench).values() if isinstance(value, torch.optim.Optimizer)]

        def timed(phase, function):
            def wrapper(*args, **kwargs):
                started = main_thread_times()[0]
                try:
                    return function(*args, **kwargs)
                finally:
                    phases[phase] += main_thread_times()[0] - started
            return wrapper

        torch.Tensor.backward = timed("backward", original_backward)
        for optimizer in optimizers:
            optimizer.step = timed("optimizer", optimizer.step)
        try:
            cpu_started = main_thread_times()[0]
            started = time.perf_counter()
            for _ in range(steps):
                self.bench.step()
            total = (time.perf_counter() - started) * 1000
            total_cpu = main_thread_times()[0] - cpu_started
        finally:
            torch.Tensor.backward = original_backward
            for optimizer in optimizers:
                del optimizer.step  # back to the class method
        with torch.autograd.profiler.profile() as profiler:
            self.bench.step()
        direct, all_ops = {}, 0
        for event in profiler.function_events:
            if not event.name.startswith("aten::"):
                continue
            all_ops += 1
            # a call from Python: not nested in another ATen op nor run by the autograd engine
            ancestor, nested = event.cpu_parent, False
            while ancestor is not None and not nested:
                nested = ancestor.name.startswith(("aten::", "autograd::"))
                ancestor = ancestor.cpu_parent
            if not nested:
                direct[event.name] = direct.get(event.name, 0) + 1
        per_step = {phase: value / steps for phase, value in phases.items()}
        per_step["forward"] = total_cpu / steps - per_step["backward"] - per_step["optimizer"]
        top = dict(sorted(direct.items(), key=lambda item: -item[1])[:12])
        return {"callsPerStep": sum(direct.values()), "atenOpsPerStep": all_ops, "topCalls": top,
                "phases": per_step, "stepMs": total / steps, "stepCpuMs": total_cpu / steps}


def main():
    worker = Worker()
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        command = request.get("cmd")
        if command == "exit":
            break
        handler = getattr(worker, command, None) if command in ("hello", "build", "run", "rss", "tinyop", "profile") else None
        try:
            if handler is None:
                raise ValueError(f"unknown command {command!r}")
            answer = {"ok": True, **handler(request)}
        except Exception as error:  # report to the coordinator instead of dying mid-run
            answer = {"ok": False, "error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
