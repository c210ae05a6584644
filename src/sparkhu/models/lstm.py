"""The seed's LSTM as a global family: one recurrent network over the scaled contexts of every series.

The seed's batch trainer (PyTorch, 1 layer of 60 units, Adam at 0.01, batches of 64, 60 input and 20
output steps) is kept as the architecture and made a :class:`~sparkhu.models.base.Forecaster`: the
windows are the cuts of :mod:`sparkhu.models.features` (scaled per window, so series of different
levels share one network), the last hidden state feeds a linear head with one output per horizon step
(direct, no recursion), and training stops early on a time-ordered validation split (the last windows of
each series), keeping the best weights.

torch is an optional extra (``pip install 'sparkhu[lstm]'``): this module imports without it, so that
the registry lists the family everywhere, and only fitting or predicting needs it.
:func:`train_windows` is the trainer itself, shared with ``benchmarks/lstm``.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from sparkhu.models.base import Forecaster, nan_forecasts, register_family
from sparkhu.models.design import prediction_rows, training_rows, unscale
from sparkhu.models.features import SCALINGS, LagFeatures, series_stats
from sparkhu.models.panel import FloatArray, Series, season_length

if TYPE_CHECKING:
    import torch

MISSING_TORCH = "the lstm family needs torch: pip install 'sparkhu[lstm]'"
MAX_CONTEXT = 336
"""Longest context in steps: the cost of an LSTM grows linearly with it, and what a 1-layer LSTM keeps
of steps hundreds back is little (two weeks of hourly data, three and a half days of 15-minute data)."""
Progress = Callable[[int, float, float], None]
NO_SEASON_UNIT = 10  # steps per "season" of a grid without one, as the lag models' context choices

LSTM_SPACE: dict[str, list[Any]] = {"hidden": [16, 32, 60, 128], "layers": [1, 2], "seasons": [1, 2, 4],
                                    "learning_rate": [0.002, 0.005, 0.01], "max_epochs": [50, 200],
                                    "batch_size": [64, 128, 512], "calendar": [True, False]}


class TorchMissingError(ImportError):
    """torch is not installed (the ``lstm`` extra)."""


def require_torch() -> None:
    """Fail with the install hint when torch cannot be imported.

    Raises:
        TorchMissingError: torch is absent.
    """
    try:
        import torch  # noqa: F401
    except ImportError as error:
        raise TorchMissingError(MISSING_TORCH) from error


@dataclass(frozen=True)
class Windows:
    """Training examples: input sequences, their targets and optional per-window static inputs.

    Attributes:
        inputs: ``(n, steps)`` or ``(n, steps, channels)`` input sequences.
        targets: ``(n, horizon)`` values to forecast.
        extra: ``(n, k)`` inputs joined to the last hidden state (calendar), or None.
    """

    inputs: FloatArray
    targets: FloatArray
    extra: FloatArray | None = None

    def __len__(self) -> int:
        return len(self.inputs)


@dataclass(frozen=True)
class TrainConfig:
    """How :func:`train_windows` trains.

    Attributes:
        hidden: LSTM units per layer.
        layers: Stacked LSTM layers.
        learning_rate: Adam's initial step size.
        batch_size: Windows per gradient step.
        max_epochs: Epoch cap.
        patience: Epochs without a better monitored loss before stopping.
        decay_patience: Epochs without improvement before the learning rate halves (0: never).
        clip: Gradient norm cap (0: none); keeps large steps from blowing the recurrent weights up.
        seed: Seed of the initial weights and the batch order.
        threads: CPU threads for torch while training (restored afterwards).
        target_loss: Stop as soon as the monitored loss is at or below it (None: never).
        time_limit_s: Stop after the epoch that passes this many seconds (None: never).
        device: ``"cuda"``, ``"cpu"`` or ``"auto"`` (CUDA when available).
    """

    hidden: int = 60
    layers: int = 1
    learning_rate: float = 0.01
    batch_size: int = 64
    max_epochs: int = 100
    patience: int = 10
    decay_patience: int = 2
    clip: float = 1.0
    seed: int = 0
    threads: int = 1
    target_loss: float | None = None
    time_limit_s: float | None = None
    device: str = "auto"


@dataclass(frozen=True)
class History:
    """What a training run did.

    Attributes:
        epochs: Epochs run.
        best_epoch: The epoch (1-based) whose weights were kept.
        best_loss: Its monitored loss: validation MSE, or the epoch's training MSE without validation.
        seconds: Wall seconds of the whole run (validation included).
        losses: Monitored loss after each epoch.
        elapsed: Wall seconds since the start at the end of each epoch.
        stopped: Why it stopped: ``"patience"``, ``"target"``, ``"time"`` or ``"max_epochs"``.
        device: Where it ran.
    """

    epochs: int
    best_epoch: int
    best_loss: float
    seconds: float
    losses: tuple[float, ...]
    elapsed: tuple[float, ...]
    stopped: str
    device: str


def make_network(channels: int, extra: int, horizon: int, hidden: int, layers: int) -> torch.nn.ModuleDict:
    """The architecture: an LSTM over the sequence, a linear head from its last hidden state (+ ``extra``)."""
    import torch

    return torch.nn.ModuleDict({
        "lstm": torch.nn.LSTM(channels, hidden, num_layers=layers, batch_first=True),
        "head": torch.nn.Linear(hidden + extra, horizon),
    })


def forward(net: torch.nn.ModuleDict, inputs: torch.Tensor, extra: torch.Tensor | None) -> torch.Tensor:
    """Forecasts ``(batch, horizon)`` of a batch of sequences ``(batch, steps, channels)``."""
    import torch

    states, _ = net["lstm"](inputs)
    last = states[:, -1]
    return net["head"](last if extra is None else torch.cat([last, extra], dim=1))


def train_windows(train: Windows, validation: Windows | None = None, config: TrainConfig | None = None,
                  progress: Progress | None = None) -> tuple[torch.nn.ModuleDict, History]:
    """Train the network on ``train``, stopping early on ``validation``; return it (best weights) and its history.

    Without validation windows the epoch's mean training loss is monitored instead. ``progress`` is
    called after each epoch with its number, the monitored loss and the seconds since the start.

    Raises:
        TorchMissingError: torch is absent.
        ValueError: No training windows.
    """
    require_torch()
    import torch

    config = config or TrainConfig()
    if not len(train):
        raise ValueError("no training windows")
    device = _device(config.device)
    with torch_threads(config.threads):
        torch.manual_seed(config.seed)
        tensors = _tensors(train, device)
        checked = _tensors(validation, device) if validation is not None and len(validation) else None
        net = make_network(tensors[0].shape[2], 0 if tensors[2] is None else tensors[2].shape[1],
                           tensors[1].shape[1], config.hidden, config.layers).to(device)
        return net, _epochs(net, tensors, checked, config, device, progress)


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Set the CPU threads of torch to ``count`` (at least 1) inside the block, the previous number after it.

    One thread is the default of the family: on a 2-core machine whose other core is busy, torch's
    OpenMP threads wait on each other at every small matrix product of the recurrence; an epoch of the
    seed's configuration took 137-177 s with two threads and 5-7 s with one (``benchmarks/lstm``).
    """
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(max(count, 1))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


