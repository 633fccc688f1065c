"""A character-level MLP with batch norm, in the shape of the makemore lectures.

The idioms: an embedding table C indexed by the context, a hidden layer normalised by hand
with bngain/bnbias and running statistics kept under torch.no_grad(), F.cross_entropy, every
random draw from one torch.Generator (weights and minibatches), and a manual update
`p.data += -lr * p.grad`. The names are made here from syllables, so nothing is downloaded.
"""

import random

import torch
import torch.nn.functional as F

# A small word list: names built from syllables, the same on every run.
syllables = ["ka", "li", "mo", "ra", "ne", "sa", "to", "vi", "el", "an", "ju", "be", "da", "ri"]
endings = ["", "", "n", "a", "h", "s"]
maker = random.Random(1234)
words = sorted({
    "".join(maker.choice(syllables) for _ in range(maker.randint(1, 3))) + maker.choice(endings)
    for _ in range(1500)
})

chars = sorted(set("".join(words)))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
itos = {i: s for s, i in stoi.items()}
vocab_size = len(itos)
block_size = 3   # characters of context


def build_dataset(words):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


random.seed(42)
random.shuffle(words)
n1 = int(0.9 * len(words))
Xtr, Ytr = build_dataset(words[:n1])
Xdev, Ydev = build_dataset(words[n1:])
print(f"{len(words)} words, vocabulary {vocab_size}, {Xtr.shape[0]} training examples")

n_embd = 10
n_hidden = 100
g = torch.Generator().manual_seed(2147483647)
C = torch.randn((vocab_size, n_embd), generator=g)
fan_in = n_embd * block_size
W1 = torch.randn((fan_in, n_hidden), generator=g) * (5 / 3) / fan_in ** 0.5   # tanh's gain
W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.01
b2 = torch.randn(vocab_size, generator=g) * 0
bngain = torch.ones((1, n_hidden))
bnbias = torch.zeros((1, n_hidden))
bnmean_running = torch.zeros((1, n_hidden))
bnstd_running = torch.ones((1, n_hidden))

parameters = [C, W1, W2, b2, bngain, bnbias]
print(sum(p.nelement() for p in parameters), "parameters")
for p in parameters:
    p.requires_grad = True

max_steps = 1500
batch_size = 32
for i in range(max_steps):
    ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
    Xb, Yb = Xtr[ix], Ytr[ix]

    emb = C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hpreact = embcat @ W1   # no bias: batch norm's bnbias takes its place
    bnmeani = hpreact.mean(0, keepdim=True)
    bnstdi = hpreact.std(0, keepdim=True)
    hpreact = bngain * (hpreact - bnmeani) / bnstdi + bnbias
    with torch.no_grad():
        bnmean_running = 0.999 * bnmean_running + 0.001 * bnmeani
        bnstd_running = 0.999 * bnstd_running + 0.001 * bnstdi
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Yb)

    for p in parameters:
        p.grad = None
    loss.backward()

    lr = 0.1 if i < 1000 else 0.01
    for p in parameters:
        p.data += -lr * p.grad

    if i % 100 == 0:
        print(f"step {i:5d}/{max_steps:5d}: loss {loss.item():.4f}")


@torch.no_grad()
def split_loss(X, Y):
    emb = C[X]
    hpreact = emb.view(emb.shape[0], -1) @ W1
    hpreact = bngain * (hpreact - bnmean_running) / bnstd_running + bnbias
    logits = torch.tanh(hpreact) @ W2 + b2
    return F.cross_entropy(logits, Y).item()


print(f"train {split_loss(Xtr, Ytr):.4f} dev {split_loss(Xdev, Ydev):.4f}")

g = torch.Generator().manual_seed(2147483647 + 10)
samples = []
for _ in range(5):
    out, context = [], [0] * block_size
    while True:
        emb = C[torch.tensor([context])]
        hpreact = emb.view(1, -1) @ W1
        hpreact = bngain * (hpreact - bnmean_running) / bnstd_running + bnbias
        probs = F.softmax(torch.tanh(hpreact) @ W2 + b2, dim=1)
        ix = torch.multinomial(probs, num_samples=1, generator=g).item()
        context = context[1:] + [ix]
        if ix == 0 or len(out) > 20:
            break
        out.append(itos[ix])
    samples.append("".join(out))
print("samples:", " ".join(samples))
