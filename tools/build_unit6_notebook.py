"""Write solutions/unit6_gans_autoregressive/unit6_gans_autoregressive.ipynb from the cells below
(the first version of unit 6 is drafted this way, as unit 5's was; rerun after editing:
``.venv/bin/python tools/build_unit6_notebook.py``, then ``make release``)."""

from __future__ import annotations

from pathlib import Path

from notebook_builder import NotebookBuilder  # tools/, on sys.path when run as a script

OUT = Path(__file__).resolve().parents[1] / "solutions" / "unit6_gans_autoregressive" / "unit6_gans_autoregressive.ipynb"
NB = NotebookBuilder("unit6")
md, code = NB.md, NB.code


def check_cell(fn: str, points: int) -> None:
    NB.check_cell(fn, fn, points)


md("title", r"""
# Unit 6: GANs and autoregressive models, beside the VAE

Unit 2's VAE gives a **bound** on $\log p(x)$ and samples. This unit builds the two other
families of deep generative models from the course notes and puts all three on one scale:

- a **generative adversarial network** (GAN) gives **only samples**: a generator is trained to
  fool a discriminator, with no likelihood anywhere;
- an **autoregressive model** (MADE, PixelCNN) gives the **exact** $\log p(x)$, by the chain
  rule of probability, at the price of sampling one pixel at a time.

Exercises (15 points): `discriminator_loss` (2), `generator_loss_minimax` (1),
`generator_loss_nonsaturating` (1), `optimal_discriminator` (1), `gan_train_step` (3),
`made_masks` (3), `autoregressive_sample` (2), `conv_mask` (2). The GANs, MADE and the
PixelCNN below are trained and sampled with *your* functions.

Every function you write returns its results **on the device of its inputs** (the checks run
on the GPU when there is one: create new tensors with `device=x.device`) and in the dtype each
exercise states; the checks compare both exactly. They also leave their **inputs unchanged**:
no in-place changes to an argument (`x -= m`, `x[i] = ...`, `x.add_(...)`); compute new
tensors, or work on a copy (`x.clone()`). The checks fail a function that changes its inputs,
unless an exercise says it may (the networks and optimizers that `gan_train_step` trains are of
course meant to change).
""")

code("imports", r"""
import math
import time

import matplotlib.pyplot as plt
import torch

from autograder import check
from lecture_lib import (Batches, by_mode, get_device, progress_bar, seed_everything, show_setting,
                         train, train_steps, uses_your)
from lecture_lib.autoregressive import MADE, PixelCNN, dependency_matrix, input_gradient_map
from lecture_lib.data import binarized_mnist, images_to_vectors, load_mnist
from lecture_lib.gan import (GANConfig, MLPDiscriminator, MLPGenerator, gan_value, js_divergence,
                             mixture_log_density, mode_coverage, ring_modes, sample_mixture, sample_ring, train_gan)
from lecture_lib.plotting import image_grid
from lecture_lib.sample_quality import sample_quality, trained_classifier
from lecture_lib.vae import VAE, importance_weighted_log_likelihood

device = get_device()
seed_everything(0)
show_setting("unit6_gans_autoregressive", device)   # fast or full, what Run All costs in each, how to switch
""")

md("gan-md", r"""
## 1. The GAN game

A generator $G$ turns noise $z \sim p(z) = \mathcal N(0, I)$ into a sample $G(z)$; call the
distribution of its samples $p_g$. A discriminator $D(x) \in [0, 1]$ says how likely $x$ is a
real sample from $p_\text{data}$. They play for the **value**

$$V(G, D) = \mathbb E_{x \sim p_\text{data}}[\log D(x)] + \mathbb E_{z \sim p(z)}[\log(1 - D(G(z)))],$$

which $D$ maximizes (say "real" to real samples, "fake" to generated ones) and $G$ minimizes:
$G^* = \arg\min_G \max_D V(G, D)$. On a batch of real samples and one of generated samples,
$D$'s loss is the estimate of $-V$.

Networks output a **logit** $l$, and $D = \sigma(l)$. Never compute $\log \sigma(l)$ as
`torch.log(torch.sigmoid(l))`: in float32, $\sigma(l)$ is 0 for $l < -88.7$ and rounds to 1 for
$l > 16.6$, and the log is then $-\infty$, exactly when the discriminator is confident. The
identities $\log D = \log\sigma(l)$ = `F.logsigmoid(l)` and $\log(1 - D) = \log\sigma(-l)$ =
`F.logsigmoid(-l)` are exact for every finite logit.

### Exercise 1 (2 points): `discriminator_loss`

`discriminator_loss(real_logits, fake_logits)`: `real_logits` of shape `(B_r,)` (the
discriminator's logits on real samples) and `fake_logits` of shape `(B_f,)` (on generated ones;
the two batches may differ in size). Return the 0-dim tensor

$$-\Big(\tfrac{1}{B_r}\textstyle\sum_i \log D(x_i) + \tfrac{1}{B_f}\sum_j \log(1 - D(G(z_j)))\Big),$$

each mean over its own batch, in the logits' dtype (float32 or float64), finite for any finite
logits, and differentiable in both arguments (the check compares the value and both gradients;
hidden cases include logits from -300 to 300). The notes write $D$'s loss with a factor
$\frac12$; here it is $-V$ without it.
""")

code("discriminator_loss", r"""
import torch.nn.functional as F


def discriminator_loss(real_logits, fake_logits):
    ### BEGIN SOLUTION
    return -(F.logsigmoid(real_logits).mean() + F.logsigmoid(-fake_logits).mean())
    ### END SOLUTION
""", solution="discriminator_loss")