TensorWindows: TypeAlias = "tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]"


def _epochs(net: torch.nn.ModuleDict, train: TensorWindows, validation: TensorWindows | None, config: TrainConfig,
            device: torch.device, progress: Progress | None) -> History:
    """The epoch loop: shuffled batches, the monitor, learning-rate halving, early stopping."""
    import torch

    optimiser = torch.optim.Adam(net.parameters(), lr=config.learning_rate)
    scheduler = (torch.optim.lr_scheduler.ReduceLROnPlateau(optimiser, factor=0.5, patience=config.decay_patience)
                 if config.decay_patience else None)
    order = torch.Generator().manual_seed(config.seed)  # on the CPU: the same batches on every device
    start = time.perf_counter()
    losses: list[float] = []
    elapsed: list[float] = []
    best, best_epoch, best_state, stopped = math.inf, 0, copy.deepcopy(net.state_dict()), "max_epochs"
    for epoch in range(1, config.max_epochs + 1):
        train_loss = _train_epoch(net, optimiser, train, config, torch.randperm(len(train[0]), generator=order))
        loss = _loss(net, validation) if validation is not None else train_loss
        losses.append(loss)
        elapsed.append(time.perf_counter() - start)
        if progress is not None:
            progress(epoch, loss, elapsed[-1])
        if scheduler is not None:
            scheduler.step(loss)
        if loss < best * (1 - 1e-4):  # a relative margin: float noise on a plateau is no improvement
            best, best_epoch, best_state = loss, epoch, copy.deepcopy(net.state_dict())
        stop = _stop_reason(loss, epoch - best_epoch, elapsed[-1], config)
        if stop:
            stopped = stop
            break
    net.load_state_dict(best_state)
    return History(len(losses), best_epoch, best, time.perf_counter() - start, tuple(losses), tuple(elapsed),
                   stopped, str(device))


def _stop_reason(loss: float, stale: int, seconds: float, config: TrainConfig) -> str:
    """Why training stops after this epoch ("" to go on)."""
    if config.target_loss is not None and loss <= config.target_loss:
        return "target"
    if config.patience and stale >= config.patience:
        return "patience"
    if config.time_limit_s is not None and seconds >= config.time_limit_s:
        return "time"
    return ""


