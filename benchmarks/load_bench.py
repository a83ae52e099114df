"""Owners saving progress on the web while the scheduler sends mail and the CLI writes.

`--owners` action owners each follow the link in their email as a browser without script
would: open it (the Continue page), press Continue (the link is spent and a visit starts),
read the action page, post a progress update with the page's CSRF token, and read the page
it redirects to. Owners arrive evenly over `--ramp` seconds and spend `--think` seconds on a
page before acting on it. Every request is timed by its client.

The server runs in a process of its own, built as `improveflow serve` builds it (the same
uvicorn server, the same scheduler in the same process), its clock set ticking from a working
Tuesday morning so that reminders are due whatever day the benchmark runs. Two phases in the
same run, with the same owners and fresh links:

- baseline: the owners alone, the scheduler not started (as `serve --no-scheduler`);
- load: the owners while the scheduler sweeps, queueing `--emails` reminders (one per
  person), and sends them to an aiosmtpd server in its own process, and while the CLI runs
  `improveflow action update` again and again (at most `--cli-writes` times).

With `--scheduler-apart` the scheduler runs in a process of its own instead, as with
`improveflow serve --no-scheduler` beside `improveflow scheduler run`. Besides latencies, the
benchmark prints the CPU the app's processes used per second of each phase (near 1.0 in one
process: its GIL is the limit) and the machine's load average (others' work skews the figures).

Each database is a fresh one of the benchmark's own: a SQLite file in a temporary folder, or
a new PostgreSQL database on the server of `--postgres-url`, dropped afterwards. A visit
fails when any answer is not the one a person expects (a 500 or a 503 among them) or never
comes; errors the server logs and failed CLI writes count too. Target on SQLite: p95 under
load below 2 s, and no errors at all (no "database is locked" either).

    python benchmarks/load_bench.py [--owners 200] [--emails 1500] [--ramp 30] [--think 1]
        [--cli-writes 30] [--database sqlite|postgres|both] [--postgres-url URL]
        [--scheduler-apart] [--quick]

`--quick` (30 owners, 200 emails, a 4 s ramp, SQLite unless `--database` says otherwise) takes
well under a minute when the machine is not busy.

The last line of output is JSON with the figures, per database.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import logging
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.config import load_settings
from improveflow.models import Action, Person
from improveflow.reminders import SweepPlanner
from improveflow.scheduler import build_scheduler
from improveflow.services import plans, sign_in
from improveflow.services.context import Context
from improveflow.stores.tables import table_of
from improveflow.testing import add_owners_with_actions, add_plan, add_sample_people, make_context
from improveflow.testing.smtp import CapturingSmtpServer, free_port
from improveflow.web.serve import server_for

BASE = datetime(2026, 3, 3, 10, 0, tzinfo=LONDON)  # a Tuesday, in working hours
SECRET = "load-bench-signing-key-0123456789"
SENDER = "improveflow@council.example"
CLI_ACTOR = "owen@council.example"  # a sample person: owner of the actions the CLI updates
WARM_UP = 5  # owners whose visits prime the server before the baseline, untimed
STEPS = ("link", "continue", "page", "save", "saved")
SAVED = "Your progress update has been saved."
TARGET_P95_MS = 2000.0
# The options' defaults, and with --quick.
FULL: dict[str, Any] = {"owners": 200, "emails": 1500, "ramp": 30.0, "think": 1.0}
FULL |= {"cli_writes": 30, "database": "both"}
QUICK: dict[str, Any] = {"owners": 30, "emails": 200, "ramp": 4.0, "think": 0.3}
QUICK |= {"cli_writes": 3, "database": "sqlite"}


class ShiftedClock:
    """The real clock's ticking, counted from the moment `epoch` (time.time()) as `start`:
    every process of a run given the same epoch reads the same time."""

    def __init__(self, start: datetime, epoch: float) -> None:
        self._start, self._epoch = start, epoch

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.time() - self._epoch)


# The processes beside this one ------------------------------------------------------------------


def sink(port: int, commands: Connection) -> None:
    """The SMTP server: counts what arrives, answers each "count", ends on "stop"."""
    with CapturingSmtpServer(port, keep=False) as server:
        commands.send("ready")
        while commands.recv() != "stop":
            commands.send(server.count)


class _Problems(logging.Handler):
    """What a process logs at WARNING and above, reported when it stops."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if "maximum number of running instances reached" in text:
            return  # a dispatch tick while the last run still sends: by design
        if record.exc_info and record.exc_info[1] is not None:
            text += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
        (self.errors if record.levelno >= logging.ERROR else self.warnings).append(text[:400])


