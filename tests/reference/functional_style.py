"""Models written in another style than torchvision's: functional calls (F.relu,
torch.sigmoid, F.interpolate, F.adaptive_avg_pool2d) instead of layers, a helper
function the forward calls, tensor methods, and a block returning two tensors that
the caller takes apart. `archdsl import` must write TwoHeads as blocks with
parameters and give back the same keys, outputs and gradients. StagesInAList keeps
its stages in a ModuleList that forward indexes (`self.stages[0](x)`), which the
language cannot call yet: the import must say so, naming the class and the call."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def fuse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.cat([a, F.interpolate(b, scale_factor=1.0, mode="nearest")], dim=1)


class Stage(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)
        self.norm = nn.GroupNorm(4, out_ch)
        self.side = nn.Conv2d(out_ch, out_ch // 2, 1)
        self.scale = nn.Parameter(torch.ones(1, out_ch, 1, 1))  # a parameter of its own

    def forward(self, x):
        y = F.relu(self.norm(self.conv(x)) * self.scale)
        return y, torch.sigmoid(self.side(y))


class TwoHeads(nn.Module):
    def __init__(self, widths=(8, 16, 32), n_classes: int = 5):
        super().__init__()
        self.stem = nn.Conv2d(3, widths[0], 3, padding=1)
        self.stage1 = Stage(widths[0], widths[0])
        self.stage2 = Stage(widths[0], widths[1], stride=2)
        self.stage3 = Stage(widths[1], widths[2], stride=2)
        self.head = nn.Linear(widths[-1] + widths[-1] // 2, n_classes)

    def forward(self, x):
        x = F.relu(self.stem(x))
        x, gate = self.stage1(x)
        x, gate = self.stage2(x * gate.mean(1, keepdim=True))
        x, gate = self.stage3(x)
        x = fuse(x, gate)
        return self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)), gate


class StagesInAList(nn.Module):
    def __init__(self, widths=(8, 16, 32), n_classes: int = 5):
        super().__init__()
        self.stem = nn.Conv2d(3, widths[0], 3, padding=1)
        self.stages = nn.ModuleList(
            [Stage(widths[0], widths[0])]
            + [
                Stage(a, b, stride=2)
                for a, b in zip(widths[:-1], widths[1:], strict=True)
            ]
        )
        self.head = nn.Linear(widths[-1] + widths[-1] // 2, n_classes)

    def forward(self, x):
        x = F.relu(self.stem(x))
        x, gate = self.stages[0](x)
        x, gate = self.stages[1](x * gate.mean(1, keepdim=True))
        x, gate = self.stages[2](x)
        x = fuse(x, gate)
        return self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)), gate
