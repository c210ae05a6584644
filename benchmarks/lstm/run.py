"""LSTM training-speed benchmark: the seed's configuration, a plain PyTorch loop against Sparkhu's trainer.

Usage: python benchmarks/lstm/run.py [--csv ../shared/data/ett/ETTm1.csv] [--plain-epochs K] [--skip-plain]

Data: one column (OT) of ETTm1, split chronologically as the ETT papers do (12 / 4 / 4 months of
15-minute rows: train, validation, test), standardised with the training part's mean and deviation.
Windows: 60 input steps, 20 output steps, stride 1 (the seed's T and N).

(a) ``plain``: the seed's trainer as one would write it in PyTorch: ``nn.LSTM(1, 60)`` and a linear head
    from the last hidden state to the 20 steps, a shuffled ``DataLoader`` of batches of 64, Adam at
    0.01, MSE; K epochs, the validation MSE after each. Its best within K epochs is the *target*.
(b) ``sparkhu``: :func:`sparkhu.models.lstm.train_windows` (the lstm family's trainer) on the same
    windows with the family's inputs (each window minus its mean; the first forecast step's calendar
    position beside the last hidden state, into the same linear head), the same LSTM, larger batches
    with a scaled learning rate, gradient clipping, learning-rate halving on a plateau and early
    stopping; the wall seconds until its validation MSE first reaches the target, and the test MSE /
    MAE of the weights it keeps.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sparkhu.models.features import calendar_features
from sparkhu.models.lstm import (
    History,
    TrainConfig,
    Windows,
    forecast_windows,
    require_torch,
    torch_threads,
    train_windows,
)

DEFAULT_CSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "ett" / "ETTm1.csv"
STEPS_PER_MONTH = 30 * 24 * 4  # the ETT papers' month: 30 days of 15-minute rows
INPUT_STEPS, OUTPUT_STEPS, HIDDEN = 60, 20, 60
STEP_S = 15 * 60
TARGET_SECONDS = 137.0  # the bar: a tenth of the seed's 1,000 epochs on the cluster (1,370 s)


@dataclass(frozen=True)
class Split:
    """Standardised windows of the three parts."""

    train: Windows
    validation: Windows
    test: Windows
    mean: float
    std: float


SPLITS = ("ett", "issue")
"""``ett``: the ETT papers' 12/4/4 months; ``issue``: the first 80 % of the rows train (55,665 windows,
the issue's 870 batches of 64), the next 10 % validate, the last 10 % test."""


def part_ends(split: str, rows: int) -> list[int]:
    """Where the train, validation and test parts of a ``split`` end."""
    if split == "ett":
        return [12 * STEPS_PER_MONTH, 16 * STEPS_PER_MONTH, 20 * STEPS_PER_MONTH]
    if split == "issue":
        return [int(rows * 0.8), int(rows * 0.9), rows]
    raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def load_split(csv: Path, column: str, split: str = "ett") -> Split:
    """A chronological split (see :data:`SPLITS`) of ``column`` as standardised 60 -> 20 windows.

    The file needs the ETT files' ``date`` column too: each window carries its first forecast step's
    calendar position (:func:`windows`).

    Each later part starts ``INPUT_STEPS`` rows early, so that its first window's context is the end of
    the part before (the ETT papers' borders); targets never cross into the next part.
    """
    frame = pd.read_csv(csv, usecols=["date", column])
    values = frame[column].to_numpy(dtype=np.float64)
    ends = part_ends(split, len(values))
    starts = [0, ends[0] - INPUT_STEPS, ends[1] - INPUT_STEPS]
    train_part = values[: ends[0]]
    mean, std = float(train_part.mean()), float(train_part.std())
    calendar = calendar_features(pd.to_datetime(frame["date"]).to_numpy().astype("datetime64[us]").astype(np.int64),
                                 STEP_S)
    parts = [windows((values[start:end] - mean) / std, calendar[start:end])
             for start, end in zip(starts, ends, strict=True)]
    return Split(parts[0], parts[1], parts[2], mean=mean, std=std)


def windows(values: np.ndarray, calendar: np.ndarray | None = None) -> Windows:
    """Every stride-1 window of ``INPUT_STEPS`` inputs and the ``OUTPUT_STEPS`` values after them.

    ``calendar`` (one row per value) gives each window the calendar position of its first forecast step
    as ``extra``, as the family's ``calendar`` parameter does.
    """
    view = np.lib.stride_tricks.sliding_window_view(values, INPUT_STEPS + OUTPUT_STEPS)
    extra = None if calendar is None else np.ascontiguousarray(calendar[INPUT_STEPS: INPUT_STEPS + len(view)])
    return Windows(np.ascontiguousarray(view[:, :INPUT_STEPS]), np.ascontiguousarray(view[:, INPUT_STEPS:]), extra)


