"""Unit 2's known mistakes: a name, a one-line hint and an implementation that makes exactly that
mistake, for each exercise (see :class:`autograder.registry.Misconception`). The helpers with their
default switches are correct readings of the contracts, which the tests also use as alternatives.
Trusted side only."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from autograder.misconceptions import with_hints
from autograder.registry import Misconception


def kl_ok(mu, lv):
    return -0.5 * (1 + lv - mu ** 2 - lv.exp()).sum(-1)


def _bern(x, logits, mu, lv, *, naive=False, pixel_mean=False, kl_sign=1.0, batch_mean=False, probs=False):
    if probs:
        rec = F.binary_cross_entropy(logits, x, reduction="none")
    elif naive:
        y = torch.sigmoid(logits)
        rec = -(x * torch.log(y) + (1 - x) * torch.log(1 - y))
    else:
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    rec = rec.mean(-1) if pixel_mean else rec.sum(-1)
    out = rec + kl_sign * kl_ok(mu, lv)
    return out.mean() if batch_mean else out


def _gauss(x, m, mu, lv, eta, *, const=True, eta_is_std=False, half=True, kl=True):
    var = eta ** 2 if eta_is_std else eta
    out = ((x - m) ** 2).sum(-1) / ((2 if half else 1) * var)
    if const:
        out = out + 0.5 * x.shape[-1] * math.log(2 * math.pi * var)
    return out + (kl_ok(mu, lv) if kl else 0)


def _interp(model, x0, x1, steps, *, pixels=False, sampled=False, open_end=False, logits=False, reverse=False):
    if pixels:
        t = torch.linspace(0, 1, steps).unsqueeze(1)
        return (1 - t) * x0 + t * x1
    (mu, lv) = model.encode(torch.stack([x0, x1]))
    if sampled:
        mu = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
    t = (torch.arange(steps) / steps if open_end else torch.linspace(0, 1, steps)).unsqueeze(1)
    if reverse:
        t = 1 - t
    out = model.decode((1 - t) * mu[0] + t * mu[1])
    return out if logits else torch.sigmoid(out)


def _kl(mu, lv):
    return 0.5 * (lv.exp() + mu ** 2 - 1 - lv).sum(-1)


def _forward(model, x, eps, *, sigma="half", use_eps=True, probs=False, return_std=False, detach_mu=False):
    mu, lv = model.encode(x)
    noise = eps if use_eps else torch.randn_like(mu)
    std = {"half": torch.exp(0.5 * lv), "exp": lv.exp(), "logvar": lv, "none": torch.zeros_like(lv)}[sigma]
    z = (mu.detach() if detach_mu else mu) + std * noise
    out = model.decode(z)
    return (torch.sigmoid(out) if probs else out), mu, (torch.exp(0.5 * lv) if return_std else lv)


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


_RAW = {
    "unit2.gaussian_kl": {
        "detached": lambda mu, lv: kl_ok(mu, lv).detach(),
        "via numpy": lambda mu, lv: torch.from_numpy(kl_ok(mu, lv).detach().numpy()),
        "logvar as log sigma": lambda mu, lv: -0.5 * (1 + 2 * lv - mu ** 2 - (2 * lv).exp()).sum(-1),
        "missing 1/2": lambda mu, lv: -(1 + lv - mu ** 2 - lv.exp()).sum(-1),
        "summed over the batch": lambda mu, lv: kl_ok(mu, lv).sum(),
        "mean over latent dims": lambda mu, lv: -0.5 * (1 + lv - mu ** 2 - lv.exp()).mean(-1),
        "sign": lambda mu, lv: 0.5 * (1 + lv - mu ** 2 - lv.exp()).sum(-1),
        "sigma instead of sigma^2": lambda mu, lv: -0.5 * (1 + lv - mu ** 2 - (0.5 * lv).exp()).sum(-1),
    },
    "unit2.reparameterize": {
        "exp(logvar) as sigma": lambda mu, lv, eps: mu + lv.exp() * eps,
        "logvar as sigma": lambda mu, lv, eps: mu + lv * eps,
        "fresh noise": lambda mu, lv, eps: mu + torch.exp(0.5 * lv) * torch.randn_like(mu),
        "detached mu": lambda mu, lv, eps: mu.detach() + torch.exp(0.5 * lv) * eps,
        "detached sigma": lambda mu, lv, eps: mu + torch.exp(0.5 * lv).detach() * eps,
        "sqrt(logvar)": lambda mu, lv, eps: mu + lv.sqrt() * eps,
        "logvar clamped to [-10, 10]": lambda mu, lv, eps: mu + torch.exp(0.5 * lv.clamp(-10, 10)) * eps,
    },
    "unit2.negative_elbo_bernoulli": {
        "logits as probabilities": lambda *a: _bern(*a, probs=True),
        "log(sigmoid) overflows": lambda *a: _bern(*a, naive=True),
        "mean over pixels": lambda *a: _bern(*a, pixel_mean=True),
        "KL left out": lambda *a: _bern(*a, kl_sign=0.0),
        "KL subtracted": lambda *a: _bern(*a, kl_sign=-1.0),
        "mean over the batch": lambda *a: _bern(*a, batch_mean=True),
        "via numpy": lambda *a: torch.from_numpy(_bern(*a).detach().numpy()),
        "KL detached": lambda x, l, mu, lv: _bern(x, l, mu, lv, kl_sign=0.0) + kl_ok(mu, lv).detach(),
    },
    "unit2.negative_elbo_gaussian": {
        "constant left out": lambda *a: _gauss(*a, const=False),
        "eta as a standard deviation": lambda *a: _gauss(*a, eta_is_std=True),
        "1/2 left out": lambda *a: _gauss(*a, half=False),
        "KL left out": lambda *a: _gauss(*a, kl=False),
    },
    "unit2.interpolate": {
        "pixel space": lambda *a: _interp(*a, pixels=True),
        "sampled codes": lambda *a: _interp(*a, sampled=True),
        "end missing": lambda *a: _interp(*a, open_end=True),
        "logits": lambda *a: _interp(*a, logits=True),
        "reversed": lambda *a: _interp(*a, reverse=True),
    },
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

HINTS = {
    'unit2.gaussian_kl': {
        'detached':
            'keep the KL in the graph: it is part of the training loss',
        'via numpy':
            'use torch operations only, so that gradients flow',
        'logvar as log sigma':
            'logvar is log sigma^2: sigma^2 = exp(logvar)',
        'missing 1/2':
            'KL = 1/2 sum(sigma^2 + mu^2 - 1 - log sigma^2): mind the 1/2',
        'summed over the batch':
            'return one KL per row, shape (B,)',
        'mean over latent dims':
            'sum over the K latent dimensions, do not average',
        'sign':
            'the KL is non-negative: 1/2 sum(sigma^2 + mu^2 - 1 - log sigma^2)',
        'sigma instead of sigma^2':
            'the term is sigma^2 = exp(logvar), not sigma = exp(logvar / 2)',
    },
    'unit2.reparameterize': {
        'exp(logvar) as sigma':
            'sigma = exp(logvar / 2), the square root of exp(logvar)',
        'logvar as sigma':
            'sigma = exp(logvar / 2)',
        'fresh noise':
            'use the given eps; do not draw your own',
        'detached mu':
            'keep mu in the graph: gradients must reach it through z',
        'detached sigma':
            'keep sigma in the graph: gradients must reach logvar through z',
        'sqrt(logvar)':
            'sigma = exp(logvar / 2), not sqrt(logvar)',
        'logvar clamped to [-10, 10]':
            'use sigma = exp(logvar / 2) for every logvar: clamping changes z and stops the gradient outside the range',
    },
    'unit2.negative_elbo_bernoulli': {
        'logits as probabilities':
            'the decoder gives logits: use binary_cross_entropy_with_logits (or logsigmoid)',
        'log(sigmoid) overflows':
            'log(sigmoid(l)) is -inf for large |l|: use logsigmoid or the with-logits loss',
        'mean over pixels':
            'sum the reconstruction term over the D pixels',
        'KL left out':
            'add the KL term',
        'KL subtracted':
            'the negative ELBO adds the KL to the reconstruction loss',
        'mean over the batch':
            'return one value per example, shape (B,)',
        'via numpy':
            'use torch operations only, so that gradients flow',
        'KL detached':
            'keep the KL in the graph: gradients reach mu and logvar through it',
    },
    'unit2.negative_elbo_gaussian': {
        'constant left out':
            'include the constant D/2 log(2 pi eta)',
        'eta as a standard deviation':
            'eta is the variance: divide by 2 eta, log(2 pi eta)',
        '1/2 left out':
            'the squared error is divided by 2 eta',
        'KL left out':
            'add the KL term',
    },
    'unit2.interpolate': {
        'pixel space':
            'interpolate the encoder means in latent space, then decode',
        'sampled codes':
            'use the encoder means mu, not sampled codes',
        'end missing':
            't runs from 0 to 1 inclusive: torch.linspace(0, 1, steps)',
        'logits':
            'return the decoder means: sigmoid of the logits',
        'reversed':
            'start at x0 (t = 0) and end at x1 (t = 1)',
    },
    'unit2.vae_forward': {
        'exp(logvar) as sigma':
            'sigma = exp(logvar / 2)',
        'logvar as sigma':
            'sigma = exp(logvar / 2)',
        'own noise, not eps':
            'use the given eps; do not draw your own',
        'no sampling (z = mu)':
            'z = mu + sigma * eps: add the scaled noise',
        'probabilities, not logits':
            "return the decoder's logits, without a sigmoid",
        'sigma returned as logvar':
            'return logvar as the encoder gives it',
        'detached mu':
            'keep mu in the graph: gradients reach the encoder through it',
    },
    'unit2.vae_train_step': {
        'KL with the wrong sign':
            'the loss adds the KL to the reconstruction term',
        'KL left out':
            'the loss is the negative ELBO: reconstruction plus KL',
        'no zero_grad (gradients accumulate)':
            'zero the gradients before backward() at every step',
        'zero_grad between backward and step':
            'zero the gradients before backward(), not between backward() and step()',
        'loss summed over the batch':
            'average the per-example negative ELBO over the batch',
        'loss averaged over pixels too':
            'sum over the pixels, average over the batch only',
        'own noise, not eps':
            'use the given eps; do not draw your own',
        'no optimizer.step()':
            'call optimizer.step() after backward()',
        'loss after the step returned':
            'return the loss computed before the update',
        'exp(logvar) as sigma in the forward pass':
            'sigma = exp(logvar / 2)',
        'logvar as sigma in the forward pass':
            'sigma = exp(logvar / 2)',
    },
}

MISCONCEPTIONS: dict[str, tuple[Misconception, ...]] = with_hints(_RAW, HINTS)
