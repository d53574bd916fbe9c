"""A lecture hall on one machine: N dashboard replicas on 127.0.0.1 ports behind Debian's nginx,
which keeps each browser on its replica (see nginx.conf.template). Stopped by their ids.

    python deploy/hall.py start --replicas 2 --port 8080 --cores-per-replica 1
    python deploy/hall.py status
    python deploy/hall.py stop

Everything it starts is written to the run folder (default /tmp/rbm-gan-hall): the replicas'
process ids and ports, nginx's configuration, pid and logs. Each replica is
`streamlit run dashboard.py` with the same cookie secret, so a browser's cookies are valid on
any of them (uploads check them).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("nginx.conf.template")
RUN_DIR = Path("/tmp/rbm-gan-hall")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@dataclass
class Replica:
    pid: int
    port: int
    cores: list[int]


@dataclass
class Hall:
    """What `start` started: the replicas and nginx in front of them."""

    run_dir: str
    port: int
    replicas: list[Replica] = field(default_factory=list)
    nginx_conf: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def nginx_config(ports: list[int], port: int, run_dir: Path) -> str:
    """The template filled in for these replica ports, listening on ``port``."""
    upstreams = "\n".join(
        f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in ports
    )
    text = TEMPLATE.read_text()
    return (
        text.replace("@UPSTREAMS@", upstreams)
        .replace("@PORT@", str(port))
        .replace("@RUN_DIR@", str(run_dir))
    )


def check_config(conf: Path) -> None:
    """`nginx -t` on the file; RuntimeError with nginx's words when it is refused."""
    result = subprocess.run([NGINX, "-t", "-c", str(conf)], capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"nginx refused {conf}:\n{result.stderr}")


def healthy(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.1)
    return False


def start_replica(port: int, cores: list[int], cookie_secret: str, options: list[str]) -> int:
    """One `streamlit run dashboard.py` on 127.0.0.1:port, on ``cores`` if given; its pid."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard.py",
            "--server.address=127.0.0.1",
            f"--server.port={port}",
            "--server.headless=true",
            *options,
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret,
        },
        preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None,
        start_new_session=True,  # it outlives this script; `stop` ends it by its id
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process.pid


def start(
    replicas: int = 2,
    port: int = 8080,
    cores_per_replica: int = 0,
    run_dir: Path = RUN_DIR,
    options: list[str] | None = None,
    timeout: float = 60.0,
) -> Hall:
    """Start ``replicas`` dashboards and nginx in front of them on 127.0.0.1:``port``."""
    run_dir = Path(run_dir)
    if (run_dir / "hall.json").exists():
        raise RuntimeError(f"A hall already runs from {run_dir}: stop it first.")
    run_dir.mkdir(parents=True, exist_ok=True)
    for log in ("nginx-access.log", "nginx-error.log"):  # a new hall, a new log
        (run_dir / log).unlink(missing_ok=True)
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / name).mkdir(exist_ok=True)
        if os.geteuid() == 0:  # nginx's workers run as nobody under a root master
            import pwd

            nobody = pwd.getpwnam("nobody")
            os.chown(run_dir / name, nobody.pw_uid, nobody.pw_gid)
    cookie_secret = secrets.token_hex(16)
    cpus = sorted(os.sched_getaffinity(0))
    hall = Hall(str(run_dir), port)
    try:
        for index in range(replicas):
            cores = [
                cpus[(index * cores_per_replica + c) % len(cpus)] for c in range(cores_per_replica)
            ]
            replica_port = free_port()
            pid = start_replica(replica_port, cores, cookie_secret, options or [])
            hall.replicas.append(Replica(pid, replica_port, cores))
            save(hall)
        for replica in hall.replicas:
            if not healthy(f"http://127.0.0.1:{replica.port}", timeout):
                raise RuntimeError(f"replica on port {replica.port} did not start")
        conf = run_dir / "nginx.conf"
        conf.write_text(nginx_config([r.port for r in hall.replicas], port, run_dir))
        hall.nginx_conf = str(conf)
        save(hall)
        check_config(conf)
        subprocess.run([NGINX, "-c", str(conf)], check=True, capture_output=True)
        if not healthy(hall.url, 10):
            raise RuntimeError(f"nginx did not answer on port {port}")
    except BaseException:
        stop(run_dir)
        raise
    return hall


def save(hall: Hall) -> None:
    Path(hall.run_dir, "hall.json").write_text(json.dumps(asdict(hall), indent=2))


def load(run_dir: Path = RUN_DIR) -> Hall | None:
    path = Path(run_dir) / "hall.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    data["replicas"] = [Replica(**r) for r in data["replicas"]]
    return Hall(**data)


def stop_process(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after ``timeout``; nothing if it has already gone."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)  # reap it if this process started it (else a zombie)
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def stop(run_dir: Path = RUN_DIR) -> None:
    """Stop nginx and every replica of the hall in ``run_dir``, by their ids."""
    hall = load(run_dir)
    if hall is None:
        return
    nginx_pid = Path(run_dir, "nginx.pid")
    if nginx_pid.exists():
        stop_process(int(nginx_pid.read_text().strip()))
    for replica in hall.replicas:
        stop_process(replica.pid)
    Path(run_dir, "hall.json").unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--cores-per-replica", type=int, default=0, help="0: no pinning")
    parser.add_argument("--run-dir", type=Path, default=RUN_DIR)
    args = parser.parse_args()
    if args.command == "start":
        hall = start(args.replicas, args.port, args.cores_per_replica, args.run_dir)
        for replica in hall.replicas:
            print(f"replica pid {replica.pid} on 127.0.0.1:{replica.port}, cores {replica.cores}")
        print(f"nginx in front of them: {hall.url}")
    elif args.command == "stop":
        stop(args.run_dir)
        print("stopped")
    else:
        hall = load(args.run_dir)
        if hall is None:
            print(f"no hall runs from {args.run_dir}")
            return
        for replica in hall.replicas:
            up = healthy(f"http://127.0.0.1:{replica.port}", 1)
            print(f"replica pid {replica.pid} port {replica.port}: {'up' if up else 'down'}")
        print(f"nginx: {hall.url} ({'up' if healthy(hall.url, 1) else 'down'})")


if __name__ == "__main__":
    main()
