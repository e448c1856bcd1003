"""Unit 2's training-method exercises: correct alternatives (``CORRECT``: exercise id -> list
of functions) and listed mistakes (``MISTAKES``: exercise id -> {name: function}), merged into
the unit's catalogue test (``tests/test_exercises_units12.py``).

``unit2.vae_forward`` and ``unit2.vae_train_step`` (the VAE's forward pass with the noise
given, and one Adam step on the batch's mean negative ELBO). Measured with
``tools/measure_secret_seeds.py --seeds 200 --first 5000 unit2.vae_forward unit2.vae_train_step``
(after the tolerance and Adam-eps fixes of 2026-12-07): every alternative passes on every seed,
every mistake fails on every seed.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _kl(mu, lv):
    return 0.5 * (lv.exp() + mu ** 2 - 1 - lv).sum(-1)


# ----------------------------------------------------------------- forward

def _forward(model, x, eps, *, sigma="half", use_eps=True, probs=False, return_std=False, detach_mu=False):
    mu, lv = model.encode(x)
    noise = eps if use_eps else torch.randn_like(mu)
    std = {"half": torch.exp(0.5 * lv), "exp": lv.exp(), "logvar": lv, "none": torch.zeros_like(lv)}[sigma]
    z = (mu.detach() if detach_mu else mu) + std * noise
    out = model.decode(z)
    return (torch.sigmoid(out) if probs else out), mu, (torch.exp(0.5 * lv) if return_std else lv)


def _forward_from_layers(model, x, eps):
    h = F.relu(model.enc(x))
    mu, lv = model.enc_mu(h), model.enc_logvar(h)
    z = torch.addcmul(mu, lv.div(2).exp(), eps)
    return model.dec_out(torch.relu(model.dec(z))), mu, lv


def _forward_sqrt(model, x, eps):
    mu, lv = model.encode(x)
    return model.decode(mu + lv.exp().sqrt() * eps), mu, lv


# ----------------------------------------------------------------- one training step

def _step(model, opt, x, eps, *, reduce="mean", kl_sign=1.0, zero="before", to_none=True, use_eps=True,
          do_step=True, after=False, sigma="half", out="detach", bce="with_logits"):
    logits, mu, lv = _forward(model, x, eps, sigma=sigma, use_eps=use_eps)
    if bce == "with_logits":
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)
    else:
        rec = -(x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)).sum(-1)
    per_example = rec + kl_sign * _kl(mu, lv)
    loss = {"mean": per_example.mean(), "sum_div": per_example.sum() / len(x), "sum": per_example.sum(),
            "pixel_mean": per_example.mean() / x.shape[1]}[reduce]
    if zero == "before":
        opt.zero_grad(set_to_none=to_none)
    loss.backward()
    if zero == "between":
        opt.zero_grad(set_to_none=to_none)
    if do_step:
        opt.step()
    if zero == "after":
        opt.zero_grad(set_to_none=to_none)
    if after:
        with torch.no_grad():
            logits, mu, lv = _forward(model, x, eps)
            loss = (F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1) + _kl(mu, lv)).mean()
    return {"detach": loss.detach(), "item": loss.item(), "graph": loss}[out]


def _step_separate_terms(model, opt, x, eps):
    """zero_grad on the model before the forward pass, the two terms reduced separately."""
    model.zero_grad()
    mu, lv = model.encode(x)
    logits = model.decode(mu + torch.exp(0.5 * lv) * eps)
    loss = (F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
            + _kl(mu, lv).mean())
    loss.backward()
    opt.step()
    return float(loss.detach())


CORRECT = {
    "unit2.vae_forward": [_forward, _forward_from_layers, _forward_sqrt],
    "unit2.vae_train_step": [
        _step,
        lambda *a: _step(*a, reduce="sum_div", zero="after", to_none=False, out="item"),
        lambda *a: _step(*a, zero="before", to_none=False, bce="logsigmoid", out="graph"),
        _step_separate_terms,
    ],
}

# Secret seeds on which a correct alternative once failed (tools/measure_secret_seeds.py, 200
# seeds from 5000): float rounding amplified by Adam's eps 1e-8 (vae_train_step, up to 1.6 lr)
# and a float32 gradient entry off by 2.5e-5 under a fixed atol (vae_forward, sqrt(exp(logvar))).
REGRESSION_SEEDS = {
    "unit2.vae_train_step": (5029, 5039, 5118, 5144),
    "unit2.vae_forward": (5065,),
}

MISTAKES = {
    "unit2.vae_forward": {
        "exp(logvar) as sigma": lambda *a: _forward(*a, sigma="exp"),
        "logvar as sigma": lambda *a: _forward(*a, sigma="logvar"),
        "own noise, not eps": lambda *a: _forward(*a, use_eps=False),
        "no sampling (z = mu)": lambda *a: _forward(*a, sigma="none"),
        "probabilities, not logits": lambda *a: _forward(*a, probs=True),
        "sigma returned as logvar": lambda *a: _forward(*a, return_std=True),
        "detached mu": lambda *a: _forward(*a, detach_mu=True),
    },
    "unit2.vae_train_step": {
        "KL with the wrong sign": lambda *a: _step(*a, kl_sign=-1.0),
        "KL left out": lambda *a: _step(*a, kl_sign=0.0),
        "no zero_grad (gradients accumulate)": lambda *a: _step(*a, zero="never"),
        "zero_grad between backward and step": lambda *a: _step(*a, zero="between"),
        "loss summed over the batch": lambda *a: _step(*a, reduce="sum"),
        "loss averaged over pixels too": lambda *a: _step(*a, reduce="pixel_mean"),
        "own noise, not eps": lambda *a: _step(*a, use_eps=False),
        "no optimizer.step()": lambda *a: _step(*a, do_step=False),
        "loss after the step returned": lambda *a: _step(*a, after=True),
        "exp(logvar) as sigma in the forward pass": lambda *a: _step(*a, sigma="exp"),
        "logvar as sigma in the forward pass": lambda *a: _step(*a, sigma="logvar"),
    },
}
