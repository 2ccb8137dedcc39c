"""Invariants of dynamical systems and metrics for judging reconstructions.

* Lyapunov exponents: :func:`lyapunov_spectrum` (Benettin/QR on the variational equation,
  flows and maps, batched), :func:`max_lyapunov` (from a model or a time series),
  :func:`rosenstein` (time series).
* Dimensions: :func:`kaplan_yorke_dimension`, :func:`correlation_dimension`.
* Spectra: :func:`power_spectrum`, :func:`power_spectrum_distance` (``D_H``).
* Delay embedding: :func:`delay_embed`, :func:`embed` (automatic delay and dimension),
  :func:`mutual_information`, :func:`autocorrelation`, :func:`false_nearest_neighbors`.
* Reconstruction metrics: :func:`state_space_divergence` (``D_stsp``),
  :func:`valid_prediction_time`, :func:`smape`, :func:`mase`.

Time series are time first: ``(T, d)``.
"""

from attractor.analysis.dimensions import (
    CorrelationDimension,
    correlation_dimension,
    correlation_sum,
    kaplan_yorke_dimension,
)
from attractor.analysis.embedding import (
    Embedding,
    autocorrelation,
    autocorrelation_time,
    choose_delay,
    choose_dimension,
    delay_embed,
    embed,
    false_nearest_neighbors,
    mutual_information,
)
from attractor.analysis.lyapunov import LyapunovSpectrum, lyapunov_spectrum, max_lyapunov
from attractor.analysis.metrics import mase, smape, state_space_divergence, valid_prediction_time
from attractor.analysis.rosenstein import Rosenstein, rosenstein
from attractor.analysis.spectra import normalized_spectrum, power_spectrum, power_spectrum_distance

__all__ = [
    "CorrelationDimension",
    "Embedding",
    "LyapunovSpectrum",
    "Rosenstein",
    "autocorrelation",
    "autocorrelation_time",
    "choose_delay",
    "choose_dimension",
    "correlation_dimension",
    "correlation_sum",
    "delay_embed",
    "embed",
    "false_nearest_neighbors",
    "kaplan_yorke_dimension",
    "lyapunov_spectrum",
    "mase",
    "max_lyapunov",
    "mutual_information",
    "normalized_spectrum",
    "power_spectrum",
    "power_spectrum_distance",
    "rosenstein",
    "smape",
    "state_space_divergence",
    "valid_prediction_time",
]
