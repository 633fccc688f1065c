"""An nn.Module subclass trained with Adam and a StepLR schedule on two moons.

The PyTorch idiom: layers assigned in __init__, forward composing them, an optimiser over
model.parameters(), scheduler.step() once per epoch after the optimiser's steps.
"""

import torch
from sklearn.datasets import make_moons
from torch import nn


class MoonNet(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.fc1 = nn.Linear(2, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 1)
        self.act = nn.Tanh()

    def forward(self, x):
        x = self.act(self.fc1(x))
        x = self.act(self.fc2(x))
        return self.out(x).squeeze(1)


torch.manual_seed(0)
points, labels = make_moons(n_samples=400, noise=0.15, random_state=0)
X = torch.tensor(points, dtype=torch.float32)
y = torch.tensor(labels, dtype=torch.float32)

model = MoonNet()
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)

batch_size = 50
for epoch in range(30):
    model.train()
    total = 0.0
    for start in range(0, len(X), batch_size):
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(xb)
    scheduler.step()
    if epoch % 5 == 0 or epoch == 29:
        print(f"epoch {epoch:2d} lr {scheduler.get_last_lr()[0]:.5f} loss {total / len(X):.6f}")

model.eval()
with torch.no_grad():
    accuracy = ((model(X) > 0).float() == y).float().mean().item()
print(f"train accuracy {accuracy:.3f}")