@dataclass(frozen=True)
class PlainResult:
    """The reference loop's run."""

    epochs: int
    seconds_per_epoch: list[float]
    validation_mse: list[float]
    best_epoch: int
    best_validation_mse: float
    test_mse: float
    test_mae: float
    threads: int


def plain_reference(split: Split, epochs: int, threads: int, seed: int) -> PlainResult:
    """The seed's loop written plainly (DataLoader, batch 64, Adam 0.01); validation after each epoch."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    class Seed(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = torch.nn.LSTM(1, HIDDEN, num_layers=1, batch_first=True)
            self.head = torch.nn.Linear(HIDDEN, OUTPUT_STEPS)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out, _ = self.lstm(x)
            return self.head(out[:, -1])

    def tensors(w: Windows) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.tensor(w.inputs[:, :, None], dtype=torch.float32), torch.tensor(w.targets, dtype=torch.float32)

    def evaluate(model: Seed, w: Windows) -> np.ndarray:
        x, _ = tensors(w)
        model.eval()
        with torch.no_grad():
            out = torch.cat([model(x[i:i + 4096]) for i in range(0, len(x), 4096)]).numpy()
        model.train()
        return out - w.targets

    with torch_threads(threads):
        torch.manual_seed(seed)
        model = Seed()
        loader = DataLoader(TensorDataset(*tensors(split.train)), batch_size=64, shuffle=True,
                            generator=torch.Generator().manual_seed(seed))
        optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
        loss_fn = torch.nn.MSELoss()
        seconds, losses, best_state, best = [], [], None, np.inf
        for _ in range(epochs):
            start = time.perf_counter()
            for x, y in loader:
                optimiser.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                optimiser.step()
            seconds.append(time.perf_counter() - start)  # training only: the seed's "time per epoch"
            losses.append(float(np.mean(evaluate(model, split.validation) ** 2)))
            if losses[-1] < best:
                best, best_state = losses[-1], {k: v.clone() for k, v in model.state_dict().items()}
            print(f"  plain epoch {len(losses)}: {seconds[-1]:.1f} s, validation MSE {losses[-1]:.5f}", flush=True)
        assert best_state is not None
        model.load_state_dict(best_state)
        errors = evaluate(model, split.test)
    best_epoch = int(np.argmin(losses)) + 1
    return PlainResult(epochs, seconds, losses, best_epoch, float(best), float(np.mean(errors ** 2)),
                       float(np.mean(np.abs(errors))), threads)


def centred(w: Windows, scaling: str = "window") -> Windows:
    """Inputs and targets minus the window's level: its inputs' mean (the family's ``window`` scaling) or,
    with ``scaling="last"``, its last input (the family's ``last``).

    (:class:`sparkhu.models.features.LagFeatures` divides by the series' deviation too, which is 1 after
    the standardisation.) Errors are unchanged by the shift, so MSE stays comparable with the plain loop.
    """
    level = w.inputs[:, -1:] if scaling == "last" else w.inputs.mean(axis=1, keepdims=True)
    return Windows(w.inputs - level, w.targets - level, w.extra)


def sparkhu_run(split: Split, config: TrainConfig, scaling: str, calendar: bool) -> tuple[History, float, float]:
    """The family's trainer on the same windows; its history and the kept weights' test MSE and MAE.

    ``calendar``: the head also sees the calendar position of the first forecast step (the family's
    default); without it the network is exactly the plain loop's.
    """
    if not calendar:
        split = _each_part(split, lambda part: Windows(part.inputs, part.targets))
    if scaling != "none":
        split = _each_part(split, lambda part: centred(part, scaling))

    def report(epoch: int, loss: float, seconds: float) -> None:
        print(f"  sparkhu epoch {epoch}: {seconds:.1f} s since the start, validation MSE {loss:.5f}", flush=True)

    net, history = train_windows(split.train, split.validation, config, report)
    errors = forecast_windows(net, split.test.inputs, split.test.extra, threads=config.threads) - split.test.targets
    return history, float(np.mean(errors ** 2)), float(np.mean(np.abs(errors)))


def _each_part(split: Split, change: Callable[[Windows], Windows]) -> Split:
    """The split with ``change`` applied to its train, validation and test windows."""
    return replace(split, train=change(split.train), validation=change(split.validation), test=change(split.test))


def seconds_to(history: History, target: float) -> float | None:
    """Wall seconds until the validation MSE first reached ``target`` (None: never)."""
    reached = [t for t, loss in zip(history.elapsed, history.losses, strict=True) if loss <= target]
    return reached[0] if reached else None


def machine_load() -> str:
    """Load averages and the busiest processes, to report beside the timings."""
    load = "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    top = subprocess.run(["top", "-bn1", "-o", "%CPU"], capture_output=True, text=True, check=False).stdout
    busiest = [line for line in top.splitlines()[7:10] if line.strip()]
    return load + f" on {os.cpu_count()} CPUs; top: " + " | ".join(" ".join(line.split()[8:12]) for line in busiest)


def main() -> int:
    args = arguments()
    if not args.csv.exists():
        print(f"skipped: {args.csv} is absent (the ETT data lives in shared/data/ett)")
        return 0
    try:
        require_torch()
    except ImportError as error:
        print(f"skipped: {error}")
        return 0
    import torch._dynamo  # noqa: F401  (Adam's first construction imports it: seconds neither run should pay)

    split = load_split(args.csv, args.column, args.split)
    print(f"windows: train {len(split.train)}, validation {len(split.validation)}, test {len(split.test)}")
    results: dict[str, object] = {"load_before": machine_load()}
    print(results["load_before"])
    targets = {"best": args.target, "final": args.final_target}
    if args.target is None:
        plain = plain_reference(split, args.plain_epochs, args.plain_threads, args.seed)
        results["plain"] = asdict(plain)
        targets = {"best": plain.best_validation_mse, "final": plain.validation_mse[-1]}
        print(f"plain: {np.mean(plain.seconds_per_epoch):.1f} s/epoch (training), best validation MSE "
              f"{plain.best_validation_mse:.5f} (epoch {plain.best_epoch} of {plain.epochs}), final "
              f"{plain.validation_mse[-1]:.5f}; test MSE {plain.test_mse:.5f} MAE {plain.test_mae:.5f}")
        results["load_after_plain"] = machine_load()
        if args.plain_only:
            _write(args.json, results)
            return 0
    results["targets"] = targets
    runs = []
    for seed in args.seeds:
        config = TrainConfig(hidden=HIDDEN, layers=1, learning_rate=args.learning_rate, batch_size=args.batch_size,
                             max_epochs=args.max_epochs, patience=args.patience, decay_patience=args.decay_patience,
                             seed=seed, threads=args.threads)
        history, test_mse, test_mae = sparkhu_run(split, config, args.scaling, args.calendar)
        reached = {name: seconds_to(history, target) if target is not None else None
                   for name, target in targets.items()}
        runs.append({"config": asdict(config), "scaling": args.scaling, "calendar": args.calendar,
                     "history": asdict(history), "seconds_to": reached, "test_mse": test_mse, "test_mae": test_mae,
                     "load_after": machine_load()})
        shown = {name: None if t is None else round(t, 1) for name, t in reached.items()}
        print(f"sparkhu seed {seed}: {history.epochs} epochs in {history.seconds:.1f} s ({history.stopped}), best "
              f"validation MSE {history.best_loss:.5f} (epoch {history.best_epoch}); seconds to the targets {shown} "
              f"(bar {TARGET_SECONDS:g} s); test MSE {test_mse:.5f} MAE {test_mae:.5f}")
        print(runs[-1]["load_after"])
        results["sparkhu"] = runs
        _write(args.json, results)
    return 0


def arguments() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--column", default="OT")
    parser.add_argument("--split", choices=SPLITS, default="ett",
                        help="ett: 12/4/4 months; issue: 80/10/10 %% of the rows (the issue's 55,680 windows)")
    parser.add_argument("--plain-epochs", type=int, default=100, help="K: epochs of the reference loop (the seed's)")
    parser.add_argument("--plain-threads", type=int, default=1)
    parser.add_argument("--plain-only", action="store_true", help="run only the reference loop")
    parser.add_argument("--target", type=float, help="the best validation MSE to reach (skips the plain loop)")
    parser.add_argument("--final-target", type=float, help="with --target: the plain loop's last-epoch MSE")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=0.005)
    parser.add_argument("--max-epochs", type=int, default=60)
    parser.add_argument("--patience", type=int, default=6)
    parser.add_argument("--decay-patience", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--scaling", choices=("window", "last", "none"), default="window",
                        help="sparkhu's windows: minus each input window's mean (the family's default), minus its last "
                             "value, or as is")
    parser.add_argument("--calendar", action=argparse.BooleanOptionalAction, default=True,
                        help="sparkhu's head also sees the first forecast step's calendar position (the family's "
                             "default); --no-calendar: exactly the plain loop's network")
    parser.add_argument("--seed", type=int, default=0, help="the plain loop's seed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="one sparkhu run per seed")
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser.parse_args()


def _write(path: Path | None, results: dict[str, object]) -> None:
    if path is not None:
        path.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    raise SystemExit(main())