check_cell("discriminator_loss", 2)

md("g-losses-md", r"""
### Exercises 2 and 3 (1 point each): `generator_loss_minimax` and `generator_loss_nonsaturating`

Minimizing $V$ over $G$ means minimizing its second term, the **minimax** (or *saturating*)
generator loss $\mathbb E_z[\log(1 - D(G(z)))]$. Early in training $D$ easily rejects $G$'s
samples ($D(G(z)) \approx 0$), and there this loss is flat: its derivative with respect to the
logit is $-\sigma(l)$, close to 0. The **non-saturating** loss $-\mathbb E_z[\log D(G(z))]$
has the same fixed point ($G$ wants $D$ to say "real") but derivative $-(1 - \sigma(l))$,
close to $-1$ exactly there.

`generator_loss_minimax(fake_logits)` and `generator_loss_nonsaturating(fake_logits)`:
`fake_logits` of shape `(B,)` -> a 0-dim tensor, the mean over the batch of
$\log(1 - D(G(z)))$ and of $-\log D(G(z))$; the logits' dtype, finite for any finite logits,
differentiable (value and gradient are checked).
""")

code("generator_losses", r"""
def generator_loss_minimax(fake_logits):
    ### BEGIN SOLUTION
    return F.logsigmoid(-fake_logits).mean()
    ### END SOLUTION


def generator_loss_nonsaturating(fake_logits):
    ### BEGIN SOLUTION
    return -F.logsigmoid(fake_logits).mean()
    ### END SOLUTION
""", solution="generator_losses")

check_cell("generator_loss_minimax", 1)
check_cell("generator_loss_nonsaturating", 1)

md("dstar-md", r"""
## 2. The optimal discriminator and the Jensen-Shannon divergence

For a fixed $G$, write $V$ as one integral over $x$ (the change of variables $x = G(z)$):
$V = \int p_\text{data}(x) \log D(x) + p_g(x) \log(1 - D(x))\, dx$. At each $x$ the integrand
is $f(y) = a \log y + b \log(1 - y)$ with $a = p_\text{data}(x)$, $b = p_g(x)$;
$f'(y) = a/y - b/(1 - y) = 0$ gives $y = a / (a + b)$, a maximum since $f'' < 0$. So

$$D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)}.$$

Put it back into $V$ and add and subtract $\log 2$ in each term:

$$V(G, D^*) = -\log 4 + \mathrm{KL}\Big(p_\text{data} \,\Big\|\, \tfrac{p_\text{data} + p_g}{2}\Big)
+ \mathrm{KL}\Big(p_g \,\Big\|\, \tfrac{p_\text{data} + p_g}{2}\Big) = -\log 4 + 2\,\mathrm{JS}(p_\text{data} \,\|\, p_g).$$

The JS divergence is at least 0 and 0 only when $p_g = p_\text{data}$: against the best
discriminator, the generator minimizes the Jensen-Shannon divergence, and at the optimum
$D^* = \frac12$ everywhere and $V = -\log 4$.

### Exercise 4 (1 point): `optimal_discriminator`

`optimal_discriminator(log_p_data, log_p_g)`: the two **log** densities at the same points,
each of shape `(N,)` (any shape, both the same) -> $D^*$ of that shape and dtype. Far in the
tails both densities underflow to 0 in floating point (a log density of -800 is a density of
$e^{-800}$), and $p / (p + q)$ is then $0/0$; write $D^*$ in terms of the difference of the
log densities so that it stays finite there (the hidden cases go to log densities of several
hundred to a few thousand below 0).
""")

code("optimal_discriminator", r"""
def optimal_discriminator(log_p_data, log_p_g):
    ### BEGIN SOLUTION
    return torch.sigmoid(log_p_data - log_p_g)
    ### END SOLUTION
""", solution="optimal_discriminator")

check_cell("optimal_discriminator", 1)

md("toy-md", r"""
**On a toy problem with known densities.** The data: a mixture of two Gaussians; the
"generator": one Gaussian. On a fine grid we compute $D^*$ with your function, check that
$V(G, D^*)$ equals $-\log 4 + 2\,\mathrm{JS}$, and train a small discriminator network on
samples (it never sees a density) to see that it learns $D^*$.
""")

