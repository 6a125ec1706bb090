"""The torchvision builders archdsl supports, and each family's forward as data.

A spec that extends a base model gets that forward written out step by step in the
generated code (no hooks, no FX at run time), so taps and injections are ordinary
statements. tests/test_bases.py runs every family's steps against the real model's
own `forward` and requires equal outputs.
"""

from __future__ import annotations

from ..records import dataclass


@dataclass(frozen=True)
class Step:
    """One statement of a base model's forward, applied to the running tensor:
    a child module called by name, or a tensor op (archdsl/ops/tensor_ops.py) with
    constant extra arguments."""

    module: str | None = None
    op: str | None = None
    args: tuple[object, ...] = ()


def _modules(*names: str) -> tuple[Step, ...]:
    return tuple(Step(module=name) for name in names)


FLATTEN = Step(op="flatten", args=(1,))
GLOBAL_AVG_POOL = Step(op="adaptive_avg_pool2d", args=((1, 1),))
SPATIAL_MEAN = Step(op="mean", args=((2, 3),))


#: torchvision blocks whose forward ends in their own ReLU(inplace=True), whose output
#: autograd keeps for the backward: an in-place layer on a block's (or a stage's)
#: output fails the training step. Measured on torchvision's models by
#: tests/test_inplace_autograd.py.
KEEPS_OUTPUT_BLOCKS = frozenset({"BasicBlock", "Bottleneck"})


@dataclass(frozen=True)
class Family:
    cls: str  # the torchvision.models class the builders return
    steps: tuple[Step, ...]
    builders: tuple[str, ...]


FAMILIES: tuple[Family, ...] = (
    Family(
        "ResNet",
        (
            *_modules(
                "conv1",
                "bn1",
                "relu",
                "maxpool",
                "layer1",
                "layer2",
                "layer3",
                "layer4",
                "avgpool",
            ),
            FLATTEN,
            Step(module="fc"),
        ),  # fmt: skip
        (
            "resnet18",
            "resnet34",
            "resnet50",
            "resnet101",
            "resnet152",
            "resnext50_32x4d",
            "resnext101_32x8d",
            "resnext101_64x4d",
            "wide_resnet50_2",
            "wide_resnet101_2",
        ),  # fmt: skip
    ),
    Family(
        "VGG",
        (*_modules("features", "avgpool"), FLATTEN, Step(module="classifier")),
        (
            "vgg11",
            "vgg11_bn",
            "vgg13",
            "vgg13_bn",
            "vgg16",
            "vgg16_bn",
            "vgg19",
            "vgg19_bn",
        ),  # fmt: skip
    ),
    Family(
        "AlexNet",
        (*_modules("features", "avgpool"), FLATTEN, Step(module="classifier")),
        ("alexnet",),
    ),
    Family(
        "MobileNetV2",
        (Step(module="features"), GLOBAL_AVG_POOL, FLATTEN, Step(module="classifier")),
        ("mobilenet_v2",),
    ),
    Family(
        "MobileNetV3",
        (*_modules("features", "avgpool"), FLATTEN, Step(module="classifier")),
        ("mobilenet_v3_small", "mobilenet_v3_large"),
    ),
    Family(
        "EfficientNet",
        (*_modules("features", "avgpool"), FLATTEN, Step(module="classifier")),
        (
            *(f"efficientnet_b{i}" for i in range(8)),
            "efficientnet_v2_s",
            "efficientnet_v2_m",
            "efficientnet_v2_l",
        ),  # fmt: skip
    ),
    Family(
        "ConvNeXt",
        _modules("features", "avgpool", "classifier"),
        ("convnext_tiny", "convnext_small", "convnext_base", "convnext_large"),
    ),
    Family(
        "DenseNet",
        (
            Step(module="features"),
            Step(op="relu"),
            GLOBAL_AVG_POOL,
            FLATTEN,
            Step(module="classifier"),
        ),  # fmt: skip
        ("densenet121", "densenet161", "densenet169", "densenet201"),
    ),
    Family(
        "SqueezeNet",
        (*_modules("features", "classifier"), FLATTEN),
        ("squeezenet1_0", "squeezenet1_1"),
    ),
    Family(
        "ShuffleNetV2",
        (
            *_modules("conv1", "maxpool", "stage2", "stage3", "stage4", "conv5"),
            SPATIAL_MEAN,
            Step(module="fc"),
        ),  # fmt: skip
        (
            "shufflenet_v2_x0_5",
            "shufflenet_v2_x1_0",
            "shufflenet_v2_x1_5",
            "shufflenet_v2_x2_0",
        ),  # fmt: skip
    ),
    Family(
        "MNASNet",
        (Step(module="layers"), SPATIAL_MEAN, Step(module="classifier")),
        ("mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3"),
    ),
)

#: builder name -> its family
BUILDERS: dict[str, Family] = {b: f for f in FAMILIES for b in f.builders}


def family_of(builder: str) -> Family | None:
    return BUILDERS.get(builder)
