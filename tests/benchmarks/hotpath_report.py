"""Render one hot-path run (the dict ``hotpath.py`` builds) as Markdown, targets checked."""

from tests.benchmarks.report import dbcost_table

FLAT = 1.5  # a command is flat when its largest size costs at most this many times its smallest


def _best(rounds):
    return max(rounds, key=lambda r: r["throughput_rps"])


def _cpu(rounds, key):
    """(CPU ms per event over all ``rounds``, the cell: that figure and each round's). Rounds
    are weighted by their events (equal durations: by throughput)."""
    weight = sum(r["throughput_rps"] for r in rounds)
    mean = round(sum(r["cpu_ms_per_request"][key] * r["throughput_rps"] for r in rounds) / weight, 2)
    return mean, f"{mean} ({', '.join(str(r['cpu_ms_per_request'][key]) for r in rounds)})"


def _ok(flag):
    return "met" if flag else "**missed**"


def _lat(result):
    lat = result["latency_ms"]
    return f"{lat['p50']:.1f} / {lat['p99']:.1f}"


def _row(*cells):
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _ratio(a, b):
    return round(a / b, 2) if b else None


def _verdict(ratio):
    if ratio is None or ratio < 0.7:
        return "**below the floor**"
    return _ok(ratio >= 0.8) + ("" if ratio >= 0.8 else " (above the 0.7 floor)")


def throughput_table(results):
    """Per variant: best saturation round of each receiver, the ratio, CPU and commands per event."""
    lines = [
        _row("realistic stream, saturation", "bare", "service", "service/bare", "target", ""),
        "|---|---|---|---|---|---|",
    ]
    for variant, rounds in results["saturation"].items():
        bare, svc = _best(rounds["bare"]), _best(rounds["service"])
        ratio = _ratio(svc["throughput_rps"], bare["throughput_rps"])
        every = ", ".join(f"{r['throughput_rps']:.0f}" for r in rounds["service"])
        every_bare = ", ".join(f"{r['throughput_rps']:.0f}" for r in rounds["bare"])
        lines.append(
            _row(
                f"{variant}: events/s, best round (all rounds)",
                f"{bare['throughput_rps']:.0f} ({every_bare})",
                f"{svc['throughput_rps']:.0f} ({every})",
                ratio,
                "≥ 0.8 (floor 0.7)",
                _verdict(ratio),
            )
        )
        for label, key in (("gunicorn workers", "app"), ("database daemon", "database")):
            # Over every round, not the best one: a round's CPU per event moves with its pace.
            b, s = _cpu(rounds["bare"], key), _cpu(rounds["service"], key)
            target = "≤ 1.5" if key == "app" else ""
            verdict = _ok(_ratio(s[0], b[0]) is not None and _ratio(s[0], b[0]) <= 1.5) if key == "app" else ""
            name = f"{variant}: CPU ms per event, {label}, all rounds (each)"
            lines.append(_row(name, b[1], s[1], _ratio(s[0], b[0]), target, verdict))
        lines.append(
            _row(
                f"{variant}: DB commands per request (server `top`)",
                bare["db_commands_per_request"],
                svc["db_commands_per_request"],
                "",
                "",
                "",
            )
        )
        lines.append(_row(f"{variant}: p50 / p99 ms at saturation", _lat(bare), _lat(svc), "", "", ""))
        errors = sum(r["errors"] for r in rounds["bare"]), sum(r["errors"] for r in rounds["service"])
        lines.append(_row(f"{variant}: errors", errors[0], errors[1], "", "0", _ok(errors[1] == 0)))
    return "\n".join(lines)


def latency_table(results):
    """Fixed-rate runs on the three-event stream."""
    fixed = results["fixed_rate"]
    lines = [
        _row("fixed rate, three-event stream", "offered ev/s", "p50 / p99 ms", "errors", "target", ""),
        "|---|---|---|---|---|---|",
    ]
    for name, label, target in (
        ("bare", "bare at ½ bare capacity", ""),
        ("service", "service at ½ bare capacity", "p99 ≤ 50 ms"),
        ("service@own", "service at ½ its own capacity", ""),
    ):
        run = fixed[name]
        verdict = _ok(run["latency_ms"]["p99"] <= 50) if target else ""
        lines.append(_row(label, run["offered_rps"], _lat(run), run["errors"], target, verdict))
    return "\n".join(lines)


