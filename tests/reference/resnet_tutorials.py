"""The hand-written PyTorch that the resnet50_* and resnet18_metadata specs replace,
as the tutorials write it."""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn
from torchvision import models


def resnet50_head() -> nn.Module:
    net = models.resnet50()
    classifier = nn.Sequential(
        OrderedDict(
            [
                ("fc1", nn.Linear(2048, 128)),
                ("relu1", nn.ReLU()),
                ("dropout1", nn.Dropout(0.5)),
                ("fc2", nn.Linear(128, 10)),
                ("output", nn.Softmax(dim=1)),
            ]
        )
    )
    net.fc = classifier
    return net


class ResNet50ExtraInput(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = models.resnet50()
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout(0.5)
        self.fc_add = nn.Linear(1001, 10)
        self.output = nn.Softmax(dim=1)

    def forward(self, x, add_variable):
        x = self.net(x)
        x = self.dropout(self.relu(x))
        x = torch.cat((x, add_variable.unsqueeze(1)), dim=1)
        x = self.fc_add(x)
        return self.output(x)


class ResNet50ExtraOutput(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = models.resnet50()
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout(0.5)
        self.fc1 = nn.Linear(1000, 10)
        self.output = nn.Softmax(dim=1)

    def forward(self, x):
        x1000 = self.net(x)
        x10 = self.output(self.fc1(self.dropout(self.relu(x1000))))
        return x10, x1000


class ResNet18Metadata(nn.Module):
    """What people write by hand for image + metadata: a backbone without its head,
    an MLP for the metadata, and a classifier over both."""

    def __init__(self, n_meta: int = 8, n_classes: int = 5):
        super().__init__()
        self.backbone = models.resnet18()
        self.backbone.fc = nn.Identity()
        self.meta_mlp = nn.Sequential(
            nn.Linear(n_meta, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU()
        )
        self.fc = nn.Sequential(nn.Dropout(0.2), nn.Linear(512 + 32, n_classes))

    def forward(self, x, meta):
        features = self.backbone(x)
        return self.fc(torch.cat([features, self.meta_mlp(meta)], dim=1))
