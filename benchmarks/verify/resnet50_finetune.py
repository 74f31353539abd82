"""Benchmark input: a torchvision fine-tuning script (ResNet-50, backbone frozen but layer4).
Its baseline, the same imports alone, is resnet50_imports.py."""

import torch
from torch import nn
from torchvision.models import ResNet50_Weights, resnet50

model = resnet50(weights=ResNet50_Weights.DEFAULT)
for name, parameter in model.named_parameters():
    parameter.requires_grad = name.startswith("layer4")
model.fc = nn.Linear(model.fc.in_features, 10)
optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01)
loss = model(torch.zeros(2, 3, 224, 224)).sum()
loss.backward()