_TARGETS = {"applied": (3, "≤ 3"), "stored": (1, "1"), "duplicate": (2, "1–2")}


def commands_table(results):
    """In-process command counts per kind of delivery, and per checkout by shape."""
    cmds = results["commands"]
    lines = [
        _row("DB commands per delivery (in process)", "bare", "service", "service commands", "target", ""),
        "|---|---|---|---|---|---|",
    ]
    for kind, (limit, target) in _TARGETS.items():
        svc, bare = cmds["service"].get(kind), cmds["bare"].get(kind)
        if svc is None:
            continue
        names = ", ".join(f"{name} {n}" for name, n in svc["commands"].items())
        lines.append(
            _row(
                kind, bare["per_event"] if bare else "", svc["per_event"], names, target, _ok(svc["per_event"] <= limit)
            )
        )
    lines += ["", _row("checkout, DB commands per request by shape (in process)", "per checkout"), "|---|---|"]
    lines += [_row(f"`{shape}`", n) for shape, n in cmds["checkout"].items()]
    return "\n".join(lines)


def flatness_table(results):
    """Each command's largest-size cost over its smallest-size cost."""
    costs = results["dbcost"]
    sizes = sorted(costs, key=int)
    lines = [
        _row("flatness: server time at the largest size ÷ at the smallest", "ratio", f"target ≤ {FLAT}", ""),
        "|---|---|---|---|",
    ]
    for label in costs[sizes[0]]:
        first, last = costs[sizes[0]][label]["server_us"], costs[sizes[-1]][label]["server_us"]
        ratio = _ratio(last, first)
        lines.append(_row(label, ratio, "", _ok(ratio is not None and ratio <= FLAT)))
    return "\n".join(lines)


def proxy_table(results):
    """The receivers (and checkout) with a slower database round trip."""
    proxy = results["proxy"]
    lines = [
        _row(
            f"database {proxy['latency_ms']} ms away (per instance, 2 workers)",
            "events/s",
            "p50 / p99 ms",
            "CPU ms/event workers / db",
            "errors",
        ),
        "|---|---|---|---|---|",
    ]
    for name in ("bare", "service"):
        run = proxy[name]
        cpu = run["cpu_ms_per_request"]
        lines.append(
            _row(name, f"{run['throughput_rps']:.0f}", _lat(run), f"{cpu['app']} / {cpu['database']}", run["errors"])
        )
    if "checkout" in proxy:
        co = proxy["checkout"]
        lines.append(
            _row(
                "checkout (req/s)",
                f"{co['saturation']['throughput_rps']:.0f}",
                _lat(co["saturation"]),
                "",
                co["saturation"]["errors"],
            )
        )
        lines.append(
            _row(f"checkout at ½ capacity ({co['rate']}/s)", "", _lat(co["fixed_rate"]), "", co["fixed_rate"]["errors"])
        )
    return "\n".join(lines)


def checkout_table(results):
    """Checkout on the direct database."""
    co = results["checkout"]
    sat, fixed = co["saturation"], co["fixed_rate"]
    return "\n".join(
        [
            _row("checkout (POST /checkout → fake Stripe)", "value"),
            "|---|---|",
            _row("requests/s at saturation", f"{sat['throughput_rps']:.0f}"),
            _row("p50 / p99 ms at saturation", _lat(sat)),
            _row(f"p50 / p99 ms at {co['rate']} req/s (½ capacity)", _lat(fixed)),
            _row("DB commands per checkout (server `top`)", sat["db_commands_per_request"]),
            _row(
                "CPU ms per checkout: workers / database",
                f"{sat['cpu_ms_per_request']['app']} / {sat['cpu_ms_per_request']['database']}",
            ),
            _row("errors", sat["errors"] + fixed["errors"]),
        ]
    )


def render(results):
    """The run as Markdown: machine and load, then a table per phase that ran."""
    parts = [
        f"Run {results['started']} on commit {results.get('code', '?')} — `{results['command']}`",
        "",
        "Machine: " + "; ".join(f"{k}: {v}" for k, v in results["machine"].items()),
    ]
    tables = (
        ("saturation", throughput_table),
        ("fixed_rate", latency_table),
        ("commands", commands_table),
        ("dbcost", dbcost_table),
        ("dbcost", flatness_table),
        ("proxy", proxy_table),
        ("checkout", checkout_table),
    )
    for key, table in tables:
        if key in results:
            parts += ["", table(results)]
    return "\n".join(parts) + "\n"
