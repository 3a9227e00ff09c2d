"""The main job on the local stack: one SWB egress request approved end to end, one rejected."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

from egress_client import GraphQLError, Stack

FAILURES: list[str] = []


def step(text: str) -> None:
    print(f"\n== {text}")


def check(ok: bool, text: str) -> bool:
    print(f"  [{'ok' if ok else 'FAIL'}] {text}")
    if not ok:
        FAILURES.append(text)
    return ok


def unzip_listing(archive: Path) -> dict[str, int]:
    """Entry names and sizes as the system's unzip tool reads them."""
    out = subprocess.run(["zipinfo", "-1", str(archive)], check=True, capture_output=True).stdout
    names = out.decode("utf-8").splitlines()
    test = subprocess.run(["unzip", "-tq", str(archive)], capture_output=True)
    check(test.returncode == 0, f"unzip -t finds the archive intact ({test.stdout.decode().strip()})")
    return {name: 0 for name in names}


def unzip_read(archive: Path, name: str) -> bytes:
    # unzip treats [ ] * ? as wildcards in member names; escape them.
    pattern = "".join(f"[{c}]" if c in "[]*?" else c for c in name)
    return subprocess.run(["unzip", "-p", str(archive), pattern], check=True, capture_output=True).stdout


def main() -> int:
    started = time.monotonic()
    stack = Stack()
    groups = stack["reviewer_groups"]
    run = uuid.uuid4().hex[:6]
    store = f"ws-demo-{run}"
    requester = f"researcher-{run}@example.org"

    step("SWB: a researcher fills an egress store")
    big = os.urandom(12 * 1024 * 1024)  # above the local multipart threshold
    files = {
        "results/data.csv": b"sample,count\nA,10\nB,12\n",
        "raw/data.csv": b"sample,reads\nA,1000231\nB,998877\n",
        "reports/summary final+v2 é 日本.txt": "Résumé: 2 samples, no identifiers.\n".encode(),
        "reports/figures/plot (1).svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        "big/measurements.bin": big,
    }
    stack.seed_store(store, files, folders=("results", "raw", "reports/figures"))
    print(f"  store {store}: {len(files)} files, {sum(map(len, files.values()))} bytes, 3 folder markers")

    step("SWB: the researcher submits; then changes a file after submitting")
    submission = stack.submit(store, requester)
    s3 = stack.client("s3")
    changed = b"sample,count\nA,10\nB,12\nC,99  <- changed after submission\n"
    s3.put_object(Bucket=stack["swb_egress_store_bucket"], Key=f"{store}/results/data.csv", Body=changed)
    print("  results/data.csv rewritten after submission (a new current version)")
    request_id = submission.request_id
    stack.publish(submission.message)
    print(f"  published SWB message for egress request {request_id}")

    step("Reviewers sign in (Cognito) and see the request")
    ig = stack.create_user(f"ig-{run}@example.org", [groups[0]])
    rit = stack.create_user(f"rit-{run}@example.org", [groups[1]])
    stack.wait_for_stage(request_id, 1)
    listed = stack.find(ig, request_id)
    check(listed is not None and listed["egress_status"] == "PROCESSING",
          f"listRequests shows the request as PROCESSING to {groups[0]}")
    check(listed["object_count"] == str(len(files)), f"{listed['object_count']} objects staged, folder markers skipped")
    print(f"  file types: {', '.join(listed['file_types'])}; {listed['total_bytes']} bytes")
    check(stack.store_status(store) == "PROCESSING", "SWB's egress store is PROCESSING")
    staged = stack.keys(stack["staging_bucket"], f"{store}/{request_id}/")
    check(len(staged) == len(files), f"staging holds {len(staged)} objects under {store}/{request_id}/")

    step(f"Stage 1 ({groups[0]}) approves")
    print("  " + stack.decide(ig, request_id, 1, "APPROVED", "aggregate results only"))
    stack.wait_for_stage(request_id, 2)
    listed = stack.find(rit, request_id)
    check(listed["egress_status"] == "IGAPPROVED", "status IGAPPROVED, waiting for stage 2")

    step(f"Stage 2 ({groups[1]}) approves")
    print("  " + stack.decide(rit, request_id, 2, "APPROVED", "no identifiers found"))
    execution = stack.wait_for_execution_end(request_id)
    check(execution["status"] == "SUCCEEDED", f"workflow {execution['status']}")
    item = stack.item(request_id)
    check(item["egress_status"] == "RITAPPROVED", "status RITAPPROVED")
    check(stack.store_status(store) == "PROCESSED", "SWB's egress store is PROCESSED")
    check(stack.keys(stack["staging_bucket"], f"{store}/{request_id}/") == [], "staging is empty")
    check(bool(item.get("requester_notified_dt")), "the requester was e-mailed (SES v2)")
    key = f"approved_egress/{store}/{request_id}/egress_data.zip"
    head = s3.head_object(Bucket=stack["datalake_bucket"], Key=key)
    check(head.get("ServerSideEncryption") == "aws:kms", f"datalake holds {key}, SSE-KMS")

    step(f"{groups[0]} downloads the approved data through the presigned URL")
    url = stack.download(ig, request_id, store)
    response = requests.get(url, timeout=60)
    check(response.status_code == 200, f"download HTTP {response.status_code}, {len(response.content)} bytes")
    workdir = Path(tempfile.mkdtemp(prefix="egress-demo-"))
    try:
        archive = workdir / "egress_data.zip"
        archive.write_bytes(response.content)
        names = unzip_listing(archive)
        manifest_name = f"egress_manifest_{request_id}.json"
        check(set(names) == set(files) | {manifest_name},
              f"the zip holds exactly the {len(files)} submitted files and the manifest")
        for submitted in submission.files:
            body = unzip_read(archive, submitted.path)
            check(hashlib.sha256(body).hexdigest() == submitted.sha256,
                  f"{submitted.path}: the submitted version ({len(body)} bytes)")
        check(unzip_read(archive, "results/data.csv") != changed,
              "results/data.csv holds the submitted version, not the one written after submission")
        manifest = json.loads(unzip_read(archive, manifest_name))
        by_path = {f["path"]: f for f in manifest["files"]}
        check(all(by_path[f.path]["source_version_id"] == f.version_id and by_path[f.path]["sha256"] == f.sha256
                  for f in submission.files), "the manifest names each file's source version and SHA-256")
        check([d["decision"] for d in manifest["decisions"]] == ["APPROVED", "APPROVED"],
              "the manifest records both decisions")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    try:
        stack.download(ig, request_id, store, count="0")
        check(False, "a second download is refused (maximum 1)")
    except GraphQLError as err:
        check("maximum" in str(err), f"a second download is refused: {err}")

    step("A second request is rejected at stage 1")
    store2 = f"ws-demo-{run}-b"
    stack.seed_store(store2, {"cohort/patients.csv": b"id,dob\n1,1970-01-01\n"})
    submission2 = stack.submit(store2, requester)
    stack.publish(submission2.message)
    stack.wait_for_stage(submission2.request_id, 1)
    print("  " + stack.decide(ig, submission2.request_id, 1, "REJECTED", "row-level personal data"))
    execution = stack.wait_for_execution_end(submission2.request_id)
    item = stack.item(submission2.request_id)
    check(execution["status"] == "SUCCEEDED" and item["egress_status"] == "REJECTED", "status REJECTED")
    check(stack.keys(stack["staging_bucket"], f"{store2}/") == [], "its staged data is deleted")
    check(stack.keys(stack["datalake_bucket"], f"approved_egress/{store2}/") == [], "nothing reached the datalake")
    check(stack.store_status(store2) == "PENDING", "SWB's egress store is back to PENDING")

    step("Summary")
    elapsed = time.monotonic() - started
    if FAILURES:
        print(f"  {len(FAILURES)} check(s) failed in {elapsed:.1f}s:")
        for failure in FAILURES:
            print(f"   - {failure}")
        return 1
    print(f"  all checks passed in {elapsed:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
