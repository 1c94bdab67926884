"""KPIs from the factory's state clocks and counters at the end of a run (see twin.kpi)."""

from __future__ import annotations

from twin import kpi
from twin.kpi import (
    LOSSES,
    ROBOT_STATES,
    STATION_STATES,
    AisleKPIs,
    ChargerKPIs,
    KPIs,
    LineKPIs,
    RobotKPIs,
    SpotKPIs,
    StationKPIs,
    TrafficKPIs,
)
from twin.line.factory import Factory
from twin.line.transport import HumanoidLeg
from twin.units import J_PER_KWH

NAN = float("nan")
_ratio = kpi.ratio


def _fleet_share(robots: dict[str, RobotKPIs], state: str) -> float:
    """The fleet's share of time in ``state`` (robot-time over robots x horizon)."""
    return sum(getattr(r, state) for r in robots.values()) / len(robots) if robots else NAN


def measure(f: Factory, horizon: float, warmup: float) -> KPIs:
    now = f.env.now
    stations = {sid: _station(st, now, horizon) for sid, st in f.stations.items()}
    good = f.good
    robots = {}
    for rid, robot in f.robots.items():
        t = robot.clock.totals(now)
        energy = robot.used_j / J_PER_KWH
        robots[rid] = RobotKPIs(
            **{s: t[s] / horizon for s in ROBOT_STATES},
            energy_kwh=energy, kwh_per_unit=_ratio(energy, good), charges=robot.charges,
            tasks=robot.tasks, distance_m=robot.distance, falls=robot.falls,
            failed_tasks=robot.failed_tasks, depleted=robot.depleted,
            failures=robot.failures,
        )
    chargers = {}
    for cid, g in f.chargers.items():
        chargers[cid] = ChargerKPIs(
            points=g.spec.count, charges=g.charges, mean_wait_s=_ratio(g.wait_sum, g.charges),
            # over the calendar window: robots charge on and off shift (breaks, nights)
            max_wait_s=g.wait_max, mean_queue=g.queue_area_until(now) / horizon,
            max_queue=g.queue_max, utilisation=g.busy_time / (g.spec.count * horizon),
        )
    bn = kpi.bottleneck({sid: st.processing for sid, st in stations.items()})
    b = stations[bn]
    servers = b.servers
    losses = {k: v / servers for k, v in b.losses_s.items()}
    produced = good + f.scrapped
    quality = kpi.quality_ratio(good, produced)
    fleet_energy = sum(r.energy_kwh for r in robots.values())
    charges = sum(g.charges for g in f.chargers.values())
    waits = sum(g.wait_sum for g in f.chargers.values())
    start = now - horizon
    shift_s = f.calendar.on_time(start, now)
    # robots with no trip to make and a datasheet battery: their work is left out of the model
    no_trips = not any(isinstance(leg, HumanoidLeg) for leg in f.legs)
    busy = sum(kpi.robot_busy_share({s: getattr(r, s) for s in ROBOT_STATES},
                                    no_trips and f.robots[rid].datasheet is not None)
               for rid, r in robots.items()) * horizon
    f._wip(0)
    departed = good + f.scrapped + f.consumed
    # units still inside count their age within the window (censoring): see twin.kpi
    stay = f.stay_sum + f.wip * now - f.entry_sum
    spots = {}
    for name, spot in f.spots.items():
        held, queue, clearing = spot.totals()
        # over planned (on-shift) time, as robot_utilisation: robots work at spots on shift
        spots[name] = SpotKPIs(
            spots=spot.spots, visits=spot.visits,
            utilisation=kpi.utilisation(held, spot.spots, shift_s),
            mean_queue=kpi.ratio(queue, shift_s), max_queue=spot.queue_max,
            mean_wait_s=_ratio(spot.wait_sum, spot.visits), hand_over_s=clearing,
        )
    robot_use = kpi.utilisation(busy, len(robots), shift_s)
    # every kind of resource, each busy over its own planned time (twin.kpi.constraint)
    use = {("station", bn): b.availability}
    use.update({("spot", name): s.utilisation for name, s in spots.items()})
    use.update({("charger", cid): c.utilisation for cid, c in chargers.items()})
    if robots:
        use[("fleet", kpi.FLEET)] = robot_use
    limit, limit_kind, limit_use = kpi.constraint(use)
    line = LineKPIs(
        horizon_s=horizon, warmup_s=warmup, window_start_s=start,
        throughput_per_hour=kpi.per_hour(good, horizon),
        shift_hours=shift_s / 3600.0, throughput_per_shift_hour=kpi.per_hour(good, shift_s),
        produced_units=produced, good_units=good, scrap_units=f.scrapped,
        rework_units=sum(st.reworked for st in f.stations.values()),
        availability=b.availability, effectiveness=b.effectiveness, quality_ratio=quality,
        oee=kpi.oee(b.availability, b.effectiveness, quality),
        bottleneck=bn, constraint=limit, constraint_kind=limit_kind,
        constraint_utilisation=limit_use, mean_lead_time_s=kpi.lead_time_s(stay, departed),
        mean_finished_lead_time_s=_ratio(f.lead_sum, f.lead_n),
        wip_mean=f.wip_area / horizon, wip_end=f.wip, wip_start=f.wip_start,
        started_units=f.started, consumed_units=f.consumed, departed_units=departed,
        departures_per_hour=kpi.per_hour(departed, horizon),
        losses_s=losses, fleet_energy_kwh=fleet_energy,
        kwh_per_unit=_ratio(fleet_energy, good), charges=charges,
        mean_charger_wait_s=_ratio(waits, charges),
        robot_utilisation=robot_use,
        waiting_spot_share=_fleet_share(robots, "waiting_spot"),
        waiting_traffic_share=_fleet_share(robots, "waiting_traffic"),
    )
    return KPIs(line=line, stations=stations, robots=robots, chargers=chargers, spots=spots,
                traffic=_traffic(f, horizon))


