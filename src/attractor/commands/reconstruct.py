"""``attractor reconstruct SYSTEM``: train a reconstruction model on a registry system's
noisy time series and report the published measures."""

from __future__ import annotations

import argparse
import json
import math

from attractor.commands._types import nonnegative_float, positive_int


def add_parser(sub: argparse._SubParsersAction) -> None:
    from attractor.dsr.reconstruct import MODELS

    p = sub.add_parser("reconstruct", help="learn a system's attractor from its time series (dynamical-systems reconstruction)")
    p.add_argument("system", help="registry system (see `attractor systems`)")
    p.add_argument("--model", choices=sorted(MODELS), default="shplrnn", help="model (default shplrnn)")
    p.add_argument("--latent", type=positive_int, default=None, help="latent dimension (default: the system's)")
    p.add_argument("--width", type=positive_int, default=None,
                   help="hidden units (shPLRNN), ReLU units (AL-RNN) or bases (dendPLRNN)")
    p.add_argument("--forcing", choices=["gtf", "adaptive", "sparse", "none"], default="gtf",
                   help="teacher forcing: gtf (fixed alpha), adaptive (GTF with the adaptive alpha), sparse, none")
    p.add_argument("--alpha", type=nonnegative_float, default=None, help="alpha of --forcing gtf (default 0.1)")
    p.add_argument("--epochs", type=positive_int, default=60, help="epochs of 50 batches (default 60)")
    p.add_argument("--train", type=positive_int, default=20_000, help="training samples (default 20000)")
    p.add_argument("--test", type=positive_int, default=10_000, help="test samples (default 10000)")
    p.add_argument("--noise", type=nonnegative_float, default=0.05, help="observation noise, relative (default 0.05)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--json", metavar="FILE", help="write the measures as JSON")
    p.add_argument("--plot", metavar="FILE", help="figure: data and free-running reconstruction, and their power spectra")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from attractor.dsr import GeneralizedForcing
    from attractor.dsr.reconstruct import reconstruct

    if args.alpha is not None and args.forcing != "gtf":
        raise ValueError(f"--alpha applies to --forcing gtf only; got --forcing {args.forcing}.")
    if args.alpha is not None and args.alpha > 1:
        raise ValueError(f"--alpha must lie in [0, 1]; got {args.alpha}.")
    if args.forcing == "gtf":
        forcing = GeneralizedForcing(0.1 if args.alpha is None else args.alpha)
    else:
        forcing = "gtf" if args.forcing == "adaptive" else args.forcing
    result = reconstruct(
        args.system, model=args.model, latent_dim=args.latent, width=args.width, forcing=forcing,
        epochs=args.epochs, n_train=args.train, n_test=args.test, noise=args.noise, seed=args.seed,
        progress=args.progress,
    )
    m, ref = result.metrics, result.data.lyapunov
    print(f"{args.system}: {args.model} ({sum(p.numel() for p in result.model.parameters())} parameters), "
          f"{args.forcing} forcing, {args.epochs} epochs in {m['train_seconds']:.0f} s")
    print(f"  {'D_stsp':<14} {m['D_stsp']:.3f}   (state-space divergence, 0 = same attractor geometry)")
    print(f"  {'D_H':<14} {m['D_H']:.3f}   (power-spectrum Hellinger distance, 0 = same spectra)")
    print(f"  {'PE_20':<14} {m['PE_20']:.4f}  (20-step prediction error, standardised units)")
    lam = m.get("lambda_1", math.nan)
    ref_text = f" vs reference {ref:.3f} ({100 * m['lambda_1_error']:.1f} % off)" if ref is not None else ""
    print(f"  {'lambda_1':<14} {lam:.3f}{ref_text}")
    print(f"  {'D_KY':<14} {m.get('D_KY', math.nan):.3f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"system": args.system, "model": args.model, "forcing": args.forcing,
                       "epochs": args.epochs, "seed": args.seed, **m}, fh, indent=2)
    if args.plot:
        _plot(result, args.plot)
    return 0


def _plot(result, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise OSError("--plot needs matplotlib (pip install 'attractor[plot]')") from exc
    from attractor.analysis import normalized_spectrum
    from attractor.dsr import free_run

    x = result.data.test
    gen = free_run(result.model, x[0].to(next(result.model.parameters()).dtype), x.shape[0]).to(x.dtype)
    fig = plt.figure(figsize=(11, 4))
    for i, (series, title) in enumerate([(x, "data (test)"), (gen, "reconstruction (free run)")]):
        ax = fig.add_subplot(1, 3, i + 1, projection="3d" if x.shape[1] >= 3 else None)
        if x.shape[1] >= 3:
            ax.plot(*series[:, :3].T.numpy(), lw=0.3)
        else:
            ax.plot(series[:, 0].numpy(), series[:, -1].numpy(), lw=0.3)
        ax.set_title(title)
    ax = fig.add_subplot(1, 3, 3)
    for series, label in [(x, "data"), (gen, "reconstruction")]:
        ax.semilogy(normalized_spectrum(series)[:, 0].numpy()[:400], label=label)
    ax.set_title("power spectrum (first coordinate)")
    ax.set_xlabel("frequency bin")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
