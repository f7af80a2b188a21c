"""Figure: simulated vs real daily returns (distribution with tails, ACF of |r|, ACF of r)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

from sim.analysis import stylized_facts as sf
from sim.analysis import validate as v
from sim.report import style
from sim.report.paper.base import Figure, FigureData

SEED = 1
LAGS_ABS, LAGS = 100, 20


def build(quick: bool) -> FigureData:
    """The calibrated ``validation-baseline`` (seed 1; as it is, and with every channel and the GARCH news off)
    and the S&P 500."""
    sizes = v.QUICK if quick else v.FULL
    real = v.sp500_returns().to_numpy()
    arrays: dict[str, np.ndarray] = {}
    hashes = {}
    series = {"real": real}
    for label, on in (("sim", True), ("off", False)):
        spec = v.baseline_spec(sizes, channels_on=on)
        hashes[f"{v.BASELINE} (channels {'on' if on else 'off'})"] = spec.hash()
        series[label], _ = v.run_returns(spec, SEED, sizes.burn_in)
    for label, r in series.items():
        z = v.standardized(r)
        arrays[f"{label}_density"] = np.histogram(z, bins=v.DENSITY_EDGES, density=True)[0]
        arrays[f"{label}_tail"] = np.array([(-z > x).mean() for x in v.tail_grid()])
        arrays[f"{label}_acf_abs"] = sf.acf(np.abs(r), LAGS_ABS)
        arrays[f"{label}_acf"] = sf.acf(r, LAGS)
        arrays[f"{label}_kurtosis"] = np.array([sf.stylized_facts(r).excess_kurtosis])
    arrays["edges"], arrays["tail_grid"] = v.DENSITY_EDGES, v.tail_grid()
    return FigureData(arrays, seeds=[SEED], scenario_hashes=hashes,
                      meta={"days": int(series["sim"].size), "real_days": int(real.size)})


def plot(data: FigureData, path: Path) -> None:
    style.apply()
    a, m = data.arrays, data.meta
    looks = {"real": ("S&P 500 1999-2018", style.PALETTE["black"], "-"),
             "sim": ("calibrated market, all channels on", style.PALETTE["vermillion"], "-"),
             "off": ("everything off: channels, value funds, GARCH news", style.PALETTE["sky"], "--")}
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5), constrained_layout=True)
    centres = 0.5 * (a["edges"][1:] + a["edges"][:-1])
    ax = axes[0, 0]
    for key, (label, colour, ls) in looks.items():
        dens = a[f"{key}_density"]
        ax.semilogy(centres[dens > 0], dens[dens > 0], ls, color=colour,
                    label=f"{label} (excess kurtosis {a[f'{key}_kurtosis'][0]:.1f})")
    ax.semilogy(centres, np.exp(-centres**2 / 2) / np.sqrt(2 * np.pi), ":", color=style.PALETTE["green"],
                label="normal")
    ax.set(xlabel="daily log return, standard deviations", ylabel="density (log scale)",
           title="Distribution of standardised daily returns", ylim=(1e-5, 1))
    ax.legend(loc="lower center", fontsize=7)
    ax = axes[0, 1]
    for key, (label, colour, ls) in looks.items():
        tail = a[f"{key}_tail"]
        ax.loglog(a["tail_grid"][tail > 0], tail[tail > 0], ls, color=colour, label=label)
    ax.set(xlabel="loss x, standard deviations", ylabel="P(loss > x)", title="Loss tail (log-log)")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks([0.5, 1, 2, 4, 8], ["0.5", "1", "2", "4", "8"])
    ax.legend(loc="lower left", fontsize=7)
    ax = axes[1, 0]
    for key, (label, colour, ls) in looks.items():
        ax.plot(np.arange(1, LAGS_ABS + 1), a[f"{key}_acf_abs"], ls, color=colour, label=label)
    ax.axhline(0, color=style.PALETTE["black"], linewidth=0.6)
    ax.set(xlabel="lag, trading days", ylabel="autocorrelation of |r|", title="Volatility clustering: ACF of |r|")
    ax.legend(loc="upper right", fontsize=7)
    ax = axes[1, 1]
    lags = np.arange(1, LAGS + 1)
    for i, (key, (label, colour, _)) in enumerate(looks.items()):
        ax.bar(lags + (i - 1) * 0.28, a[f"{key}_acf"], width=0.28, color=colour, label=label)
    band = 1.96 / np.sqrt(m["real_days"])
    ax.axhspan(-band, band, color=style.PALETTE["black"], alpha=0.1, label="95% band for no correlation")
    ax.set(xlabel="lag, trading days", ylabel="autocorrelation of r", title="Returns themselves: ACF of r")
    ax.legend(loc="lower right", fontsize=7)
    fig.suptitle(f"Simulated ({m['days']:,} days, seed {data.seeds[0]}) vs real daily returns: with the GARCH news "
                 "and the channels off, returns are Gaussian", fontsize=11)
    style.savefig(fig, path)


FIGURE = Figure("returns_vs_real", "Simulated vs S&P 500 daily returns: tails, ACF of |r|, ACF of r", build, plot)
