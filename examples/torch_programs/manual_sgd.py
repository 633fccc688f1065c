"""A cubic fitted to sin(x) by hand: autograd gives the gradients, the update is ours.

The PyTorch idiom: parameters are leaf tensors with requires_grad=True, the step runs under
torch.no_grad() (`w -= lr * w.grad`), and each gradient is zeroed in place before the next
backward. The start is fixed (no random numbers), so every engine prints the same first loss.
"""

import math

import torch

x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)

# y = a + b x + c x^2 + d x^3, from a fixed start
a = torch.tensor(0.5, requires_grad=True)
b = torch.tensor(-0.25, requires_grad=True)
c = torch.tensor(0.1, requires_grad=True)
d = torch.tensor(0.05, requires_grad=True)
params = [a, b, c, d]

learning_rate = 2e-6
for t in range(1000):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    if t % 100 == 0:
        print(f"step {t:4d} loss {loss.item():.6f}")

    loss.backward()

    with torch.no_grad():
        for w in params:
            w -= learning_rate * w.grad
            w.grad.zero_()

print(f"final loss {loss.item():.6f}")
print(f"y = {a.item():.4f} + {b.item():.4f} x + {c.item():.4f} x^2 + {d.item():.4f} x^3")
