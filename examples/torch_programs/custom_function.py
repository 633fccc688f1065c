"""A custom autograd Function (exp with its own backward) inside a Poisson regression.

The PyTorch idiom: subclass torch.autograd.Function with static forward/backward, keep what
backward needs with ctx.save_for_backward, call it through .apply, check it with gradcheck,
then train through it with an optimiser. Data and the zero start come from numpy, so every
engine prints the same first loss.
"""

import numpy as np
import torch


class Exp(torch.autograd.Function):
    """exp(x), whose backward reuses the saved output: d exp(x) / dx = exp(x)."""

    @staticmethod
    def forward(ctx, input):
        result = input.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        (result,) = ctx.saved_tensors
        return grad_output * result


check = torch.tensor(np.linspace(-2.0, 2.0, 7), dtype=torch.float64, requires_grad=True)
print("gradcheck:", torch.autograd.gradcheck(Exp.apply, (check,)))

# Counts drawn from a known log-linear rate.
rng = np.random.default_rng(0)
features = rng.normal(size=(512, 3))
true_w = np.array([0.6, -0.4, 0.3])
counts = rng.poisson(np.exp(features @ true_w + 0.5))
X = torch.tensor(features, dtype=torch.float32)
y = torch.tensor(counts, dtype=torch.float32)

w = torch.full((3,), 0.1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
optimizer = torch.optim.SGD([w, b], lr=0.05)

for step in range(200):
    log_rate = X @ w + b
    rate = Exp.apply(log_rate)
    loss = (rate - y * log_rate).mean()   # Poisson negative log-likelihood, up to a constant
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 20 == 0:
        print(f"step {step:3d} loss {loss.item():.6f}")

print(f"final loss {loss.item():.6f}")
print("w =", [round(v, 3) for v in w.tolist()], "b =", round(b.item(), 3))
