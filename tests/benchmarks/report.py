"""Render one run's results (the dict ``run.py`` builds) as Markdown tables, targets checked."""


def _best(rounds):
    return max(rounds, key=lambda r: r["throughput_rps"])


def _ok(flag):
    return "met" if flag else "**missed**"


def _max_rss(rss):
    values = [v for v in rss.values() if v is not None]
    return max(values) if values else None


def _latency(result):
    lat = result["latency_ms"]
    return f"{lat['p50']:.1f} / {lat['p95']:.1f} / {lat['p99']:.1f}"


def _ratio(numerator, denominator, digits=2):
    return f"{numerator / denominator:.{digits}f}" if denominator else ""


def _rounds(rounds):
    return ", ".join(f"{r['throughput_rps']:.0f}" for r in rounds)


def _load_rows(hooks):
    bare, svc = _best(hooks["saturation"]["bare"]), _best(hooks["saturation"]["service"])
    ratio = svc["throughput_rps"] / bare["throughput_rps"]
    fixed_b, fixed_s, own = (hooks["fixed_rate"][key] for key in ("bare", "service", "service@own"))
    errors = {
        name: sum(r["errors"] for r in hooks["saturation"][name])
        + sum(r["errors"] for key, r in hooks["fixed_rate"].items() if key.split("@")[0] == name)
        for name in ("bare", "service")
    }
    return [
        (
            "events/s at saturation (best round; all rounds)",
            f"{bare['throughput_rps']:.0f} ({_rounds(hooks['saturation']['bare'])})",
            f"{svc['throughput_rps']:.0f} ({_rounds(hooks['saturation']['service'])})",
            f"{ratio:.2f}",
            "service ≥ 0.7 × bare",
            _ok(ratio >= 0.7),
        ),
        (
            f"latency p50 / p95 / p99 ms at {hooks['rate']:.0f} ev/s (½ bare capacity)",
            _latency(fixed_b),
            _latency(fixed_s),
            _ratio(fixed_s["latency_ms"]["p99"], fixed_b["latency_ms"]["p99"]),
            "p99 ≤ 50 ms",
            _ok(fixed_s["latency_ms"]["p99"] <= 50),
        ),
        (
            f"latency p50 / p95 / p99 ms at {own['offered_rps']:.0f} ev/s (½ the service's own capacity)",
            "",
            _latency(own),
            "",
            "",
            "",
        ),
        ("latency p50 / p95 / p99 ms at saturation", _latency(bare), _latency(svc), "", "", ""),
        ("errors (all webhook runs)", errors["bare"], errors["service"], "", "0", _ok(errors["service"] == 0)),
        (
            "inbox rows at the end of the best saturation run",
            bare["inbox_rows_at_end"],
            svc["inbox_rows_at_end"],
            "",
            "",
            "",
        ),
    ]


def _command_rows(hooks, cmds):
    bare, svc = _best(hooks["saturation"]["bare"]), _best(hooks["saturation"]["service"])

    def per(name, kind):
        return cmds[name][kind]["per_event"]

    return [
        (
            "DB commands per new event",
            per("bare", "new"),
            per("service", "new"),
            _ratio(per("service", "new"), per("bare", "new"), 1),
            "≤ 3",
            _ok(per("service", "new") <= 3),
        ),
        (
            "DB commands per duplicate of an applied event",
            per("bare", "duplicate"),
            per("service", "duplicate"),
            "",
            "1–2",
            _ok(per("service", "duplicate") <= 2),
        ),
        ("DB commands per late `processing` event", per("bare", "late"), per("service", "late"), "", "", ""),
        (
            "DB commands per request, server-side (`top`), mixed stream at saturation",
            bare["db_commands_per_request"],
            svc["db_commands_per_request"],
            "",
            "",
            "",
        ),
    ]


def _resource_rows(hooks, rss):
    bare, svc = _best(hooks["saturation"]["bare"]), _best(hooks["saturation"]["service"])
    rss_b, rss_s = _max_rss(rss["bare"]), _max_rss(rss.get("service_after_checkout") or rss["service"])
    rows = []
    for label, key in (("gunicorn workers", "app"), ("database daemon", "database"), ("load generator", "loadgen")):
        b, v = bare["cpu_ms_per_request"][key], svc["cpu_ms_per_request"][key]
        rows.append((f"CPU ms per request at saturation: {label}", b, v, _ratio(v, b, 1), "", ""))
    rows.append(
        (
            "peak RSS per worker, MiB (VmHWM, max of 2)",
            rss_b,
            rss_s,
            "",
            "≤ 150",
            _ok(rss_s is not None and rss_s <= 150),
        )
    )
    return rows