code("toy", r"""
DATA = dict(means=[-2.0, 1.5], stds=[0.6, 0.9], weights=[0.3, 0.7])
MODEL = dict(means=[0.5], stds=[1.5])
grid = torch.linspace(-12, 12, 20001, dtype=torch.float64)
log_p, log_q = mixture_log_density(grid, **DATA), mixture_log_density(grid, **MODEL)

with uses_your("optimal_discriminator"):
    d_star = optimal_discriminator(log_p, log_q)
value, js = gan_value(grid, log_p, log_q, d_star).item(), js_divergence(grid, log_p, log_q).item()
print(f"V(G, D*) = {value:.6f}   -log 4 + 2 JS = {-math.log(4) + 2 * js:.6f}   (JS = {js:.4f} nats, at most log 2 = {math.log(2):.4f})")
for eps in (0.05, -0.05):
    other = (d_star + eps * torch.sin(grid)).clamp(1e-6, 1 - 1e-6)
    v_other = gan_value(grid, log_p, log_q, other).item()
    print(f"a perturbed discriminator (eps {eps:+}): V = {v_other:.6f} {'<' if v_other < value else '>='} V(D*)")

# A discriminator network trained on samples only, with your loss.
seed_everything(0)
net = MLPDiscriminator(data_dim=1, hidden=(64, 64)).double()
opt = torch.optim.Adam(net.parameters(), lr=3e-3)
g = torch.Generator().manual_seed(0)
for step in range(by_mode(fast=600, full=3000)):
    real = sample_mixture(256, **DATA, generator=g).double()[:, None]
    fake = sample_mixture(256, **MODEL, generator=g).double()[:, None]
    with uses_your("discriminator_loss"):
        loss = discriminator_loss(net(real), net(fake))
    opt.zero_grad()
    loss.backward()
    opt.step()
with torch.no_grad():
    learned = torch.sigmoid(net(grid[:, None]))
mix = 0.5 * (log_p.exp() + log_q.exp())      # where the samples are: the mixture of the two densities
gap = torch.trapezoid((learned - d_star).abs() * mix, grid).item()
print(f"mean |D_net(x) - D*(x)| over x ~ (p_data + p_g) / 2: {gap:.3f}")

fig, ax = plt.subplots(1, 2, figsize=(11, 3.5))
ax[0].plot(grid, log_p.exp(), label="p_data")
ax[0].plot(grid, log_q.exp(), label="p_g")
ax[0].set(xlim=(-6, 6), xlabel="x", ylabel="density", title="the two densities")
ax[0].legend()
ax[1].plot(grid, d_star, label="D* = p_data / (p_data + p_g)")
ax[1].plot(grid, learned, "--", label="a network trained on samples")
ax[1].axhline(0.5, color="grey", lw=0.5)
ax[1].set(xlim=(-6, 6), ylim=(-0.02, 1.02), xlabel="x", ylabel="D(x)", title="the optimal discriminator")
ax[1].legend()
plt.show()
""")

md("saturate-md", r"""
## 3. When the discriminator wins: saturating vs non-saturating

Early in training the generator is poor and the discriminator rejects its samples
confidently. We freeze a generator far from the data, train a discriminator against it until
it wins, then measure the gradient that each generator loss sends into the generator's
parameters.
""")

code("saturate", r"""
seed_everything(1)
gen = MLPGenerator(latent=4, hidden=(32, 32), data_dim=1, output="linear", batch_norm=False).double()
disc = MLPDiscriminator(data_dim=1, hidden=(32, 32)).double()
opt_d = torch.optim.Adam(disc.parameters(), lr=3e-3)
g = torch.Generator().manual_seed(1)
rows, done = [], 0
for target in (0, 50, 200, by_mode(fast=600, full=2000)):
    for _ in range(target - done):             # train D further against the frozen G
        real = sample_mixture(256, **DATA, generator=g).double()[:, None]
        with torch.no_grad():
            fake = gen(torch.randn(256, 4, generator=g, dtype=torch.float64)) + 6.0   # far to the right
        with uses_your("discriminator_loss"):
            loss = discriminator_loss(disc(real), disc(fake))
        opt_d.zero_grad()
        loss.backward()
        opt_d.step()
    done = target
    z = torch.randn(1024, 4, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    logits = disc(gen(z) + 6.0)
    norms = []
    with uses_your("generator_loss_minimax", "generator_loss_nonsaturating"):
        for loss_fn in (generator_loss_minimax, generator_loss_nonsaturating):
            grads = torch.autograd.grad(loss_fn(logits), list(gen.parameters()), retain_graph=True)
            norms.append(torch.sqrt(sum((gr ** 2).sum() for gr in grads)).item())
    rows.append((target, torch.sigmoid(logits).mean().item(), *norms))
print(f"{'D steps':>8} {'mean D(G(z))':>13} {'|grad| minimax':>15} {'|grad| non-saturating':>22} {'ratio':>8}")
for steps, d_mean, sat, nonsat in rows:
    print(f"{steps:>8} {d_mean:>13.4f} {sat:>15.3e} {nonsat:>22.3e} {nonsat / max(sat, 1e-300):>8.1f}")
""")

md("saturate-after", r"""
Read the table printed above: as the discriminator wins ($D(G(z)) \to 0$), the minimax
loss's gradient shrinks with $D(G(z))$, while the non-saturating loss's gradient stays large
(here it even grows, as the discriminator's logits get steeper). Every GAN below uses the non-saturating loss unless it says
otherwise.
""")

md("step-md", r"""
## 4. Training: the alternating step

Each step takes one gradient step for each player:

1. **Discriminator:** on a batch of real samples and a batch $G(z_d)$ of generated ones,
   minimize `discriminator_loss`. The generated batch is **detached**: this step must not train $G$.
2. **Generator:** with the discriminator just updated, minimize the generator loss of
   $D(G(z_g))$ on fresh noise $z_g$.

The noise is passed in, so that a step is a deterministic function of its inputs (and can be
checked against the reference).

### Exercise 5 (3 points): `gan_train_step`

`gan_train_step(generator, discriminator, opt_g, opt_d, x_real, z_d, z_g, generator_loss="nonsaturating")`:
`x_real` of shape `(B, D)`, `z_d` and `z_g` of shape `(B, L)` (the generator's latent size L).
Do the discriminator's step (loss on `discriminator(x_real)` and `discriminator(generator(z_d))`
with the generated batch detached; zero **D's** gradients, backward, `opt_d.step()`), then the
generator's (your `generator_loss_nonsaturating`, or `generator_loss_minimax` when
`generator_loss == "minimax"`, of `discriminator(generator(z_g))`; zero **G's** gradients,
backward, `opt_g.step()`). Zero each network's gradients right before its own backward pass:
the generator's backward pass also leaves gradients in the discriminator's parameters. Return
`(loss_d, loss_g)`, each a Python float or 0-dim tensor, computed before its
update, in the models' dtype (float32 here; one hidden case uses float64 models, so create any
tensor you need with `torch.ones_like(logits)` and the like). The networks and optimizers are
meant to change (they are trained in place); the other inputs are not. The check runs 3-4 steps with Adam on small networks and compares the
returned losses and every parameter afterwards with the reference's. Its last case is a short
**training run** judged by a bound instead: 400 non-saturating steps (Adam, lr 2e-3, batches of
64) on 1-D data $\mathcal N(\mu, \sigma^2)$ with $|\mu|$ between 3 and 4, from a generator that starts
several $\sigma$ away; the generator's samples after every 20th of the last 200 steps, pooled, must
be within $1\,\sigma$ of the data in Wasserstein-1 distance (the reference step reaches about
$0.25\,\sigma$). GAN training oscillates, so this run is not compared step by step.
""")

