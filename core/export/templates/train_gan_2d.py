"""Train a GAN on points in the plane, as the dashboard's "GAN in 2-D" page did.

The textbook version of the page's run: its data, settings and seed, and the k:1 game
written out step by step, to be read rather than to be fast. It needs torch and numpy
(pip install torch numpy) and nothing else:

    python train_gan_2d.py --steps 2000 --print-every 100

One step is k updates of the discriminator D, then one of the generator G. Every
--print-every steps it prints the numbers behind the page's curves, as means over the steps
since the last line: D's loss, G's loss, D(x) on real points, D(G(z)) on generated ones and
‖∇G‖, and, where the data has modes, how many of them G's points cover. At the end it saves
1,000 generated points to gan_2d_points.csv.
"""

import argparse
import io

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# %% The page's settings (the dashboard wrote them here)
SEED = 0
DATA = "ring"  # "ring", "grid", "moons", "spiral", "gaussian", or "own" (OWN_POINTS, below)
NOISE_DIM = 2
NOISE = "gaussian"  # z ~ N(0, 1) ("gaussian") or U(-1, 1) ("uniform"), NOISE_DIM numbers
GENERATOR_DEPTH = 2  # hidden layers of G
GENERATOR_WIDTH = 64  # units in each of them
DISCRIMINATOR_DEPTH = 2
DISCRIMINATOR_WIDTH = 64
GENERATOR_LOSS = "proxy"  # "proxy": G minimises -log D(G(z)); "minimax": log(1 - D(G(z)))
K = 1  # D updates per G update
LEARNING_RATE_G = 0.001  # α₁, Adam's step size for G
LEARNING_RATE_D = 0.001  # α₂, for D
BATCH_SIZE = 256
HEAD_START = 0  # D-only updates before the game starts
BETAS = (0.5, 0.999)  # Adam's β₁ and β₂
STEPS = 2000  # steps to make, unless --steps says otherwise


# %% The data: the page's point sets (always drawn with seed 0), inside G's range (-1, 1)²
def points():
    """The real points x (n x 2), and the centres of their modes and a radius, if any."""
    random = np.random.default_rng(0)
    centres, radius = None, 0.0
    if DATA == "ring":  # 8 small Gaussians on a circle
        angles = 2 * np.pi * np.arange(8) / 8
        centres, radius = 0.7 * np.c_[np.cos(angles), np.sin(angles)], 3 * 0.04
        x = centres[random.integers(0, 8, 2000)] + random.normal(0, 0.04, (2000, 2))
    elif DATA == "grid":  # 5 x 5 small Gaussians on a square grid
        ticks = np.linspace(-0.7, 0.7, 5)
        centres, radius = np.array([(a, b) for b in ticks for a in ticks]), 3 * 0.03
        x = centres[random.integers(0, 25, 2500)] + random.normal(0, 0.03, (2500, 2))
    elif DATA == "moons":  # two interleaved half circles
        upper, t = random.random(2000) < 0.5, random.random(2000) * np.pi
        a = np.where(upper, np.cos(t), 1 - np.cos(t))
        b = np.where(upper, np.sin(t), 0.5 - np.sin(t))
        x = np.c_[a - 0.5, b - 0.25] * 0.5 + random.normal(0, 0.05, (2000, 2))
    elif DATA == "spiral":  # one arm of a spiral, denser towards the centre
        t = np.sqrt(random.random(2000)) * 1.75 * 2 * np.pi
        r = 0.85 * t / (1.75 * 2 * np.pi)
        x = np.c_[r * np.cos(t), r * np.sin(t)] + random.normal(0, 0.02, (2000, 2))
    elif DATA == "gaussian":  # one Gaussian off the centre
        centres, radius = np.array([[0.3, -0.2]]), 3 * 0.15
        x = centres + random.normal(0, 0.15, (2000, 2))
    else:  # your own points
        x = np.loadtxt(io.StringIO(OWN_POINTS), delimiter=",", ndmin=2)
    return torch.tensor(np.clip(x, -0.98, 0.98), dtype=torch.float32), centres, radius


def real_batches(x):
    """Batches of real points, walking a fresh shuffle of them each epoch."""
    size = min(BATCH_SIZE, len(x))
    while True:
        order = torch.randperm(len(x))
        for start in range(0, len(x) - size + 1, size):
            yield x[order[start : start + size]]


def noise(n):
    """n noise vectors z, one per row."""
    if NOISE == "gaussian":
        return torch.randn(n, NOISE_DIM)
    return torch.rand(n, NOISE_DIM) * 2 - 1


