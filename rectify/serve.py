"""``make serve``: the production processes together — gunicorn, one Celery worker and the one beat.

    python -m rectify.serve [--env-file deploy/production.env] [--host 127.0.0.1] [--port 8000]

Reads the environment (and ``--env-file``: its variables fill in what the environment does not set),
refuses to start unless ``DATABASE_URL`` is PostgreSQL and the broker is Redis (what the profile is
for; ``make run`` is the SQLite demo), applies the migrations and collects the static files, then
starts the three processes, each in its own process group, and supervises them: if one exits, the
others are stopped and ``serve`` exits with an error; on SIGTERM or SIGINT (Ctrl-C) each is asked
to stop (SIGTERM: gunicorn and Celery finish what they are doing) and, after ``--grace`` seconds,
killed. Only the processes it started are signalled.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def read_env_file(path: Path) -> dict[str, str]:
    """``VARIABLE=value`` lines; blank lines and ``#`` comments skipped, quotes around a value removed."""
    values = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        name = name.strip().removeprefix("export ").strip()
        if not sep or not name.isidentifier():
            raise SystemExit(f"serve: {path}:{number}: not a VARIABLE=value line")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def environment(env_file: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if env_file:
        for name, value in read_env_file(Path(env_file)).items():
            env.setdefault(name, value)
    env.setdefault("DJANGO_SETTINGS_MODULE", "rectify.settings")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def check_services(env: dict[str, str]) -> None:
    database = env.get("DATABASE_URL", "")
    broker = env.get("CELERY_BROKER_URL") or env.get("REDIS_URL") or ""
    problems = []
    if not database.startswith(("postgres://", "postgresql://")):
        problems.append("DATABASE_URL must name PostgreSQL (postgres://…)")
    if not broker.startswith(("redis://", "rediss://")):
        problems.append("CELERY_BROKER_URL must name Redis (redis://…)")
    if problems:
        raise SystemExit("serve: " + "; ".join(problems) + " — `make run` is the SQLite demo")


def commands(args) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "web": [
            python,
            "-m",
            "gunicorn",
            "rectify.wsgi:application",
            "--config",
            "python:rectify.gunicorn_conf",  # warm-up and gc.freeze() per worker; WEB_GC_TUNING=true: thresholds
            "--bind",
            f"{args.host}:{args.port}",
            "--workers",
            str(args.workers),
            "--access-logfile",
            "-",
            "--graceful-timeout",
            str(int(args.grace)),
        ],
        "worker": [
            python,
            "-m",
            "celery",
            "-A",
            "rectify",
            "worker",
            "--loglevel=INFO",
            "--concurrency",
            str(args.concurrency),
            "-n",
            f"rectify-{args.port}@%h",
        ],
        # Exactly one beat: two would tick every job twice. Its schedule file is under var/.
        "beat": [python, "-m", "celery", "-A", "rectify", "beat", "--loglevel=INFO"],
    }


def prepare(env: dict[str, str]) -> None:
    for step in (["migrate", "--noinput"], ["collectstatic", "--noinput", "--verbosity", "0"]):
        subprocess.run([sys.executable, "manage.py", *step], cwd=ROOT, env=env, check=True)


class Supervisor:
    def __init__(self, env: dict[str, str], grace: float):
        self.env = env
        self.grace = grace
        self.processes: dict[str, subprocess.Popen] = {}
        self.stopping = False

    def start(self, name: str, command: list[str]) -> None:
        # Its own session, so a signal to it (and its children) never reaches anything else.
        self.processes[name] = subprocess.Popen(command, cwd=ROOT, env=self.env, start_new_session=True)
        print(f"serve: started {name} (pid {self.processes[name].pid})", flush=True)

    def _signal(self, process: subprocess.Popen, sig: int) -> None:
        if process.poll() is None:
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self) -> None:
        self.stopping = True
        for process in self.processes.values():
            self._signal(process, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"serve: {name} did not stop within {self.grace:g} s, killing it", flush=True)
                self._signal(process, signal.SIGKILL)
                process.wait()

    def run(self) -> int:
        """Wait until a process exits (an error) or a signal asks to stop (0)."""
        while not self.stopping:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    print(f"serve: {name} exited with {process.returncode}; stopping the others", flush=True)
                    self.stop()
                    return 1
            time.sleep(0.5)
        return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rectify.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--env-file", help="VARIABLE=value lines filling in the environment")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    parser.add_argument(
        "--concurrency", type=int, default=int(os.environ.get("CELERY_WORKER_CONCURRENCY", "2"))
    )
    parser.add_argument("--grace", type=float, default=20.0, help="seconds to finish before a kill")
    parser.add_argument("--no-prepare", action="store_true", help="skip migrate and collectstatic")
    args = parser.parse_args(argv)

    env = environment(args.env_file)
    check_services(env)
    if not args.no_prepare:
        prepare(env)

    supervisor = Supervisor(env, args.grace)

    def on_signal(signum, frame):
        print(f"serve: {signal.Signals(signum).name}, stopping", flush=True)
        supervisor.stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for name, command in commands(args).items():
        supervisor.start(name, command)
    code = supervisor.run()
    if code == 0:
        supervisor.stop()
    print(f"serve: stopped ({code})", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