code("gan_train_step", r"""
def gan_train_step(generator, discriminator, opt_g, opt_d, x_real, z_d, z_g, generator_loss="nonsaturating"):
    ### BEGIN SOLUTION
    fake = generator(z_d).detach()
    loss_d = discriminator_loss(discriminator(x_real), discriminator(fake))
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()

    logits = discriminator(generator(z_g))
    loss_g = generator_loss_minimax(logits) if generator_loss == "minimax" else generator_loss_nonsaturating(logits)
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    return loss_d.detach(), loss_g.detach()
    ### END SOLUTION
""", solution="gan_train_step")

check_cell("gan_train_step", 3)

md("ring-md", r"""
### Mode collapse on a ring of Gaussians

The data: 8 Gaussians of standard deviation 0.05 on a circle of radius 2. A generator that
covers the data puts samples near all 8 modes; a **collapsed** one covers a few and leaves the
rest. We train the same small GAN with your step, with both generator losses, over several
seeds (fast mode: 2 seeds and 400 steps, too short to settle; full mode: 5 seeds and 4,000
steps), and count the modes covered (at least 1% of the samples within 3 standard deviations of
the mode) and the share of *good* samples (within 3 standard deviations of some mode).
""")

code("ring", r"""
ring_seeds = range(by_mode(fast=2, full=5))
ring_steps = by_mode(fast=400, full=4000)
ring_results, ring_samples = {}, {}
runs = [(loss_name, seed) for loss_name in ("nonsaturating", "minimax") for seed in ring_seeds]
for loss_name, seed in progress_bar(runs, "ring GANs", unit="run"):
    seed_everything(seed)
    gen = MLPGenerator(latent=2, hidden=(128, 128), data_dim=2, output="linear", batch_norm=False).to(device)
    disc = MLPDiscriminator(data_dim=2, hidden=(128, 128)).to(device)
    config = GANConfig(steps=ring_steps, batch_size=256, lr_g=1e-3, lr_d=1e-3, generator_loss=loss_name, seed=seed)
    with uses_your("gan_train_step"):
        train_gan(gen, disc, lambda n, rng: sample_ring(n, generator=rng, device=device), config,
                  step_fn=gan_train_step, progress=False)
    samples = gen.sample(2000, torch.Generator().manual_seed(100 + seed)).cpu()
    ring_results[loss_name, seed] = mode_coverage(samples)
    ring_samples[loss_name, seed] = samples
print(f"{ring_steps} steps per run")
for loss_name in ("nonsaturating", "minimax"):
    cover = [ring_results[loss_name, s]["modes_covered"] for s in ring_seeds]
    good = [ring_results[loss_name, s]["good_share"] for s in ring_seeds]
    print(f"{loss_name:>14}: modes covered {cover} of 8, good samples {[f'{v:.2f}' for v in good]}")

real = sample_ring(2000, generator=torch.Generator().manual_seed(0))
fig, axes = plt.subplots(1, 3, figsize=(12, 4))
axes[0].scatter(*real.T, s=2)
axes[0].set_title("data")
for ax, loss_name in zip(axes[1:], ("nonsaturating", "minimax")):
    ax.scatter(*ring_samples[loss_name, 0].T, s=2)
    ax.scatter(*ring_modes().T, marker="x", color="red")
    ax.set_title(f"{loss_name}, seed 0: {ring_results[loss_name, 0]['modes_covered']} modes")
for ax in axes:
    ax.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", xlabel="x1", ylabel="x2")
plt.show()
""")

md("mnist-gan-md", r"""
### A GAN on MNIST

Generator: $z \in \mathbb R^{64} \to 256 \to 512 \to 1024 \to 784$ with LeakyReLU and batch
normalization (without it, in one of our runs, this small GAN collapsed to a single blob within
4,000 steps: to see it, build `gan_g = MLPGenerator(batch_norm=False)` below and run in full
mode), pixels
in (0, 1) through a sigmoid. Discriminator: $784 \to 512 \to 256 \to 1$. Adam with
learning rate $2 \cdot 10^{-4}$ and $\beta_1 = 0.5$, as in the DC-GAN paper; trained on the
grey-level training images with your step. The grids show the same 16 noise vectors as
training goes on (fast mode stops after a few hundred steps, when the first blurry strokes
appear; full mode trains 10,000 steps).
""")

