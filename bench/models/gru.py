"""GRU character-model reference step (PyTorch): the same layers and shapes as gru.ts."""
import torch
from torch import nn
import torch.nn.functional as F

BATCH, STEPS, VOCAB, EMBED, HIDDEN = 64, 64, 64, 64, 256


class CharModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMBED)
        self.rnn = nn.GRU(EMBED, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN, VOCAB)

    def forward(self, tokens):
        output, _ = self.rnn(self.embed(tokens))
        return self.head(output)


class Bench:
    def __init__(self, seed):
        torch.manual_seed(seed)
        self.model = CharModel()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=2e-3)
        data = torch.Generator().manual_seed(seed + 1)
        text = torch.randint(0, VOCAB, (BATCH, STEPS + 1), generator=data)
        self.inputs = text[:, :-1].contiguous()
        self.targets = text[:, 1:].contiguous()
        self.modules = [self.model]

    def step(self):
        logits = self.model(self.inputs)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), self.targets.reshape(-1))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return [loss.item()]
