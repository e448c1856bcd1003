"""Unit 2's training-method exercises: correct alternatives (``CORRECT``: exercise id -> list
of functions), merged into the unit's catalogue test (``tests/test_exercises_units12.py``); the
listed mistakes live in the product (``autograder/misconceptions/unit2.py``).

``unit2.vae_forward`` and ``unit2.vae_train_step`` (the VAE's forward pass with the noise
given, and one Adam step on the batch's mean negative ELBO). Measured with
``tools/measure_secret_seeds.py --seeds 200 --first 5000 unit2.vae_forward unit2.vae_train_step``
(after the tolerance and Adam-eps fixes of 2026-12-07): every alternative passes on every seed,
every mistake fails on every seed.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from autograder.misconceptions.unit2 import _forward, _kl, _step


# ----------------------------------------------------------------- forward

def _forward_from_layers(model, x, eps):
    h = F.relu(model.enc(x))
    mu, lv = model.enc_mu(h), model.enc_logvar(h)
    z = torch.addcmul(mu, lv.div(2).exp(), eps)
    return model.dec_out(torch.relu(model.dec(z))), mu, lv


def _forward_sqrt(model, x, eps):
    mu, lv = model.encode(x)
    return model.decode(mu + lv.exp().sqrt() * eps), mu, lv


# ----------------------------------------------------------------- one training step

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