@dataclass(frozen=True)
class Setup:
    """What the processes of one run share."""

    url: str
    port: int
    smtp_port: int
    epoch: float


def serve(setup: Setup, pages: bool, commands: Connection) -> None:
    """The app's process: with `pages`, uvicorn in the main thread as `improveflow serve` runs
    it; the scheduler from the "scheduler" command (without `pages`, the process is
    `improveflow scheduler run`). Answers "cpu"; on "stop", ends and says what it logged."""
    problems = _Problems()
    logging.basicConfig(level=logging.WARNING, handlers=[problems])
    settings = load_settings(
        database_url=setup.url,
        secret_key=SECRET,
        base_url=f"http://127.0.0.1:{setup.port}",
        smtp_host="127.0.0.1",
        smtp_port=setup.smtp_port,
        smtp_from=SENDER,
        dispatch_every_seconds=1,  # the default minute would leave the mail for after the owners
    )
    ctx = Context.build(settings, ShiftedClock(BASE, setup.epoch))
    server = server_for(ctx, "127.0.0.1", setup.port, log_level="warning") if pages else None
    scheduler = build_scheduler(ctx, blocking=False)
    stopped = threading.Event()

    def listen() -> None:
        while server is not None and not server.started:
            time.sleep(0.02)
        commands.send("ready")
        while (command := commands.recv()) != "stop":
            if command == "cpu":  # CPU seconds this process has used, all threads together
                commands.send(time.process_time())
                continue
            scheduler.start()
            # The sweep's next turn would come at a quarter hour: it runs now instead.
            scheduler.modify_job("sweep", next_run_time=datetime.now(LONDON))
            commands.send("started")
        if server is not None:
            server.should_exit = True
        stopped.set()

    threading.Thread(target=listen, daemon=True).start()
    try:
        if server is not None:
            server.run()
        stopped.wait()
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        ctx.close()
    commands.send({"errors": problems.errors, "warnings": problems.warnings})


@dataclass
class Running:
    """Pipes to the processes of a run: the app, its scheduler (the app itself, unless the
    scheduler runs apart), the SMTP server."""

    app: Connection
    scheduler: Connection
    mail: Connection
    cpu_of: list[Connection]  # each process with a scheduler or the app, once


@contextlib.contextmanager
def processes(setup: Setup, separate: bool) -> Iterator[Running]:
    spawn = multiprocessing.get_context("spawn")
    pipes = {name: spawn.Pipe() for name in ("mail", "app", "scheduler")}
    started = [
        spawn.Process(target=sink, args=(setup.smtp_port, pipes["mail"][1]), daemon=True),
        spawn.Process(target=serve, args=(setup, True, pipes["app"][1]), daemon=True),
    ]
    if separate:
        started.append(
            spawn.Process(target=serve, args=(setup, False, pipes["scheduler"][1]), daemon=True)
        )
    mail, app = pipes["mail"][0], pipes["app"][0]
    scheduler = pipes["scheduler"][0] if separate else app
    try:
        for process in started:
            process.start()
        for _, theirs in pipes.values():
            theirs.close()  # so that a process that dies is an EOFError here, not a wait
        for pipe in {mail, app, scheduler}:
            if not pipe.poll(300) or pipe.recv() != "ready":
                raise RuntimeError("a process of the benchmark did not start")
        yield Running(app, scheduler, mail, list({app, scheduler}))
    finally:
        with contextlib.suppress(OSError):
            mail.send("stop")
        for process in reversed(started):
            process.join(timeout=10)  # each ends on "stop"; after a failure here, it is ended
            process.terminate()


