"""What breaks first in a scenario: the constraint (twin.kpi) that sets the pace, a station, a
work spot, a charger group or the robots, beside the bottleneck station, and where the robots
wait (a charger, a work spot, aisle traffic), over shift time."""

from __future__ import annotations

import math

import pandas as pd

from twin.kpi import CONSTRAINT_KINDS, ROBOT_STATES, STATION_STATES
from twin.study.analysis import Results
from twin.study.words import spoken


def on_shift(frame: pd.DataFrame, states: tuple[str, ...]) -> pd.Series:
    """Mean state shares of ``frame`` rows over their on-shift time (off_shift left out)."""
    cols = [s for s in states if s in frame and s != "off_shift"]
    mean = frame[cols].mean()
    total = float(mean.sum())
    return mean / total if total > 0 else mean * 0.0


def _constraint(line: pd.DataFrame) -> tuple[str, str, float] | None:
    """The constraint most replications name (kind, name) and its mean utilisation over
    those; None for runs stored before the constraint was measured."""
    if "constraint_kind" not in line:
        return None
    named = line[line["constraint_kind"].isin(list(CONSTRAINT_KINDS))]
    if named.empty:
        return None
    counts = named.groupby(["constraint_kind", "constraint"]).size()
    top: tuple[object, object] = counts.idxmax()  # type: ignore[assignment]
    kind, name = str(top[0]), str(top[1])
    mine = named[(named["constraint_kind"] == kind) & (named["constraint"] == name)]
    return kind, name, float(mine["constraint_utilisation"].mean())


def _limit_words(limit: tuple[str, str, float], bn: str, busy: float) -> str:
    """The constraint that sets the pace, and the bottleneck station when that is another."""
    kind, name, use = limit
    if kind == "station":
        text = f"{spoken(name)} sets the pace (working {use:.0%} of shift time)"
        return text if name == bn else text + f"; the bottleneck, {spoken(bn)}, works {busy:.0%}"
    if kind == "fleet":
        text = f"the robots set the pace (moving work {use:.0%} of their shift time)"
    elif kind == "spot":
        text = (f"the work spot at {spoken(name)} sets the pace (held {use:.0%} of shift "
                "time)")
    else:
        text = (f"the charger group {spoken(name)} sets the pace (its points busy {use:.0%} "
                "of the time)")
    return text + f"; the busiest station, {spoken(bn)}, works {busy:.0%}"


def breaks_first(res: Results, scenario: int) -> str:
    """What limits a scenario: the constraint, a station, a work spot, a charger group or the
    robots (twin.kpi.constraint), and where the robots wait."""
    line = res.line[res.line.scenario == scenario]
    if line.empty:
        return "no finished run"
    bn = str(line["bottleneck"].mode().iloc[0])
    stations = res.stations[(res.stations.scenario == scenario)
                            & (res.stations.station == bn)]
    busy = float(on_shift(stations, STATION_STATES).get("processing", math.nan))
    limit = _constraint(line)
    text = (_limit_words(limit, bn, busy) if limit is not None
            else f"{spoken(bn)} sets the pace (working {busy:.0%} of shift time)")
    robots = res.robots[res.robots.scenario == scenario] if not res.robots.empty else res.robots
    if robots.empty:
        return text
    # robot time over planned (on-shift) time, as robot_utilisation (twin.kpi) counts it
    planned = float((line["shift_hours"] * 3600.0 / line["horizon_s"]).mean())
    share = robots[[s for s in ROBOT_STATES if s in robots]].mean() / max(planned, 1e-9)
    moving = float(line["robot_utilisation"].mean())
    if limit is None and moving >= 0.9 and moving > busy:  # stored before the constraint
        text = (f"the robots set the pace (moving work {moving:.0%} of their shift time); "
                f"the busiest station, {spoken(bn)}, works {busy:.0%}")
    waits = {"for a charger": float(share.get("waiting_charger", 0.0)),
             "for a work spot": float(share.get("waiting_spot", 0.0)),
             "in aisle traffic": float(share.get("waiting_traffic", 0.0))}
    chargers = res.chargers[res.chargers.scenario == scenario] if not res.chargers.empty \
        else res.chargers
    # a queue measured over no on-shift time is NaN: such places name no worst one
    queue = (chargers.groupby("charger")["mean_queue"].mean().dropna() if not chargers.empty
             else None)
    if queue is not None and not queue.empty:
        waits[f"at the {spoken(str(queue.idxmax()))}"] = waits.pop("for a charger")
    spots = res.spots[res.spots.scenario == scenario] if not res.spots.empty else res.spots
    queue = spots.groupby("spot")["mean_queue"].mean().dropna() if not spots.empty else None
    if queue is not None and not queue.empty:
        waits[f"for a spot at {spoken(str(queue.idxmax()))}"] = waits.pop("for a work spot")
    where, most = max(waits.items(), key=lambda kv: kv[1])
    idle = float(share.get("idle", 0.0))
    if most < 0.005:
        text += "; robots hardly wait"
    else:
        text += f"; robots wait most {where} ({most:.0%} of their shift time)"
    return text + f", idle {idle:.0%}"
