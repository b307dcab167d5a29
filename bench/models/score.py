"""joint-diffusion's score network reference (PyTorch): the same layers and steps as score.ts."""
import math
import torch
from torch import nn
import torch.nn.functional as F

MODALITIES, LATENT, WIDTH, BLOCKS, FREQUENCIES = 3, 32, 512, 4, 16
TRAIN_BATCH, SAMPLE_BATCH, SAMPLER_STEPS = 256, 64, 50
OFFSET = 0.008
AT_ZERO = math.cos(OFFSET / (1 + OFFSET) * math.pi / 2) ** 2


def alpha_bar(t):
    """Cosine schedule as diffusion.ts: exactly 1 at t = 0."""
    value = (torch.cos((t.clamp(0, 1) + OFFSET) / (1 + OFFSET) * math.pi / 2) ** 2 / AT_ZERO).clamp(1e-8, 1)
    return value + (t <= 0).float() * (1 - value)


def alpha_bar_number(t):
    return 1.0 if t <= 0 else max(1e-8, math.cos((min(1, t) + OFFSET) / (1 + OFFSET) * math.pi / 2) ** 2 / AT_ZERO)


def sinusoidal(times):
    scales = torch.exp(torch.arange(FREQUENCIES).float() * (-math.log(10000) / (FREQUENCIES - 1)))
    angles = (times * 1000).unsqueeze(1) * scales.unsqueeze(0)
    return torch.cat([angles.sin(), angles.cos()], 1)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(WIDTH)
        self.first = nn.Linear(WIDTH, 2 * WIDTH)
        self.time = nn.Linear(WIDTH, 2 * WIDTH)
        self.second = nn.Linear(2 * WIDTH, WIDTH)

    def forward(self, x, time):
        return x + self.second(F.silu(self.first(self.norm(x)) + self.time(time)))


class ScoreNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.time_embeddings = nn.ModuleList([nn.Linear(2 * FREQUENCIES, WIDTH) for _ in range(MODALITIES)])
        self.time_mix = nn.Linear(MODALITIES * WIDTH, WIDTH)
        self.input = nn.Linear(MODALITIES * LATENT, WIDTH)
        self.blocks = nn.ModuleList([Block() for _ in range(BLOCKS)])
        self.output_norm = nn.LayerNorm(WIDTH)
        self.output = nn.Linear(WIDTH, MODALITIES * LATENT)

    def forward(self, latents, times):
        embedded = torch.cat([F.silu(layer(sinusoidal(times[:, m]))) for m, layer in enumerate(self.time_embeddings)], 1)
        time = F.silu(self.time_mix(embedded))
        x = self.input(latents)
        for block in self.blocks:
            x = block(x, time)
        return self.output(F.silu(self.output_norm(x)))


def per_dimension(times):
    return alpha_bar(times).repeat_interleave(LATENT, 1)


class Bench:
    def __init__(self, seed):
        torch.manual_seed(seed)
        self.model = ScoreNetwork()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        data = torch.Generator().manual_seed(seed + 1)
        self.clean = torch.randn(TRAIN_BATCH, MODALITIES * LATENT, generator=data)
        self.modules = [self.model]

    def step(self):
        times = torch.rand(TRAIN_BATCH, MODALITIES)
        alpha = per_dimension(times)
        noise = torch.randn_like(self.clean)
        current = self.clean * alpha.sqrt() + noise * (1 - alpha).sqrt()
        target = noise * alpha.sqrt() - self.clean * (1 - alpha).sqrt()
        loss = (self.model(current, times) - target).square().mean()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return [loss.item()]
