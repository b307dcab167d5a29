"""A DDIM sample of 64 latents at 50 steps through score.py's network, without gradients (ddim side of score.ts)."""
import torch
from score import SAMPLE_BATCH, SAMPLER_STEPS, MODALITIES, LATENT, ScoreNetwork, alpha_bar_number, per_dimension


class Bench:
    def __init__(self, seed):
        torch.manual_seed(seed)
        self.model = ScoreNetwork().eval()
        self.modules = [self.model]
        self.times = [1 - index / SAMPLER_STEPS for index in range(SAMPLER_STEPS + 1)]

    @torch.no_grad()
    def step(self):
        current = torch.randn(SAMPLE_BATCH, MODALITIES * LATENT)
        for index in range(SAMPLER_STEPS):
            now = torch.full((SAMPLE_BATCH, MODALITIES), self.times[index])
            alpha = per_dimension(now)
            output = self.model(current, now)
            clean = current * alpha.sqrt() - output * (1 - alpha).sqrt()
            noise = current * (1 - alpha).sqrt() + output * alpha.sqrt()
            following = alpha_bar_number(self.times[index + 1])
            current = clean * following ** 0.5 + noise * (1 - following) ** 0.5
        return [current.abs().mean().item()]
