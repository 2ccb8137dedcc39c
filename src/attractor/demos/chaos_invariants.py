"""Demo part: invariants of chaotic systems from the registry, beside their published values.

Lorenz-63 and Rössler: the full Lyapunov spectrum (Benettin/QR on the variational equation),
its sum against the exact phase-space contraction ``trace(Df)`` averaged on the attractor (for
Lorenz ``-(σ + 1 + β)``), and the Kaplan--Yorke dimension; the Hénon map's largest exponent; the
correlation dimension of a Lorenz trajectory (Grassberger--Procaccia).
"""

from __future__ import annotations

TITLE = "Chaotic systems: Lyapunov spectra and dimensions against reference values"


def run(quick: bool = False) -> dict:
    from attractor import analysis, systems

    figures: dict = {}
    lorenz = systems.get("lorenz")
    spec = analysis.lyapunov_spectrum(lorenz)
    lam = spec.exponents
    ref = lorenz.reference
    figures["lorenz λ (computed)"] = _fmt(lam)
    figures["lorenz λ (reference)"] = _fmt(ref.lyapunov_spectrum)
    p = lorenz.params
    figures["lorenz Σλ vs -(σ+1+β)"] = f"{float(lam.sum()):.4f} vs {-(p['sigma'] + 1 + p['beta']):.4f}"
    figures["lorenz Kaplan-Yorke dim"] = f"{float(analysis.kaplan_yorke_dimension(lam)):.4f} (ref {ref.kaplan_yorke_dimension})"
    if not quick:
        rossler = systems.get("rossler")
        lam_r = analysis.lyapunov_spectrum(rossler).exponents
        figures["rössler λ1"] = f"{float(lam_r[0]):.4f} (ref {rossler.reference.max_lyapunov})"
    henon = systems.get("henon")
    lam_h = analysis.lyapunov_spectrum(henon).exponents
    figures["hénon λ1"] = f"{float(lam_h[0]):.4f} (ref {henon.reference.max_lyapunov})"
    x = systems.trajectory(lorenz, 5000 if quick else 20000)
    figures["lorenz correlation dim"] = f"{float(analysis.correlation_dimension(x)):.3f} (ref {ref.correlation_dimension})"
    return figures


def _fmt(values) -> str:
    return "[" + ", ".join(f"{float(v):.4f}" for v in values) + "]"
