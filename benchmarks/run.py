"""archdsl benchmarks: generated models against hand-written PyTorch, and the
compiler front end. Everything is measured side by side in one process, interleaved,
and reported as medians and ratios (generated / hand-written), never as a pass/fail.

    .venv/bin/python benchmarks/run.py                 # the full run (a few minutes)
    .venv/bin/python benchmarks/run.py --quick         # tiny sizes, one repetition
    .venv/bin/python benchmarks/run.py --device cuda   # also channels_last + bf16
    .venv/bin/python benchmarks/run.py --only front_end cold_check scaling
    .venv/bin/python benchmarks/run.py --only scaling --sizes 1000 10000

Prints a table per section and writes every number to JSON (--json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # archdsl, and the references

import archdsl  # noqa: E402
from archdsl.check import check as run_checks  # noqa: E402
from archdsl.codegen import generate_module  # noqa: E402
from archdsl.imports import resolve_imports  # noqa: E402
from archdsl.pipeline import read_source  # noqa: E402
from archdsl.shapes.infer import infer_model  # noqa: E402
from archdsl.syntax import parse_source  # noqa: E402

SPECS = ROOT / "specs"


def median_time(fn: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved(pairs: dict[str, Callable[[], object]], reps: int, sync) -> dict:
    """Each callable once per round, in an order that alternates between rounds, so
    drift in the machine's speed falls on both sides alike."""
    times: dict[str, list[float]] = {name: [] for name in pairs}
    names = list(pairs)
    for fn in pairs.values():  # warm-up: allocator, caches, lazy init
        fn()
    sync()
    for round_ in range(reps):
        for name in names if round_ % 2 == 0 else reversed(names):
            start = time.perf_counter()
            pairs[name]()
            sync()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


# ---- generated vs hand-written models ----------------------------------------------------


def model_pairs(quick: bool):
    """(label, generated model, hand-written model, inputs) with equal weights."""
    import torch
    from reference import resnet_tutorials as ref
    from reference.unet import UNet as ReferenceUNet
    from torchvision import models
    from torchvision.models.feature_extraction import create_feature_extractor

    image = (1, 3, 64, 64) if quick else (1, 3, 256, 256)
    photo = (2, 3, 64, 64) if quick else (2, 3, 224, 224)

    def load(stem, name, *args):
        return getattr(archdsl.load(SPECS / f"{stem}.arch"), name)(*args)

    taps_ref = create_feature_extractor(
        models.resnet50(), {"fc": "logits", "layer2": "feat2", "layer3": "feat3"}
    )
    pairs = [
        ("unet", load("unet", "UNet", 3, 2), ReferenceUNet(3, 2), [image]),
        ("unet_bilinear", load("unet", "UNet", 3, 2, True), ReferenceUNet(3, 2, True),
         [image]),
        ("resnet50_head", load("resnet50_head", "ResNet50Head"), ref.resnet50_head(),
         [photo]),
        ("resnet50_extra_input", load("resnet50_extra_input", "ResNet50ExtraInput"),
         ref.ResNet50ExtraInput(), [photo, photo[:1]]),
        ("resnet50_extra_output", load("resnet50_extra_output", "ResNet50ExtraOutput"),
         ref.ResNet50ExtraOutput(), [photo]),
        ("resnet50_taps (vs FX extractor)", load("resnet50_taps", "ResNet50Taps"),
         taps_ref, [photo]),
    ]  # fmt: skip
    for _, generated, reference, _ in pairs:
        generated.load_state_dict(reference.state_dict(), strict=True)
    torch.manual_seed(0)
    return [
        (label, g, r, [torch.randn(s) for s in shapes]) for label, g, r, shapes in pairs
    ]


def _outputs(out):
    if isinstance(out, dict):
        return list(out.values())
    return list(out) if isinstance(out, tuple) else [out]


