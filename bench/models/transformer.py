"""One-block transformer LM reference step (PyTorch): the same layers and shapes as transformer.ts."""
import torch
from torch import nn
import torch.nn.functional as F

BATCH, LENGTH, VOCAB, WIDTH, HEADS, FEEDFORWARD = 32, 128, 64, 256, 4, 1024


class TinyLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.tokens = nn.Embedding(VOCAB, WIDTH)
        self.positions = nn.Embedding(LENGTH, WIDTH)
        self.block = nn.TransformerEncoderLayer(WIDTH, HEADS, dim_feedforward=FEEDFORWARD, dropout=0.0, batch_first=True)
        self.head = nn.Linear(WIDTH, VOCAB)

    def forward(self, tokens, mask):
        positions = torch.arange(tokens.shape[1])
        x = self.tokens(tokens) + self.positions(positions)
        return self.head(self.block(x, src_mask=mask))


class Bench:
    def __init__(self, seed):
        torch.manual_seed(seed)
        self.model = TinyLM()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        data = torch.Generator().manual_seed(seed + 1)
        text = torch.randint(0, VOCAB, (BATCH, LENGTH + 1), generator=data)
        self.inputs = text[:, :-1].contiguous()
        self.targets = text[:, 1:].contiguous()
        # float mask, -inf above the diagonal (nn.Transformer.generate_square_subsequent_mask)
        self.mask = torch.triu(torch.full((LENGTH, LENGTH), float('-inf')), diagonal=1)
        self.modules = [self.model]

    def step(self):
        logits = self.model(self.inputs, self.mask)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), self.targets.reshape(-1))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return [loss.item()]
