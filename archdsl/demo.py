"""`make demo`: build every spec in specs/ and run each generated model once."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from .output import write_atomic
from .pipeline import generate

# The model to run from each spec, its constructor arguments and its inputs' shapes.
EXAMPLES = {
    "unet": ("UNet", (3, 2), [(1, 3, 572, 572)]),
    "resnet18": ("ResNet18", (), [(2, 3, 224, 224)]),
    "mlp": ("MLP", (), [(8, 784)]),
    "resnet50_head": ("ResNet50Head", (), [(2, 3, 224, 224)]),
    "resnet50_extra_input": ("ResNet50ExtraInput", (), [(2, 3, 224, 224), (2,)]),
    "resnet50_extra_output": ("ResNet50ExtraOutput", (), [(2, 3, 224, 224)]),
    "resnet50_taps": ("ResNet50Taps", (), [(2, 3, 224, 224)]),
    "resnet18_metadata": ("ResNet18Metadata", (), [(2, 3, 224, 224), (2, 8)]),
    "token_mixer": ("TokenMixer", (), [(2, 3, 64, 64)]),
    "frozen_backbone": ("FrozenBackbone", (), [(2, 3, 64, 64)]),
    "multitask": ("MultiTask", (), [(2, 3, 64, 64)]),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--specs", type=Path, default=Path("specs"))
    parser.add_argument("--out", type=Path, default=Path("out"))
    parser.add_argument(
        "--device", default=None, help="cuda or cpu (default: cuda if available)"
    )
    args = parser.parse_args(argv)

    import torch

    device = torch.device(
        args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    )
    print(f"device: {device}")
    for spec in sorted(args.specs.glob("*.arch")):
        target = args.out / f"{spec.stem}.py"
        write_atomic(target, generate(spec))
        print(f"built {spec} -> {target}")
        if spec.stem in EXAMPLES:
            run_example(target, spec.stem, device)
    return 0


def run_example(path: Path, stem: str, device) -> None:
    import torch

    name, args, shapes = EXAMPLES[stem]
    module_spec = importlib.util.spec_from_file_location(f"demo_{stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    model = getattr(module, name)(*args).to(device).eval()
    with torch.no_grad():
        out = model(*(torch.randn(shape, device=device) for shape in shapes))
    outs = out if isinstance(out, tuple) else (out,)
    params = sum(p.numel() for p in model.parameters())
    shown_in = ", ".join(str(tuple(s)) for s in shapes)
    shown_out = ", ".join(str(tuple(o.shape)) for o in outs)
    print(f"  ran {name}{tuple(args)}: input {shown_in} -> output {shown_out}, "
          f"{params:,} parameters")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