# %% The two players: small multi-layer perceptrons, initialised as Keras initialises them
def mlp(inputs, depth, width, outputs, batch_norm):
    """Dense (BatchNorm) LeakyReLU(0.2), depth times, then Dense to the outputs; weights
    ~ U(±√(6 / (fan_in + fan_out))) and zero biases."""
    layers = []
    for _ in range(depth):
        layers.append(nn.Linear(inputs, width))
        if batch_norm:
            layers.append(nn.BatchNorm1d(width))
        layers.append(nn.LeakyReLU(0.2))
        inputs = width
    network = nn.Sequential(*layers, nn.Linear(inputs, outputs))
    for layer in network:
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return network


def modes_covered(points, centres, radius):
    """Modes holding at least a fifth of their fair share of the points (each point lands on
    its nearest centre, if within the radius)."""
    distances = torch.cdist(points, torch.tensor(centres, dtype=torch.float32))
    nearest, close = distances.argmin(dim=1), distances.min(dim=1).values <= radius
    counts = torch.bincount(nearest[close], minlength=len(centres))
    return int((counts >= 0.2 * len(points) / len(centres)).sum())


# %% Training: min_G max_D E_x[log D(x)] + E_z[log(1 - D(G(z)))], k updates of D to one of G
def main():
    parser = argparse.ArgumentParser(description="Train the 2-D GAN page's run.")
    parser.add_argument("--steps", type=int, default=STEPS, help="k:1 steps to make")
    parser.add_argument("--print-every", type=int, default=100, help="steps between lines")
    args, _ = parser.parse_known_args()  # (a notebook's kernel passes arguments of its own)
    torch.manual_seed(SEED)
    x_all, centres, radius = points()
    batches = real_batches(x_all)
    G = nn.Sequential(
        mlp(NOISE_DIM, GENERATOR_DEPTH, GENERATOR_WIDTH, 2, batch_norm=True), nn.Tanh()
    )
    D = mlp(2, DISCRIMINATOR_DEPTH, DISCRIMINATOR_WIDTH, 1, batch_norm=False)  # D's logit
    optimizer_g = torch.optim.Adam(G.parameters(), lr=LEARNING_RATE_G, betas=BETAS)
    optimizer_d = torch.optim.Adam(D.parameters(), lr=LEARNING_RATE_D, betas=BETAS)
    measure_z = noise(2000)  # the same noise at every measure of the modes covered

    def update_d():
        """One update of D, which climbs log D(x) + log(1 - D(G(z))): binary cross-entropy
        with the label 1 for real points and 0 for generated ones."""
        x = next(batches)
        with torch.no_grad():
            fake = G(noise(len(x)))  # G is not trained here
        real_logits, fake_logits = D(x), D(fake)
        loss = 0.5 * (
            F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        )
        optimizer_d.zero_grad()
        loss.backward()
        optimizer_d.step()
        return loss.item(), torch.sigmoid(real_logits).mean(), torch.sigmoid(fake_logits).mean()

    for _ in range(HEAD_START):  # D's head start: it learns to tell G's points from the data
        update_d()
    print("step  D_loss  G_loss    D(x)  D(G(z))  |grad_G|  modes")
    sums, count = np.zeros(5), 0
    for step in range(1, args.steps + 1):
        for _ in range(K):
            d_loss, d_x, d_g_z = update_d()
        # One update of G against that D. With D(G(z)) = σ(logit): the proxy
        # -log D(G(z)) = softplus(-logit) pushes hard while D rejects the fakes; the
        # saturating log(1 - D(G(z))) = -softplus(logit) has almost no gradient then.
        logits = D(G(noise(min(BATCH_SIZE, len(x_all)))))
        if GENERATOR_LOSS == "proxy":
            g_loss = F.softplus(-logits).mean()
        else:
            g_loss = -F.softplus(logits).mean()
        optimizer_g.zero_grad()
        g_loss.backward()  # (it reaches D's weights too; D's next update clears them first)
        g_norm = torch.sqrt(sum((p.grad**2).sum() for p in G.parameters())).item()
        optimizer_g.step()
        sums, count = sums + [d_loss, g_loss.item(), d_x.item(), d_g_z.item(), g_norm], count + 1
        if step % args.print_every == 0 or step == args.steps:
            modes = "-"
            if centres is not None:
                with torch.no_grad():
                    modes = f"{modes_covered(G.eval()(measure_z), centres, radius)}/{len(centres)}"
                G.train()
            m = sums / count
            print(
                f"{step:4d}  {m[0]:6.3f}  {m[1]:6.3f}  {m[2]:6.3f}  {m[3]:7.3f}  {m[4]:8.3f}  "
                f"{modes:>5}",
                flush=True,
            )
            sums, count = np.zeros(5), 0
    with torch.no_grad():
        np.savetxt("gan_2d_points.csv", G.eval()(noise(1000)).numpy(), delimiter=",", fmt="%.4f")


# %% Your own points, as x,y rows (DATA = "own"): the ones you drew or uploaded on the page
OWN_POINTS = ""

if __name__ == "__main__":
    main()
