"""lecture_lib.autoencoder, .toy_gaussian and .estimators against closed forms and autograd."""

from __future__ import annotations

import math

import pytest
import torch
from sklearn.datasets import load_digits

from lecture_lib import toy_gaussian as toy
from lecture_lib.autoencoder import MLPAutoencoder, linear_ae_loss, linear_ae_loss_from_covariance, train_linear_ae
from lecture_lib.estimators import gradient_variance, reparameterization_grads, score_function_grads
from lecture_lib.pca import fit_pca, principal_angles
from lecture_lib.vae import VAE, fit_per_example_q, interpolate


@pytest.fixture(scope="module")
def digits():
    x = torch.tensor(load_digits().data, dtype=torch.float32) / 16
    return x - x.mean(0)


def test_linear_ae_loss_and_its_covariance_form(digits):
    g = torch.Generator().manual_seed(0)
    U, V = torch.randn(64, 3, generator=g), torch.randn(3, 64, generator=g)
    by_hand = torch.stack([(x - U @ V @ x).pow(2).sum() for x in digits]).mean()
    assert torch.allclose(linear_ae_loss(digits, U, V), by_hand, rtol=1e-4)
    C = digits.T @ digits / len(digits)
    assert torch.allclose(linear_ae_loss_from_covariance(C, U, V), by_hand, rtol=1e-3)


def test_linear_autoencoder_finds_the_pca_subspace_but_not_pca_itself(digits):
    k = 4
    pca = fit_pca(digits, k)
    g = torch.Generator().manual_seed(0)
    U0, V0 = 0.01 * torch.randn(64, k, generator=g), 0.01 * torch.randn(k, 64, generator=g)
    start = U0.clone()
    U, V, losses = train_linear_ae(digits, U0, V0, 600, lr=1e-2)
    assert torch.equal(U0, start)                                   # the start is left unchanged
    assert len(losses) == 600 and all(type(v) is float for v in losses)
    assert losses[0] == pytest.approx(linear_ae_loss(digits, U0, V0).item(), rel=1e-6)
    assert principal_angles(U0, pca.components.T).max() > 1.0
    assert principal_angles(U, pca.components.T).max() < 0.02
    pca_error = (digits - pca.reconstruct(digits)).pow(2).sum(1).mean().item()
    assert losses[-1] == pytest.approx(pca_error, rel=1e-3)
    assert linear_ae_loss(digits, U, V).item() == pytest.approx(pca_error, rel=1e-3)
    assert not U.requires_grad and U.dtype == digits.dtype
    # On the data, U V acts as the projection onto that subspace (pixels that never vary get
    # no gradient, so U V is only pinned down on the data), but U is not an orthonormal basis.
    P = pca.components.T @ pca.components
    assert torch.allclose(digits @ (U @ V).T, digits @ P, atol=0.05)
    assert not torch.allclose(U.T @ U, torch.eye(k), atol=0.1)


def test_mlp_autoencoder_shapes_and_learning(digits):
    torch.manual_seed(0)
    x = digits - digits.min()
    x = x / x.max()
    model = MLPAutoencoder(64, code_dim=2, hidden=(32,))
    assert model.encode(x).shape == (len(x), 2) and model(x).shape == x.shape
    assert model(x).min() >= 0 and model(x).max() <= 1
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = model.loss(x).item()
    for _ in range(200):
        opt.zero_grad()
        loss = model.loss(x)
        loss.backward()
        opt.step()
    assert loss.item() < 0.7 * first


def test_interpolation_starts_and_ends_at_the_encoder_means():
    torch.manual_seed(0)
    model = VAE(data_dim=12, hidden=8, latent=2)
    x = torch.rand(2, 12)
    path = interpolate(model, x[0], x[1], steps=5)
    mu, _ = model.encode(x)
    assert path.shape == (5, 12)
    assert torch.allclose(path[0], model.mean_image(mu[0])) and torch.allclose(path[-1], model.mean_image(mu[1]))
    with pytest.raises(ValueError):
        interpolate(model, x[0], x[1], steps=1)


