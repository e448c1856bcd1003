"""Unit 6's reference code against exact values: GAN losses and the optimal discriminator on
known densities, MADE and PixelCNN as exact likelihoods (probabilities that sum to 1 over
every binary image), their autoregressive property through autograd, sampling, and the
sample-quality measures."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from lecture_lib import autoregressive as AR
from lecture_lib import gan as G
from lecture_lib import sample_quality as Q


def all_binary(d: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=d)))


# ----------------------------------------------------------------------------- GAN losses

def test_gan_losses_match_their_formulas_in_probabilities():
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(7, generator=g) * 3, torch.randn(5, generator=g) * 3
    d_real, d_fake = torch.sigmoid(real.double()), torch.sigmoid(fake.double())
    v = torch.log(d_real).mean() + torch.log(1 - d_fake).mean()
    assert torch.allclose(G.discriminator_loss(real.double(), fake.double()), -v)
    assert torch.allclose(G.generator_loss_minimax(fake.double()), torch.log(1 - d_fake).mean())
    assert torch.allclose(G.generator_loss_nonsaturating(fake.double()), -torch.log(d_fake).mean())


def test_gan_losses_are_finite_and_exact_for_extreme_logits():
    big = torch.tensor([-300.0, -120.0, 40.0, 300.0])
    for value in (G.discriminator_loss(big, big), G.generator_loss_minimax(big), G.generator_loss_nonsaturating(big)):
        assert torch.isfinite(value)
    # log(1 - D) at logit 300 is -300 (to float precision), not -inf
    assert G.generator_loss_minimax(torch.tensor([300.0])).item() == pytest.approx(-300.0)
    assert G.generator_loss_nonsaturating(torch.tensor([-300.0])).item() == pytest.approx(300.0)


def test_saturating_gradient_vanishes_where_the_discriminator_wins():
    logits = torch.tensor([-8.0, -6.0, -4.0], requires_grad=True)
    (grad_sat,) = torch.autograd.grad(G.generator_loss_minimax(logits), logits)
    (grad_ns,) = torch.autograd.grad(G.generator_loss_nonsaturating(logits), logits)
    assert torch.allclose(grad_sat, -torch.sigmoid(logits.detach()) / 3)
    assert torch.allclose(grad_ns, -(1 - torch.sigmoid(logits.detach())) / 3)
    assert (grad_ns.abs() > 50 * grad_sat.abs()).all()


# ----------------------------------------------------------------------------- the optimal discriminator

GRID = torch.linspace(-12, 12, 20001, dtype=torch.float64)
DATA = dict(means=[-2.0, 1.5], stds=[0.6, 0.9], weights=[0.3, 0.7])
MODEL = dict(means=[0.5], stds=[1.5])


def test_optimal_discriminator_is_p_over_p_plus_q():
    log_p = G.mixture_log_density(GRID, **DATA)
    log_q = G.mixture_log_density(GRID, **MODEL)
    d = G.optimal_discriminator(log_p, log_q)
    assert torch.allclose(d, log_p.exp() / (log_p.exp() + log_q.exp()), atol=1e-12)
    far = torch.tensor([-1000.0, 1000.0], dtype=torch.float64)
    assert torch.isfinite(G.optimal_discriminator(G.mixture_log_density(far, **DATA),
                                                  G.mixture_log_density(far, **MODEL))).all()


def test_the_value_at_the_optimal_discriminator_is_minus_log4_plus_2js():
    log_p = G.mixture_log_density(GRID, **DATA)
    log_q = G.mixture_log_density(GRID, **MODEL)
    d_star = G.optimal_discriminator(log_p, log_q)
    value = G.gan_value(GRID, log_p, log_q, d_star)
    js = G.js_divergence(GRID, log_p, log_q)
    assert 0 < js < math.log(2)
    assert value.item() == pytest.approx(-math.log(4) + 2 * js.item(), abs=1e-8)
    for eps in (0.05, -0.05):       # any other discriminator does worse
        other = (d_star + eps * torch.sin(GRID)).clamp(1e-6, 1 - 1e-6)
        assert G.gan_value(GRID, log_p, log_q, other) < value
    # p_g = p_data: D* = 1/2 everywhere and V = -log 4
    assert torch.allclose(G.optimal_discriminator(log_p, log_p), torch.full_like(log_p, 0.5))
    assert G.gan_value(GRID, log_p, log_p, torch.full_like(log_p, 0.5)).item() == pytest.approx(-math.log(4), abs=1e-8)


def test_js_divergence_of_far_apart_densities_is_log2():
    log_p = G.mixture_log_density(GRID, means=[-6.0], stds=[0.3])
    log_q = G.mixture_log_density(GRID, means=[6.0], stds=[0.3])
    assert G.js_divergence(GRID, log_p, log_q).item() == pytest.approx(math.log(2), abs=1e-6)


def test_sample_mixture_matches_its_density():
    x = G.sample_mixture(200_000, **DATA, generator=torch.Generator().manual_seed(1))
    mean = 0.3 * -2.0 + 0.7 * 1.5
    assert x.mean().item() == pytest.approx(mean, abs=0.01)


def test_mode_coverage_counts_modes_and_good_samples():
    g = torch.Generator().manual_seed(0)
    real = G.sample_ring(4000, generator=g)
    cov = G.mode_coverage(real)
    assert cov["modes_covered"] == 8 and cov["good_share"] > 0.98
    collapsed = G.ring_modes()[3] + 0.05 * torch.randn(4000, 2, generator=g)
    cov = G.mode_coverage(collapsed)
    assert cov["modes_covered"] == 1 and cov["good_share"] > 0.98
    assert G.mode_coverage(torch.zeros(100, 2))["good_share"] == 0.0


def test_gan_train_step_trains_each_player_with_its_own_loss():
    torch.manual_seed(0)
    gen, disc = G.MLPGenerator(latent=2, hidden=(16,), data_dim=2, output="linear"), G.MLPDiscriminator(2, (16,))
    opt_g = torch.optim.SGD(gen.parameters(), lr=0.1)
    opt_d = torch.optim.SGD(disc.parameters(), lr=0.1)
    x, z_d, z_g = torch.randn(8, 2), torch.randn(8, 2), torch.randn(8, 2)
    g0 = [p.detach().clone() for p in gen.parameters()]
    d0 = [p.detach().clone() for p in disc.parameters()]
    loss_d, loss_g = G.gan_train_step(gen, disc, opt_g, opt_d, x, z_d, z_g)
    # D's step by hand
    d_ref = G.MLPDiscriminator(2, (16,))
    d_ref.load_state_dict(dict(zip(d_ref.state_dict(), d0)))
    expected_d = G.discriminator_loss(d_ref(x), d_ref(gen_copy(gen, g0)(z_d)))
    assert loss_d.item() == pytest.approx(expected_d.item(), rel=1e-6)
    grads = torch.autograd.grad(expected_d, list(d_ref.parameters()))
    for p, p0, gr in zip(disc.parameters(), d0, grads):
        assert torch.allclose(p, p0 - 0.1 * gr, atol=1e-6)
    # G's step used the updated D
    g_ref = gen_copy(gen, g0)
    expected_g = G.generator_loss_nonsaturating(disc(g_ref(z_g)))
    assert loss_g.item() == pytest.approx(expected_g.item(), rel=1e-6)
    grads = torch.autograd.grad(expected_g, list(g_ref.parameters()))
    for p, p0, gr in zip(gen.parameters(), g0, grads):
        assert torch.allclose(p, p0 - 0.1 * gr, atol=1e-6)


def gen_copy(gen, params):
    copy = G.MLPGenerator(latent=gen.latent, hidden=(16,), data_dim=gen.data_dim, output=gen.output)
    copy.load_state_dict(dict(zip(copy.state_dict(), [p.clone() for p in params])))
    return copy


def test_a_short_gan_run_moves_the_generator_onto_the_data():
    torch.manual_seed(0)
    gen = G.MLPGenerator(latent=4, hidden=(32, 32), data_dim=1, output="linear", batch_norm=False)
    disc = G.MLPDiscriminator(1, (32, 32))
    real = lambda n, g: 3.0 + 0.5 * torch.randn(n, 1, generator=g)   # noqa: E731
    before = gen.sample(2000, torch.Generator().manual_seed(1))
    out = G.train_gan(gen, disc, real, G.GANConfig(steps=600, batch_size=64, lr_g=1e-3, lr_d=1e-3), progress=False)
    after = gen.sample(2000, torch.Generator().manual_seed(1))
    assert len(out["loss_d"]) == 600 and all(math.isfinite(v) for v in out["loss_d"] + out["loss_g"])
    assert abs(before.mean().item() - 3.0) > 2.0
    assert abs(after.mean().item() - 3.0) < 0.3 and 0.15 < after.std().item() < 1.0


# ----------------------------------------------------------------------------- MADE

def test_masks_from_hand_built_degrees():
    degrees = [torch.tensor([2, 1, 3]), torch.tensor([1, 2, 1, 2])]
    hidden, out = AR.masks_from_degrees(degrees)
    assert torch.equal(hidden, torch.tensor([[0, 1, 0], [1, 1, 0], [0, 1, 0], [1, 1, 0]], dtype=torch.float32))
    assert torch.equal(out, torch.tensor([[1, 0, 1, 0], [0, 0, 0, 0], [1, 1, 1, 1]], dtype=torch.float32))


@pytest.mark.parametrize("seed, direct", [(s, s % 2 == 1) for s in range(6)])
def test_made_is_autoregressive_in_its_ordering(seed, direct):
    torch.manual_seed(seed)
    made = AR.MADE(data_dim=10, hidden=(40, 30), orderings=2, seed=seed, direct=direct)
    for i in range(2):
        made.use_ordering(i)
        degree = made.input_degrees[i]
        x = (torch.rand(10) < 0.5).float()
        jac = AR.dependency_matrix(made, x)
        allowed = degree[None, :] < degree[:, None]          # output d may see input d' iff deg(d') < deg(d)
        assert (jac[~allowed] == 0).all()
        assert (jac[allowed] > 0).float().mean() > 0.5       # and does see most of them


@pytest.mark.parametrize("orderings, direct", [(1, False), (3, False), (2, True)])
def test_made_probabilities_sum_to_one(orderings, direct):
    torch.manual_seed(0)
    made = AR.MADE(data_dim=6, hidden=(20,), orderings=orderings, seed=1, natural_first=False, direct=direct)
    for p in made.parameters():
        p.data.mul_(3)           # sharper conditionals, still a distribution
    x = all_binary(6)
    total = torch.exp(-made.nll(x).double()).sum()
    assert total.item() == pytest.approx(1.0, abs=1e-5)


def test_made_masks_function_equals_degrees_then_masks():
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    order = torch.randperm(12, generator=torch.Generator().manual_seed(0)) + 1
    masks = AR.made_masks(order, (15, 9), g1)
    assert [m.shape for m in masks] == [(15, 12), (9, 15), (12, 9)]
    for a, b in zip(masks, AR.masks_from_degrees(AR.made_degrees(12, (15, 9), order, g2))):
        assert torch.equal(a, b)
    with pytest.raises(ValueError):
        AR.made_degrees(3, (4,), torch.tensor([1, 1, 2]))


def test_autoregressive_sampling_is_exact():
    """Frequencies of 40,000 samples from a 4-variable MADE match its probabilities."""
    torch.manual_seed(0)
    made = AR.MADE(data_dim=4, hidden=(16,), seed=2, natural_first=False)
    for p in made.parameters():
        p.data.mul_(2)
    u = torch.rand(40000, 4, generator=torch.Generator().manual_seed(5))
    samples = made.sample(40000, u=u)
    assert torch.equal(samples, made.sample(40000, u=u))          # a function of the noise
    index = (samples * torch.tensor([8.0, 4.0, 2.0, 1.0])).sum(1).long()
    freq = torch.bincount(index, minlength=16).double() / 40000
    probs = torch.exp(-made.nll(all_binary(4)).double())
    assert torch.allclose(freq, probs, atol=0.012)


def test_autoregressive_sample_follows_the_order_and_the_noise_rule():
    # logits that depend on nothing: x_d = 1 iff u_d < sigmoid(c_d), whatever the order
    c = torch.tensor([[-1.0, 0.0, 2.0]])
    u = torch.tensor([[0.2, 0.6, 0.85], [0.3, 0.4, 0.9]])
    out = AR.autoregressive_sample(lambda x: c.expand(x.shape[0], -1), torch.tensor([2, 0, 1]), u)
    assert torch.equal(out, (u < torch.sigmoid(c)).float())
    # a chain: logit_d = 10 * (2 x_{d-1} - 1) in the order 0, 1, 2 copies x_0 forward
    chain = lambda x: torch.cat([torch.zeros(x.shape[0], 1), 10 * (2 * x[:, :-1] - 1)], dim=1)   # noqa: E731
    u = torch.tensor([[0.3, 0.5, 0.5], [0.7, 0.5, 0.5]])
    assert torch.equal(AR.autoregressive_sample(chain, torch.arange(3), u), torch.tensor([[1.0] * 3, [0.0] * 3]))


# ----------------------------------------------------------------------------- PixelCNN

def test_conv_masks_by_hand():
    a = torch.tensor([[1, 1, 1], [1, 0, 0], [0, 0, 0]], dtype=torch.float32)
    w = torch.randn(4, 2, 3, 3)
    mask = AR.conv_mask(w, "A")
    assert mask.shape == w.shape and mask.dtype == w.dtype
    assert all(torch.equal(mask[o, i], a) for o in range(4) for i in range(2))
    b = a.clone()
    b[1, 1] = 1
    assert torch.equal(AR.conv_mask(torch.zeros(1, 1, 3, 3, dtype=torch.float64), "B")[0, 0], b.double())
    assert torch.equal(AR.conv_mask(torch.zeros(1, 1, 1, 1), "A"), torch.zeros(1, 1, 1, 1))
    assert AR.conv_mask(torch.zeros(1, 1, 7, 7), "A").sum() == 24 and AR.conv_mask(torch.zeros(1, 1, 7, 7), "B").sum() == 25
    rect = AR.conv_mask(torch.zeros(1, 1, 3, 5), "A")[0, 0]
    assert torch.equal(rect, torch.tensor([[1.0] * 5, [1, 1, 0, 0, 0], [0.0] * 5]))
    for bad in ((torch.zeros(1, 1, 4, 4), "A"), (torch.zeros(1, 1, 3, 3), "C")):
        with pytest.raises(ValueError):
            AR.conv_mask(*bad)


def test_pixelcnn_probabilities_sum_to_one_on_tiny_images():
    torch.manual_seed(0)
    net = AR.PixelCNN(channels=8, blocks=2, kernel=3, first_kernel=3, height=3, width=4)
    x = all_binary(12)
    total = torch.exp(-net.nll(x).double()).sum()
    assert total.item() == pytest.approx(1.0, abs=1e-4)


def test_pixelcnn_sees_only_earlier_pixels_and_has_a_blind_spot():
    torch.manual_seed(0)
    net = AR.PixelCNN(channels=8, blocks=4, kernel=3, first_kernel=3, height=12, width=12)
    r, c = 8, 5
    grad = AR.input_gradient_map(net, r, c)
    raster = torch.arange(144).reshape(12, 12)
    assert (grad[raster >= r * 12 + c] == 0).all()                    # never itself or later pixels
    assert grad[r - 1, c] > 0 and grad[r, c - 1] > 0                  # its neighbours above and left
    # the blind spot: pixels above and to the right, inside the receptive field's rows, unseen
    assert grad[r - 2, c + 4] == 0 and grad[r - 1, c + 6] == 0
    assert (grad[:r, :] > 0).sum() < r * 12                          # not every earlier row pixel


def test_pixelcnn_flat_and_image_inputs_agree():
    torch.manual_seed(0)
    net = AR.PixelCNN(channels=8, blocks=1, height=6, width=6)
    x = (torch.rand(3, 36) < 0.5).float()
    assert torch.allclose(net(x), net(x.reshape(3, 1, 6, 6)).flatten(1))
    samples = net.sample(2, u=torch.rand(2, 36, generator=torch.Generator().manual_seed(0)))
    assert samples.shape == (2, 36) and set(samples.unique().tolist()) <= {0.0, 1.0}


# ----------------------------------------------------------------------------- sample quality

def test_classifier_score_bounds():
    confident_all = F.one_hot(torch.arange(1000) % 10, 10).float()
    assert Q.classifier_score(confident_all) == pytest.approx(10.0, rel=1e-6)
    one_class = F.one_hot(torch.zeros(1000, dtype=torch.long), 10).float()
    assert Q.classifier_score(one_class) == pytest.approx(1.0, rel=1e-6)
    assert Q.classifier_score(torch.full((50, 10), 0.1)) == pytest.approx(1.0, rel=1e-6)


def test_frechet_distance_of_known_gaussians():
    a = Q.FeatureStats(torch.zeros(3, dtype=torch.float64), torch.diag(torch.tensor([1.0, 4.0, 9.0])).double(), 10)
    b = Q.FeatureStats(torch.tensor([1.0, 0, 2], dtype=torch.float64), torch.diag(torch.tensor([4.0, 4.0, 1.0])).double(), 10)
    # ||mu||^2 + sum (sqrt(a_i) - sqrt(b_i))^2 = 5 + 1 + 0 + 4
    assert Q.frechet_distance(a, b) == pytest.approx(10.0, abs=1e-9)
    assert Q.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    g = torch.Generator().manual_seed(0)
    rot = torch.linalg.qr(torch.randn(3, 3, generator=g, dtype=torch.float64))[0]
    c = Q.FeatureStats(a.mean, rot @ a.cov @ rot.T, 10)
    assert Q.frechet_distance(c, a) == pytest.approx(Q.frechet_distance(a, c), abs=1e-9)


def test_made_and_pixelcnn_take_the_mask_builders_a_notebook_passes():
    a = AR.MADE(data_dim=8, hidden=(12,), orderings=2, seed=4, natural_first=False)
    calls = []

    def masks_fn(order, hidden, generator):
        calls.append(order.clone())
        return AR.made_masks(order, hidden, generator)

    b = AR.MADE(data_dim=8, hidden=(12,), orderings=2, seed=4, natural_first=False, masks_fn=masks_fn)
    assert len(calls) == 2
    for i in range(2):
        assert torch.equal(a.input_degrees[i], b.input_degrees[i])
        for m, n in zip(a.mask_sets[i], b.mask_sets[i]):
            assert torch.equal(m, n)
    net = AR.PixelCNN(channels=4, blocks=1, height=5, width=5, mask_fn=lambda w, t: torch.ones_like(w))
    assert net.first.mask.sum() == net.first.mask.numel()        # the given builder was used
