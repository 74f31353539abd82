"""Baseline of resnet50_finetune.py: its imports alone."""

import torch  # noqa: F401
from torch import nn  # noqa: F401
from torchvision.models import ResNet50_Weights, resnet50  # noqa: F401
