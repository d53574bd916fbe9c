"""The lecture-hall deployment: nginx's configuration passes `nginx -t`, and two replicas
behind it keep each browser on its own replica and its own model across reloads; when one
dies, its visitors are told so by the other."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from deploy import hall
from serving.browser import CHROMIUM, CHROMIUM_FLAGS, status

pytestmark = pytest.mark.slow  # nginx, two served replicas and Chromium

if shutil.which("nginx") is None and not Path(hall.NGINX).exists():
    if os.environ.get("CI"):
        raise RuntimeError("nginx is missing: .ci/run installs Debian's nginx package.")
    pytest.skip("Debian's nginx is not installed here", allow_module_level=True)


def test_the_generated_configuration_passes_nginx_t(tmp_path):
    conf = tmp_path / "nginx.conf"
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / name).mkdir()
    conf.write_text(hall.nginx_config([18501, 18502, 18503], 18080, tmp_path))
    hall.check_config(conf)  # raises with nginx's words if refused
    text = conf.read_text()
    assert text.count("server 127.0.0.1:1850") == 3 and "@" not in text
    broken = tmp_path / "broken.conf"
    broken.write_text(text.replace("hash $replica_key consistent;", "hash;"))
    with pytest.raises(RuntimeError, match="nginx refused"):
        hall.check_config(broken)


def replica_of(url: str, cookie: str) -> str:
    request = urllib.request.Request(f"{url}/_stcore/health", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.headers["X-Replica"]


@pytest.fixture(scope="module")
def two_replicas(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("hall")
    started = hall.start(2, hall.free_port(), 1, run_dir, ["--server.disconnectedSessionTTL=5"])
    try:
        yield started
    finally:
        hall.stop(run_dir)
    assert not (run_dir / "hall.json").exists()
    for replica in started.replicas:  # stopped by their ids
        with pytest.raises(ProcessLookupError):
            os.kill(replica.pid, 0)


def test_each_browser_stays_on_its_replica_and_keeps_its_own_model(two_replicas):
    sync_api = pytest.importorskip("playwright.sync_api")
    url = two_replicas.url
    # two browser keys that nginx sends to different replicas
    keys = {}
    for number in range(64):
        keys.setdefault(replica_of(url, f"replica=key{number}"), f"key{number}")
        if len(keys) == 2:
            break
    assert len(keys) == 2
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        pages = []
        for hidden, (upstream, key) in zip((21, 22), keys.items(), strict=True):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.add_cookies([{"name": "replica", "value": key, "url": url}])
            page = context.new_page()
            pages.append((page, hidden, upstream))
        # long enough to train on: at full speed this small RBM ends its 200 epochs in 8 s
        link = "rbm?hidden={}&dataset=digits&batch=10&epochs=200&speed=100%20steps%2Fs"
        for visit in (1, 2):  # first visit, then a reload: the same replica, the same model
            for page, hidden, upstream in pages:
                response = page.goto(f"{url}/{link.format(hidden)}")
                assert response.headers["x-replica"] == upstream
                page.get_by_role("button", name="Step", exact=True).click(timeout=60_000)
                page.get_by_text(re.compile(rf"Paused — step {visit}\b")).wait_for(timeout=30_000)
                page.get_by_text("Settings of this run").click()
                shown = re.sub(r"[\s\"]", "", page.get_by_test_id("stJson").inner_text())
                assert f"hidden_units:{hidden}" in shown
        # every request of each browser went to one replica (nginx's own log says so)
        log = Path(two_replicas.run_dir, "nginx-access.log").read_text()
        for _, key in keys.items():
            seen = set(re.findall(rf"replica={key} upstream=(\S+)", log))
            assert len(seen) == 1, seen
        # nginx restarts under the open pages: each reconnects to its replica and its model
        nginx_pid = int(Path(two_replicas.run_dir, "nginx.pid").read_text())
        hall.stop_process(nginx_pid)
        subprocess.run([hall.NGINX, "-c", two_replicas.nginx_conf], check=True)
        for page, _, _ in pages:
            page.get_by_role("button", name="Step", exact=True).click(timeout=60_000)
            page.get_by_text(re.compile(r"Paused — step 3\b")).wait_for(timeout=30_000)
            assert not page.get_by_text("The server that held your model restarted").count()
        # one replica dies while both train: its visitor reconnects to the other, is told its
        # model is gone and trains a new one; the other replica's visitor trains on; no hang
        for page, _, _ in pages:
            page.get_by_role("button", name="Resume", exact=True).click()
            page.get_by_text(re.compile(r"Training — step")).wait_for(timeout=30_000)
        dead = next(r for r in two_replicas.replicas if pages[1][2].endswith(f":{r.port}"))
        hall.stop_process(dead.pid)
        page, hidden, _ = pages[1]
        page.get_by_text("The server that held your model restarted").wait_for(timeout=60_000)
        assert status(page) == ("Idle", 0)
        survivor = pages[0][0]
        before = status(survivor)
        time.sleep(2)
        after = status(survivor)
        assert before[0] == after[0] == "Training" and after[1] > before[1]
        response = page.goto(f"{url}/{link.format(hidden)}")  # and on a reload
        tried = response.headers["x-replica"].split(", ")  # nginx tried the dead one first
        assert tried[-1] == pages[0][2]
        page.get_by_text("The server that held your model restarted").wait_for(timeout=60_000)
        page.get_by_role("button", name="Step", exact=True).click(timeout=60_000)
        page.get_by_text(re.compile(r"Paused — step 1\b")).wait_for(timeout=30_000)
        survivor.get_by_role("button", name="Pause", exact=True).click()
        survivor.get_by_text(re.compile(r"Paused — step")).wait_for(timeout=30_000)
        browser.close()
