"""Unit 6's known mistakes (see :class:`autograder.registry.Misconception`): a name, a one-line
hint and an implementation that makes exactly that mistake, per exercise. Trusted side only."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from autograder.misconceptions import mistakes

# ----------------------------------------------------------------------------- GAN losses


def _d_loss(real, fake, *, half=False, swap=False, reduce="mean", naive=False, sign=1.0, pooled=False):
    if swap:
        real, fake = fake, real
    if naive:
        log_d_real, log_1m_d_fake = torch.log(torch.sigmoid(real)), torch.log(1 - torch.sigmoid(fake))
    else:
        log_d_real, log_1m_d_fake = F.logsigmoid(real), F.logsigmoid(-fake)
    if pooled:
        value = -torch.cat([log_d_real, log_1m_d_fake]).mean()
    else:
        agg = torch.mean if reduce == "mean" else torch.sum
        value = -(agg(log_d_real) + agg(log_1m_d_fake))
    return sign * value * (0.5 if half else 1.0)


def _g_minimax(fake, *, naive=False, sign=1.0, reduce="mean"):
    v = torch.log(1 - torch.sigmoid(fake)) if naive else F.logsigmoid(-fake)
    return sign * (v.mean() if reduce == "mean" else v.sum())


def _g_nonsat(fake, *, naive=False, sign=1.0, reduce="mean"):
    v = -torch.log(torch.sigmoid(fake)) if naive else -F.logsigmoid(fake)
    return sign * (v.mean() if reduce == "mean" else v.sum())


# ----------------------------------------------------------------------------- optimal discriminator

def _d_star_naive(log_p, log_q):
    p, q = log_p.exp(), log_q.exp()
    return p / (p + q)


# ----------------------------------------------------------------------------- MADE masks

def made_masks_rule(ordering, hidden_sizes, seed, *, out_ge=False, hidden_gt=False, natural=False,
                    as_positions=False, top=None, transpose=False, zeros=False):
    """MADE's masks with random hidden degrees in [min(previous), D-1] (the paper's rule), or one
    of the mistakes by switch."""
    device = ordering.device
    ordering = torch.as_tensor(ordering).long().cpu()
    d = len(ordering)
    g = torch.Generator().manual_seed(int(seed))
    degrees = ordering.clone()
    if natural:
        degrees = torch.arange(1, d + 1)
    if as_positions:                       # ordering read as "the variables in sampling order"
        degrees = torch.empty_like(ordering)
        degrees[ordering - 1] = torch.arange(1, d + 1)
    layers = [degrees]
    for size in hidden_sizes:
        low = int(layers[-1].min())
        high = d if top is None else top     # randint's high is exclusive: D-1 is the largest
        layers.append(torch.randint(low, high, (int(size),), generator=g))
    masks = []
    for earlier, later in zip(layers[:-1], layers[1:]):
        m = (later[:, None] > earlier[None, :]) if hidden_gt else (later[:, None] >= earlier[None, :])
        masks.append(m.float())
    out = (layers[0][:, None] >= layers[-1][None, :]) if out_ge else (layers[0][:, None] > layers[-1][None, :])
    masks.append(out.float())
    if zeros:
        masks = [torch.zeros_like(m) for m in masks]
    if transpose:
        masks = [m.T.contiguous() for m in masks]
    return [m.to(device) for m in masks]


# ----------------------------------------------------------------------------- conv masks

def conv_mask_variant(weight, mask_type, *, centre=None, transpose=False, right=False, no_centre_row=False,
                      quadrant=False, small=False):
    kh, kw = weight.shape[-2:]
    ci, cj = kh // 2, kw // 2
    if transpose:                      # rows and columns exchanged: built for (kw, kh), then turned
        kh, kw, ci, cj = kw, kh, cj, ci
    m = torch.zeros(kh, kw)
    if quadrant:
        m[:ci, :cj + 1] = 1
    else:
        m[:ci, :] = 1
    if not no_centre_row:
        if right:
            m[ci, cj + 1:] = 1
        else:
            m[ci, :cj] = 1
    keep = (mask_type == "B") if centre is None else centre
    if keep:
        m[ci, cj] = 1
    if transpose:
        m = m.T.contiguous()
    m = m.to(device=weight.device, dtype=weight.dtype)
    return m if small else m.expand_as(weight).clone()


# ----------------------------------------------------------------------------- sampling

def sample_variant(logits_fn, order, u, *, once=False, by_step=False, greater=False, natural=False, no_sigmoid=False,
                   fresh=False):
    x = torch.zeros_like(u)
    logits = logits_fn(x) if once else None
    steps = range(u.shape[1]) if natural else [int(d) for d in order]
    g = torch.Generator().manual_seed(0)
    for i, d in enumerate(steps):
        if not once:
            logits = logits_fn(x)
        p = logits[:, d] if no_sigmoid else torch.sigmoid(logits[:, d])
        noise = u[:, i] if by_step else u[:, d]
        if fresh:
            noise = torch.rand(u.shape[0], generator=g, dtype=u.dtype).to(u.device)
        x[:, d] = ((noise > p) if greater else (noise < p)).to(u.dtype)
    return x


# ----------------------------------------------------------------------------- the GAN step

def gan_step_variant(generator, discriminator, opt_g, opt_d, x_real, z_d, z_g, generator_loss="nonsaturating", *,
                     old_d=False, ignore_loss_arg=False, no_zero_d=False, no_zero_g=False, swap_noise=False,
                     d_sign=1.0, after=False, no_detach_no_zero=False):
    """The alternating step, or one of its mistakes by switch."""
    if swap_noise:
        z_d, z_g = z_g, z_d
    kind = "nonsaturating" if ignore_loss_arg else generator_loss
    g_loss_fn = _g_nonsat if kind == "nonsaturating" else _g_minimax
    fake_d = generator(z_d) if no_detach_no_zero else generator(z_d).detach()
    loss_d = d_sign * _d_loss(discriminator(x_real), discriminator(fake_d))
    if old_d:                                   # G's loss from the discriminator before its step
        loss_g = g_loss_fn(discriminator(generator(z_g)))
    if not no_zero_d:
        opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()
    if not old_d:
        loss_g = g_loss_fn(discriminator(generator(z_g)))
    if not (no_zero_g or no_detach_no_zero):
        opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    if after:
        with torch.no_grad():
            loss_d = _d_loss(discriminator(x_real), discriminator(generator(z_d)))
            loss_g = g_loss_fn(discriminator(generator(z_g)))
    return loss_d.detach(), loss_g.detach()


def _step(**switches):
    return lambda *a, **k: gan_step_variant(*a, **k, **switches)


MISCONCEPTIONS = {
    "unit6.discriminator_loss": mistakes(
        ("log(sigmoid(.)) instead of logsigmoid", "compute log D and log(1 - D) from the logits with "
         "F.logsigmoid(l) and F.logsigmoid(-l): log(sigmoid(l)) is -inf once sigmoid rounds to 0 or 1",
         lambda r, f: _d_loss(r, f, naive=True)),
        ("the factor 1/2", "the loss is -V = -(mean log D(x_real) + mean log(1 - D(x_fake))), without the 1/2",
         lambda r, f: _d_loss(r, f, half=True)),
        ("real and fake swapped", "D should say 1 for real samples: log D on the real logits, log(1 - D) on the fake",
         lambda r, f: _d_loss(r, f, swap=True)),
        ("sums instead of means", "average each term over its own batch", lambda r, f: _d_loss(r, f, reduce="sum")),
        ("one mean over both batches", "take the mean of each term over its own batch, then add the two means",
         lambda r, f: _d_loss(r, f, pooled=True)),
        ("V instead of -V", "the discriminator maximizes V, so its loss (to minimize) is -V",
         lambda r, f: _d_loss(r, f, sign=-1.0)),
    ),
    "unit6.generator_loss_minimax": mistakes(
        ("log(1 - sigmoid(.)) instead of logsigmoid", "log(1 - D) = F.logsigmoid(-l): log(1 - sigmoid(l)) is -inf "
         "once sigmoid(l) rounds to 1 (l > 16.6 in float32)", lambda f: _g_minimax(f, naive=True)),
        ("the non-saturating loss instead", "this is the minimax loss mean log(1 - D(G(z))), which G minimizes",
         lambda f: _g_nonsat(f)),
        ("the sign", "G minimizes V, whose generator term is +mean log(1 - D(G(z)))", lambda f: _g_minimax(f, sign=-1.0)),
        ("a sum instead of a mean", "average over the batch", lambda f: _g_minimax(f, reduce="sum")),
    ),
    "unit6.generator_loss_nonsaturating": mistakes(
        ("-log(sigmoid(.)) instead of logsigmoid", "-log D = -F.logsigmoid(l): log(sigmoid(l)) is -inf once "
         "sigmoid(l) rounds to 0", lambda f: _g_nonsat(f, naive=True)),
        ("the minimax loss instead", "this is -mean log D(G(z)), not mean log(1 - D(G(z)))", lambda f: _g_minimax(f)),
        ("the sign", "G maximizes log D(G(z)), so its loss is -mean log D(G(z))", lambda f: _g_nonsat(f, sign=-1.0)),
        ("-log(1 - D) instead of -log D", "the non-saturating loss is -log D(G(z)): G wants D to say 'real'",
         lambda f: -F.logsigmoid(-f).mean()),
        ("a sum instead of a mean", "average over the batch", lambda f: _g_nonsat(f, reduce="sum")),
    ),
    "unit6.optimal_discriminator": mistakes(
        ("exp, then divide", "p / (p + q) is 0/0 where both densities underflow: compute sigmoid(log p - log q)",
         _d_star_naive),
        ("p_g over the sum", "D* is the probability that x is real: p_data / (p_data + p_g)",
         lambda lp, lq: torch.sigmoid(lq - lp)),
        ("the ratio p_data / p_g", "divide by the sum p_data + p_g, not by p_g", lambda lp, lq: torch.exp(lp - lq)),
        ("log densities used as densities", "the inputs are log densities: D* = sigmoid(log p_data - log p_g)",
         lambda lp, lq: lp / (lp + lq)),
    ),
    "unit6.made_masks": mistakes(
        ("output d sees input d (>= in the output mask)", "the output mask keeps hidden unit k for output d only when "
         "degree(d) > m(k), strictly", lambda o, h, s: made_masks_rule(o, h, s, out_ge=True)),
        ("> between hidden layers", "a hidden unit of degree m connects to the previous layer's units of degree <= m "
         "(>=, not >): with > a unit of degree 1 sees nothing", lambda o, h, s: made_masks_rule(o, h, s, hidden_gt=True)),
        ("the ordering ignored", "input d has degree ordering[d], not d + 1",
         lambda o, h, s: made_masks_rule(o, h, s, natural=True)),
        ("ordering read as the sampling order", "ordering[d] is variable d's position (its degree), not the "
         "variable sampled at step d", lambda o, h, s: made_masks_rule(o, h, s, as_positions=True)),
        ("hidden degrees up to D", "hidden degrees go from 1 to D-1: a unit of degree D can feed no output",
         lambda o, h, s: made_masks_rule(o, h, s, top=len(o) + 1)),
        ("masks transposed", "each mask has nn.Linear's weight layout (out_features, in_features)",
         lambda o, h, s: made_masks_rule(o, h, s, transpose=True)),
        ("all-zero masks", "an all-zero mask is autoregressive but learns nothing: use MADE's degree rule",
         lambda o, h, s: made_masks_rule(o, h, s, zeros=True)),
    ),
    "unit6.conv_mask": mistakes(
        ("type A keeps the centre", "type A (the first layer) must not see the pixel it predicts: centre 0",
         lambda k, t: conv_mask_variant(k, t, centre=True)),
        ("type B drops the centre", "type B keeps the centre (it carries features of earlier pixels only)",
         lambda k, t: conv_mask_variant(k, t, centre=False)),
        ("transposed (columns for rows)", "keep the rows above the centre and the centre row's left part",
         lambda k, t: conv_mask_variant(k, t, transpose=True)),
        ("right of the centre instead of left", "in raster order the earlier pixels of the centre row are to its left",
         lambda k, t: conv_mask_variant(k, t, right=True)),
        ("the centre row left out", "the centre row's pixels left of the centre come earlier: keep them",
         lambda k, t: conv_mask_variant(k, t, no_centre_row=True)),
        ("only the upper-left part of the rows above", "every pixel of the rows above comes earlier, right of the "
         "centre column too", lambda k, t: conv_mask_variant(k, t, quadrant=True)),
        ("a (kh, kw) mask", "return a mask of the weight's shape (C_out, C_in, kh, kw): the same (kh, kw) pattern "
         "for every channel pair", lambda k, t: conv_mask_variant(k, t, small=True)),
    ),
    "unit6.autoregressive_sample": mistakes(
        ("logits computed once", "recompute logits_fn(x) after each variable: later conditionals depend on the "
         "values just sampled", lambda f, o, u: sample_variant(f, o, u, once=True)),
        ("noise taken by step", "use u[:, d] for variable d (not u[:, i] for step i)",
         lambda f, o, u: sample_variant(f, o, u, by_step=True)),
        ("u > p", "x_d = 1 when u_d < sigmoid(logit_d)", lambda f, o, u: sample_variant(f, o, u, greater=True)),
        ("the natural order instead of order", "sample the variables in the order given",
         lambda f, o, u: sample_variant(f, o, u, natural=True)),
        ("logits compared with u", "turn the logit into a probability with sigmoid first",
         lambda f, o, u: sample_variant(f, o, u, no_sigmoid=True)),
        ("fresh noise", "use the noise u passed in, so that the sample is a function of it",
         lambda f, o, u: sample_variant(f, o, u, fresh=True)),
    ),
    "unit6.gan_train_step": mistakes(
        ("G's loss from the old discriminator", "take D's step first, then compute G's loss with the updated D",
         _step(old_d=True)),
        ("generator_loss ignored", "use the minimax loss mean log(1 - D(G(z_g))) when generator_loss='minimax'",
         _step(ignore_loss_arg=True)),
        ("D's gradients not zeroed", "zero D's gradients before its backward pass: G's backward pass left "
         "gradients in D's parameters", _step(no_zero_d=True)),
        ("G's gradients not zeroed (fake not detached)", "detach G(z_d) in D's step, and zero G's gradients before "
         "its backward pass", _step(no_detach_no_zero=True)),
        ("noise swapped", "D's step uses z_d, G's step z_g", _step(swap_noise=True)),
        ("D climbs -V", "D minimizes its loss -V = -(mean log D(x_real) + mean log(1 - D(G(z_d))))",
         _step(d_sign=-1.0)),
        ("losses after the updates", "return the losses computed in the step, before each optimizer.step()",
         _step(after=True)),
    ),
}