def runtime(quick: bool, reps: int, device: str) -> list[dict]:
    import torch

    rows = []
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    # On CUDA also: channels_last with bf16 autocast, and torch.compile (inductor).
    variants = ["eager"] + (
        ["channels_last+bf16", "compiled"] if device == "cuda" else []
    )
    for label, generated, reference, inputs in model_pairs(quick):
        for variant in variants:
            fast = variant == "channels_last+bf16"
            models = {
                "generated": generated.to(device),
                "hand-written": reference.to(device),
            }
            xs = [x.to(device) for x in inputs]
            if fast:
                models = {
                    k: m.to(memory_format=torch.channels_last)
                    for k, m in models.items()
                }
                xs = [
                    x.to(memory_format=torch.channels_last) if x.dim() == 4 else x
                    for x in xs
                ]
            if variant == "compiled":
                models = {k: torch.compile(m) for k, m in models.items()}
            row = {"model": label, "device": device, "variant": variant}
            for mode in ("eval forward", "train step"):
                calls = {k: _step(m, xs, mode, fast, device) for k, m in models.items()}
                medians = interleaved(calls, reps, sync)
                row[mode] = {
                    **medians,
                    "ratio": medians["generated"] / medians["hand-written"],
                }
            rows.append(row)
    return rows


def _step(model, xs, mode: str, fast: bool, device: str):
    import torch

    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if fast
                else torch.autocast("cpu", enabled=False))  # fmt: skip
    if mode == "eval forward":
        model.eval()

        def run():
            with torch.no_grad(), autocast:
                model(*xs)

        return run
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)

    def train():
        optimizer.zero_grad(set_to_none=True)
        with autocast:
            loss = sum(o.float().pow(2).mean() for o in _outputs(model(*xs)))
        loss.backward()
        optimizer.step()

    return train


def instantiation(reps: int) -> list[dict]:
    from reference import resnet_tutorials as ref
    from reference.unet import UNet as ReferenceUNet

    unet = archdsl.load(SPECS / "unet.arch").UNet
    head = archdsl.load(SPECS / "resnet50_head.arch").ResNet50Head
    pairs = {
        "unet": {
            "generated": lambda: unet(3, 2),
            "hand-written": lambda: ReferenceUNet(3, 2),
        },
        "resnet50_head": {"generated": head, "hand-written": ref.resnet50_head},
    }
    rows = []
    for label, calls in pairs.items():
        medians = interleaved(calls, reps, lambda: None)
        rows.append({"model": label, **medians,
                     "ratio": medians["generated"] / medians["hand-written"]})  # fmt: skip
    return rows


# ---- the compiler front end ---------------------------------------------------------------


def front_end(reps: int) -> list[dict]:
    rows = []
    for spec in sorted(SPECS.glob("*.arch")):
        source = read_source(spec)
        program = resolve_imports(parse_source(source), source)
        ctx = run_checks(program)
        rows.append(
            {
                "spec": spec.name,
                "parse": median_time(partial(parse_source, source), reps),
                "check": median_time(partial(run_checks, program), reps),
                "of which shapes": median_time(partial(infer_all, ctx), reps),
                "codegen": median_time(
                    partial(generate_module, program, ctx, source), reps
                ),
            }
        )
    return rows


def infer_all(ctx) -> None:
    """The shape pass alone: inference over every block and model, as check runs it."""
    for info in ctx.defs.values():
        if info.kind != "builder":
            infer_model(ctx, info)


#: `archdsl check` needs lark and pydantic: a process importing them is its floor.
FLOOR = "import lark, pydantic"


