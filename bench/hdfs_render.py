"""Complete HDFS_v1 block traces (event-id sequences) rendered as raw HDFS lines.

``../shared/data/anomaly/hdfs_complete`` holds each block's whole trace as Loghub event ids.
The detectors read raw lines, so each event is written back as a line of HDFS's own format
(``yymmdd hhmmss pid LEVEL component: message``), with the block id in it and varied
parameters (addresses, sizes, thread numbers, paths), and the blocks are interleaved in time:
each block starts at a random moment of the span and its events follow a few seconds to
minutes apart, as on a busy cluster. Labels never reach the lines.

The message shapes follow the Loghub HDFS templates (``HDFS_templates_ait.txt``); the level
of each is HDFS's (WARN for the failures HDFS logs as warnings, INFO otherwise). The
rendering is seeded: the same traces and seed give the same lines.
"""

# ruff: noqa: E501  (the table of message shapes reads best one event a line)
from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Sequence
from pathlib import Path

from loghub import DATA

COMPLETE = DATA.parent / "anomaly" / "hdfs_complete"

# event id -> (level, component, message with {b} for the block and {ip}/{ip2}/{size}/...)
_EVENTS: dict[int, tuple[str, str, str]] = {
    1: ("INFO", "dfs.FSDataset", "Adding an already existing block {b}"),
    2: ("INFO", "dfs.DataBlockScanner", "Verification succeeded for {b}"),
    3: ("INFO", "dfs.DataNode$DataXceiver", "{ip}:50010 Served block {b} to /{ip2}"),
    4: ("WARN", "dfs.DataNode$DataXceiver", "{ip}:50010:Got exception while serving {b} to /{ip2}:"),
    5: ("INFO", "dfs.DataNode$DataXceiver", "Receiving block {b} src: /{ip}:{port} dest: /{ip2}:50010"),
    6: ("INFO", "dfs.DataNode$DataXceiver", "Received block {b} src: /{ip}:{port} dest: /{ip2}:50010 of size {size}"),
    7: ("INFO", "dfs.DataNode$DataXceiver", "writeBlock {b} received exception java.io.IOException: Could not read from stream"),
    8: ("INFO", "dfs.DataNode$PacketResponder", "PacketResponder {n} for block {b} Interrupted."),
    9: ("INFO", "dfs.DataNode$PacketResponder", "Received block {b} of size {size} from /{ip}"),
    10: ("INFO", "dfs.DataNode$PacketResponder", "PacketResponder {b} {n} Exception java.io.EOFException"),
    11: ("INFO", "dfs.DataNode$PacketResponder", "PacketResponder {n} for block {b} terminating"),
    12: ("INFO", "dfs.DataNode$DataXceiver", "{ip}:50010:Exception writing block {b} to mirror {ip2}:50010"),
    13: ("INFO", "dfs.DataNode$DataXceiver", "Receiving empty packet for block {b}"),
    14: ("INFO", "dfs.DataNode$DataXceiver", "Exception in receiveBlock for block {b} java.io.IOException: Connection reset by peer"),
    15: ("INFO", "dfs.DataNode$BlockReceiver", "Changing block file offset of block {b} from {size} to {size2} meta file offset to {n}"),
    16: ("INFO", "dfs.DataNode$DataTransfer", "{ip}:50010:Transmitted block {b} to /{ip2}:50010"),
    17: ("WARN", "dfs.DataNode$DataTransfer", "{ip}:50010:Failed to transfer {b} to {ip2}:50010 got java.net.SocketException: Connection reset"),
    18: ("INFO", "dfs.DataNode", "{ip}:50010 Starting thread to transfer block {b} to {ip2}:50010"),
    19: ("INFO", "dfs.FSDataset", "Reopen Block {b}"),
    20: ("WARN", "dfs.FSDataset", "Unexpected error trying to delete block {b}. BlockInfo not found in volumeMap."),
    21: ("INFO", "dfs.FSDataset", "Deleting block {b} file /mnt/hadoop/dfs/data/current/subdir{n}/{b}"),
    22: ("INFO", "dfs.FSNamesystem", "BLOCK* NameSystem.allocateBlock: /user/root/rand/_temporary/_task_200811092030_0002_m_{task}_0/part-{task}. {b}"),
    23: ("INFO", "dfs.FSNamesystem", "BLOCK* NameSystem.delete: {b} is added to invalidSet of {ip}:50010"),
    24: ("INFO", "dfs.FSNamesystem", "BLOCK* Removing block {b} from neededReplications as it does not belong to any file."),
    25: ("INFO", "dfs.FSNamesystem", "BLOCK* ask {ip}:50010 to replicate {b} to datanode(s) {ip2}:50010"),
    26: ("INFO", "dfs.FSNamesystem", "BLOCK* NameSystem.addStoredBlock: blockMap updated: {ip}:50010 is added to {b} size {size}"),
    27: ("INFO", "dfs.FSNamesystem", "BLOCK* NameSystem.addStoredBlock: Redundant addStoredBlock request received for {b} on {ip}:50010 size {size}"),
    28: ("WARN", "dfs.FSNamesystem", "BLOCK* NameSystem.addStoredBlock: addStoredBlock request received for {b} on {ip}:50010 size {size} But it does not belong to any file."),
    29: ("WARN", "dfs.PendingReplicationMonitor", "PendingReplicationMonitor timed out block {b}"),
}  # fmt: skip

