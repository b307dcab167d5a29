"""DCGAN reference step (PyTorch): the same layers, shapes and losses as dcgan.ts."""
import torch
from torch import nn
import torch.nn.functional as F

BATCH, NOISE, IMAGE = 64, 100, 32


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.project = nn.Linear(NOISE, 128 * 4 * 4)
        self.norm0 = nn.BatchNorm2d(128)
        self.up1 = nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1)
        self.norm1 = nn.BatchNorm2d(64)
        self.up2 = nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1)
        self.norm2 = nn.BatchNorm2d(32)
        self.up3 = nn.ConvTranspose2d(32, 3, 4, stride=2, padding=1)

    def forward(self, z):
        x = self.project(z).view(-1, 128, 4, 4)
        x = F.relu(self.norm0(x))
        x = F.relu(self.norm1(self.up1(x)))
        x = F.relu(self.norm2(self.up2(x)))
        return torch.tanh(self.up3(x))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 4, stride=2, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 4, stride=2, padding=1)
        self.conv3 = nn.Conv2d(64, 128, 4, stride=2, padding=1)
        self.classify = nn.Linear(128 * 4 * 4, 1)

    def forward(self, x):
        x = F.leaky_relu(self.conv1(x), 0.2)
        x = F.leaky_relu(self.conv2(x), 0.2)
        x = F.leaky_relu(self.conv3(x), 0.2)
        return self.classify(x.flatten(1))


class Bench:
    def __init__(self, seed):
        torch.manual_seed(seed)
        self.generator = Generator()
        self.discriminator = Discriminator()
        self.optimizer_g = torch.optim.Adam(self.generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.optimizer_d = torch.optim.Adam(self.discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        data = torch.Generator().manual_seed(seed + 1)
        self.real = torch.rand(BATCH, 3, IMAGE, IMAGE, generator=data) * 2 - 1
        self.ones = torch.ones(BATCH, 1)
        self.zeros = torch.zeros(BATCH, 1)
        self.modules = [self.generator, self.discriminator]

    def step(self):
        z = torch.randn(BATCH, NOISE)
        fake = self.generator(z)
        # discriminator update
        loss_d = F.binary_cross_entropy_with_logits(self.discriminator(self.real), self.ones) + \
            F.binary_cross_entropy_with_logits(self.discriminator(fake.detach()), self.zeros)
        self.optimizer_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.optimizer_d.step()
        # generator update
        loss_g = F.binary_cross_entropy_with_logits(self.discriminator(fake), self.ones)
        self.optimizer_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.optimizer_g.step()
        return [loss_d.item(), loss_g.item()]