def _traffic(f: Factory, horizon: float) -> TrafficKPIs:
    t = f.traffic
    if t is None:
        return TrafficKPIs(enabled=False, holds=0, deadlocks=0, aisles={})
    marked = [(a.name or f"aisle {k + 1}", a.start, a.end, a.width)
              for k, a in enumerate(f.line.layout.aisles)]
    hours = horizon / 3600.0
    aisles = {name: AisleKPIs(x=x, y=y, lanes=lanes, passages_per_hour=passages / hours,
                              blocked_s=blocked)
              for name, (x, y, lanes, passages, blocked) in t.aisle_stats(marked).items()}
    return TrafficKPIs(enabled=True, holds=t.holds, deadlocks=t.deadlocks, aisles=aisles)


def _station(st: object, now: float, horizon: float) -> StationKPIs:
    from twin.line.station import Station

    assert isinstance(st, Station)
    totals = dict.fromkeys(STATION_STATES, 0.0)
    for server in st.servers:
        for state, secs in server.clock.totals(now).items():
            totals[state] += secs
    c = len(st.servers)
    pbt = c * horizon - totals["off_shift"]
    apt = totals["processing"]
    availability = kpi.availability(apt, pbt)
    stated = st.spec.ideal_cycle is not None
    ideal = kpi.ideal_time_s(st.ideal_time, apt, st.produced, stated)
    effectiveness = kpi.effectiveness(ideal, apt)
    quality = kpi.quality_ratio(st.good, st.produced)
    # the good units' share of PRI x PQ (the product mix weighs it when no ideal is stated)
    good_ideal = (st.good_ideal_time if stated or st.ideal_time <= 0
                  else ideal * st.good_ideal_time / st.ideal_time)
    losses = {
        "planned_downtime": totals["off_shift"],
        "breakdowns": totals["down"],
        "setup": totals["setup"],
        "starved": totals["starved"],
        "blocked": totals["blocked"],
        "speed": apt - ideal,
        "scrap": ideal - good_ideal,
        "valuable": good_ideal,
    }
    assert tuple(losses) == LOSSES
    return StationKPIs(
        servers=c,
        **{s: totals[s] / (c * horizon) for s in STATION_STATES},
        availability=availability, effectiveness=effectiveness, quality_ratio=quality,
        oee=kpi.oee(availability, effectiveness, quality),
        produced_units=st.produced, good_units=st.good, scrap_units=st.scrapped,
        rework_units=st.reworked, failures=st.failures,
        mtbf_s=_ratio(apt, st.failures), mttr_s=_ratio(totals["down"], st.failures),
        losses_s=losses,
    )