def _train_epoch(net: torch.nn.ModuleDict, optimiser: torch.optim.Optimizer, train: TensorWindows,
                 config: TrainConfig, order: torch.Tensor) -> float:
    """One pass over the shuffled training windows; their mean loss."""
    import torch

    inputs, targets, extra = train
    order = order.to(inputs.device)
    net.train()
    total = 0.0
    for first in range(0, len(order), config.batch_size):
        batch = order[first:first + config.batch_size]
        loss = torch.nn.functional.mse_loss(forward(net, inputs[batch], None if extra is None else extra[batch]),
                                            targets[batch])
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        if config.clip:
            torch.nn.utils.clip_grad_norm_(net.parameters(), config.clip)
        optimiser.step()
        total += float(loss.detach()) * len(batch)
    return total / len(order)


def forecast_windows(net: torch.nn.ModuleDict, inputs: FloatArray, extra: FloatArray | None = None,
                     threads: int = 1) -> FloatArray:
    """Scaled forecasts ``(n, horizon)`` of a trained network for input sequences (and extra inputs).

    Raises:
        TorchMissingError: torch is absent.
    """
    require_torch()
    device = next(net.parameters()).device
    tensors = _tensors(Windows(inputs, np.zeros((len(inputs), 0)), extra), device)
    with torch_threads(threads):
        return _predict(net, tensors[0], tensors[2]).cpu().numpy().astype(np.float64)


def _loss(net: torch.nn.ModuleDict, windows: TensorWindows) -> float:
    """Mean squared error of the network on windows (every step weighs the same)."""
    inputs, targets, extra = windows
    forecasts = _predict(net, inputs, extra)
    return float(((forecasts - targets) ** 2).mean())


def _predict(net: torch.nn.ModuleDict, inputs: torch.Tensor, extra: torch.Tensor | None,
             chunk: int = 4096) -> torch.Tensor:
    """Forecasts of many windows, in chunks (memory stays bounded), without gradients."""
    import torch

    net.eval()
    with torch.no_grad():
        parts = [forward(net, inputs[i:i + chunk], None if extra is None else extra[i:i + chunk])
                 for i in range(0, len(inputs), chunk)]
    return torch.cat(parts)


def _tensors(windows: Windows, device: torch.device) -> TensorWindows:
    """float32 tensors on ``device``; a 2-D input becomes one channel."""
    import torch

    inputs = windows.inputs if windows.inputs.ndim == 3 else windows.inputs[:, :, None]

    def put(array: FloatArray) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(array, dtype=np.float32), device=device)

    return put(inputs), put(windows.targets), None if windows.extra is None else put(windows.extra)


def _device(name: str) -> torch.device:
    """The requested device; ``auto`` takes CUDA when there is one."""
    import torch

    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


