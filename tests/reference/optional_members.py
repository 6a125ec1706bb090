"""A residual unit whose projection is chosen by a string: no comparison of its
numeric arguments tells which instances have one (`project` at 8 -> 8 channels and
none at 8 -> 8), so `archdsl import` gives the block a boolean parameter."""

from torch import nn


class Unit(nn.Module):
    def __init__(self, channels: int, out_channels: int, mode: str = "plain") -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, out_channels, 3, padding=1)
        self.relu = nn.ReLU()
        if mode == "project":
            self.project = nn.Conv2d(channels, out_channels, 1, bias=False)

    def forward(self, x):
        identity = x
        if hasattr(self, "project"):
            identity = self.project(x)
        return self.relu(self.conv(x) + identity)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.units = nn.Sequential(
            Unit(3, 8, "project"), Unit(8, 8), Unit(8, 8, "project"), Unit(8, 8)
        )

    def forward(self, x):
        return self.units(x)
