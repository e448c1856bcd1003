"""Unit 3's quality bar: REINFORCE for MNIST classification, with and without baselines.

Every row trains the same network (MLP 784-256-10, Adam 1e-3, batch 128 images, 10 epochs
over the 60k training images) with the course's loop; rewards 1 for the right digit, 0
otherwise. Variants: supervised (cross-entropy, the reference), REINFORCE without a
baseline, with the batch-mean baseline, a moving average, a learned per-input baseline,
the variance-minimizing constant, and leave-one-out over 8 sampled actions per image, raw
and with the advantages standardized over the batch (the two best rows, medians >= 97% here).
``grad_var``: total variance of the variant's one-batch gradient estimate, measured for all
variants at one common policy (the supervised network after 100 steps) over 64 redraws of
the actions on one batch of 128 images (drawn from a fixed seed, after the training runs; the
learned row uses the b(x) trained in the last seed's run). Standardizing rescales the
advantages, so that row's variance is on another scale than the others'.

Every variant trains from 5 seeds (``SEEDS``; one in quick mode): ``test_acc`` is the
median, ``test_acc_seeds`` the per-seed figures, ``seconds`` the median time of one run. The
seeds matter: without a baseline some runs stall near 87% with one digit never predicted.
"""

from __future__ import annotations

import statistics
import time

import torch
import torch.nn.functional as F
from common import QUICK, emit

from lecture_lib import Batches, get_device, images_to_vectors, load_mnist, seed_everything, train
from lecture_lib.policy_gradient import (CategoricalPolicy, LearnedBaseline, MNISTBandit,
                                         MovingAverageBaseline, batch_mean_baseline, flat_grad,
                                         leave_one_out_baseline, optimal_constant_baseline,
                                         reinforce_loss, sample_actions, score_function_logits)
from lecture_lib.estimators import gradient_variance
from lecture_lib.returns import standardize

SAMPLES_LOO = 8
SEEDS = (0,) if QUICK else (0, 1, 2, 3, 4)


def make_loss(variant: str, policy, value_net, bandit: MNISTBandit, moving: MovingAverageBaseline):
    """The variant's loss for one batch (images xb, their labels yb)."""

    def loss(xb, yb):
        logits = policy(xb)
        if variant == "supervised":
            return F.cross_entropy(logits, yb)
        log_p = torch.log_softmax(logits, dim=-1)
        if variant in ("leave_one_out", "leave_one_out_standardized"):
            actions = torch.stack([sample_actions(logits) for _ in range(SAMPLES_LOO)])    # (S, B)
            rewards = (actions == yb).to(xb.dtype)
            adv = rewards - leave_one_out_baseline(rewards)
            if variant == "leave_one_out_standardized":
                adv = standardize(adv)
            return reinforce_loss(log_p.gather(1, actions.T).T.reshape(-1), adv.reshape(-1))
        actions = sample_actions(logits)
        rewards = (actions == yb).to(xb.dtype)
        chosen = log_p.gather(1, actions[:, None])[:, 0]
        if variant == "no_baseline":
            return reinforce_loss(chosen, rewards)
        if variant == "batch_mean":
            return reinforce_loss(chosen, rewards - batch_mean_baseline(rewards))
        if variant == "moving_average":
            b = moving.value
            moving.update(rewards)
            return reinforce_loss(chosen, rewards - b)
        if variant == "optimal_constant":
            g2 = score_function_logits(logits, actions).pow(2).sum(-1).detach()
            return reinforce_loss(chosen, rewards - optimal_constant_baseline(rewards, g2))
        if variant == "learned":
            b, b_loss = value_net.loss(xb, rewards)
            return reinforce_loss(chosen, rewards - b) + b_loss
        raise ValueError(variant)

    return loss


def main() -> None:
    device = get_device()
    x_train = images_to_vectors(load_mnist("train")[0].to(device))
    y_train = load_mnist("train")[1].to(device)
    x_test = images_to_vectors(load_mnist("test")[0].to(device))
    y_test = load_mnist("test")[1].to(device)
    if QUICK:
        x_train, y_train = x_train[:2560], y_train[:2560]
    epochs = 1 if QUICK else 10
    bandit = MNISTBandit(x_train, y_train)

    # The common policy at which every estimator's variance is measured.
    seed_everything(123)
    snapshot = CategoricalPolicy().to(device)
    opt = torch.optim.Adam(snapshot.parameters(), lr=1e-3)
    for xb, yb in list(Batches(x_train, y_train, batch_size=128, seed=123))[:100]:
        opt.zero_grad()
        F.cross_entropy(snapshot(xb), yb).backward()
        opt.step()
    probe_x, probe_y = x_train[:128], y_train[:128]

    variants = ["supervised", "no_baseline", "batch_mean", "moving_average", "learned",
                "optimal_constant", "leave_one_out", "leave_one_out_standardized"]
    for variant in variants:
        accs, times = [], []
        for seed in SEEDS:
            seed_everything(seed)
            policy = CategoricalPolicy().to(device)
            value_net = LearnedBaseline().to(device)
            params = list(policy.parameters()) + (list(value_net.parameters()) if variant == "learned" else [])
            optimizer = torch.optim.Adam(params, lr=1e-3)
            moving = MovingAverageBaseline(0.9)
            loss_fn = make_loss(variant, policy, value_net, bandit, moving)
            t0 = time.perf_counter()
            train(loss_fn, optimizer, Batches(x_train, y_train, batch_size=128, seed=seed), epochs,
                  model=policy, progress=False)
            times.append(time.perf_counter() - t0)
            policy.eval()
            with torch.no_grad():
                accs.append((policy(x_test).argmax(1) == y_test).float().mean().item())
        # Variance of this variant's estimator at the common snapshot.
        probe_loss = make_loss(variant, snapshot, value_net, bandit, MovingAverageBaseline(0.9, initial=0.8))
        params0 = list(snapshot.parameters())
        seed_everything(1234)
        grads = torch.stack([flat_grad(probe_loss(probe_x, probe_y), params0)
                             for _ in range(8 if QUICK else 64)])
        emit(name="reinforce_mnist", variant=variant, epochs=epochs, test_acc=statistics.median(accs),
             grad_var=gradient_variance(grads)["total_variance"], seconds=statistics.median(times),
             test_acc_seeds=[round(a, 4) for a in accs], seeds=len(SEEDS), device=str(device))


if __name__ == "__main__":
    main()
