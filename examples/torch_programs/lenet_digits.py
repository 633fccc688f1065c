"""A LeNet-style convolutional classifier on scikit-learn's 8x8 digits.

The PyTorch idiom of the classic classifier tutorial: two Conv2d + ReLU + MaxPool2d stages,
three Linear layers, CrossEntropyLoss and SGD with momentum, a running loss printed every few
mini-batches, then accuracy on held-out images under torch.no_grad(). LeNet's 5x5 kernels on
32x32 images become 3x3 kernels with padding 1 on 8x8 ones (8 -> 4 -> 2 after the pools).
"""

import torch
import torch.nn as nn
import torch.optim as optim
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3, padding=1)
        self.conv2 = nn.Conv2d(6, 16, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.relu = nn.ReLU()
        self.fc1 = nn.Linear(16 * 2 * 2, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = self.relu(self.fc1(x))
        x = self.relu(self.fc2(x))
        return self.fc3(x)


torch.manual_seed(0)
digits = load_digits()
images = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(1)   # N, 1, 8, 8
labels = torch.tensor(digits.target)
trainset = TensorDataset(images[:1500], labels[:1500])
testset = TensorDataset(images[1500:], labels[1500:])
trainloader = DataLoader(trainset, batch_size=32, shuffle=True)
testloader = DataLoader(testset, batch_size=100, shuffle=False)

net = Net()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)

for epoch in range(3):
    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
        inputs, targets = data
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()

        running_loss += loss.item()
        if i % 15 == 14:
            print(f"epoch {epoch + 1} batch {i + 1:3d} loss {running_loss / 15:.6f}")
            running_loss = 0.0

correct = 0
total = 0
with torch.no_grad():
    for inputs, targets in testloader:
        outputs = net(inputs)
        _, predicted = torch.max(outputs.data, 1)
        total += targets.size(0)
        correct += (predicted == targets).sum().item()
print(f"accuracy on the {total} test images: {100 * correct // total} %")
