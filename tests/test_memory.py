"""The server's memory: read from its cgroup (v1 and v2, on a host and inside a container) or
the machine; a new run is refused near the limit, and the page says so instead of making one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from serving import memory
from serving.browser import CGROUP_V1, memory_group
from serving.memory import Memory
from tests.helpers import fresh_page

MB = 2**20


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_cgroup_v1_on_a_host_reads_the_processs_own_group_less_its_page_cache(tmp_path):
    write(tmp_path / "proc", {"self/cgroup": "12:cpu,cpuacct:/\n4:memory:/hall/replica-1\n"})
    group = "sys/memory/hall/replica-1/"
    write(
        tmp_path,
        {
            "sys/memory/memory.limit_in_bytes": "9223372036854771712\n",  # the root: no limit
            group + "memory.limit_in_bytes": f"{2700 * MB}\n",
            group + "memory.usage_in_bytes": f"{900 * MB}\n",
            group + "memory.stat": f"cache 1\ntotal_inactive_file {100 * MB}\n",
        },
    )
    read = memory.from_cgroup(tmp_path / "sys", tmp_path / "proc/self/cgroup")
    assert read == Memory(800 * MB, 2700 * MB, "cgroup v1")
    # a tighter limit above the group (a pod's) is the one that kills
    stat = f"total_inactive_file {100 * MB}\nhierarchical_memory_limit {2000 * MB}\n"
    write(tmp_path, {group + "memory.stat": stat})
    read = memory.from_cgroup(tmp_path / "sys", tmp_path / "proc/self/cgroup")
    assert read == Memory(800 * MB, 2000 * MB, "cgroup v1")


def test_cgroup_v2_inside_a_container_reads_the_mount_itself(tmp_path):
    # inside a container /proc/self/cgroup names the host's path, which is not mounted there
    write(tmp_path / "proc", {"self/cgroup": "0::/kubepods/pod-1/abc\n"})
    write(
        tmp_path / "sys",
        {
            "memory.max": f"{1024 * MB}\n",
            "memory.current": f"{300 * MB}\n",
            "memory.stat": f"anon 5\ninactive_file {50 * MB}\n",
        },
    )
    read = memory.from_cgroup(tmp_path / "sys", tmp_path / "proc/self/cgroup")
    assert read == Memory(250 * MB, 1024 * MB, "cgroup v2")


def test_cgroup_v2_on_a_host_takes_the_tightest_limit_of_the_group_and_those_above(tmp_path):
    write(tmp_path / "proc", {"self/cgroup": "0::/hall/replica-1\n"})
    write(
        tmp_path / "sys",
        {
            "hall/memory.max": f"{1500 * MB}\n",
            "hall/replica-1/memory.max": "max\n",
            "hall/replica-1/memory.current": f"{300 * MB}\n",
        },
    )
    read = memory.from_cgroup(tmp_path / "sys", tmp_path / "proc/self/cgroup")
    assert read == Memory(300 * MB, 1500 * MB, "cgroup v2")


def test_no_limit_in_the_group_falls_back_to_the_machine(tmp_path, monkeypatch):
    write(tmp_path / "proc", {"self/cgroup": "0::/\n"})
    write(tmp_path / "sys", {"memory.max": "max\n", "memory.current": "123\n"})
    assert memory.from_cgroup(tmp_path / "sys", tmp_path / "proc/self/cgroup") is None
    meminfo = "MemTotal:       4096 kB\nMemFree:  1 kB\nMemAvailable:   1024 kB\n"
    write(tmp_path / "proc", {"meminfo": meminfo})
    assert memory.from_machine(tmp_path / "proc") == Memory(3 * MB, 4 * MB, "machine")
    machine = memory.current()  # this machine, for real
    assert 0 < machine.used < machine.limit
    monkeypatch.setenv(memory.LIMIT_VARIABLE, "100")  # an operator's cap only lowers the limit
    capped = memory.current()
    assert capped.limit == 100 * MB
    if machine.source == "machine":  # then it is this server's cap: its own memory counts
        assert 0 < capped.used <= memory.own_resident() * 1.1 < machine.used * 10
    monkeypatch.setenv(memory.LIMIT_VARIABLE, str(10**9))
    assert memory.current().limit == machine.limit


def test_room_for_a_run_at_both_ends():
    assert memory.room_for_a_run(Memory(400 * MB, 2700 * MB, "cgroup v1"))
    assert memory.room_for_a_run(Memory(2160 * MB, 2700 * MB, "cgroup v1"))  # a fifth left
    assert not memory.room_for_a_run(Memory(2200 * MB, 2700 * MB, "cgroup v1"))
    assert not memory.room_for_a_run(Memory(750 * MB, 1000 * MB, "machine"))  # under 300 MB
    assert memory.room_for_a_run(Memory(700 * MB, 1000 * MB, "machine"))
    assert memory.room_for_a_run(Memory(10 * 2**30, 24 * 2**30, "machine"))
    text = memory.refusal(Memory(2500 * MB, 2700 * MB, "cgroup v1"))
    assert "2,500 of 2,700 MB" in text and text.startswith("This server is near")
    gpu = memory.refusal(Memory(130 * 2**30, 140 * 2**30, "CUDA GPU 0"), "The GPU (CUDA GPU 0)")
    assert gpu.startswith("The GPU (CUDA GPU 0) is near its memory limit (133,120 of 143,360 MB")


@pytest.mark.slow
@pytest.mark.parametrize("page", ["rbm", "gan", "gan_2d", "rbm_exact"])
def test_a_page_refuses_a_new_run_near_the_limit_and_makes_one_otherwise(page, monkeypatch):
    monkeypatch.setenv(memory.LIMIT_VARIABLE, "1")  # this server may use 1 MB: no room
    refused = fresh_page(f"../pages/{page}.py").run(timeout=60)
    assert not refused.exception
    assert any("near its memory limit" in error.value for error in refused.error)
    # no controls for a run that does not exist
    assert not any(button.label in ("Start", "Play") for button in refused.button)
    monkeypatch.delenv(memory.LIMIT_VARIABLE)
    monkeypatch.setattr(memory, "current", lambda: Memory(500 * MB, 8 * 2**30, "machine"))
    made = fresh_page(f"../pages/{page}.py").run(timeout=60)
    assert not made.exception and not made.error
    assert any(button.label in ("Start", "Play") for button in made.button)


@pytest.mark.skipif(
    not os.access(CGROUP_V1, os.W_OK), reason="needs a writable cgroup v1 memory hierarchy"
)
def test_a_process_in_a_real_memory_group_reads_that_groups_limit():
    with memory_group(700) as (group, _):
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import json, sys; from serving import memory; sys.stdin.readline(); "
                "m = memory.current(); print(json.dumps([m.used, m.limit, m.source]))",
            ],
            cwd=Path(__file__).resolve().parents[1],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        (group / "cgroup.procs").write_text(str(child.pid))
        out, _ = child.communicate("go\n", timeout=30)
    used, limit, source = json.loads(out)
    assert (limit, source) == (700 * MB, "cgroup v1")
    assert 1 * MB < used < 700 * MB  # the child's own few MB, not the machine's GBs
