"""Unit 1's known mistakes: a name, a one-line hint and an implementation that makes exactly that
mistake, for each exercise (see :class:`autograder.registry.Misconception`). The helpers with their
default switches are correct readings of the contracts, which the tests also use as alternatives.
Trusted side only."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from autograder.misconceptions import with_hints
from autograder.registry import Misconception


def _svd_pca(X, k, *, center=True, ddof=0, use_s=False, left=False):
    m = X.mean(0)
    xc = X - m if center else X
    u, s, vh = torch.linalg.svd(xc, full_matrices=False)
    var = s if use_s else s ** 2 / (len(X) - ddof)
    comps = u.T[:k] if left else vh[:k]
    return m, comps, var[:k]


def _centred_in_place(X, k):
    """Right numbers, but ``X -= mean`` changes the caller's data."""
    m = X.mean(0)
    X -= m
    _, s, vh = torch.linalg.svd(X, full_matrices=False)
    return m, vh[:k], (s ** 2 / len(X))[:k]


def _eigh_pca(X, k, *, ascending=False, columns=False):
    m = X.mean(0)
    C = (X - m).T @ (X - m) / len(X)
    w, v = torch.linalg.eigh(C)
    if ascending:
        return m, v[:, :k].T.contiguous(), w[:k]
    comps = v[:, -k:].flip(1)
    return m, (comps if columns else comps.T.contiguous()), w[-k:].flip(0)


def _angles(A, B, *, ortho=True, degrees=False, cosines=False, descending=False, eig=False, clamp=True):
    qa, qb = (torch.linalg.qr(A)[0], torch.linalg.qr(B)[0]) if ortho else (A, B)
    if eig:
        c = torch.linalg.eigvalsh(qa.T @ qb @ qb.T @ qa).clamp(0, 1)[-min(A.shape[1], B.shape[1]):]
    else:
        c = torch.linalg.svdvals(qa.T @ qb)
        c = c.clamp(-1, 1) if clamp else c
    if cosines:
        return c
    ang = torch.arccos(c).sort(descending=descending).values
    return torch.rad2deg(ang) if degrees else ang


def _loss(X, U, V):
    return (X - X @ V.T @ U.T).pow(2).sum(dim=1).mean()


def train_on_copies(X, U0, V0, steps, lr, optimizer=torch.optim.Adam, **options):
    """The plain loop on copies of U0, V0 with ``optimizer(params, lr=lr, **options)``: with Adam a
    correct reading (an alternative), with another optimizer a mistake."""
    U, V = U0.clone().requires_grad_(), V0.clone().requires_grad_()
    opt = optimizer([U, V], lr=lr, **options)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = _loss(X, U, V)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return U.detach(), V.detach(), losses


def _sgd_momentum(X, U0, V0, steps, lr):
    return train_on_copies(X, U0, V0, steps, lr, torch.optim.SGD, momentum=0.9)


def _variant(*, train="UV", zero_grad=True, record="before", loss_reduction="mean", extra_loss=False,
             as_tensor=False, return_start=False, lr_used=None):
    def loop(X, U0, V0, steps, lr):
        U, V = U0.clone().requires_grad_(), V0.clone().requires_grad_()
        params = {"UV": [U, V], "U": [U], "V": [V]}[train]
        opt = torch.optim.Adam(params, lr=lr if lr_used is None else lr_used)
        losses = []
        for _ in range(steps + (1 if extra_loss else 0)):
            err = (X - X @ V.T @ U.T).pow(2).sum(dim=1)
            loss = err.mean() if loss_reduction == "mean" else err.sum()
            if zero_grad:
                opt.zero_grad()
            loss.backward()
            opt.step()
            if record == "before":
                losses.append(loss if as_tensor else loss.item())
            else:  # the loss of the updated parameters
                losses.append(_loss(X, U, V).item())
        if return_start:
            return U0, V0, losses
        return U.detach(), V.detach(), losses
    return loop


