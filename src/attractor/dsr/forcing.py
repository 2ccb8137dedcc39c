r"""Teacher forcing: how much of the data is written into the latent state at each step.

Every scheme here is a weight :math:`a_t \in [0, 1]` per time step in one forced recurrence,

.. math:: \tilde z_{t} = (1 - a_t)\, z_t + a_t\, \hat z_t, \qquad z_{t+1} = F(\tilde z_t),

where :math:`\hat z_t` is the latent state that shows the data :math:`x_t` (its observed units
replaced by :math:`x_t`, the others kept). So sequential training and parallel-in-time training
(:func:`attractor.parallel_recurrence`, GTF-DEER) run the same recurrence, with
:math:`(x_t, a_t)` as its inputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from attractor._core.validation import check_in_range, check_int


class TeacherForcing:
    """A teacher-forcing scheme: per-step weights, optionally adapted during training."""

    def weights(self, length: int, progress: float, like: torch.Tensor) -> torch.Tensor:
        """The weights :math:`a_0, \\dots, a_{length-1}` (``progress`` in [0, 1] of training)."""
        raise NotImplementedError

    def adapt(self, model, states: torch.Tensor) -> None:
        """Update the scheme from the model's Jacobians at forced states (default: nothing)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items() if not k.startswith('_'))})"


class NoForcing(TeacherForcing):
    """Plain backpropagation through time on free-running subsequences (only the initial state
    comes from the data): the baseline that exploding gradients defeat on chaotic systems."""

    def weights(self, length, progress, like):
        w = like.new_zeros(length)
        w[0] = 1.0
        return w


class SparseForcing(TeacherForcing):
    r"""Sparse (identity) teacher forcing (Mikhaeil, Monfared & Durstewitz, NeurIPS 2022;
    Brenner et al., ICML 2022): every ``interval`` steps the observed units are replaced by
    the data (:math:`a_t = 1` for :math:`t \equiv 0 \bmod \tau`), free running in between.
    Choose :math:`\tau` near the predictability time :math:`\ln 2 / \lambda_1` (in steps)."""

    def __init__(self, interval: int = 16) -> None:
        self.interval = check_int("interval", interval, minimum=1)

    def weights(self, length, progress, like):
        t = torch.arange(length, device=like.device)
        return (t % self.interval == 0).to(like.dtype)


class GeneralizedForcing(TeacherForcing):
    r"""Generalized teacher forcing (Hess, Monfared, Brenner & Durstewitz, ICML 2023): at every
    step :math:`\tilde z_t = (1 - \alpha) z_t + \alpha \hat z_t`. The Jacobian of the forced
    map is :math:`(1 - \alpha)` times the model's (on the observed directions), so for
    :math:`\alpha \ge 1 - 1/G`, with :math:`G` a bound on the growth of Jacobian products, the
    gradients cannot explode.

    ``alpha``:

    * a number in [0, 1]: fixed;
    * ``"adaptive"`` (the reference code's ``product_upper_bound`` rule): every
      ``update_every`` batches, :math:`G` is the largest, over the batch's sequences, geometric
      mean over time of the spectral norms :math:`\|J(\hat z_t)\|_2` of the model's
      Jacobians at the forcing signals, and :math:`\alpha^* = \max(0, 1 - 1/G)`; then
      :math:`\alpha \leftarrow \alpha^*` if :math:`\alpha^* > \alpha`, else
      :math:`\alpha \leftarrow \gamma \alpha + (1 - \gamma) \alpha^*`, starting from
      ``initial`` (the reference's 1.0, decay :math:`\gamma` = ``decay``, 0.999, per update);
    * a callable ``progress -> alpha`` (``progress`` in [0, 1] over training): a schedule,
      e.g. :meth:`annealed`.

    ``alpha_max`` caps the adaptive value; ``n_sequences`` bounds how many of a batch's
    sequences enter the estimate (cost: one Jacobian and one spectral norm per state).
    """

    def __init__(
        self, alpha: float | str | Callable[[float], float] = "adaptive", *, alpha_max: float = 1.0,
        update_every: int = 5, decay: float = 0.999, initial: float = 1.0, n_sequences: int = 16,
    ) -> None:
        if isinstance(alpha, str):
            if alpha != "adaptive":
                raise ValueError(f"`alpha` must be a number in [0, 1], 'adaptive' or a schedule; got {alpha!r}.")
        elif not callable(alpha):
            alpha = check_in_range("alpha", alpha, 0.0, 1.0)
        self.alpha = alpha
        self.alpha_max = check_in_range("alpha_max", alpha_max, 0.0, 1.0)
        self.update_every = check_int("update_every", update_every, minimum=1)
        self.decay = check_in_range("decay", decay, 0.0, 1.0)
        self.n_sequences = check_int("n_sequences", n_sequences, minimum=1)
        self.current = min(check_in_range("initial", initial, 0.0, 1.0), self.alpha_max) if alpha == "adaptive" else None
        self._calls = 0

    @staticmethod
    def annealed(start: float = 1.0, end: float = 0.05) -> Callable[[float], float]:
        """A schedule falling exponentially from ``start`` to ``end`` over training."""
        check_in_range("start", start, 0.0, 1.0)
        check_in_range("end", end, 0.0, 1.0)
        if start == 0 or end == 0:
            return lambda p: start + (end - start) * p
        return lambda p: start * (end / start) ** p

    def value(self, progress: float) -> float:
        if self.alpha == "adaptive":
            return self.current
        if callable(self.alpha):
            return float(check_in_range("alpha (schedule value)", self.alpha(progress), 0.0, 1.0))
        return self.alpha

    def weights(self, length, progress, like):
        w = like.new_full((length,), self.value(progress))
        w[0] = 1.0
        return w

    def adapt(self, model, signals: torch.Tensor) -> None:
        """``signals``: the forcing signals :math:`\\hat z_t` of the batch, ``(T, B, M)``."""
        if self.alpha != "adaptive":
            return
        self._calls += 1
        if (self._calls - 1) % self.update_every:
            return
        with torch.no_grad():
            z = signals.detach()[:, : self.n_sequences]
            norms = torch.linalg.matrix_norm(model.jacobian(z), ord=2)  # (T, B)
            G = float(norms.clamp_min(torch.finfo(norms.dtype).tiny).log().mean(0).exp().max())
        target = min(self.alpha_max, max(0.0, 1.0 - 1.0 / G)) if math.isfinite(G) else self.alpha_max
        self.current = target if target > self.current else self.decay * self.current + (1 - self.decay) * target


def resolve_forcing(forcing) -> TeacherForcing:
    if isinstance(forcing, TeacherForcing):
        return forcing
    names = {"none": NoForcing, "bptt": NoForcing, "sparse": SparseForcing, "gtf": GeneralizedForcing}
    if isinstance(forcing, str) and forcing.lower() in names:
        return names[forcing.lower()]()
    raise ValueError(f"`forcing` must be one of {sorted(names)} or a TeacherForcing object; got {forcing!r}.")
