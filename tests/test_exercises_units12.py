"""Units 1-2 exercises: correct alternatives pass, every listed common mistake (the exercises'
misconceptions, ``autograder/misconceptions/``) fails."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

import catalog_methods_unit1
import catalog_methods_unit2
from autograder.misconceptions.unit1 import _angles, _eigh_pca, _svd_pca
from autograder.misconceptions.unit2 import _bern, _gauss, _interp, kl_ok
from autograder.registry import all_exercises
from exercise_catalog import catalogue_tests


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

MISTAKES = {e: {m.name: m.fn for m in ex.misconceptions} for e, ex in all_exercises().items()
            if e.startswith(("unit1.", "unit2.")) and ex.misconceptions}

# The training-method exercises keep their catalogues beside (one module per unit).
for _module in (catalog_methods_unit1, catalog_methods_unit2):
    assert not set(_module.CORRECT) & set(CORRECT), "an exercise catalogued twice"
    CORRECT.update(_module.CORRECT)

(test_correct_implementations_pass, test_each_common_mistake_fails,
 test_every_exercise_has_mistakes_listed) = catalogue_tests(CORRECT, MISTAKES, ("unit1.", "unit2."),
                                                            catalog_methods_unit2.REGRESSION_SEEDS)

