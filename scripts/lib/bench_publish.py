"""Benchmark of the approved-data path: staging copy and zip publishing time, and the peak
memory of the process running the roles, for growing amounts of data.

The gateway runs every role in one process, so its peak resident set (VmHWM) bounds what the
publish role needed. Sizes run in increasing order: if the peak does not climb with the data,
memory use does not grow with the data size.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from datetime import datetime

from egress_client import Stack, STACK_FILE

MIB = 1024 * 1024


def peak_rss_mib(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def state_seconds(stack: Stack, request_id: str, state: str) -> float:
    execution = stack.execution(request_id)
    events = stack.client("stepfunctions").get_execution_history(
        executionArn=execution["executionArn"], maxResults=1000)["events"]
    entered = exited = None
    for event in events:
        details = event.get("stateEnteredEventDetails") or event.get("stateExitedEventDetails") or {}
        if details.get("name") != state:
            continue
        stamp = event["timestamp"]
        if isinstance(stamp, str):
            stamp = datetime.fromisoformat(stamp)
        if event["type"].endswith("StateEntered"):
            entered = stamp
        elif event["type"].endswith("StateExited"):
            exited = stamp
    return (exited - entered).total_seconds() if entered and exited else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes_mib", nargs="*", type=int, default=[16, 64, 256])
    parser.add_argument("--files", type=int, default=8, help="files per request")
    args = parser.parse_args()
    stack = Stack()
    pid = json.loads((STACK_FILE.parent / "stack.pids").read_text())["gateway"]
    ig = stack.create_user(f"bench-ig-{uuid.uuid4().hex[:6]}@example.org", [stack["reviewer_groups"][0]])
    rit = stack.create_user(f"bench-rit-{uuid.uuid4().hex[:6]}@example.org", [stack["reviewer_groups"][1]])
    print(f"gateway peak RSS before: {peak_rss_mib(pid):.1f} MiB")
    print(f"{'data MiB':>9} {'files':>5} {'stage s':>8} {'publish s':>9} {'MiB/s':>7} {'peak RSS MiB':>12}")
    for size in sorted(args.sizes_mib):
        store = f"ws-bench-{uuid.uuid4().hex[:8]}"
        per_file = size * MIB // args.files
        chunk = os.urandom(MIB)
        files = {f"data/part-{i:03}.bin": (chunk * (per_file // MIB + 1))[:per_file] for i in range(args.files)}
        stack.seed_store(store, files)
        submission = stack.submit(store, "bench-researcher@example.org")
        stack.publish(submission.message)
        rid = submission.request_id
        stack.wait_for_stage(rid, 1, seconds=600)
        stack.decide(ig, rid, 1, "APPROVED")
        stack.wait_for_stage(rid, 2)
        stack.decide(rit, rid, 2, "APPROVED")
        execution = stack.wait_for_execution_end(rid, seconds=1800)
        if execution["status"] != "SUCCEEDED":
            raise SystemExit(f"the {size} MiB request ended {execution['status']}")
        stage_s = state_seconds(stack, rid, "StageObjects")
        publish_s = state_seconds(stack, rid, "PublishApprovedData")
        print(f"{size:>9} {args.files:>5} {stage_s:>8.2f} {publish_s:>9.2f} {size / publish_s:>7.1f} "
              f"{peak_rss_mib(pid):>12.1f}")
        # Free moto's memory for the next size.
        s3 = stack.client("s3")
        for key in stack.keys(stack["datalake_bucket"], f"approved_egress/{store}/"):
            s3.delete_object(Bucket=stack["datalake_bucket"], Key=key)


if __name__ == "__main__":
    main()