def test_per_example_fitting_improves_the_elbo_and_leaves_the_decoder_alone():
    torch.manual_seed(0)
    model = VAE(data_dim=12, hidden=8, latent=2)
    with torch.no_grad():  # a decoder whose output depends strongly on z
        model.dec.weight.mul_(8)
        model.dec_out.weight.mul_(4)
    before = [p.clone() for p in model.parameters()]
    x = torch.rand(6, 12).round()
    mu, logvar, history = fit_per_example_q(model, x, 300, lr=0.05, draws=16,
                                            generator=torch.Generator().manual_seed(0))
    assert mu.shape == logvar.shape == (6, 2) and len(history) == 301
    assert sum(history[-20:]) / 20 < history[0] - 0.1
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert all(p.requires_grad for p in model.parameters())


def test_toy_model_gap_is_the_kl_to_the_posterior():
    w, b, eta, x = 1.5, 0.3, 0.5, torch.tensor([-1.0, 0.2, 2.5], dtype=torch.float64)
    m, s2 = toy.posterior(x, w, b, eta)
    log_px = toy.log_evidence(x, w, b, eta)
    for mu, sigma2 in [(0.0, 1.0), (1.0, 0.1), (-0.5, 2.0)]:
        gap = log_px - toy.elbo(x, mu, sigma2, w, b, eta)
        assert (gap > 0).all()
        assert torch.allclose(gap, toy.kl_normal(mu, sigma2, m, s2))
    assert torch.allclose(toy.elbo(x, m, s2, w, b, eta), log_px)
    # The closed-form ELBO against Monte Carlo.
    g = torch.Generator().manual_seed(0)
    z = 1.0 + math.sqrt(0.1) * torch.randn(400_000, 1, generator=g, dtype=torch.float64)
    log_pxz = -0.5 * (math.log(2 * math.pi * eta) + (x - w * z - b) ** 2 / eta)
    log_pz = -0.5 * (math.log(2 * math.pi) + z ** 2)
    log_q = -0.5 * (math.log(2 * math.pi * 0.1) + (z - 1.0) ** 2 / 0.1)
    assert torch.allclose((log_pxz + log_pz - log_q).mean(0), toy.elbo(x, 1.0, 0.1, w, b, eta), atol=0.02)
    # And log p(x) against numerical integration over z.
    grid = torch.linspace(-12, 12, 200_001, dtype=torch.float64).unsqueeze(1)
    dens = torch.exp(-0.5 * (math.log(2 * math.pi * eta) + (x - w * grid - b) ** 2 / eta)
                     - 0.5 * (math.log(2 * math.pi) + grid ** 2))
    assert torch.allclose(torch.log(torch.trapezoid(dens, grid, dim=0)), log_px, atol=1e-6)


def test_both_estimators_are_unbiased_and_reparameterization_has_lower_variance():
    """f(z) = sum (z - 1)^2: L = sum (mu - 1)^2 + sigma^2, so dL/dmu = 2 (mu - 1), dL/dlog sigma = 2 sigma^2."""
    mu = torch.tensor([0.5, -1.0], dtype=torch.float64)
    log_sigma = torch.tensor([0.0, math.log(0.5)], dtype=torch.float64)
    exact = torch.cat([2 * (mu - 1), 2 * torch.exp(2 * log_sigma)])

    def f(z):
        return (z - 1).pow(2).sum(-1)

    g = torch.Generator().manual_seed(0)
    sf = gradient_variance(score_function_grads(f, mu, log_sigma, 400_000, g))
    rp = gradient_variance(reparameterization_grads(f, mu, log_sigma, 400_000, g))
    assert torch.allclose(sf["mean"], exact, atol=0.08)
    assert torch.allclose(rp["mean"], exact, atol=0.02)
    assert sf["total_variance"] > 5 * rp["total_variance"]
