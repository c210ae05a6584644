from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from sparkhu.analysis.windows import make_windows
from tests.analysis.helpers import at, long_frame


def test_tiny_hand_checked_example() -> None:
    frame = long_frame("a", np.arange(6) * 60, [0, 1, 2, 3, 4, 5])
    out = make_windows(frame, input_length=2, output_length=1)
    assert [list(x) for x in out["inputs"]] == [[0, 1], [1, 2], [2, 3], [3, 4]]
    assert [list(x) for x in out["outputs"]] == [[2], [3], [4], [5]]
    assert out["ts"].tolist() == [at(120), at(180), at(240), at(300)]  # the first output step
    assert out["input_length"].tolist() == [2] * 4 and out["output_length"].tolist() == [1] * 4
    assert not out["has_missing"].any() and out["method"].isna().all()


def test_inputs_strictly_precede_outputs() -> None:
    frame = long_frame("a", np.arange(20) * 60, np.arange(20.0))
    out = make_windows(frame, input_length=5, output_length=3, stride=4)
    for inputs, outputs, ts in zip(out["inputs"], out["outputs"], out["ts"], strict=True):
        assert max(inputs) < min(outputs) and outputs[0] == inputs[-1] + 1
        assert ts == at(60 * outputs[0])
    assert [x[0] for x in out["inputs"]] == [0, 4, 8, 12]  # 12 + 8 = 20: the last that fits


def test_missing_dropped_or_marked_and_series_kept_apart() -> None:
    a = long_frame("a", np.arange(5) * 60, [0, 1, np.nan, 3, 4])
    b = long_frame("b", np.arange(3) * 60, [10, 11, 12])
    b["method"] = "zscore"
    a["method"] = "zscore"
    frame = pd.concat([b, a])
    marked = make_windows(frame, 1, 1, missing="mark")
    assert marked["series_id"].tolist() == ["a"] * 4 + ["b"] * 2  # no window spans a and b
    assert marked["has_missing"].tolist() == [False, True, True, False, False, False]
    dropped = make_windows(frame, 1, 1)
    assert [list(x) for x in dropped["inputs"]] == [[0], [3], [10], [11]]
    assert dropped["method"].eq("zscore").all()


def test_arrow_list_columns_and_errors() -> None:
    out = make_windows(long_frame("a", np.arange(4) * 60, [1, 2, 3, 4]), 2, 2)
    table = pa.Table.from_pandas(out, preserve_index=False)
    assert table.schema.field("inputs").type == pa.list_(pa.float32())
    assert make_windows(long_frame("a", [0], [1.0]), 2, 2).empty
    with pytest.raises(ValueError, match="at least 1"):
        make_windows(long_frame("a", [0], [1.0]), 0, 1)