# The council -------------------------------------------------------------------------------------


def build(ctx: Context, owners: int, emails: int, cli_writes: int) -> tuple[list[Any], list[int]]:
    """Web owners with an action each (not due for years), `emails` people whose 5-working-day
    reminder is due at BASE, and actions of a sample person for the CLI to update.

    Returns the (person, action) of each web owner, and the CLI's actions."""
    add_sample_people(ctx)
    due = SweepPlanner(ctx.workflows.workflow()).calendar.add_working_days(BASE.date(), 5)
    heard = BASE - timedelta(days=1)
    if emails:
        add_owners_with_actions(ctx, emails, target=due, heard_from=heard)
    plan_id = add_plan(ctx, "Load Benchmark Improvement Plan")
    person_t, action_t = table_of(Person), table_of(Action)
    with ctx.database.writing() as session:
        theme = plans.find_or_add_theme(session, plan_id, "Customer Services")
        objective_id = plans.find_or_add_objective(session, theme, "Answer residents sooner").id
        connection = session.connection()
        people = list(
            connection.execute(
                sa.insert(person_t).returning(person_t.c.id, sort_by_parameter_order=True),
                [
                    {
                        "name": f"Web Owner {n}",
                        "email": f"web{n}@council.example",
                        "created_at": heard,
                    }
                    for n in range(owners + WARM_UP)
                ],
            ).scalars()
        )
        owen = connection.execute(sa.select(person_t.c.id).where(person_t.c.email == CLI_ACTOR))
        rows = [
            {
                "plan_id": plan_id, "objective_id": objective_id, "owner_id": owner,
                "description": f"Improvement {n}: publish service standards",
                "state": "in_progress", "target_date": date(2029, 9, 28), "heard_from_at": heard,
                "quiet_since": heard, "version": 1, "created_at": heard, "updated_at": heard,
            }
            for n, owner in enumerate(people + [owen.scalar_one()] * cli_writes)
        ]  # fmt: skip
        query = sa.insert(action_t).returning(action_t.c.id, sort_by_parameter_order=True)
        actions = list(connection.execute(query, rows).scalars())
    with ctx.database.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return list(zip(people, actions, strict=False)), actions[len(people) :]


# A browser without script ------------------------------------------------------------------------


