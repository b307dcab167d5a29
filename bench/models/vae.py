"""Conv VAE reference step (PyTorch): the same layers, shapes and losses as vae.ts."""
import torch
from torch import nn
import torch.nn.functional as F

BATCH, IMAGE, LATENT = 64, 64, 64


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(3, 16, 4, stride=2, padding=1), nn.ReLU(),    # 32x32
            nn.Conv2d(16, 32, 4, stride=2, padding=1), nn.ReLU(),   # 16x16
            nn.Conv2d(32, 64, 4, stride=2, padding=1), nn.ReLU(),   # 8x8
            nn.Conv2d(64, 128, 4, stride=2, padding=1), nn.ReLU(),  # 4x4
            nn.Flatten(),
        )
        self.to_mean = nn.Linear(128 * 4 * 4, LATENT)
        self.to_log_var = nn.Linear(128 * 4 * 4, LATENT)
        self.from_latent = nn.Linear(LATENT, 128 * 4 * 4)
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1), nn.ReLU(),  # 8x8
            nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1), nn.ReLU(),   # 16x16
            nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.ReLU(),   # 32x32
            nn.ConvTranspose2d(16, 3, 4, stride=2, padding=1),               # 64x64 logits
        )

    def forward(self, images):
        features = self.encoder(images)
        mean, log_var = self.to_mean(features), self.to_log_var(features)
        latent = mean + torch.randn_like(mean) * torch.exp(0.5 * log_var)
        logits = self.decoder(self.from_latent(latent).view(-1, 128, 4, 4))
        return logits, mean, log_var


class Bench:
    def __init__(self, seed):
        torch.manual_seed(seed)
        self.model = VAE()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        data = torch.Generator().manual_seed(seed + 1)
        self.images = torch.rand(BATCH, 3, IMAGE, IMAGE, generator=data)
        self.modules = [self.model]

    def step(self):
        logits, mean, log_var = self.model(self.images)
        # per-sample sums, batch mean: BCE reconstruction + KL(q(z|x) || N(0, I))
        reconstruction = F.binary_cross_entropy_with_logits(logits, self.images, reduction='sum') / BATCH
        kl = -0.5 * torch.sum(1 + log_var - mean.pow(2) - log_var.exp()) / BATCH
        loss = reconstruction + kl
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return [loss.item()]