code("mnist-gan", r"""
X_grey = images_to_vectors(load_mnist("train")[0]).to(device)
seed_everything(0)
gan_g, gan_d = MLPGenerator().to(device), MLPDiscriminator().to(device)
gan_steps = by_mode(fast=300, full=10000)
fixed_z = torch.randn(16, gan_g.latent, generator=torch.Generator().manual_seed(0)).to(device)
snapshots = []


def snapshot(step, generator):
    generator.eval()
    with torch.no_grad():
        snapshots.append((step, generator(fixed_z).cpu()))
    generator.train()


with uses_your("gan_train_step"):
    gan_run = train_gan(gan_g, gan_d, lambda n, rng: X_grey[torch.randint(len(X_grey), (n,), generator=rng).to(device)],
                        GANConfig(steps=gan_steps), step_fn=gan_train_step, callback=snapshot, every=gan_steps // 4)
gan_seconds = gan_run["seconds"]
print(f"{gan_steps} steps in {gan_seconds:.0f} s; last losses: D {gan_run['loss_d'][-1]:.3f}, G {gan_run['loss_g'][-1]:.3f}")
fig, axes = plt.subplots(1, len(snapshots), figsize=(3 * len(snapshots), 3.2))
for ax, (step, images) in zip(axes, snapshots):
    ax.imshow(image_grid(images.reshape(-1, 28, 28), ncols=4), cmap="gray")
    ax.set_title(f"step {step}")
    ax.axis("off")
plt.show()
""")

md("ar-md", r"""
## 5. Autoregressive models

The chain rule writes any distribution over $D$ variables, in any ordering $o_1, \dots, o_D$, as

$$p(x) = \prod_{i=1}^D p(x_{o_i} \mid x_{o_1}, \dots, x_{o_{i-1}}).$$

A network that outputs, for every variable $d$, a Bernoulli logit computed **only from the
variables before $d$ in the ordering** (the **autoregressive property**) gives each factor,
and so the exact $\log p(x) = \sum_d [x_d \log\sigma(l_d) + (1 - x_d)\log\sigma(-l_d)]$ in one
forward pass. NADE shares weights across the conditionals; **MADE** takes an ordinary
autoencoder and multiplies its weight matrices by 0/1 masks.

**MADE's masks.** Give input $d$ the *degree* $m(d)$ = its position in the ordering (1 to $D$),
and each hidden unit $k$ of layer $l$ a degree $m_l(k)$ between 1 and $D - 1$: the largest
input position it may depend on. Keep a connection into a hidden unit when
$m_l(k) \ge m_{l-1}(k')$ (it may see what the earlier unit saw), and a connection from the last
hidden layer into output $d$ only when $m(d) > m_L(k)$, **strictly** (output $d$ must not see
input $d$). Every path from input $d'$ to output $d$ then has $m(d') \le \dots < m(d)$. The
paper draws each hidden degree uniformly between the previous layer's smallest degree and
$D - 1$ (so that no unit is left without inputs).

### Exercise 6 (3 points): `made_masks`

`made_masks(ordering, hidden_sizes, seed)`: `ordering` of shape `(D,)`, int64, a permutation of
$1, \dots, D$ with `ordering[d]` the degree of input $d$; `hidden_sizes` a list of $L$ ints;
`seed` an int for any randomness you use (e.g. `torch.Generator().manual_seed(seed)`). Return a
list of $L + 1$ masks in `nn.Linear`'s weight layout `(out_features, in_features)`: shapes
(H_1, D), (H_2, H_1), ..., (D, H_L), float32 with values 0.0 and 1.0, on the ordering's
device. Any hidden degrees in $1 \dots D-1$ are accepted (random as in the paper, or spread
evenly): the check does not compare with the reference's random draw, it checks that your
masks are MADE's rule for *some* such degrees, and names the output and input that a path
wrongly connects.
""")

code("made_masks", r"""
def made_masks(ordering, hidden_sizes, seed):
    ### BEGIN SOLUTION
    g = torch.Generator().manual_seed(seed)
    d = len(ordering)
    degrees = [ordering.cpu()]
    for size in hidden_sizes:
        degrees.append(torch.randint(int(degrees[-1].min()), d, (size,), generator=g))
    masks = [(later[:, None] >= earlier[None, :]) for earlier, later in zip(degrees[:-1], degrees[1:])]
    masks.append(degrees[0][:, None] > degrees[-1][None, :])
    return [m.to(device=ordering.device, dtype=torch.float32) for m in masks]
    ### END SOLUTION
""", solution="made_masks")

check_cell("made_masks", 3)

md("jacobian-md", r"""
**The autoregressive property, checked through the Jacobian.** For a small MADE built with
your masks and a random ordering, autograd gives $J_{dd'} = |\partial l_d / \partial x_{d'}|$.
Sorted by the ordering, $J$ must be zero on and above the diagonal.
""")

code("jacobian", r"""
seed_everything(0)
with uses_your("made_masks"):
    small = MADE(data_dim=12, hidden=(64, 64), seed=3, natural_first=False,
                 masks_fn=lambda o, h, g: made_masks(o, list(h), int(torch.randint(1 << 30, (1,), generator=g))))
x0 = (torch.rand(12) < 0.5).float()
J = dependency_matrix(small, x0)
order = small.sampling_order()                        # variables in the order they are generated
J_sorted = J[order][:, order]
print("nonzero entries on or above the diagonal (sorted by the ordering):", int((J_sorted.triu() > 0).sum()))
print("nonzero entries below it:", int((J_sorted.tril(-1) > 0).sum()), "of", 12 * 11 // 2)
fig, ax = plt.subplots(1, 2, figsize=(8, 3.8))
ax[0].imshow(J > 0, cmap="Greys")
ax[0].set(title="J != 0, variables in index order", xlabel="input d'", ylabel="output d")
ax[1].imshow(J_sorted > 0, cmap="Greys")
ax[1].set(title="sorted by the ordering", xlabel="input (by position)", ylabel="output (by position)")
plt.show()
""")

