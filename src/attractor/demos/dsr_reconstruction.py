"""Demo part: reconstruct Lorenz-63 from a noisy time series with a shallow PLRNN
trained by generalized teacher forcing, judge the free-running model by the published
measures, and find the learned map's fixed points with SCYFI."""

from __future__ import annotations

TITLE = "Dynamical-systems reconstruction: Lorenz-63 from noisy data (shPLRNN + GTF, SCYFI)"


def run(quick: bool = False) -> dict:
    import torch

    from attractor import dsr

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is fastest
    try:
        result = dsr.reconstruct("lorenz", model="shplrnn", width=50, epochs=10 if quick else 60,
                                 n_train=20_000, n_test=10_000, progress=True)
    finally:
        torch.set_num_threads(threads)
    m = result.metrics
    model = result.model.double()
    points = dsr.scyfi(model, 1, n_init=1000)
    data = result.data
    z = [(c.points[0, :3] * data.std + data.mean).tolist() for c in points]
    return {
        "training time (s)": round(m["train_seconds"], 1),
        "D_stsp (test, published convention)": round(m["D_stsp"], 3),
        "D_H": round(m["D_H"], 3),
        "PE_20": round(m["PE_20"], 4),
        "learned λ1": round(m["lambda_1"], 3),
        "Lorenz λ1": data.lyapunov,
        "λ1 relative error": round(m["lambda_1_error"], 3),
        "fixed points found (SCYFI)": "; ".join("(" + ", ".join(f"{v:.1f}" for v in p) + ")" for p in z) or "none",
    }