def _check_command(tree: Path, spec: str) -> tuple[list[str], dict, Path]:
    """`archdsl check SPEC` run from a source tree (this one, or a --baseline):
    `python -m` puts the working directory first on the path."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return [sys.executable, "-m", "archdsl", "check", str(SPECS / spec)], env, tree


def cold_check(reps: int, baselines: dict[str, Path]) -> list[dict]:
    """Fresh processes, interleaved: the floor, then `archdsl check` of a small and
    a larger spec from this tree and from each baseline tree (bytecode compiled
    first, as an installed package's is: with PYTHONDONTWRITEBYTECODE set, as on the
    development VM, a warm-up run would not write it, and every run would compile
    every module again). Ratio: check / floor, in wall time and in the processes' CPU
    time (user + system), which a loaded machine disturbs less; with the 1-minute
    load average at the start and at the end."""
    for tree in {ROOT, *baselines.values()}:
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(tree / "archdsl")],
            check=True,
        )
    runs = {
        "python -c 'import lark, pydantic'": ([sys.executable, "-c", FLOOR], None, ROOT)
    }
    for label, tree in {"this tree": ROOT, **baselines}.items():
        for spec in ("mlp.arch", "unet.arch"):
            runs[f"{label}: check {spec}"] = _check_command(tree, spec)
    cpu: dict[str, list[float]] = {name: [] for name in runs}

    def timed(name: str, call: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            before = _children_cpu()
            call()
            cpu[name].append(_children_cpu() - before)

        return run

    calls = {
        name: timed(name, partial(subprocess.run, command, env=env, check=True,
                                  capture_output=True, cwd=cwd))
        for name, (command, env, cwd) in runs.items()
    }  # fmt: skip
    load = os.getloadavg()[0]
    medians = interleaved(calls, reps, lambda: None)
    load_text = f"{load:.1f} to {os.getloadavg()[0]:.1f}"
    # each list's first time is the warm-up run's
    cpu_medians = {name: statistics.median(times[1:]) for name, times in cpu.items()}
    floor_name = "python -c 'import lark, pydantic'"
    floor, floor_cpu = medians[floor_name], cpu_medians[floor_name]
    return [
        {"process": name, "median": seconds, "ratio to floor": seconds / floor,
         "cpu median": cpu_medians[name], "cpu ratio": cpu_medians[name] / floor_cpu,
         "load average": load_text}
        for name, seconds in medians.items()
    ]  # fmt: skip


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def layered_spec(layers: int) -> str:
    members = "\n".join(f"    l{i} = Linear(16, 16)" for i in range(layers))
    steps = "\n".join(f"        x = l{i}(x)" for i in range(layers))
    return f"model Deep {{\n{members}\n    forward(x) {{\n{steps}\n        return x\n    }}\n}}\n"


#: Run in a fresh process per size, so the peak memory is that size's own. Times
#: are (wall, CPU) medians: CPU time is what a loaded machine disturbs least. The
#: phases are archdsl.generate's own calls, one after the other, timed apart
#: (the collector paused for parse and check, as compile_spec pauses it), with the
#: memory each leaves held (resident set growth in the first run, the process's
#: first at this size: later ones reuse what the allocator kept). Each time is
#: (wall, CPU, CPU in the cyclic collector): objects the paused phases made are
#: scanned by the first collections after them, inside codegen.
_SCALING_CHILD = """
import contextlib, gc, json, sys, time
sys.path[:0] = [sys.argv[3], sys.argv[3] + "/benchmarks"]
from run import layered_spec
import archdsl
from archdsl.check import check as run_checks
from archdsl.codegen import generate_module
from archdsl.imports import resolve_imports
from archdsl.pipeline import read_source
from archdsl.syntax import _rules, parse_source, parse_source_via_tree
from archdsl.syntax.onepass import parse_and_lower
from archdsl.syntax.parser import MAX_CHAIN, MAX_DEPTH, parser_input
from archdsl.gc_pause import no_gc_pauses
size, reps = int(sys.argv[1]), int(sys.argv[2])
archdsl.generate(layered_spec(10))
_rules()  # the LALR path's tables, made once, as the fast path's were just now
text = layered_spec(size)
source = read_source(text=text)
def kib(field):
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith(field))
collector = [0.0, 0.0]  # CPU seconds in the cyclic collector so far; its start
def timed_collections(phase, info):
    if phase == "start":
        collector[1] = time.process_time()
    else:
        collector[0] += time.process_time() - collector[1]
gc.callbacks.append(timed_collections)
def clock():
    return time.perf_counter(), time.process_time(), collector[0]
def since(start):
    return tuple(now - then for now, then in zip(clock(), start))
