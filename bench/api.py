"""API benchmark: requests/s and p50/p99 latency of two real routes, beside a bare constant route.

    GET  /holds?due_within=4h             (the watch list of a facility's records unit)
    POST /commands/serve_warrant          (a WSO arrest: the full write path, one durable transaction)
    GET  /constant on a bare FastAPI app  (the raw limit of the HTTP stack on this machine)
    POST /commands/serve_warrant, 2 connections, idle and under a flood of 16 parallel log-ins (issue 11:
         password hashing must not hold the write lock; command p99 under the flood within 2x of idle)

Each server runs as its own process on 127.0.0.1 (uvicorn, one worker); the load comes from `wrk`
(Debian package `wrk`) in another process, bounded in time and connections. One run; the ratio is
ours / constant.

    python bench/api.py [--seconds 10] [--connections 16] [--db postgresql://user@host:5432/test] [--workers 2]

With `--db`, a database cl_bench_<random>_api is created on that server and dropped at the end; `--workers`
runs `serve --workers N` (one process per core for PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from custody_ledger.app.admin import open_engine
from custody_ledger.app.execute import execute_batch
from custody_ledger.ledger.schema import certificates, facilities, users
from custody_ledger.policy import default_policy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import Backend

HOST = "127.0.0.1"
LOGIN_LUA = """
request = function()
  return wrk.format("POST", "/auth/login", {["Content-Type"] = "application/json"},
                    '{"username":"auditor","password":"demo-password-287g"}')
end
"""
SERVE_LUA = """
counter = START
request = function()
  counter = counter + 1
  local body = string.format('{"hold_id":"%s.BH-%d","warrant_id":"BW-%d","officer_id":"%s"}', AGENCY, counter, counter,
                             OFFICER)
  wrk.headers["Idempotency-Key"] = string.format("bench-serve-%d-%d", SALT, counter)
  return wrk.format("POST", "/commands/serve_warrant", wrk.headers, body)