_RAW = {
    "unit1.pca_fit": {
        "no centring": lambda X, k: _svd_pca(X, k, center=False),
        "eigh's ascending order": lambda X, k: _eigh_pca(X, k, ascending=True),
        "components as columns": lambda X, k: _eigh_pca(X, k, columns=True),
        "divisor N - 1": lambda X, k: _svd_pca(X, k, ddof=1),
        "singular values as variances": lambda X, k: _svd_pca(X, k, use_s=True),
        "left singular vectors": lambda X, k: _svd_pca(X, k, left=True),
        "X centred in place": lambda X, k: _centred_in_place(X, k),
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
        "no clamp before arccos": lambda A, B: _angles(A, B, clamp=False),
    },
    "unit1.train_linear_ae": {
        "only V trained (U never in the optimizer)": _variant(train="V"),
        "only U trained (V never in the optimizer)": _variant(train="U"),
        "returns the starting U0, V0 instead of the trained ones": _variant(return_start=True),
        "losses hold the loss tensors (graph kept alive), not floats": _variant(as_tensor=True),
        "one loss too many (steps + 1 updates)": _variant(extra_loss=True),
        "losses recorded after each update (losses[0] is not the start)": _variant(record="after"),
        "loss summed over the batch instead of averaged": _variant(loss_reduction="sum"),
        "lr ignored (Adam's default 1e-3)": _variant(lr_used=1e-3),
        "zero_grad forgotten (Adam on gradients summed over all past steps)": _variant(zero_grad=False),
        "SGD with momentum 0.9 instead of Adam (diverges at this lr)": _sgd_momentum,
    },
}

HINTS = {
    'unit1.pca_fit': {
        'no centring':
            'subtract the mean of X before the SVD (or the covariance)',
        "eigh's ascending order":
            'torch.linalg.eigh returns eigenvalues in ascending order: take the last k, reversed',
        'components as columns':
            'components are the rows of a (k, D) tensor',
        'divisor N - 1':
            'the eigenvalues are those of (X - mean)^T (X - mean) / N: divide by N',
        'singular values as variances':
            'the variances are the squared singular values divided by N',
        'left singular vectors':
            'the principal directions are the right singular vectors (rows of Vh)',
        'X centred in place':
            'leave X unchanged: compute Xc = X - mean instead of X -= mean (the caller still needs X)',
    },
    'unit1.pca_reconstruct': {
        'no centring':
            'project X - mean, not X',
        'mean not added back':
            'add the mean back after projecting',
        'transposes swapped':
            'the projection of a row x is (x - mean) V^T V, with V (k, D)',
        'returns the codes':
            'map the codes back to (N, D): multiply by V and add the mean',
    },
    'unit1.linear_ae_loss': {
        'mean over all entries':
            'sum the squared error over the D coordinates, then average over the N rows',
        'sum over the batch':
            'average over the N rows, do not sum them',
        'transposes swapped':
            'the reconstruction of a row x is U V x, i.e. X V^T U^T for the batch',
        'norm, not squared':
            'the loss uses the squared norm ||x - U V x||^2',
        'detached':
            'keep U and V in the graph: no .detach(), so gradients reach them',
    },
    'unit1.principal_angles': {
        'no orthonormalization':
            'orthonormalize both bases first (torch.linalg.qr): A and B may be any bases',
        'degrees':
            'return radians: no conversion to degrees',
        'cosines':
            'return the angles: arccos of the singular values',
        'descending':
            'return the angles in ascending order',
        'eigenvalues without the square root':
            'the cosines are the singular values of Qa^T Qb (square roots of the eigenvalues of Qa^T Qb Qb^T Qa)',
        'no clamp before arccos':
            'clamp the cosines to [-1, 1] before torch.arccos: for (nearly) the same subspace rounding pushes '
            'a cosine a hair above 1, and arccos of it is NaN',
    },
    'unit1.train_linear_ae': {
        'only V trained (U never in the optimizer)':
            'give both U and V to the optimizer',
        'only U trained (V never in the optimizer)':
            'give both U and V to the optimizer',
        'returns the starting U0, V0 instead of the trained ones':
            'return the trained U and V',
        'losses hold the loss tensors (graph kept alive), not floats':
            'record loss.item(), a Python float',
        'one loss too many (steps + 1 updates)':
            'take exactly `steps` steps and record `steps` losses',
        'losses recorded after each update (losses[0] is not the start)':
            'record each loss before its update: losses[0] is the loss at (U0, V0)',
        'loss summed over the batch instead of averaged':
            'use the mean over the rows (your linear_ae_loss)',
        "lr ignored (Adam's default 1e-3)":
            'pass lr to the optimizer: Adam(params, lr=lr)',
        'zero_grad forgotten (Adam on gradients summed over all past steps)':
            'zero the gradients at every step',
        'SGD with momentum 0.9 instead of Adam (diverges at this lr)':
            'use full-batch Adam with the given lr',
    },
}

MISCONCEPTIONS: dict[str, tuple[Misconception, ...]] = with_hints(_RAW, HINTS)