md("made-train-md", r"""
**MADE on binarized MNIST.** Real log-likelihoods need a distribution over binary images, so
the course uses one fixed stochastic binarization of MNIST (`lecture_lib.data.binarized_mnist`,
unit 2). MADE with one hidden layer, direct input-to-output connections (a masked logistic
regression beside the hidden layer, as in the paper's option) and the natural ordering,
trained with your masks on the negative log-likelihood. Full mode trains the benchmark's network
and learning-rate schedule (1,500 hidden units, 20 epochs on 50,000 images; the benchmark,
`make bench ONLY=generative`, also keeps the epoch with the best validation NLL, and measured
89.47 nats on the test set, training for 324 s on a 2-core CPU); fast mode a short run.
""")

code("made-train", r"""
Xb, Xb_test = binarized_mnist("train")[0].to(device), binarized_mnist("test")[0].to(device)
seed_everything(0)
made_hidden, made_epochs = by_mode(fast=500, full=1500), by_mode(fast=2, full=20)
made_train = Xb[: by_mode(fast=20000, full=50000)]
with uses_your("made_masks"):
    made = MADE(hidden=(made_hidden,), direct=True,
                masks_fn=lambda o, h, g: made_masks(o, list(h), int(torch.randint(1 << 30, (1,), generator=g)))).to(device)
opt = torch.optim.Adam(made.parameters(), lr=2e-3)
batches = Batches(made_train, batch_size=100, seed=0)
schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=made_epochs * len(batches), pct_start=0.1)


def made_step(xb):
    loss = made.nll(xb).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    schedule.step()                     # the learning rate: 10% warm-up to 2e-3, then cosine decay
    return loss


made_history = train_steps(made_step, batches, made_epochs, model=made, desc="MADE")
made.eval()
with torch.no_grad():
    made_nll = torch.cat([made.nll(b) for b in Xb_test.split(2000)]).mean().item()
print(f"MADE ({made_hidden} hidden units, {made_epochs} epoch(s), {made_history.seconds:.0f} s): test NLL "
      f"{made_nll:.2f} nats = {made_nll / (784 * math.log(2)):.4f} bits per dimension")
""")

md("sample-md", r"""
**Sampling, one variable at a time.** The likelihood takes one pass; a sample takes $D$:
start from $x = 0$, and for each variable $d$ in the ordering compute the logits of the current
$x$, then set $x_d = 1$ if $u_d < \sigma(l_d)$, with $u_d$ uniform on $[0, 1)$. The outputs of
variables not yet sampled are computed too, and thrown away: they depend on zeros that are
not the sample's values.

### Exercise 7 (2 points): `autoregressive_sample`

`autoregressive_sample(logits_fn, order, u)`: `logits_fn` maps a batch `(B, D)` to logits
`(n, D)` for any batch size n and is autoregressive for `order`; `order` of shape `(D,)`, int64, the variable
indices in sampling order; `u` of shape `(B, D)`, uniforms in $[0, 1)$, with `u[:, d]` used
for variable `d` (not for step `d`). Start from zeros; for each `d` in `order`, set
`x[:, d]` to 1 where `u[:, d] < sigmoid(logits_fn(x)[:, d])`, else 0, recomputing the logits
after every variable. Return `x` of shape `(B, D)` in u's dtype and on its device; leave `u`
unchanged (write into your own `x`). The check uses a fixed autoregressive logit function and
compares the samples exactly.
""")

code("autoregressive_sample", r"""
def autoregressive_sample(logits_fn, order, u):
    ### BEGIN SOLUTION
    x = torch.zeros_like(u)
    with torch.no_grad():
        for d in order.tolist():
            x[:, d] = (u[:, d] < torch.sigmoid(logits_fn(x)[:, d])).to(u.dtype)
    return x
    ### END SOLUTION
""", solution="autoregressive_sample")

check_cell("autoregressive_sample", 2)

code("made-samples", r"""
u = torch.rand(16, 784, generator=torch.Generator().manual_seed(0)).to(device)
t0 = time.perf_counter()
with uses_your("autoregressive_sample"), torch.no_grad():
    made_samples = autoregressive_sample(made, made.sampling_order().to(device), u)
made_sample_seconds = (time.perf_counter() - t0) / 16
print(f"16 samples in {16 * made_sample_seconds:.1f} s (784 forward passes)")
plt.figure(figsize=(6, 1.8))
plt.imshow(image_grid(made_samples.cpu().reshape(-1, 28, 28), ncols=8), cmap="gray")
plt.title("MADE samples (your sampler)")
plt.axis("off")
plt.show()
""")

md("pixelcnn-md", r"""
## 6. PixelCNN: masked convolutions and the blind spot

For images, PixelCNN orders the pixels in raster order (row by row, left to right) and makes
every layer a convolution whose kernel is **masked** so that a pixel sees only pixels above
it, or to its left on its row. The first layer must not see the pixel it predicts (mask
**type A**: the centre is 0); later layers may pass on a pixel's own *features*, which only
summarize earlier pixels (type **B**: the centre is 1). Training is one parallel pass, like
MADE; sampling is one pass per pixel.

### Exercise 8 (2 points): `conv_mask`

`conv_mask(weight, mask_type)`: `weight`, a convolution kernel of shape (C_out, C_in, kh, kw)
(kh and kw odd; the centre is row `kh // 2`, column `kw // 2`), and `mask_type` `"A"` or
`"B"`. Return a mask of the weight's shape, dtype and device: 1 at every kernel position above
the centre row, and on the centre row left of the centre; the centre itself 1 for type B and 0
for type A; 0 everywhere else. Every channel pair gets the same pattern.
""")