@register_family(space=LSTM_SPACE)
class LSTMForecaster(Forecaster):
    """A global LSTM from a scaled context (one value per step) to every horizon step.

    The context is ``lags`` steps, or when ``lags`` is 0, ``seasons`` seasons of the panel's grid
    (:func:`~sparkhu.models.panel.season_length`; ten steps per season without one), at most
    :data:`MAX_CONTEXT`. With ``calendar``, the calendar position of the first forecast step joins the
    last hidden state before the head. Series too short for a context get NaN forecasts.
    """

    family = "lstm"
    # The seed's network (60 units, 1 layer); of the few settings tried on a 2-core CPU, batches of 128
    # at half its learning rate, halved on a plateau, reached its validation error soonest (benchmarks/lstm).
    DEFAULTS = {"hidden": 60, "layers": 1, "lags": 0, "seasons": 2, "calendar": True, "scaling": "window",
                "learning_rate": 0.005, "batch_size": 128, "max_epochs": 200, "patience": 6,
                "validation": 0.2, "max_cuts": 30_000, "seed": 0, "threads": 1}

    def __init__(self, horizon: int, **params: Any) -> None:
        super().__init__(horizon, **params)
        if self.params["scaling"] not in SCALINGS:
            raise ValueError(f"lstm: scaling must be one of {SCALINGS}, got {self.params['scaling']!r}")
        self.context = 0
        self.stats: dict[str, tuple[float, float]] = {}
        self.state: dict[str, FloatArray] | None = None  # the weights as numpy: the pickle needs no torch
        self.history: History | None = None
        self._net: torch.nn.ModuleDict | None = None

    @property
    def lag_features(self) -> LagFeatures:
        """The feature layout: the context (then the calendar columns, the head's extra inputs)."""
        return LagFeatures(self.context, 0, bool(self.params["calendar"]), str(self.params["scaling"]))

    def fit(self, panel: Sequence[Series]) -> LSTMForecaster:
        """Train on the cuts of every series long enough for one; the last ones of each validate.

        Raises:
            TorchMissingError: torch is absent.
            ValueError: No series is longer than the context plus the horizon.
        """
        require_torch()
        self.context = self._context_of(panel)
        self.stats = series_stats(panel)
        train, validation = self._windows(panel)
        net, self.history = train_windows(train, validation, self._config())
        self.state = {name: value.detach().cpu().numpy() for name, value in net.state_dict().items()}
        self._net = net
        return self

    def predict(self, panel: Sequence[Series]) -> FloatArray:
        """One direct forecast of every step per series; NaN rows for series shorter than the context.

        Raises:
            TorchMissingError: torch is absent.
            RuntimeError: The model was not fitted.
        """
        if self.state is None:
            raise RuntimeError("lstm: predict before fit")
        out = nan_forecasts(len(panel), self.horizon)
        usable = [i for i, series in enumerate(panel)
                  if len(series) >= self.context and np.isfinite(series.values).any()]
        if not usable:
            return out
        net = self._network()
        rows = prediction_rows(self.lag_features, [panel[i] for i in usable], self.horizon, self.stats)
        inputs, extra = self._split(rows.features)
        out[usable] = unscale(forecast_windows(net, inputs, extra, int(self.params["threads"])), rows)
        return out

    def __getstate__(self) -> dict[str, Any]:
        """The pickled state: everything but the live network (its weights are in ``state``)."""
        return {key: value for key, value in self.__dict__.items() if key != "_net"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._net = None

    def _config(self) -> TrainConfig:
        """The trainer's settings from the parameters."""
        p = self.params
        return TrainConfig(hidden=int(p["hidden"]), layers=int(p["layers"]), learning_rate=float(p["learning_rate"]),
                           batch_size=int(p["batch_size"]), max_epochs=int(p["max_epochs"]),
                           patience=int(p["patience"]), seed=int(p["seed"]), threads=int(p["threads"]))

    def _context_of(self, panel: Sequence[Series]) -> int:
        """Context steps: ``lags``, or ``seasons`` seasons of the longest series' grid."""
        if int(self.params["lags"]) > 0:
            return int(self.params["lags"])
        longest = max(panel, key=len, default=None)
        season = season_length(longest.step_s, len(longest)) if longest is not None else 1
        unit = season if season > 1 else NO_SEASON_UNIT
        return max(2, min(round(float(self.params["seasons"]) * unit), MAX_CONTEXT))

    def _windows(self, panel: Sequence[Series]) -> tuple[Windows, Windows | None]:
        """Training and validation windows: per series, its last ``validation`` share validates.

        The ``horizon`` windows before a series' validation part are dropped: their targets would
        overlap the validation windows' targets.
        """
        features, horizon = self.lag_features, self.horizon
        per_series = max(int(self.params["max_cuts"]) // max(len(panel), 1), 1)
        train_rows, valid_rows = [], []
        for series in panel:
            if len(series) < self.context + horizon:  # not one cut (training_rows would refuse it)
                continue
            rows = training_rows(features, [series], horizon, per_series, self.stats)
            count = len(rows.targets)
            held = math.floor(count * float(self.params["validation"]))
            if held < 1 or count - held - horizon < 1:  # too few windows to spare any
                train_rows.append((rows.features, rows.targets))
                continue
            train_rows.append((rows.features[:count - held - horizon], rows.targets[:count - held - horizon]))
            valid_rows.append((rows.features[count - held:], rows.targets[count - held:]))
        if not train_rows or not sum(len(y) for _, y in train_rows):
            raise ValueError(f"lstm: no series is longer than the context ({self.context} steps) plus the horizon "
                             f"({horizon} steps) with known targets")
        return self._stack(train_rows), self._stack(valid_rows) if valid_rows else None

    def _stack(self, blocks: list[tuple[FloatArray, FloatArray]]) -> Windows:
        """One :class:`Windows` of feature-row blocks and their targets."""
        inputs, extra = self._split(np.vstack([x for x, _ in blocks]))
        return Windows(inputs, np.vstack([y for _, y in blocks]), extra)

    def _split(self, rows: FloatArray) -> tuple[FloatArray, FloatArray | None]:
        """Feature rows as the sequence (the context columns) and the head's extra inputs (the rest)."""
        extra = rows[:, self.context:]
        return rows[:, :self.context], extra if extra.shape[1] else None

    def _network(self) -> torch.nn.ModuleDict:
        """The fitted network on the CPU, rebuilt from ``state`` after loading.

        Raises:
            TorchMissingError: torch is absent.
        """
        require_torch()
        import torch

        assert self.state is not None  # predict checked it
        if self._net is None or next(self._net.parameters()).device.type != "cpu":
            extra = self.state["head.weight"].shape[1] - int(self.params["hidden"])
            net = make_network(1, extra, self.horizon, int(self.params["hidden"]), int(self.params["layers"]))
            net.load_state_dict({name: torch.as_tensor(value) for name, value in self.state.items()})
            self._net = net
        return self._net