class _Forms(HTMLParser):
    """Each form on a page: its action, and the fields a browser would send as they stand."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._open = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append((found.get("action", ""), {}))
            self._open = True
        elif self._open and tag in ("input", "textarea") and found.get("name"):
            if found.get("type") in ("radio", "checkbox") and "checked" not in found:
                return
            self.forms[-1][1][found["name"]] = found.get("value", "")
            self._textarea = found["name"] if tag == "textarea" else None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.forms[-1][1][self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        self._open = self._open and tag != "form"
        self._textarea = None if tag == "textarea" else self._textarea


def form_for(page: str, action: str) -> dict[str, str]:
    parser = _Forms()
    parser.feed(page)
    for found, fields in parser.forms:
        if found == action:
            return fields
    raise LookupError(f"no form posting to {action}")


@dataclass
class Answer:
    status: int
    location: str
    body: str


class Browser:
    """One person's browser: a keep-alive connection and its cookies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def send(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = urllib.parse.urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        while True:
            reused = self.connection is not None
            self.connection = self.connection or http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=60
            )
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: a browser opens another.
                self.close()
                if not reused:
                    raise
        for header in response.headers.get_all("set-cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return Answer(response.status, response.getheader("location") or "", text)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
        self.connection = None


@dataclass
class Phase:
    """What one phase's owners met: each request (step, when it started, ms), each failure."""

    samples: list[tuple[str, float, float]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def visit(port: int, link: str, action_id: int, think: float, phase: Phase) -> None:
    """The link, Continue, the action page, a progress update, the page it leads back to."""
    browser, page = Browser(port), f"/actions/{action_id}"

    def step(name: str, expect: int, method: str, path: str, form: Any = None) -> Answer:
        started = time.perf_counter()
        answer = browser.send(method, path, form)
        with phase.lock:
            phase.samples.append((name, started, (time.perf_counter() - started) * 1000))
        if answer.status != expect:
            raise AssertionError(f"{name} answered {answer.status}: {answer.body[:200]!r}")
        return answer

    try:
        opened = step("link", 200, "GET", link)
        time.sleep(think)
        form = form_for(opened.body, "/links/follow")
        went = step("continue", 303, "POST", "/links/follow", form)
        assert went.location == page, went.location
        shown = step("page", 200, "GET", went.location)
        form = form_for(shown.body, f"{page}/progress")
        form.update(text=f"Standards drafted for action {action_id}; consulting now.", rag="green")
        time.sleep(think)
        saved = step("save", 303, "POST", f"{page}/progress", form)
        assert SAVED in step("saved", 200, "GET", saved.location).body, "no word of the update"
    except Exception as error:  # whatever went wrong, the person saw it fail
        with phase.lock:
            phase.failures.append(f"action {action_id}: {type(error).__name__}: {error}"[:300])
    finally:
        browser.close()


def run_owners(port: int, visits: list[tuple[str, int]], ramp: float, think: float) -> Phase:
    """Each owner's visit in a thread of its own, the visits starting evenly over `ramp` s."""
    phase, began = Phase(), time.perf_counter()

    def owner(index: int, link: str, action_id: int) -> None:
        time.sleep(max(0.0, began + index * ramp / len(visits) - time.perf_counter()))
        visit(port, link, action_id, think, phase)

    threads = [
        threading.Thread(target=owner, args=(n, link, action), daemon=True)
        for n, (link, action) in enumerate(visits)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=ramp + 300)
    return phase


# What runs beside the owners under load ----------------------------------------------------------


def cli_writer(url: str, actions: list[int], stop: threading.Event) -> list[tuple[float, str]]:
    """`improveflow action update` on one action after another until told to stop; the
    seconds each took and its error ("" when it worked)."""
    env = {**os.environ, "IMPROVEFLOW_DATABASE_URL": url}
    done = []
    for action_id in actions:
        if stop.is_set():
            break
        started = time.perf_counter()
        ran = subprocess.run(
            [sys.executable, "-m", "improveflow", "action", "update", str(action_id),
             "--progress", "Budget monitoring report updated.", "--as", CLI_ACTOR],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        error = "" if ran.returncode == 0 else f"CLI: {ran.stderr.strip()[-300:]}"
        done.append((time.perf_counter() - started, error))
    return done


def watch_mail(mail: Connection, expected: int, began: float, until: float) -> tuple[float, int]:
    """Seconds from `began` until `expected` emails had arrived (or `until`), and how many."""
    count = 0
    while time.perf_counter() < until:
        mail.send("count")
        count = int(mail.recv())
        if count >= expected:
            break
        time.sleep(0.2)
    return time.perf_counter() - began, count


# One database ------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(int(len(ordered) * share) - 1, 0)] if ordered else 0.0


def summary(phase: Phase, until: float = float("inf")) -> dict[str, Any]:
    """Figures of the requests started before `until` (perf_counter)."""
    samples = [(step, ms) for step, at, ms in phase.samples if at <= until]
    times = [ms for _, ms in samples]
    return {
        "requests": len(times),
        "errors": len(phase.failures),  # visits that went wrong: an answer not the expected one
        "p50_ms": percentile(times, 0.5),
        "p95_ms": percentile(times, 0.95),
        "max_ms": max(times, default=0.0),
        "steps": {s: percentile([ms for n, ms in samples if n == s], 0.95) for s in STEPS},
    }


def cpu(running: Running) -> float:
    """CPU seconds used so far by the app's process and the scheduler's, together."""
    for pipe in running.cpu_of:
        pipe.send("cpu")
    return sum(float(pipe.recv()) for pipe in running.cpu_of)


def run_database(name: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    setup = Setup(url, free_port(), free_port(), time.time())
    ctx = make_context(
        url, clock=FrozenClock(BASE), secret_key=SECRET, base_url=f"http://127.0.0.1:{setup.port}"
    )
    owners, cli_actions = build(ctx, args.owners, args.emails, args.cli_writes)
    signer = sign_in.signer(ctx)
    ctx.close()

    def links(chosen: list[Any]) -> list[tuple[str, int]]:
        split = [(urllib.parse.urlsplit(signer.action_link(p, a)), a) for p, a in chosen]
        return [(f"{link.path}?{link.query}", a) for link, a in split]

    stop, cli_done, mailed = threading.Event(), [], []
    with processes(setup, args.scheduler_apart) as running:
        run_owners(setup.port, links(owners[:WARM_UP]), 0.0, 0.0)
        print(f"{name}: the owners alone...", flush=True)
        cpu_before, began = cpu(running), time.perf_counter()
        baseline = run_owners(setup.port, links(owners[WARM_UP:]), args.ramp, args.think)
        cpu_baseline, baseline_s = cpu(running) - cpu_before, time.perf_counter() - began
        print(f"{name}: the owners while mail goes out and the CLI writes...", flush=True)
        cpu_before, began, clients_before = cpu(running), time.perf_counter(), time.process_time()
        running.scheduler.send("scheduler")
        assert running.scheduler.recv() == "started"
        cli = threading.Thread(
            target=lambda: cli_done.extend(cli_writer(url, cli_actions, stop)), daemon=True
        )
        until = began + args.ramp + 600
        watcher = threading.Thread(
            target=lambda: mailed.append(watch_mail(running.mail, args.emails, began, until)),
            daemon=True,
        )
        cli.start()
        watcher.start()
        load = run_owners(setup.port, links(owners[WARM_UP:]), args.ramp, args.think)
        cpu_load, owners_s = cpu(running) - cpu_before, time.perf_counter() - began
        cpu_clients = time.process_time() - clients_before
        stop.set()
        watcher.join()
        cli.join()
        logged: dict[str, list[str]] = {"errors": [], "warnings": []}
        for pipe in {running.app, running.scheduler}:
            pipe.send("stop")
            for key, found in (pipe.recv() if pipe.poll(60) else {"errors": ["no answer"]}).items():
                logged[key] += found
    mail_s, sent = mailed[0]
    return {
        "name": name, "baseline": summary(baseline), "load": summary(load),
        "while_mailing": summary(load, began + mail_s), "owners_s": owners_s,
        "failures": baseline.failures[:3] + load.failures[:5], "mail_s": mail_s, "sent": sent,
        "cli_writes": len(cli_done), "cli_errors": [e for _, e in cli_done if e],
        "cli_p50_s": percentile([s for s, _ in cli_done], 0.5),
        "server_errors": logged["errors"], "server_warnings": logged["warnings"],
        "cpu_baseline": cpu_baseline / baseline_s, "cpu_load": cpu_load / owners_s,
        "cpu_clients": cpu_clients / owners_s,
        "loadavg": os.getloadavg()[0],
    }  # fmt: skip


@contextlib.contextmanager
def fresh_postgres(url: str) -> Iterator[str]:
    """A new, empty database of this run's own on the server of `url`, dropped afterwards."""
    name = f"improveflow_load_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield sa.make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def report(r: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Print one database's figures; return them for the JSON line."""
    base, load, mailing = r["baseline"], r["load"], r["while_mailing"]
    where = "a process of its own for" if args.scheduler_apart else "the web process running"
    print(
        f"\n{r['name']}: {args.owners} owners, 5 requests each; load average "
        f"{r['loadavg']:.1f} on {os.cpu_count()} cores\n"
        f"  under load: {r['sent']:,} of {args.emails:,} emails arrived by {r['mail_s']:.1f} s, "
        f"the owners were done at {r['owners_s']:.1f} s; {r['cli_writes']} CLI writes "
        f"(p50 {r['cli_p50_s']:.1f} s each), {len(r['cli_errors'])} failed\n"
        f"  CPU of the app and scheduler processes: {r['cpu_baseline']:.2f} s a second alone, "
        f"{r['cpu_load']:.2f} under load ({where} the scheduler); the owners' browsers "
        f"{r['cpu_clients']:.2f}"
    )
    print(
        f"  {'':<14}{'requests':>9}{'failed':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}   p95 ms: "
        + "".join(f"{s:>10}" for s in STEPS)
    )
    for label, s in (("baseline", base), ("load", load), ("while mailing", mailing)):
        print(
            f"  {label:<14}{s['requests']:>9}{s['errors'] if s is not mailing else '':>7}"
            f"{s['p50_ms']:>9.1f}{s['p95_ms']:>9.1f}{s['max_ms']:>9.1f}           "
            + "".join(f"{s['steps'][step]:>10.1f}" for step in STEPS)
        )
    p50_ratio = load["p50_ms"] / base["p50_ms"] if base["p50_ms"] else 0.0
    p95_ratio = load["p95_ms"] / base["p95_ms"] if base["p95_ms"] else 0.0
    print(f"  under load / baseline: p50 x{p50_ratio:.2f}, p95 x{p95_ratio:.2f}")
    for problem in r["failures"] + r["server_errors"][:5] + r["cli_errors"][:3]:
        print(f"  problem: {problem}")
    errors = load["errors"] + len(r["server_errors"]) + len(r["cli_errors"])
    n = r["name"]
    return {
        f"{n}_baseline_p50_ms": round(base["p50_ms"], 1),
        f"{n}_baseline_p95_ms": round(base["p95_ms"], 1),
        f"{n}_load_p50_ms": round(load["p50_ms"], 1),
        f"{n}_load_p95_ms": round(load["p95_ms"], 1),
        f"{n}_p50_ratio": round(p50_ratio, 2),
        f"{n}_p95_ratio": round(p95_ratio, 2),
        f"{n}_load_max_ms": round(load["max_ms"], 1),
        f"{n}_save_load_p95_ms": round(load["steps"]["save"], 1),
        f"{n}_while_mailing_p95_ms": round(mailing["p95_ms"], 1),
        f"{n}_baseline_requests": base["requests"],
        f"{n}_load_requests": load["requests"],
        f"{n}_baseline_errors": base["errors"],
        f"{n}_load_errors": load["errors"],
        f"{n}_server_errors": len(r["server_errors"]),
        f"{n}_cli_writes": r["cli_writes"],
        f"{n}_cli_errors": len(r["cli_errors"]),
        f"{n}_emails_sent": r["sent"],
        f"{n}_mail_s": round(r["mail_s"], 1),
        f"{n}_cpu_baseline": round(r["cpu_baseline"], 2),
        f"{n}_cpu_load": round(r["cpu_load"], 2),
        f"{n}_loadavg": round(r["loadavg"], 1),
        f"{n}_target_met": load["p95_ms"] < TARGET_P95_MS and errors + base["errors"] == 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--owners", type=int, help="200; 30 with --quick")
    parser.add_argument("--emails", type=int, help="reminders sent under load: 1500; 200")
    parser.add_argument("--ramp", type=float, help="seconds the owners arrive over: 30; 4")
    parser.add_argument("--think", type=float, help="seconds on a page: 1; 0.3")
    parser.add_argument("--cli-writes", type=int, help="at most, under load: 30; 3")
    parser.add_argument(
        "--database", choices=("sqlite", "postgres", "both"), help="both; sqlite with --quick"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "IMPROVEFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="a server to make a database of the run's own on",
    )
    parser.add_argument(
        "--scheduler-apart",
        action="store_true",
        help="run the scheduler in a process of its own (serve --no-scheduler, scheduler run)",
    )
    parser.add_argument("--quick", action="store_true", help="the smaller defaults")
    args = parser.parse_args()
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:  # what is given on the command line stands
            setattr(args, key, value)
    results: dict[str, Any] = {
        "bench": "load", "owners": args.owners, "emails": args.emails, "ramp_s": args.ramp,
        "think_s": args.think, "quick": args.quick, "scheduler_apart": args.scheduler_apart,
    }  # fmt: skip
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'load.db'}"
            results |= report(run_database("sqlite", url, args), args)
    if args.database in ("postgres", "both"):
        with fresh_postgres(args.postgres_url) as url:
            results |= report(run_database("postgres", url, args), args)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
