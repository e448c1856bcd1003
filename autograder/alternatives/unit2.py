"""Unit 2's correct alternatives (see :mod:`autograder.alternatives`).

``unit2.vae_forward`` and ``unit2.vae_train_step`` (the VAE's forward pass with the noise
given, and one Adam step on the batch's mean negative ELBO). Measured on 200 secret seeds
(after the tolerance and Adam-eps fixes of 2026-12-07; ``python -m autograder audit
unit2.vae_forward unit2.vae_train_step`` reruns it): every alternative passes on every seed,
every mistake fails on every seed.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from autograder.misconceptions.unit2 import _bern, _forward, _gauss, _interp, _kl, _step, kl_ok


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


ALTERNATIVES = {
    "unit2.gaussian_kl": [kl_ok, lambda mu, lv: torch.distributions.kl_divergence(
        torch.distributions.Normal(mu, (0.5 * lv).exp()), torch.distributions.Normal(0.0, 1.0)).sum(-1)],
    "unit2.reparameterize": [lambda mu, lv, eps: mu + torch.exp(0.5 * lv) * eps,
                             lambda mu, lv, eps: torch.addcmul(mu, lv.div(2).exp(), eps)],
    "unit2.negative_elbo_bernoulli": [_bern, lambda x, l, mu, lv: -(x * F.logsigmoid(l) + (1 - x) * F.logsigmoid(-l)).sum(-1)
                                      + kl_ok(mu, lv),
                                      lambda x, l, mu, lv: (torch.log1p(torch.exp(l)) - x * l).sum(-1) + kl_ok(mu, lv)],
    "unit2.negative_elbo_gaussian": [_gauss, lambda x, m, mu, lv, eta: -torch.distributions.Normal(
        m, math.sqrt(eta)).log_prob(x).sum(-1) + kl_ok(mu, lv)],
    "unit2.interpolate": [_interp],
    "unit2.vae_forward": [_forward, _forward_from_layers, _forward_sqrt],
    "unit2.vae_train_step": [
        _step,
        lambda *a: _step(*a, reduce="sum_div", zero="after", to_none=False, out="item"),
        lambda *a: _step(*a, zero="before", to_none=False, bce="logsigmoid", out="graph"),
        _step_separate_terms,
    ],
}

# Secret seeds on which a correct alternative once failed (200 seeds from 5000, measured before
# the fixes): float rounding amplified by Adam's eps 1e-8 (vae_train_step, up to 1.6 lr)
# and a float32 gradient entry off by 2.5e-5 under a fixed atol (vae_forward, sqrt(exp(logvar))).
REGRESSION_SEEDS = {
    "unit2.vae_train_step": (5029, 5039, 5118, 5144),
    "unit2.vae_forward": (5065,),
}
