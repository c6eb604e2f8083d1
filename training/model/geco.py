"""GECO (Rezende & Viola 2018): a Lagrange multiplier on the reconstruction constraint.

Minimise KL subject to C = MSE - kappa <= 0 via L = KL + lambda * C. The multiplier follows a
moving average of the constraint with a real step size,
``lambda <- clip(lambda * exp(eta * C_ma / kappa), 1e-6, 1e12)``; dividing by kappa makes eta a
relative rate, so the controller never saturates the way the public TBH-VAE port does (a
constraint summed over 4096 dims fed to exp() and clipped to x[0.9, 1.1], method notes 2.2).
The loss uses ``C_t + stopgrad(C_ma - C_t)``: the value of the average, the gradient of the
current batch. kappa is given or measured at the end of a warm-up on standardised features.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Geco:
    """Multiplier state; call :meth:`constraint` each step, then :meth:`update`."""

    kappa: float | None
    alpha: float = 0.99
    eta: float = 0.01
    lam: float = 1.0
    lambda_min: float = 1e-6
    lambda_max: float = 1e12
    warmup_steps: int = 100
    kappa_slack: float = 1.0
    c_ma: float | None = None
    steps: int = 0
    _warmup: list[float] = field(default_factory=list)

    def constraint(self, mse: Any) -> Any:
        """The constraint term for the loss (a tensor): value C_ma, gradient of the batch's C.

        During warm-up (kappa not yet measured) the raw MSE is returned, so lambda * MSE is
        still a reconstruction loss.
        """
        value = float(mse.detach())
        if self.kappa is None:
            self._warmup.append(value)
            return mse
        c = value - self.kappa
        self.c_ma = c if self.c_ma is None else self.alpha * self.c_ma + (1 - self.alpha) * c
        return mse - self.kappa + (self.c_ma - c)

    def update(self) -> None:
        """One multiplier step (after the optimiser step); sets kappa at the end of warm-up."""
        self.steps += 1
        if self.kappa is None:
            if self.steps >= self.warmup_steps:
                tail = self._warmup[-max(1, len(self._warmup) // 5) :]
                self.kappa = self.kappa_slack * sum(tail) / len(tail)
            return
        assert self.c_ma is not None
        step = self.eta * self.c_ma / self.kappa
        lam = self.lam * math.exp(max(min(step, 50.0), -50.0))
        if not math.isfinite(lam):
            lam = self.lambda_max
        self.lam = min(max(lam, self.lambda_min), self.lambda_max)

    def state(self) -> dict[str, float | None]:
        """Numbers worth logging."""
        return {
            "lambda": self.lam,
            "log_lambda": math.log(self.lam),
            "kappa": self.kappa,
            "c_ma": self.c_ma,
        }