code("conv_mask", r"""
def conv_mask(weight, mask_type):
    ### BEGIN SOLUTION
    kh, kw = weight.shape[-2:]
    mask = torch.zeros(kh, kw, dtype=weight.dtype, device=weight.device)
    mask[: kh // 2, :] = 1
    mask[kh // 2, : kw // 2 + (1 if mask_type == "B" else 0)] = 1
    return mask.expand(weight.shape).clone()
    ### END SOLUTION
""", solution="conv_mask")

check_cell("conv_mask", 2)

md("blind-md", r"""
**Receptive field and blind spot.** Stack a type-A 3x3 layer and a few type-B 3x3 layers built
with your masks, and ask autograd which input pixels the output at one pixel depends on. Every
pixel it sees comes earlier in raster order; but the region it sees grows up and to the left
faster than to the right, and leaves a triangle of earlier pixels above-right, the **blind
spot**, that no stack of these masks ever sees (the Gated PixelCNN's separate vertical and
horizontal stacks remove it).
""")

code("blind-spot", r"""
seed_everything(0)
with uses_your("conv_mask"):
    probe = PixelCNN(channels=8, blocks=5, kernel=3, first_kernel=3, height=15, width=15, mask_fn=conv_mask)
r, c = 11, 7
seen = input_gradient_map(probe, r, c) > 0
raster = torch.arange(15 * 15).reshape(15, 15)
earlier = raster < r * 15 + c
print(f"output pixel ({r}, {c}): sees {int(seen.sum())} of its {int(earlier.sum())} earlier pixels; "
      f"sees a later pixel: {bool((seen & ~earlier).any())}")
picture = torch.zeros(15, 15)
picture[earlier] = 0.35
picture[seen] = 1.0
picture[r, c] = 0.7
plt.figure(figsize=(4, 4))
plt.imshow(picture, cmap="viridis")
plt.title("yellow: seen; blue: earlier, not seen;\ngreen: the output pixel", fontsize=10)
plt.xlabel("column")
plt.ylabel("row")
plt.show()
""")

md("pixelcnn-train-md", r"""
**Training and sampling a small PixelCNN** with your masks: a type-A 7x7 layer, residual
blocks of type-B 3x3 convolutions, 1x1 layers to one logit per pixel. Full mode trains the
benchmark's network (32 channels, 5 blocks, 3 epochs; the benchmark adds a one-cycle learning rate); fast mode a few dozen steps of a
smaller one. Sampling calls your `autoregressive_sample` with the raster order.
""")

code("pixelcnn-train", r"""
seed_everything(0)
with uses_your("conv_mask"):
    pixelcnn = PixelCNN(channels=32, blocks=by_mode(fast=2, full=5), mask_fn=conv_mask).to(device)
pix_epochs = by_mode(fast=1, full=3)
pix_batches = Batches(Xb[: by_mode(fast=4000, full=50000)], batch_size=64, seed=0)
opt = torch.optim.Adam(pixelcnn.parameters(), lr=1e-3)
pix_history = train(lambda xb: pixelcnn.nll(xb).mean(), opt, pix_batches, pix_epochs, model=pixelcnn, desc="PixelCNN")
pixelcnn.eval()
with torch.no_grad():
    pix_nll = torch.cat([pixelcnn.nll(b) for b in Xb_test[: by_mode(fast=2000, full=10000)].split(500)]).mean().item()
print(f"PixelCNN ({sum(p.numel() for p in pixelcnn.parameters()):,} parameters, {pix_history.seconds:.0f} s): test NLL "
      f"{pix_nll:.2f} nats = {pix_nll / (784 * math.log(2)):.4f} bits per dimension")
n_quality = by_mode(fast=100, full=400)        # samples per row of the closing table
n_pix = by_mode(fast=8, full=n_quality)
u = torch.rand(n_pix, 784, generator=torch.Generator().manual_seed(1)).to(device)
t0 = time.perf_counter()
with uses_your("autoregressive_sample"), torch.no_grad():   # in chunks of 50 images, for a progress bar
    pix_samples = torch.cat([autoregressive_sample(pixelcnn, torch.arange(784, device=device), chunk)
                             for chunk in progress_bar(u.split(50), "PixelCNN samples", unit="chunk")])
pix_sample_seconds = (time.perf_counter() - t0) / n_pix
plt.figure(figsize=(6, 1.8))
plt.imshow(image_grid(pix_samples.cpu().reshape(-1, 28, 28), ncols=8), cmap="gray")
plt.title(f"PixelCNN samples ({pix_sample_seconds:.2f} s per image)")
plt.axis("off")
plt.show()
""")

md("table-md", r"""
## 7. Three families on one scale

Unit 2's VAE (784-400-20) trained on the same binarized images gives a lower bound on
$\log p(x)$ (the ELBO) and a tighter importance-weighted estimate; MADE and the PixelCNN give
the exact NLL; the GAN gives none. Samples of all four are measured the same way, with a
small MNIST classifier trained once (`lecture_lib.sample_quality`): the **classifier score**
$\exp(\mathbb E_x \mathrm{KL}(p(y \mid x) \,\|\, p(y)))$ (the inception score's analogue: at
most 10, high when each sample is clearly one digit and all digits appear) and the **Frechet
distance** between Gaussians fitted to the classifier's features of the samples and of the
real training images (0 for identical statistics). The Frechet distance grows as the number
of samples shrinks, so every row uses the same number, and the real test images give the
reference row.
""")

