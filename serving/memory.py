"""How much memory this server may use, and how much it uses: its container's, where it runs in
one (a cgroup with a memory limit, v1 or v2), else the machine's.

A container is killed when it reaches its limit, with every visitor's model in it. The pages
ask :func:`room_for_a_run` before they make a new run, and refuse it with a message while the
server is near its limit (docs/deployment.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

LIMIT_VARIABLE = "DASHBOARD_MEMORY_MB"  # an operator's own cap, below any container's
NO_LIMIT = 1 << 60  # cgroup v1 writes about 2**63 for "no limit"


@dataclass(frozen=True)
class Memory:
    used: int  # bytes, without the page cache the kernel takes back before it kills
    limit: int  # bytes
    source: str  # "cgroup v1", "cgroup v2" or "machine"

    @property
    def left(self) -> int:
        return self.limit - self.used


def _number(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None  # cgroup v2 writes "max" for no limit


def _stat(path: Path, name: str) -> int:
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == name:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _own_group(proc_cgroup: str, controller: str) -> str:
    """This process's group path for ``controller`` ("" for cgroup v2's unified line)."""
    for line in proc_cgroup.splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(",") or (not controller and not controllers):
            return path
    return ""


def _group_dir(root: Path, path: str) -> Path:
    """The group's directory; inside a container the mount is the group itself."""
    own = root / path.lstrip("/")
    return own if own.is_dir() else root


def from_cgroup(
    root: Path = Path("/sys/fs/cgroup"), membership: Path = Path("/proc/self/cgroup")
) -> Memory | None:
    """The limit and use of the cgroup a process is in (``membership``: its /proc/PID/cgroup;
    this process's by default), or None where its group sets no limit."""
    try:
        proc_cgroup = membership.read_text()
    except OSError:
        return None
    v1 = root / "memory"
    if (v1 / "memory.limit_in_bytes").exists():
        group = _group_dir(v1, _own_group(proc_cgroup, "memory"))
        # the tightest limit of the group and the groups above it (a pod's, say)
        limits = [
            _number(group / "memory.limit_in_bytes"),
            _stat(group / "memory.stat", "hierarchical_memory_limit") or None,
        ]
        used = _number(group / "memory.usage_in_bytes")
        cache = _stat(group / "memory.stat", "total_inactive_file")
        source = "cgroup v1"
    else:
        group = _group_dir(root, _own_group(proc_cgroup, ""))
        above = [d for d in group.parents if d == root or root in d.parents]
        limits = [_number(d / "memory.max") for d in (group, *above)]
        used = _number(group / "memory.current")
        cache = _stat(group / "memory.stat", "inactive_file")
        source = "cgroup v2"
    limit = min((n for n in limits if n is not None), default=NO_LIMIT)
    if used is None or limit >= NO_LIMIT:
        return None
    return Memory(max(0, used - cache), limit, source)


def from_machine(proc: Path = Path("/proc")) -> Memory:
    """The machine's memory and what is not available of it (MemTotal − MemAvailable)."""
    fields = {}
    for line in (proc / "meminfo").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = int(value.split()[0]) * 1024
    return Memory(fields["MemTotal"] - fields["MemAvailable"], fields["MemTotal"], "machine")


def own_resident() -> int:
    """This process's resident memory in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def current() -> Memory:
    """The tighter of the container's limit and the machine. An operator's DASHBOARD_MEMORY_MB
    lowers the limit further; outside a container it is this server's own limit, so it is
    compared with this process's memory, not the machine's."""
    container, machine = from_cgroup(), from_machine()
    memory = container if container and container.limit <= machine.limit else machine
    cap = os.environ.get(LIMIT_VARIABLE, "")
    if cap.isdigit() and int(cap) * 2**20 < memory.limit:
        used = own_resident() if memory is machine else memory.used
        memory = Memory(used, int(cap) * 2**20, f"{memory.source}, {LIMIT_VARIABLE}")
    return memory


def room_for_a_run(memory: Memory) -> bool:
    """Whether a new run may start: a fifth of the limit (at least 300 MB) stays free. A new
    visitor's first page and step briefly take more memory than the session then keeps, and
    several visitors may arrive at once (measured: bench/memory_cap.py, docs/deployment.md)."""
    return memory.left >= max(memory.limit // 5, 300 * 2**20)


def refusal(memory: Memory, holder: str = "This server") -> str:
    """What a visitor reads when :func:`room_for_a_run` says no (``holder``: what is full)."""
    return (
        f"{holder} is near its memory limit ({memory.used / 2**20:,.0f} of "
        f"{memory.limit / 2**20:,.0f} MB in use), so it starts no new runs for now. Runs that "
        "visitors leave end within a few minutes: open this page again then."
    )


def device_memory(device) -> Memory | None:
    """A GPU's memory as the memory cap reads it: in use (by every process on it) of its total;
    None for the CPU, whose memory current() measures. What torch keeps cached
    for this process's next tensors (ended runs' memory, say) counts as free: runs reuse it."""
    import torch  # only where a page asks: the server starts without torch

    from core.devices import device_name

    device = torch.device(device)
    if device.type != "cuda":
        return None
    free, total = torch.cuda.mem_get_info(device)
    cached = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
    return Memory(total - free - cached, total, device_name(device))
