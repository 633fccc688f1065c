"""Save a general checkpoint mid-training, then resume from it in a fresh model and optimiser.

The PyTorch idiom: torch.save a dict with the epoch, the model's and the optimiser's state
dicts and the last loss; later build the same model and optimiser, torch.load the dict,
load_state_dict both, and carry on from the saved epoch.
"""

import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from sklearn.datasets import make_moons


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 16)
        self.fc2 = nn.Linear(16, 2)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


def train_epoch(model, optimizer, X, y, batch_size=40):
    model.train()
    for start in range(0, len(X), batch_size):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X[start:start + batch_size]), y[start:start + batch_size])
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return F.cross_entropy(model(X), y)


torch.manual_seed(0)
points, labels = make_moons(n_samples=400, noise=0.1, random_state=1)
X = torch.tensor(points, dtype=torch.float32)
y = torch.tensor(labels)

model = Net()
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
with torch.no_grad():
    print(f"epoch 0 loss {F.cross_entropy(model(X), y).item():.6f}")

with tempfile.TemporaryDirectory() as folder:
    PATH = os.path.join(folder, "checkpoint.pt")
    for epoch in range(1, 6):
        loss = train_epoch(model, optimizer, X, y)
        print(f"epoch {epoch} loss {loss.item():.6f}")
    torch.save({
        "epoch": epoch,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
        "loss": loss,
    }, PATH)
    print(f"saved checkpoint at epoch {epoch}")

    # A new process would start here: the same architecture and optimiser, then the file.
    model = Net()
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    checkpoint = torch.load(PATH)
    model.load_state_dict(checkpoint["model_state_dict"])
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    start_epoch = checkpoint["epoch"]
    model.eval()
    with torch.no_grad():
        resumed = F.cross_entropy(model(X), y)
    print(f"resumed at epoch {start_epoch}: saved loss {checkpoint['loss'].item():.6f}, "
          f"recomputed loss {resumed.item():.6f}")

    model.train()
    for epoch in range(start_epoch + 1, start_epoch + 6):
        loss = train_epoch(model, optimizer, X, y)
        print(f"epoch {epoch} loss {loss.item():.6f}")