code("table", r"""
seed_everything(0)
vae = VAE().to(device)
opt = torch.optim.Adam(vae.parameters(), lr=1e-3)
vae_history = train(lambda xb: vae.loss(xb), opt, Batches(Xb, batch_size=128, seed=0), by_mode(fast=1, full=30),
                    model=vae, desc="VAE")
vae.eval()
n_test = by_mode(fast=1000, full=10000)
with torch.no_grad():
    vae_elbo = torch.cat([-importance_weighted_log_likelihood(vae, b, k=1)        # k = 1: the ELBO
                          for b in Xb_test[:n_test].split(500)]).mean().item()
    vae_iw = torch.cat([-importance_weighted_log_likelihood(vae, b, k=by_mode(fast=32, full=500))
                        for b in Xb_test[:n_test].split(100)]).mean().item()

classifier = trained_classifier(device, progress=False)
t0 = time.perf_counter()
vae_samples = vae.sample(n_quality, generator=torch.Generator().manual_seed(0), mean=False)
vae_sample_seconds = (time.perf_counter() - t0) / n_quality
t0 = time.perf_counter()
gan_samples = gan_g.sample(n_quality, torch.Generator().manual_seed(0))
gan_sample_seconds = (time.perf_counter() - t0) / n_quality
u = torch.rand(n_quality, 784, generator=torch.Generator().manual_seed(2)).to(device)
with uses_your("autoregressive_sample"), torch.no_grad():
    made_many = torch.cat([autoregressive_sample(made, made.sampling_order().to(device), chunk)
                           for chunk in progress_bar(u.split(100), "MADE samples", unit="chunk")])
rows = [
    ("real test images", "-", "-", sample_quality(Xb_test[:n_quality], classifier), None, None),
    ("VAE", f"<= {vae_iw:.1f} (IW), ELBO {vae_elbo:.1f}", f"{vae_iw / (784 * math.log(2)):.3f}",
     sample_quality(vae_samples, classifier), vae_sample_seconds, vae_history.seconds),
    ("MADE", f"{made_nll:.1f} (exact)", f"{made_nll / (784 * math.log(2)):.3f}",
     sample_quality(made_many, classifier), made_sample_seconds, made_history.seconds),
    ("PixelCNN", f"{pix_nll:.1f} (exact)", f"{pix_nll / (784 * math.log(2)):.3f}",
     sample_quality(pix_samples, classifier) if len(pix_samples) >= n_quality else None,   # fast mode: 8 samples
     pix_sample_seconds, pix_history.seconds),
    ("GAN", "no likelihood", "-", sample_quality(gan_samples, classifier), gan_sample_seconds, gan_seconds),
]
print(f"test images: {n_test}; samples per row: {n_quality}; device: {device}")
print(f"{'model':>17} | {'test NLL, nats':>28} | {'bits/dim':>8} | {'clf score':>9} | {'Frechet':>8} | {'s / sample':>10} | {'train s':>7}")
for name, nll, bpd, q, per_sample, seconds in rows:
    score = f"{q['classifier_score']:.2f}" if q else "(full)"
    frechet = f"{q['frechet']:.1f}" if q else "(full)"
    per = "-" if per_sample is None else f"{per_sample:.4f}"
    train_s = "-" if seconds is None else f"{seconds:.0f}"
    print(f"{name:>17} | {nll:>28} | {bpd:>8} | {score:>9} | {frechet:>8} | {per:>10} | {train_s:>7}")
""")

md("closing", r"""
The table above is printed by this run (fast mode trains every model for seconds, so read its
*ranking of costs* more than its quality numbers; "(full)": the PixelCNN's 8 fast-mode samples
are too few for the measures, full mode draws as many as the other rows). The benchmark's full-mode figures, measured
on a 2-core CPU with `make bench ONLY=generative` (2026-12-07; the budgets are in
`benchmarks/bench_generative.py`), each with the classifier score and Frechet distance of 400
samples:

| model (full-mode budget) | test NLL, nats | bits/dim | clf score | Frechet | s / sample | train s |
|---|---|---|---|---|---|---|
| real test images (400) | - | - | 9.46 | 8.3 | - | - |
| VAE 784-400-20, 30 epochs | -ELBO 99.90; IW bound (k = 500) 94.55 | 0.184 / 0.174 | 5.92 | 43.2 | - | 113 |
| MADE 1x1500 + direct, 20 epochs | **89.47** | 0.165 | 7.67 | 13.2 | 0.034 | 436 |
| PixelCNN 32 ch x 5 blocks, 3 epochs | 95.22 | 0.175 | 5.13 | 122 | 2.1 | 1,043 |
| GAN (MLP), 10,000 steps | none | - | 6.34 | 87.0 | 0.00004 | 340 |

A whole Run All of this notebook in full mode (2026-12-08, the same 2 cores, shared with other
jobs for much of it: 59 minutes, 17 of them drawing the 400 PixelCNN samples pixel by pixel)
printed: VAE -ELBO 99.7 and IW bound 94.5, MADE **89.56**, PixelCNN 94.35; classifier scores
6.24 / 7.54 / 4.89 and GAN 6.31; Frechet 40.7 / 14.0 / 121 and GAN 82.7 (real images: 9.44, 7.8).

The MADE paper reports about 88 nats for one hidden layer and one ordering, the PixelCNN paper
81.30 with a network far larger than ours (trained for 3 epochs on 2 cores, ours has not
converged: its samples score worst of the four while its likelihood is within a nat of the VAE's
bound). Likelihood and sample quality need not agree. What each family gives:

| family | likelihood | sampling | training |
|---|---|---|---|
| VAE | a lower bound (ELBO), tightened by importance weighting | one decoder pass | one pass per batch; stable |
| autoregressive (MADE, PixelCNN) | exact, in one pass | one pass **per variable** (784 here) | one pass per batch; stable |
| GAN | none | one generator pass | a two-player game: mode collapse, no loss that tracks quality |
""")


def main() -> None:
    NB.write(OUT)


if __name__ == "__main__":
    main()
