"""Unit 1's correct alternatives (see :mod:`autograder.alternatives`).

``unit1.train_linear_ae(X, U0, V0, steps, lr) -> (U, V, losses)`` is judged by what it finds:
the column space of U against PCA's subspace (principal angles), the loss reached against
PCA's error, and ``losses`` (``steps`` Python floats, ``losses[0]`` the loss at the start).
The alternatives differ from the reference in the ways the contract leaves open: copies or
in-place training, where ``zero_grad`` goes, an optimizer or Adam written out by hand, float64
inside, the loss computed another way.
"""

from __future__ import annotations

import torch

from autograder.misconceptions.unit1 import _angles, _eigh_pca, _loss, _svd_pca, train_on_copies


def _adam_on_copies(X, U0, V0, steps, lr):
    return train_on_copies(X, U0, V0, steps, lr)


def _adam_in_place(X, U0, V0, steps, lr):
    """Trains the arguments themselves; zero_grad after the step (set_to_none=False)."""
    U, V = U0.requires_grad_(), V0.requires_grad_()
    opt = torch.optim.Adam([V, U], lr=lr)
    losses = []
    for _ in range(steps):
        loss = ((X @ V.T @ U.T - X) ** 2).sum() / X.shape[0]
        losses.append(float(loss.detach()))
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=False)
    return U.detach(), V.detach(), losses


def _adam_by_hand(X, U0, V0, steps, lr, betas=(0.9, 0.999), eps=1e-8):
    """Adam written out, gradients from torch.autograd.grad, updates under torch.no_grad."""
    params = [U0.clone().requires_grad_(), V0.clone().requires_grad_()]
    m = [torch.zeros_like(p) for p in params]
    v = [torch.zeros_like(p) for p in params]
    losses = []
    for t in range(1, steps + 1):
        loss = _loss(X, *params)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g, m_i, v_i in zip(params, grads, m, v):
                m_i.mul_(betas[0]).add_(g, alpha=1 - betas[0])
                v_i.mul_(betas[1]).addcmul_(g, g, value=1 - betas[1])
                m_hat = m_i / (1 - betas[0] ** t)
                v_hat = v_i / (1 - betas[1] ** t)
                p -= lr * m_hat / (v_hat.sqrt() + eps)
        losses.append(loss.item())
    return params[0].detach(), params[1].detach(), losses


def _float64_inside(X, U0, V0, steps, lr):
    """Trains in float64 on the covariance form of the loss, returns X's dtype."""
    Xd = X.double()
    C = Xd.T @ Xd / Xd.shape[0]
    U = U0.double().clone().requires_grad_()
    V = V0.double().clone().requires_grad_()
    opt = torch.optim.Adam([U, V], lr=lr)
    losses = []
    for _ in range(steps):
        R = torch.eye(C.shape[0], dtype=C.dtype, device=C.device) - U @ V
        loss = torch.trace(R @ C @ R.T)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return U.detach().to(X.dtype), V.detach().to(X.dtype), losses


ALTERNATIVES = {
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
    "unit1.train_linear_ae": [_adam_on_copies, _adam_in_place, _adam_by_hand, _float64_inside],
}