def median(fn, pause=True):
    times = []
    for _ in range(reps):
        gc.collect()
        with no_gc_pauses() if pause else contextlib.nullcontext():
            start = clock()
            fn()
            times.append(since(start))
    return sorted(times)[len(times) // 2]
before = kib("VmRSS:")
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")  # the peak (VmHWM) starts again from here
# 100,000 members exceed the default limit on modules one definition builds
limits = archdsl.pipeline.Limits(max_modules=10 * size + 1000)
runs, held = [], []
for _ in range(reps):
    gc.collect()
    marks, rss = [clock()], [kib("VmRSS:")]
    with no_gc_pauses():
        program = parse_source(source)
        marks.append(clock()); rss.append(kib("VmRSS:"))
        program = resolve_imports(program, source)
        ctx = run_checks(program, limits)
        marks.append(clock()); rss.append(kib("VmRSS:"))
    generate_module(program, ctx, source)
    marks.append(clock()); rss.append(kib("VmRSS:"))
    runs.append([[b - a for a, b in zip(*pair)] for pair in zip(marks, marks[1:])])
    held = held or [(b - a) / 1024 for a, b in zip(rss, rss[1:])]
    del program, ctx
phases = [sorted(run[i] for run in runs)[len(runs) // 2] for i in range(3)]
total = median(lambda: archdsl.generate(text, limits), pause=False)  # pauses itself
peak = kib("VmHWM:")  # of the phases' runs and these: the same calls
lalr = median(lambda: parse_and_lower(_rules(), source, parser_input(source),
                                      MAX_DEPTH, MAX_CHAIN))
two_pass = median(lambda: parse_source_via_tree(source))
print(json.dumps({"compile": total, "lalr": lalr, "two_pass": two_pass,
                  "phases": phases, "held_mb": held,
                  "peak_mb": peak / 1024, "grew_mb": (peak - before) / 1024}))
"""


#: A baseline tree's compile and parse alone (any archdsl version has generate()
#: and syntax.parse_source), as (wall, CPU) medians.
_BASELINE_CHILD = """
import gc, json, sys, time
sys.path[:0] = [sys.argv[3]]
import archdsl
from archdsl.pipeline import read_source
from archdsl.syntax import parse_source
size, reps = int(sys.argv[1]), int(sys.argv[2])
members = "\\n".join(f"    l{i} = Linear(16, 16)" for i in range(size))
steps = "\\n".join(f"        x = l{i}(x)" for i in range(size))
text = f"model Deep {{\\n{members}\\n    forward(x) {{\\n{steps}\\n        return x\\n    }}\\n}}\\n"
archdsl.generate("model W {\\n    l0 = Linear(16, 16)\\n    forward(x) = l0(x)\\n}\\n")
def median(fn, pause):
    times = []
    for _ in range(reps):
        gc.collect()
        if pause:  # as compile_spec runs the parse
            gc.disable()
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - start, time.process_time() - cpu))
        gc.enable()
    return sorted(times)[len(times) // 2]
source = read_source(text=text)
print(json.dumps({"compile": median(lambda: archdsl.generate(text), False),
                  "parse": median(lambda: parse_source(source), True)}))
"""


def scaling(sizes: list[int], reps: int, baselines: dict[str, Path]) -> list[dict]:
    """Parse to generated code for N chained Linear layers, wall and CPU time, and
    each phase's CPU time (parse, check with resolving imports, codegen); the
    parser's share of it, as shipped (the recursive-descent fast path) and with
    lark's LALR parser lowering as it reduces (the one pass shipped before) or
    lark's tree then the Transformer (the two passes before that), all from this
    tree; peak memory of the process, and what each phase leaves held; and each
    baseline tree's own compile, its parse and its parser's share (up to 10,000
    layers). The load average is others' work on the machine: wall times swell
    with it, CPU times much less."""
    rows = []
    for size in sizes:
        child = subprocess.run(
            [sys.executable, "-c", _SCALING_CHILD, str(size),
             str(reps if size <= 10_000 else 1), str(ROOT)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        m = json.loads(child.stdout)
        (wall, cpu, collector), lalr = m["compile"], m["lalr"]
        parse, check, codegen = (phase[1] for phase in m["phases"])
        row = {
            "layers": size,
            "load": f"{os.getloadavg()[0]:.1f}",
            "compile": wall,
            "compile CPU": cpu,
            "per layer CPU": f"{cpu / size * 1e6:.0f} us",
            "parse CPU": parse,
            "check CPU": check,
            "codegen CPU": codegen,
            "collector in codegen": m["phases"][2][2],
            "collector in compile": collector,
            "parser share": parse / (parse + check + codegen),
            "parse CPU (LALR one pass)": lalr[1],
            "share with it": lalr[1] / (lalr[1] + check + codegen),
            "parse CPU (tree + Transformer)": m["two_pass"][1],
            "peak RSS": f"{m['peak_mb']:.0f} MB",
            "of which compiling": f"{m['grew_mb']:.0f} MB",
            "held by parse/check/codegen": "/".join(f"{mb:.0f}" for mb in m["held_mb"])
            + " MB",
        }
        for name, tree in baselines.items():
            if size <= 10_000:
                base = _baseline_compile(tree, size, reps)
                row[f"{name}: compile CPU"] = base["compile"][1]
                row[f"{name}: parser share"] = base["parse"][1] / base["compile"][1]
                row[f"CPU ratio to {name}"] = cpu / base["compile"][1]
        rows.append(row)
    return rows


def _baseline_compile(tree: Path, size: int, reps: int) -> dict:
    child = subprocess.run(
        [sys.executable, "-c", _BASELINE_CHILD, str(size), str(reps), str(tree)],
        check=True, capture_output=True, text=True, cwd=tree,
    )  # fmt: skip
    return json.loads(child.stdout)


def incremental(edits: int, rounds: int, baselines: dict[str, Path]) -> list[dict]:
    """One-line edits of two ~500-line specs (benchmarks/incremental_edits.py:
    eight independent U-Nets, and 36 blocks all used by one model; a comment
    typed, and on the second an Enter in the first block too), each edit
    re-checked by Workspace.update and by a full check, interleaved; for this
    tree and each baseline tree, in alternating rounds of `edits` edits (a fresh
    process per round and tree), so a load that comes and goes falls on all."""
    trees = {"this tree": ROOT, **baselines}
    rows = []
    for spec, edit in (
        ("unet-x8", "comment"),
        ("every-block", "comment"),
        ("every-block", "enter"),
    ):
        runs: dict[str, dict[str, list]] = {name: {} for name in trees}
        for round_ in range(rounds):
            for name, tree in trees.items():
                child = subprocess.run(
                    [sys.executable, str(ROOT / "benchmarks" / "incremental_edits.py"),
                     "--tree", str(tree), "--spec", spec, "--edits", str(edits),
                     "--seed", str(round_), "--edit", edit],
                    check=True, capture_output=True, text=True, cwd=tree,
                )  # fmt: skip
                for key, values in json.loads(child.stdout).items():
                    if isinstance(values, list):
                        runs[name].setdefault(key, []).extend(values)
                    else:
                        runs[name][key] = values
        for name, found in runs.items():
            inc, full = found["incremental"], found["full check"]
            work = found["work"]
            rows.append({
                "spec": spec, "edit": edit, "tree": name,
                "spec lines": found["spec lines"],
                "edits": len(inc),
                "incremental": statistics.median(w for w, _ in inc),
                "full check": statistics.median(w for w, _ in full),
                "incremental (CPU)": statistics.median(c for _, c in inc),
                "full check (CPU)": statistics.median(c for _, c in full),
                "incremental p90 (CPU)": sorted(c for _, c in inc)[int(len(inc) * 0.9) - 1],
                "pieces parsed per edit": statistics.mean(w[0] for w in work),
                "components checked per edit": statistics.mean(w[1] for w in work),
                "definitions checked per edit": (
                    statistics.mean(w[2] for w in work)
                    if all(w[2] is not None for w in work) else None
                ),
                "full fallbacks": sum(bool(w[3]) for w in work),
                "load average (1 min) after": os.getloadavg()[0],
            })  # fmt: skip
    return rows


def _infer_with(run: Callable[[], object], pause) -> None:
    import archdsl.shapes.infer as infer

    shipped = infer.no_gc_pauses
    infer.no_gc_pauses = pause
    try:
        run()
    finally:
        infer.no_gc_pauses = shipped


def shape_inference(sizes: list[int], reps: int) -> list[dict]:
    """Shape inference alone on the layered specs, with the cyclic GC paused (as
    archdsl runs it) and running, interleaved."""
    import contextlib

    import archdsl.shapes.infer as infer
    from archdsl.pipeline import compile_spec, model_info

    rows = []
    paused = infer.no_gc_pauses
    for size in sizes:  # the paused side runs as shipped
        text = layered_spec(size).replace("forward(x)", "forward(x: [N, 16])")
        compiled = compile_spec(text)
        info = model_info(compiled, "Deep")
        run = partial(infer.infer_model, compiled.context, info)
        medians = interleaved(
            {"gc paused": partial(_infer_with, run, paused),
             "gc running": partial(_infer_with, run, contextlib.nullcontext)},
            reps, lambda: None,
        )  # fmt: skip
        rows.append({"layers": size, **medians,
                     "ratio": medians["gc running"] / medians["gc paused"]})  # fmt: skip
    return rows


# ---- report -------------------------------------------------------------------------------


def machine() -> dict:
    import torch

    info = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "platform": platform.platform(),
        "cpu": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name()
    return info


def print_table(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    if not rows:
        return
    flat = [_flatten(row) for row in rows]
    columns = list(flat[0])
    cells = [[_fmt(row.get(c)) for c in columns] for row in flat]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def _flatten(row: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in row.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}: "))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if value >= 0.1 else f"{value * 1000:.2f} ms"
    return str(value)


TITLES = {
    "runtime": "generated vs hand-written: median seconds, ratio",
    "instantiation": "instantiation: median seconds",
    "front_end": "front end, in process: median seconds per spec",
    "cold_check": "cold `archdsl check` process against its floor (median seconds)",
    "scaling": "parse to generated code by spec size, the parser's share, memory",
    "incremental": "one-line edits of a long spec: Workspace.update vs a full check",
    "shapes": "shape inference alone: median seconds, GC running / paused",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, one repetition"
    )
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--json", type=Path, default=ROOT / "out" / "benchmarks.json")
    parser.add_argument(
        "--only", nargs="+", choices=list(TITLES), default=list(TITLES),
        help="run these sections only",
    )  # fmt: skip
    parser.add_argument(
        "--baseline", action="append", default=[], metavar="NAME=DIR",
        help="also time `archdsl check` from this source tree (e.g. an older commit "
        "exported with `git archive`), side by side",
    )  # fmt: skip
    parser.add_argument(
        "--sizes", nargs="+", type=int, metavar="LAYERS",
        help="the scaling section's spec sizes (default 100 1000 10000 100000)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    quick = args.quick
    baselines = {
        name: Path(tree).resolve()
        for name, tree in (b.split("=", 1) for b in args.baseline)
    }
    results = {"machine": machine(), "quick": quick}
    sections: dict[str, Callable[[], list[dict]]] = {
        "runtime": lambda: (
            runtime(quick, 1 if quick else 7, "cpu")
            + (
                runtime(quick, 1 if quick else 20, "cuda")
                if args.device == "cuda"
                else []
            )
        ),
        "instantiation": lambda: instantiation(1 if quick else 5),
        "front_end": lambda: front_end(1 if quick else 20),
        "cold_check": lambda: cold_check(1 if quick else 10, baselines),
        "scaling": lambda: scaling(
            args.sizes or ([10, 100] if quick else [100, 1000, 10_000, 100_000]),
            1 if quick else 3,
            {k: v for k, v in baselines.items() if k.startswith("before")},
        ),
        "incremental": lambda: incremental(
            2 if quick else 10, 1 if quick else 4, baselines
        ),
        "shapes": lambda: shape_inference(
            [100] if quick else [1000, 10000], 1 if quick else 5
        ),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    for name in TITLES:
        if name in args.only:
            results[name] = sections[name]()
            args.json.write_text(
                json.dumps(results, indent=2)
            )  # kept if a later one fails
    print(json.dumps(results["machine"]))
    for name, title in TITLES.items():
        if name in results:
            print_table(title, results[name])
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