START = dt.datetime(2008, 11, 9, 20, 30)


def load_train() -> list[list[int]]:
    """The 4,855 complete normal traces (DeepLog's training set)."""
    text = (COMPLETE / "train_normal.txt").read_text("utf-8")
    return [[int(e) for e in line.split()] for line in text.splitlines() if line.strip()]


def load_dev() -> list[tuple[list[int], bool]]:
    """The 2,000 labelled development traces, ``(events, anomalous)``, in file order."""
    with open(COMPLETE / "dev_labelled.csv", encoding="utf-8", newline="") as f:
        return [
            ([int(e) for e in r["Sequence"].split()], r["label"] == "1") for r in csv.DictReader(f)
        ]


def _ip(rnd: random.Random) -> str:
    return f"10.{rnd.choice((250, 251))}.{rnd.randint(1, 254)}.{rnd.randint(1, 254)}"


def render(
    traces: Sequence[Sequence[int]],
    seed: int = 0,
    span_hours: float = 6.0,
    first_block: int = 0,
) -> tuple[list[str], list[str]]:
    """Raw lines for ``traces`` interleaved in time, and each trace's block id (same order).

    Block ids are distinct per trace (``first_block`` offsets them, so two renders can share
    none). Each block starts at a uniform moment of ``span_hours`` and its events follow with
    gaps of a few seconds (writes) to minutes (later reads, deletions)."""
    rnd = random.Random(seed)
    span = span_hours * 3600
    timed: list[tuple[float, int, str]] = []
    blocks: list[str] = []
    for i, trace in enumerate(traces):
        b = f"blk_{'-' if rnd.random() < 0.5 else ''}{rnd.randrange(10**18, 10**19)}"
        b = b[:-6] + f"{(first_block + i) % 10**6:06d}"  # distinct per trace
        blocks.append(b)
        t = rnd.uniform(0, span)
        size = rnd.choice((67108864, rnd.randint(1000, 67108864)))
        for ev in trace:
            level, comp, msg = _EVENTS.get(
                ev, ("INFO", "dfs.DataNode", f"Event {ev} for block {{b}}")
            )
            text = msg.format(
                b=b,
                ip=_ip(rnd),
                ip2=_ip(rnd),
                port=rnd.randint(30000, 60000),
                size=size,
                size2=rnd.randint(0, size),
                n=rnd.randint(0, 63),
                task=f"{rnd.randint(0, 9999):06d}",
            )
            t += (
                rnd.expovariate(1 / 3.0)
                if ev in (5, 6, 9, 11, 22, 26)
                else rnd.expovariate(1 / 120)
            )
            pid = rnd.randint(13, 8000)
            timed.append((t, len(timed), f"{pid} {level} {comp}: {text}"))
    timed.sort()
    lines = []
    for t, _, rest in timed:
        stamp = (START + dt.timedelta(seconds=t)).strftime("%y%m%d %H%M%S")
        lines.append(f"{stamp} {rest}")
    return lines, blocks


def write_fixture(
    path: Path, traces: Sequence[Sequence[int]], labels: Sequence[bool], seed: int
) -> None:
    """Write rendered lines and a ``block,anomalous`` label file beside them (for tests)."""
    lines, blocks = render(traces, seed=seed, span_hours=1.0)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open(path.with_suffix(".labels.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["block", "anomalous"])
        for b, lab in zip(blocks, labels, strict=True):
            w.writerow([b, int(lab)])
