"""Units 1-2 exercises: correct alternatives pass, every listed common mistake fails."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

import catalog_methods_unit1
import catalog_methods_unit2
from exercise_catalog import catalogue_tests


def kl_ok(mu, lv):
    return -0.5 * (1 + lv - mu ** 2 - lv.exp()).sum(-1)


def _svd_pca(X, k, *, center=True, ddof=0, use_s=False, left=False):
    m = X.mean(0)
    xc = X - m if center else X
    u, s, vh = torch.linalg.svd(xc, full_matrices=False)
    var = s if use_s else s ** 2 / (len(X) - ddof)
    comps = u.T[:k] if left else vh[:k]
    return m, comps, var[:k]


def _eigh_pca(X, k, *, ascending=False, columns=False):
    m = X.mean(0)
    C = (X - m).T @ (X - m) / len(X)
    w, v = torch.linalg.eigh(C)
    if ascending:
        return m, v[:, :k].T.contiguous(), w[:k]
    comps = v[:, -k:].flip(1)
    return m, (comps if columns else comps.T.contiguous()), w[-k:].flip(0)


def _angles(A, B, *, ortho=True, degrees=False, cosines=False, descending=False, eig=False):
    qa, qb = (torch.linalg.qr(A)[0], torch.linalg.qr(B)[0]) if ortho else (A, B)
    if eig:
        c = torch.linalg.eigvalsh(qa.T @ qb @ qb.T @ qa).clamp(0, 1)[-min(A.shape[1], B.shape[1]):]
    else:
        c = torch.linalg.svdvals(qa.T @ qb).clamp(-1, 1)
    if cosines:
        return c
    ang = torch.arccos(c).sort(descending=descending).values
    return torch.rad2deg(ang) if degrees else ang


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


CORRECT = {
    "unit1.pca_fit": [_svd_pca, _eigh_pca,
                      lambda X, k: tuple(v.to(X.dtype) for v in _svd_pca(X.double(), k))],
    "unit1.pca_reconstruct": [lambda X, m, V: m + (X - m) @ V.T @ V,
                              lambda X, m, V: torch.from_numpy(m.cpu().numpy() + (X - m).cpu().numpy()
                                                               @ V.cpu().numpy().T @ V.cpu().numpy()).to(X.device),
                              lambda X, m, V: (X - m) @ (V.T @ V) + m],
    "unit1.linear_ae_loss": [lambda X, U, V: ((X - X @ V.T @ U.T) ** 2).sum(1).mean(),
                             lambda X, U, V: (((X - X.mean(0)) - (X - X.mean(0)) @ V.T @ U.T) ** 2).sum(1).mean(),
                             lambda X, U, V: torch.linalg.vector_norm(X.T - U @ (V @ X.T), dim=0).pow(2).mean()],
    "unit1.principal_angles": [_angles, lambda A, B: torch.arccos(torch.linalg.svdvals(
        torch.linalg.qr(A)[0].T @ torch.linalg.qr(B)[0]).clamp(-1, 1))],  # svdvals descend: angles ascend
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
}

MISTAKES = {
    "unit1.pca_fit": {
        "no centring": lambda X, k: _svd_pca(X, k, center=False),
        "eigh's ascending order": lambda X, k: _eigh_pca(X, k, ascending=True),
        "components as columns": lambda X, k: _eigh_pca(X, k, columns=True),
        "divisor N - 1": lambda X, k: _svd_pca(X, k, ddof=1),
        "singular values as variances": lambda X, k: _svd_pca(X, k, use_s=True),
        "left singular vectors": lambda X, k: _svd_pca(X, k, left=True),
    },
    "unit1.pca_reconstruct": {
        "no centring": lambda X, m, V: m + X @ V.T @ V,
        "mean not added back": lambda X, m, V: (X - m) @ V.T @ V,
        "transposes swapped": lambda X, m, V: m + (X - m) @ V @ V.T,
        "returns the codes": lambda X, m, V: (X - m) @ V.T,
    },
    "unit1.linear_ae_loss": {
        "mean over all entries": lambda X, U, V: ((X - X @ V.T @ U.T) ** 2).mean(),
        "sum over the batch": lambda X, U, V: ((X - X @ V.T @ U.T) ** 2).sum(),
        "transposes swapped": lambda X, U, V: ((X - X @ U @ V) ** 2).sum(1).mean(),
        "norm, not squared": lambda X, U, V: torch.linalg.vector_norm(X - X @ V.T @ U.T, dim=1).mean(),
        "detached": lambda X, U, V: ((X - X @ V.T.detach() @ U.T.detach()) ** 2).sum(1).mean(),
    },
    "unit1.principal_angles": {
        "no orthonormalization": lambda A, B: _angles(A, B, ortho=False),
        "degrees": lambda A, B: _angles(A, B, degrees=True),
        "cosines": lambda A, B: _angles(A, B, cosines=True),
        "descending": lambda A, B: _angles(A, B, descending=True),
        "eigenvalues without the square root": lambda A, B: _angles(A, B, eig=True),
    },
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
}

# The training-method exercises keep their catalogues beside (one module per unit).
for _module in (catalog_methods_unit1, catalog_methods_unit2):
    assert not set(_module.CORRECT) & set(CORRECT), "an exercise catalogued twice"
    CORRECT.update(_module.CORRECT)
    MISTAKES.update(_module.MISTAKES)

(test_correct_implementations_pass, test_each_common_mistake_fails,
 test_every_exercise_has_mistakes_listed) = catalogue_tests(CORRECT, MISTAKES, ("unit1.", "unit2."),
                                                            catalog_methods_unit2.REGRESSION_SEEDS)