end
"""


def cli(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "custody_ledger", *args], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def prepare_arrests(db: str, count: int) -> tuple[str, str]:
    """Released bookings with lodged warrants, ready for the demo WSO to serve; returns the officer and agency
    ids (the hold ids an API caller creates begin with its agency's)."""
    engine = open_engine(db)
    with engine.connect() as conn:
        officer, agency = conn.execute(sa.select(users.c.officer_id, users.c.agency_id)
                                       .where(users.c.user_id == "wso")).one()
        facility = conn.execute(sa.select(facilities.c.facility_id).where(facilities.c.agency_id == agency)
                                .limit(1)).scalar_one()
        assert conn.execute(sa.select(certificates.c.status).where(certificates.c.officer_id == officer)).scalar()
    now = datetime.now(UTC) - timedelta(minutes=2)
    commands = []
    for i in range(1, count + 1):
        base = {"actor": "bench", "occurred_at": now.isoformat()}
        commands += [
            {**base, "command": "book_person", "idempotency_key": f"bb-{i}", "booking_id": f"BB-{i}",
             "facility_id": facility, "person": {"name": f"Bench Person {i}", "dob": "1990-01-01"},
             "charge_status": "pending"},
            {**base, "command": "lodge_warrant", "idempotency_key": f"bw-{i}", "warrant_id": f"BW-{i}",
             "booking_id": f"BB-{i}", "form": "I-200", "number": f"N-{i}", "issued_on": now.date().isoformat()},
            {**base, "command": "release_from_criminal_custody", "idempotency_key": f"br-{i}",
             "booking_id": f"BB-{i}", "reason": "bail"},
        ]
    for start in range(0, len(commands), 3000):
        execute_batch(engine, commands[start:start + 3000], now=now + timedelta(minutes=1), policy=default_policy())
    engine.dispose()
    return str(officer), str(agency)


def wait_until_up(url: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not start")


def login(port: int, user: str, password: str) -> str:
    body = json.dumps({"username": user, "password": password}).encode()
    request = urllib.request.Request(f"http://{HOST}:{port}/auth/login", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        token: str = json.load(response)["token"]
    return token


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str], script: Path | None = None) -> dict:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    if script is not None:
        args += ["-s", str(script)]
    out = subprocess.run([*args, url], check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50, p99 = (re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out) for p in ("50", "99"))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rate": rate, "p50": _ms(p50), "p99": _ms(p99), "errors": int(non_2xx.group(1)) if non_2xx else 0}


def _ms(match: re.Match[str] | None) -> float:
    assert match is not None
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def main() -> None:
    parser = argparse.ArgumentParser(description="API benchmark (see module docstring)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--arrests", type=int, default=24000, help="prepared releases for serve_warrant")
    parser.add_argument("--db", default=None, help="a PostgreSQL server URL (default: a SQLite file)")
    parser.add_argument("--workers", type=int, default=1, help="server processes (serve --workers)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/api.py needs wrk: apt-get install -y wrk")
    with tempfile.TemporaryDirectory(prefix="cl-api-bench-") as tmp:
        backend = Backend(Path(tmp), args.db)
        try:
            run(args, tmp, backend.create("api") if args.db else str(Path(tmp) / "bench.db"))
        finally:
            backend.drop_all()


def run(args: argparse.Namespace, tmp: str, db: str) -> None:
    env = {**os.environ, "CUSTODY_LEDGER_DB": db, "CUSTODY_LEDGER_MFA_REQUIRED": "false",
           "CUSTODY_LEDGER_SECRET_KEY": "bench-" + "k" * 40}
    cli("init", env=env)
    cli("seed", "--agencies", "6", "--years", "0.5", env=env)
    cli("demo-accounts", env=env)
    officer, agency = prepare_arrests(db, args.arrests)
    scripts = []
    for part in range(3):  # each run serves warrants of its own third
        scripts.append(Path(tmp) / f"serve{part}.lua")
        scripts[-1].write_text(f'OFFICER = "{officer}"\nAGENCY = "{agency}"\nSALT = {int(time.time())}\n'
                               f"START = {part * args.arrests // 3}\n" + SERVE_LUA)
    login_script = Path(tmp) / "login.lua"
    login_script.write_text(LOGIN_LUA)
    servers = [
        subprocess.Popen([sys.executable, "-m", "custody_ledger", "serve", "--port", "8781",
                          "--workers", str(args.workers)], env=env, stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, "-m", "uvicorn", "--app-dir", str(Path(__file__).parent),
                          "constant_app:app", "--port", "8782", "--log-level", "warning"]),
    ]
    try:
        wait_until_up(f"http://{HOST}:8781/openapi.json")
        wait_until_up(f"http://{HOST}:8782/constant")
        records = {"Authorization": f"Bearer {login(8781, 'records', 'demo-password-287g')}"}
        wso = {"Authorization": f"Bearer {login(8781, 'wso', 'demo-password-287g')}",
               "Content-Type": "application/json"}
        base = wrk(f"http://{HOST}:8782/constant", args.seconds, args.connections, {})
        holds = wrk(f"http://{HOST}:8781/holds?due_within=4h", args.seconds, args.connections, records)
        serve_url = f"http://{HOST}:8781/commands/serve_warrant"
        serve = wrk(serve_url, args.seconds, args.connections, wso, scripts[0])
        idle = wrk(serve_url, args.seconds, 2, wso, scripts[1])
        flood = subprocess.Popen(["wrk", "-t1", "-c16", f"-d{args.seconds + 4}s", "-s", str(login_script),
                                  f"http://{HOST}:8781/auth/login"], stdout=subprocess.DEVNULL)
        time.sleep(2)  # the flood is under way before the measurement starts
        flooded = wrk(serve_url, args.seconds, 2, wso, scripts[2])
        flood.wait(timeout=args.seconds + 30)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    where = "PostgreSQL" if db.startswith("postgres") else "SQLite"
    print(f"{where}, serve --workers {args.workers}")
    print(f"{'route':<32} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'vs constant':>12}")
    for name, row in (("GET /constant (bare FastAPI)", base), ("GET /holds?due_within=4h", holds),
                      ("POST /commands/serve_warrant", serve), ("serve_warrant, 2 conn, idle", idle),
                      ("serve_warrant, 2 conn, 16 log-ins", flooded)):
        print(f"{name:<32} {row['rate']:>9,.0f} {row['p50']:>8.2f} {row['p99']:>8.2f} {row['errors']:>8} "
              f"{row['rate'] / base['rate']:>11.2f}x")
    verdict = "MET" if flooded["p99"] <= 2 * idle["p99"] else "MISSED"
    print(f"command p99 under 16 parallel log-ins: {flooded['p99']:.2f} ms vs {idle['p99']:.2f} ms idle "
          f"({flooded['p99'] / idle['p99']:.2f}x; target within 2x): {verdict}")


if __name__ == "__main__":
    main()
