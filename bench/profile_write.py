"""Profile of the write path: N generated commands through `custody_ledger.app.execute.execute`, one durable
transaction each, under cProfile, after a real prefix (so the commands find state to read).

Written to bench/profiles/ (or --out):
- write_path_<backend>.pstats   the raw cProfile stats (`python -m pstats FILE`);
- write_path_<backend>.svg      a flame graph of them, drawn by `flameprof` (`pip install flameprof`; when it
                                is not importable the SVG is skipped and said so);
- write_path_<backend>.txt      the summary printed below: statements per command by kind (counted with a
                                `before_cursor_execute` listener, in a separate unprofiled run of the same
                                number of commands), exclusive time by where it is spent (SQLAlchemy, the
                                driver, commit, the product, ...), the top functions by cumulative and own time.

    python bench/profile_write.py [--prefix 3000] [--n 2000] [--db postgresql://...] [--out bench/profiles]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from history import load_commands
from ingest import NOW, RECORDING_DELAY, Backend, bench_policy, durability, occurred

from custody_ledger.app.execute import execute
from custody_ledger.demo.generator import generate_commands
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger import db, migrate, unit


def run_commands(engine: sa.Engine, commands: Sequence[dict[str, Any]], policy: Policy) -> float:
    started = time.perf_counter()
    for command in commands:
        execute(engine, command, now=occurred(command) + RECORDING_DELAY, policy=policy)
    return time.perf_counter() - started


def count_statements(engine: sa.Engine, commands: Sequence[dict[str, Any]], policy: Policy) -> Counter[str]:
    """Statements per kind (first word): those sent through SQLAlchemy and those the write path's Unit sends on
    the driver's cursor (ledger/unit.py), an executemany counted once; not the driver's own BEGIN/COMMIT on
    PostgreSQL, nor the connect-time PRAGMAs."""
    kinds: Counter[str] = Counter()

    def count(_conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, many: bool) -> None:
        kinds[statement.split(None, 1)[0].upper() + (" (executemany)" if many else "")] += 1

    run = unit.Unit._run

    def counted(self: unit.Unit, cursor: Any, sql: str, params: list[tuple[Any, ...]]) -> None:
        kinds[sql.split(None, 1)[0].upper() + (" (executemany)" if len(params) > 1 else "")] += 1
        run(self, cursor, sql, params)

    sa.event.listen(engine, "before_cursor_execute", count)
    unit.Unit._run = counted  # type: ignore[method-assign]
    try:
        run_commands(engine, commands, policy)
    finally:
        unit.Unit._run = run  # type: ignore[method-assign]
        sa.event.remove(engine, "before_cursor_execute", count)
    return kinds


BUCKETS = [  # (bucket, pattern on "file:function"), first match wins
    ("SQLite commit (the WAL fsync)", r"method 'commit' of 'sqlite3"),
    ("psycopg waiting for the server (statements and commits)",
     r"psycopg/connection\.py:wait|_send_query|psycopg/waiting|wait_c"),
    ("driver (sqlite3 / psycopg, the rest)", r"sqlite3\.|psycopg|method 'execute' of|method 'fetch"),
    ("SQLAlchemy", r"/sqlalchemy/"),
    ("JSON / RFC 8785 canonical form", r"/json/|rfc8785|_json\.|method 'encode'|json"),
    ("hashing, uuid", r"hashlib|_hashlib|/uuid\.py|sha256"),
    ("cryptography (person store)", r"cryptography|/argon2|_rust"),
    ("policy YAML / dates / zoneinfo", r"/yaml/|zoneinfo|_strptime|fromisoformat|isoformat"),
    ("custody_ledger (product code)", r"custody_ledger/"),
    ("dataclasses, typing, other Python", r".*"),
]


def buckets(stats: pstats.Stats) -> list[tuple[str, float]]:
    own: Counter[str] = Counter()
    for (file, _line, name), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{file}:{name}"
        for bucket, pattern in BUCKETS:
            if re.search(pattern, where):
                own[bucket] += tt
                break
    return own.most_common()


def top(stats: pstats.Stats, key: str, count: int) -> str:
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats(key).print_stats(count)
    text = out.getvalue()
    return text[text.index("   ncalls"):] if "   ncalls" in text else text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", type=int, default=3000, help="events loaded first (execute_batch)")
    parser.add_argument("--n", type=int, default=2000, help="commands profiled (and as many counted)")
    parser.add_argument("--db", default=None, help="a PostgreSQL server URL (default: a SQLite file)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "profiles"))
    args = parser.parse_args()
    policy = bench_policy()
    commands = generate_commands(287, NOW, args.prefix + 2 * args.n + 1000)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cl-profile-") as tmp:
        backend = Backend(Path(tmp), args.db)
        try:
            engine = db.make_engine(backend.create("profile"))
            migrate.upgrade(engine)
            start = load_commands(engine, commands, 0, args.prefix, policy)
            profiled = commands[start:start + args.n]
            counted = commands[start + args.n:start + 2 * args.n]
            profile = cProfile.Profile()
            profile.enable()
            elapsed = run_commands(engine, profiled, policy)
            profile.disable()
            kinds = count_statements(engine, counted, policy)
            name = f"write_path_{engine.dialect.name}"
            durable = durability(engine)
            engine.dispose()
        finally:
            backend.drop_all()
    stats_file = out / f"{name}.pstats"
    profile.dump_stats(stats_file)
    stats = pstats.Stats(str(stats_file))
    total = sum(tt for (_cc, _nc, tt, _ct, _c) in stats.stats.values())  # type: ignore[attr-defined]
    lines = [f"{date.today().isoformat()}: {args.n} commands through execute after a {args.prefix:,}-event "
             f"prefix; {durable}",
             f"under cProfile: {elapsed:.1f} s = {elapsed / args.n * 1000:.2f} ms a command "
             f"(profiled time {total:.1f} s; cProfile itself adds overhead, compare the shares)",
             f"statements per command (next {args.n} commands, unprofiled): "
             f"{sum(kinds.values()) / args.n:.1f}: "
             + ", ".join(f"{k} {v / args.n:.2f}" for k, v in kinds.most_common()),
             "", "exclusive (own) time by where it is spent:"]
    shares = buckets(stats)
    lines += [f"  {share / total * 100:5.1f} %  {share / args.n * 1000:6.3f} ms/command  {bucket}"
              for bucket, share in shares]
    commit = sum(ct for (file, _line, name), (_cc, _nc, _tt, ct, _c) in stats.stats.items()  # type: ignore[attr-defined]
                 if name == "<method 'commit' of 'sqlite3.Connection' objects>"
                 or (name == "commit" and file.endswith("psycopg/connection.py")))
    lines += [f"  the driver's commit alone (cumulative; on PostgreSQL its wait is in the psycopg line above): "
              f"{commit / args.n * 1000:.3f} ms/command, {commit / total * 100:.1f} %"]
    lines += ["", "top 40 by cumulative time:", top(stats, "cumulative", 40),
              "top 25 by own time:", top(stats, "tottime", 25)]
    summary = "\n".join(lines)
    (out / f"{name}.txt").write_text(summary + "\n")
    print("\n".join(lines[:7 + len(BUCKETS)]))
    try:
        import flameprof  # type: ignore[import-not-found]
    except ImportError:
        print(f"flameprof is not installed: no SVG (pip install flameprof); stats in {stats_file}")
        return
    with open(out / f"{name}.svg", "w") as svg:
        flameprof.render(stats.stats, svg, fmt="svg", threshold=0.002, width=1600)  # type: ignore[attr-defined]
    print(f"wrote {out / name}.svg, .txt, .pstats")


if __name__ == "__main__":
    main()
