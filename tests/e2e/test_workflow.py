"""The workflow end to end on the local stack: SWB message in, zip or nothing out."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import time
import tempfile
import uuid
import zipfile
from pathlib import Path

import pytest
import requests

import egress_stack


def staged(stack, submission):
    m = submission.message
    return stack.keys(stack["staging_bucket"], f"{m['workspace_id']}/{m['id']}/")


def approve_both(stack, reviewers, submission):
    rid = submission.request_id
    stack.wait_for_stage(rid, 1)
    stack.decide(reviewers.ig, rid, 1, "APPROVED", "fine")
    stack.wait_for_stage(rid, 2)
    stack.decide(reviewers.rit, rid, 2, "APPROVED", "fine too")
    return stack.wait_for_execution_end(rid)


def admin_notifications(stack, request_id):
    return [n for n in stack.notifications()
            if n["topic"] == stack["admin_topic_arn"] and n["message"].get("egress_request_id") == request_id]


def test_approved_request_is_zipped_with_exactly_the_submitted_versions(stack, reviewers, submit):
    files = {
        "a/data.csv": b"first folder\n",
        "b/data.csv": b"second folder\n",
        "names/with space + plus é 日本.txt": "unicode body ✓\n".encode(),
        "deep/er/still/x.json": b"{}",
        "large.bin": bytes(range(256)) * 40000,  # 10 MiB: multipart copy and upload locally
    }
    submission = submit(files, publish=False)
    store = submission.message["workspace_id"]
    # The researcher changes and deletes files after submitting: the submitted versions go out.
    s3 = stack.client("s3")
    s3.put_object(Bucket=stack["swb_egress_store_bucket"], Key=f"{store}/a/data.csv", Body=b"changed later")
    s3.delete_object(Bucket=stack["swb_egress_store_bucket"], Key=f"{store}/b/data.csv")
    stack.publish(submission.message)

    execution = approve_both(stack, reviewers, submission)
    assert execution["status"] == "SUCCEEDED", execution

    rid = submission.request_id
    item = stack.item(rid)
    assert item["egress_status"] == "RITAPPROVED"
    assert stack.store_status(store) == "PROCESSED"
    assert staged(stack, submission) == []
    key = f"approved_egress/{store}/{rid}/egress_data.zip"
    head = s3.head_object(Bucket=stack["datalake_bucket"], Key=key)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"].endswith(stack["kms_key_arns"]["datalake"].split("/")[-1])

    body = requests.get(stack.download(reviewers.ig, rid, store), timeout=60).content
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "egress_data.zip"
        archive.write_bytes(body)
        assert subprocess.run(["unzip", "-tq", str(archive)], capture_output=True).returncode == 0
        extract = Path(tmp) / "x"
        subprocess.run(["unzip", "-q", str(archive), "-d", str(extract)], check=True)
        for f in submission.files:
            assert hashlib.sha256((extract / f.path).read_bytes()).hexdigest() == f.sha256, f.path
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    manifest_name = f"egress_manifest_{rid}.json"
    assert sorted(names) == sorted(list(files) + [manifest_name])
    assert all(not n.startswith("/") and ".." not in n.split("/") for n in names)
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(body)).read(manifest_name))
    assert {f["path"]: f["source_version_id"] for f in manifest["files"]} == {
        f.path: f.version_id for f in submission.files}
    assert [(d["stage"], d["decision"], d["reviewer_email"]) for d in manifest["decisions"]] == [
        (1, "APPROVED", reviewers.emails["ig"]), (2, "APPROVED", reviewers.emails["rit"])]
    assert item.get("requester_notified_dt")


@pytest.mark.parametrize("stage", [1, 2])
def test_rejection_deletes_staged_data_and_returns_the_store_to_pending(stack, reviewers, submit, stage):
    submission = submit()
    rid = submission.request_id
    stack.wait_for_stage(rid, 1)
    assert len(staged(stack, submission)) == 2
    if stage == 2:
        stack.decide(reviewers.ig, rid, 1, "APPROVED")
        stack.wait_for_stage(rid, 2)
        stack.decide(reviewers.rit, rid, 2, "REJECTED", "identifiable")
    else:
        stack.decide(reviewers.ig, rid, 1, "REJECTED", "identifiable")
    execution = stack.wait_for_execution_end(rid)
    assert execution["status"] == "SUCCEEDED"
    item = stack.item(rid)
    assert item["egress_status"] == "REJECTED"
    prefix = "ig_reviewer_1" if stage == 1 else "rit_reviewer_2"
    assert item[f"{prefix}_decision"] == "REJECTED"
    assert item[f"{prefix}_reason"] == "identifiable"
    assert staged(stack, submission) == []
    assert stack.keys(stack["datalake_bucket"], f"approved_egress/{submission.message['workspace_id']}/") == []
    assert stack.store_status(submission.message["workspace_id"]) == "PENDING"
    assert item.get("requester_notified_dt")


def test_duplicate_sns_delivery_starts_one_execution(stack, reviewers, submit):
    submission = submit()
    stack.publish(submission.message)  # SWB's message arrives a second time
    rid = submission.request_id
    stack.wait_for_stage(rid, 1)
    stack.publish(submission.message)  # and a third, while the review waits
    executions = [e for e in stack.client("stepfunctions").list_executions(
        stateMachineArn=stack["state_machine_arn"])["executions"] if e["name"] == rid]
    assert len(executions) == 1
    assert stack.item(rid)["egress_status"] == "PROCESSING"
    stack.decide(reviewers.ig, rid, 1, "REJECTED")
    stack.wait_for_execution_end(rid)


def test_malformed_message_is_refused_with_a_clear_error(stack):
    lam = stack.client("lambda")
    bad = {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
                        "EventSubscriptionArn": stack["swb_topic_arn"] + ":sub", "Sns": {
        "Type": "Notification", "MessageId": "m-1", "TopicArn": stack["swb_topic_arn"],
        "Message": json.dumps({"id": "../../etc", "ver": "1"}), "Timestamp": "2026-10-15T19:03:09.367Z",
        "SignatureVersion": "1", "Signature": "x", "SigningCertUrl": "x", "UnsubscribeUrl": "x",
        "MessageAttributes": {}}}]}
    out = lam.invoke(FunctionName=f"{stack['function_prefix']}start-workflow", Payload=json.dumps(bad))
    assert out.get("FunctionError") == "Unhandled"
    error = json.loads(out["Payload"].read())
    assert error["errorType"] == "InvalidInput"
    assert "not a valid egress request" in error["errorMessage"]


def test_failure_inside_the_workflow_ends_failed_and_cleans_up(stack, reviewers, submit):
    submission = submit({"ok.csv": b"1", "gone.csv": b"2"}, publish=False)
    # The object list names a version that does not exist: staging fails part-way.
    s3 = stack.client("s3")
    location = submission.message["egress_store_object_list_location"].split(":::", 1)[1]
    bucket, key = location.split("/", 1)
    listing = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    for entry in listing["objects"]:
        if entry["Key"].endswith("gone.csv"):
            entry["VersionId"] = "no-such-version"
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(listing).encode())
    stack.publish(submission.message)

    rid = submission.request_id
    execution = stack.wait_for_execution_end(rid)
    assert execution["status"] == "FAILED"
    item = stack.item(rid)
    assert item["egress_status"] == "FAILED"
    assert item["failure_reason"] == "NotFound"
    assert "review_handle" not in item and "sfn_task_token" not in item
    assert staged(stack, submission) == []
    assert stack.store_status(submission.message["workspace_id"]) == "PENDING"
    notes = stack.wait_for("the administrator notification", lambda: admin_notifications(stack, rid), 10)
    assert notes[0]["message"]["error"] == "NotFound"
    assert "gone.csv" in notes[0]["message"]["cause"]


def test_review_that_times_out_expires_and_cleans_up(stack, reviewers, submit):
    # A state machine from the same template with a 3-second review timeout.
    name = "egress-workflow-short-timeout"
    sfn = stack.client("stepfunctions")
    arn = egress_stack.state_machine_arn(name)
    definition = egress_stack.render_asl(egress_stack.asl_values(review_timeout_seconds=3))
    if not any(m["stateMachineArn"] == arn for m in sfn.list_state_machines()["stateMachines"]):
        sfn.create_state_machine(name=name, definition=definition,
                                 roleArn="arn:aws:iam::123456789012:role/egress-workflow")
    submission = submit(publish=False)
    m = submission.message
    request = {
        "egress_request_id": m["id"], "egress_store_name": m["egress_store_name"],
        "swb_egress_store_id": m["egress_store_id"], "project_id": m["project_id"],
        "workspace_id": m["workspace_id"], "requested_by": m["created_by_email"],
        "requested_by_user_id": m["created_by"], "requested_dt": m["created_at"],
        "updated_by": m["updated_by_email"], "updated_dt": m["updated_at"],
        "s3_egress_store_bucket": m["s3_bucketname"], "s3_egress_store_bucket_path": m["s3_bucketpath"],
        "s3_egress_store_object_list_location": m["egress_store_object_list_location"],
        "s3_swb_object_metadata_version": str(m["ver"]),
    }
    execution_arn = sfn.start_execution(stateMachineArn=arn, name=m["id"],
                                        input=json.dumps({"request": request}))["executionArn"]
    rid = m["id"]
    stack.wait_for_stage(rid, 1)

    def ended():
        out = sfn.describe_execution(executionArn=execution_arn)
        return out if out["status"] != "RUNNING" else None

    execution = stack.wait_for("the review to time out", ended, 60)
    assert execution["status"] == "FAILED"
    item = stack.item(rid)
    assert item["egress_status"] == "EXPIRED"
    assert "review_handle" not in item and "sfn_task_token" not in item
    assert staged(stack, submission) == []
    assert stack.store_status(m["workspace_id"]) == "PENDING"
    notes = stack.wait_for("the administrator notification", lambda: admin_notifications(stack, rid), 10)
    assert notes[0]["message"]["error"] == "States.Timeout"


def test_failed_requester_email_leaves_the_decision_standing_and_tells_the_administrators(
        stack, reviewers, submit):
    sesv2 = stack.client("sesv2")
    sender = stack["sender_email"]
    submission = submit()
    rid = submission.request_id
    stack.wait_for_stage(rid, 1)
    sesv2.delete_email_identity(EmailIdentity=sender)  # SES now refuses the sender
    try:
        stack.decide(reviewers.ig, rid, 1, "REJECTED", "no")
        execution = stack.wait_for_execution_end(rid)
    finally:
        sesv2.create_email_identity(EmailIdentity=sender)
    assert execution["status"] == "SUCCEEDED"
    item = stack.item(rid)
    assert item["egress_status"] == "REJECTED"
    assert "requester_notified_dt" not in item
    assert staged(stack, submission) == []
    assert stack.store_status(submission.message["workspace_id"]) == "PENDING"
    notes = stack.wait_for("the administrator notification", lambda: admin_notifications(stack, rid), 10)
    assert notes[0]["message"]["event"] == "requester_not_notified"


def rewrite_object_list(stack, submission, change):
    s3 = stack.client("s3")
    bucket, key = submission.message["egress_store_object_list_location"].split(":::", 1)[1].split("/", 1)
    listing = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    change(listing["objects"])
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(listing).encode())


def test_message_reaching_into_another_store_starts_nothing(stack, submit):
    victim = submit({"secret/private.txt": b"not yours"}, publish=False)
    submission = submit(publish=False)
    submission.message["s3_bucketpath"] = f"{victim.message['egress_store_id']}/"
    stack.publish(submission.message)
    time.sleep(2)
    assert stack.execution(submission.request_id) is None
    assert stack.item(submission.request_id) is None
    assert stack.keys(stack["staging_bucket"], f"{submission.message['workspace_id']}/") == []


def test_request_naming_another_bucket_fails_without_copying(stack, submit):
    submission = submit(publish=False)
    submission.message["s3_bucketname"] = stack["datalake_bucket"]
    stack.publish(submission.message)
    execution = stack.wait_for_execution_end(submission.request_id)
    assert execution["status"] == "FAILED"
    item = stack.item(submission.request_id)
    assert (item["egress_status"], item["failure_reason"]) == ("FAILED", "InvalidInput")
    assert staged(stack, submission) == []
    assert stack.store_status(submission.message["workspace_id"]) == "PENDING"


def test_object_list_without_files_fails_before_review(stack, submit):
    submission = submit(publish=False)
    rewrite_object_list(stack, submission, lambda objects: objects.clear())
    stack.publish(submission.message)
    execution = stack.wait_for_execution_end(submission.request_id)
    assert execution["status"] == "FAILED"
    assert stack.item(submission.request_id)["failure_reason"] == "InvalidInput"
    assert stack.store_status(submission.message["workspace_id"]) == "PENDING"


def test_reviewers_see_the_staged_sizes_not_the_listed_ones(stack, reviewers, submit):
    submission = submit({"a.bin": b"x" * 100_000}, publish=False)

    def understate(objects):
        for entry in objects:
            entry["Size"] = 1

    rewrite_object_list(stack, submission, understate)
    stack.publish(submission.message)
    rid = submission.request_id
    stack.wait_for_stage(rid, 1)
    assert stack.find(reviewers.ig, rid)["total_bytes"] == "100000"
    stack.decide(reviewers.ig, rid, 1, "REJECTED")
    stack.wait_for_execution_end(rid)