def webhook_table(results):
    """The webhook ingestion table: bare vs service, ratio, targets."""
    hooks = results["webhooks"]
    rows = _load_rows(hooks) + _command_rows(hooks, results["commands"]) + _resource_rows(hooks, results["rss"])
    lines = ["| webhook ingestion | bare | service | service/bare | target | |", "|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def dbcost_table(results):
    """Server time of single commands at each collection size (the database's own ``top``)."""
    costs = results.get("dbcost")
    if not costs:
        return ""
    sizes = sorted(costs, key=int)
    labels = list(costs[sizes[0]])
    lines = [
        "| database server time per command (µs), by collection size | "
        + " | ".join(f"{int(size):,} rows" for size in sizes)
        + " |",
        "|---|" + "---|" * len(sizes),
    ]
    lines += [
        "| " + label + " | " + " | ".join(f"{costs[size][label]['server_us']:,}" for size in sizes) + " |"
        for label in labels
    ]
    return "\n".join(lines)


def checkout_table(results):
    """Checkout: saturation throughput and latency, and latency at half of it."""
    co = results["checkout"]
    sat, fixed = co["saturation"], co["fixed_rate"]
    lines = [
        "| checkout (POST /checkout → fake Stripe) | value |",
        "|---|---|",
        f"| requests/s at saturation | {sat['throughput_rps']:.0f} |",
        f"| p50 / p95 / p99 ms at saturation ({results['settings']['connections']} connections) | {_latency(sat)} |",
        f"| p50 / p95 / p99 ms at {co['rate']:.0f} req/s (½ capacity) | {_latency(fixed)} |",
        f"| errors | {sat['errors'] + fixed['errors']} |",
        f"| DB commands per checkout (server-side) | {sat['db_commands_per_request']} |",
        f"| CPU ms per checkout: workers / database | {sat['cpu_ms_per_request']['app']} / "
        f"{sat['cpu_ms_per_request']['database']} |",
    ]
    return "\n".join(lines)


def _summary(summary):
    if "error" in summary:
        return f"**failed**: {summary['error'][:120]}"
    return f"{summary['checked']} / {summary['healed']} / {summary['events_recovered']} / {summary['failed']}" + (
        " (**pass reports a failure**)" if summary["failed"] else ""
    )


def reconcile_table(results):
    """Reconcile scaling at each size, the ratio of the largest to the smallest, and where the
    pass spent its database time (by query shape)."""
    rec = results["reconcile"]
    if rec["status"] != "done":
        return f"Reconcile scaling: not run ({rec['detail']})."
    sizes = sorted(rec["sizes"], key=int)
    data = [rec["sizes"][size] for size in sizes]

    def explained(name):
        return [
            f"{d['examined'][name]['keys_examined']} / {d['examined'][name]['docs_examined']}"
            f" → {d['examined'][name]['returned']}"
            for d in data
        ]

    rows = [
        ("orders / inbox rows", [f"{d['orders']:,} / {d['inbox_rows']:,}" for d in data]),
        (
            "pass time, median s (each pass)",
            [f"{d['median_s']:.2f} ({', '.join(f'{x:.2f}' for x in d['seconds'])})" for d in data],
        ),
        ("checked / healed / events recovered / failed (first pass)", [_summary(d["summary"]) for d in data]),
        ("failed count of each pass", [", ".join(str(f) for f in d.get("failed_per_pass", [])) for d in data]),
        (
            "pass time minus its post-pass inbox count (`aggregate stripe_events {state}`), median s",
            [f"{d.get('median_s_without_inbox_count', 0):.2f}" for d in data],
        ),
        ("DB commands in the pass", [d["commands_total"] for d in data]),
        ("documents returned to the reconciler", [sum(v[2] for v in d["db_time_by_query"].values()) for d in data]),
        ("explain: stuck-order reads, keys / docs examined → returned", explained("stuck_orders")),
        ("explain: unapplied-inbox reads, keys / docs examined → returned", explained("unapplied_events")),
    ]
    ratio = data[-1]["median_s"] / data[0]["median_s"]
    lines = [
        "| reconcile (one pass) | " + " | ".join(f"{int(size):,} orders" for size in sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    lines += ["| " + label + " | " + " | ".join(str(v) for v in values) + " |" for label, values in rows]
    lines.append(
        f"| time ratio {int(sizes[-1]):,} / {int(sizes[0]):,} (target ≤ 1.3) | **{ratio:.2f}** — "
        f"{_ok(ratio <= 1.3)} |" + " |" * (len(sizes) - 1)
    )
    shapes = sorted(
        set().union(*(d["db_time_by_query"] for d in data)),
        key=lambda shape: -data[-1]["db_time_by_query"].get(shape, (0, 0, 0))[1],
    )
    lines += [
        "",
        "| database time in the pass by query shape: commands, median ms over the passes | "
        + " | ".join(f"{int(size):,} orders" for size in sizes)
        + " |",
        "|---|" + "---|" * len(sizes),
    ]
    for shape in shapes[:8]:
        cells = [d["db_time_by_query"].get(shape) for d in data]
        lines.append(f"| `{shape}` | " + " | ".join(f"{c[0]}, {c[1]:,.0f} ms" if c else "–" for c in cells) + " |")
    return "\n".join(lines)


def render(results):
    """The results section as Markdown (tables for the phases that ran)."""
    machine = results["machine"]
    parts = [
        f"Run {results['started']} on commit {results.get('code', '?')} — `{results['command']}`",
        "",
        "Machine: " + "; ".join(f"{k}: {v}" for k, v in machine.items()),
    ]
    for key, table in (
        ("webhooks", webhook_table),
        ("dbcost", dbcost_table),
        ("checkout", checkout_table),
        ("reconcile", reconcile_table),
    ):
        if key in results:
            parts += ["", table(results)]
    return "\n".join(parts) + "\n"
