"""Every rule of the reviewer GraphQL API, through real HTTP with real Cognito-issued tokens."""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from egress_client import GraphQLError, LIST_QUERY


def refused(call, *needles):
    with pytest.raises(GraphQLError) as err:
        call()
    text = str(err.value)
    for needle in needles:
        assert needle in text, text
    return text


@pytest.fixture(scope="module")
def approved(stack, reviewers):
    """One request approved by both stages and published."""
    store = f"ws-api-{int(time.time() * 1000)}"
    stack.seed_store(store, {"x.csv": b"1,2\n"})
    submission = stack.submit(store, reviewers.requester_email)
    stack.publish(submission.message)
    rid = submission.request_id
    stack.wait_for_stage(rid, 1)
    stack.decide(reviewers.ig, rid, 1, "APPROVED")
    stack.wait_for_stage(rid, 2)
    stack.decide(reviewers.rit, rid, 2, "APPROVED")
    assert stack.wait_for_execution_end(rid)["status"] == "SUCCEEDED"
    return submission


def test_requests_need_a_valid_cognito_token(stack, reviewers):
    refused(lambda: stack.graphql(None, LIST_QUERY), "Unauthorized")
    tampered = reviewers.ig[:-4] + ("AAAA" if not reviewers.ig.endswith("AAAA") else "BBBB")
    refused(lambda: stack.graphql(tampered, LIST_QUERY), "Unauthorized")


def test_callers_outside_the_reviewer_groups_see_nothing(stack, reviewers):
    refused(lambda: stack.list_requests(reviewers.outsider), "not a member of a reviewer group")


def test_list_shows_an_opaque_handle_never_the_task_token(stack, reviewers, submit):
    rid = submit().request_id
    item = stack.wait_for_stage(rid, 1)
    listed = stack.find(reviewers.ig, rid)
    assert listed["task_token"] == item["review_handle"]
    assert listed["task_token"] != item["sfn_task_token"]
    # The other stage's group gets no handle for a stage it cannot decide.
    assert stack.find(reviewers.rit, rid)["task_token"] is None
    body = requests.post(stack["graphql_url"], json={"query": LIST_QUERY},
                         headers={"Authorization": reviewers.ig}, timeout=30).text
    assert item["sfn_task_token"] not in body
    stack.decide(reviewers.ig, rid, 1, "REJECTED")


def test_stage_is_decided_only_by_its_group(stack, reviewers, submit):
    rid = submit().request_id
    stack.wait_for_stage(rid, 1)
    handle = stack.find(reviewers.ig, rid)["task_token"]
    refused(lambda: stack.decide(reviewers.rit, rid, 1, "APPROVED", handle=handle), "not a member")
    refused(lambda: stack.decide(reviewers.outsider, rid, 1, "APPROVED", handle=handle), "reviewer group")
    assert stack.item(rid)["egress_status"] == "PROCESSING"
    stack.decide(reviewers.ig, rid, 1, "REJECTED", handle=handle)


def test_stage_is_decided_once_and_only_while_it_waits(stack, reviewers, submit):
    rid = submit().request_id
    stack.wait_for_stage(rid, 1)
    handle = stack.find(reviewers.ig, rid)["task_token"]
    refused(lambda: stack.decide(reviewers.ig, rid, 1, "APPROVED", handle="forged-handle"), "stale or wrong")
    refused(lambda: stack.decide(reviewers.ig, rid, 1, "MAYBE", handle=handle), "APPROVED", "REJECTED")
    refused(lambda: stack.decide(reviewers.ig, rid, 2, "APPROVED", handle=handle), "ig_reviewer_1_decision")
    stack.decide(reviewers.ig, rid, 1, "APPROVED", handle=handle)
    refused(lambda: stack.decide(reviewers.ig2, rid, 1, "REJECTED", handle=handle))
    stack.wait_for_stage(rid, 2)
    assert stack.item(rid)["ig_reviewer_1_decision"] == "APPROVED"
    stack.decide(reviewers.rit, rid, 2, "REJECTED")
    stack.wait_for_execution_end(rid)
    refused(lambda: stack.decide(reviewers.rit, rid, 2, "APPROVED", handle=handle), "not waiting")


def test_of_two_concurrent_decisions_exactly_one_wins(stack, reviewers, submit):
    rid = submit().request_id
    stack.wait_for_stage(rid, 1)
    handle = stack.find(reviewers.ig, rid)["task_token"]
    results = {}
    barrier = threading.Barrier(2)

    def decide(name, token, verdict):
        barrier.wait()
        try:
            results[name] = ("ok", stack.decide(token, rid, 1, verdict, handle=handle))
        except GraphQLError as err:
            results[name] = ("error", str(err))

    threads = [threading.Thread(target=decide, args=("ig", reviewers.ig, "APPROVED")),
               threading.Thread(target=decide, args=("ig2", reviewers.ig2, "REJECTED"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outcomes = sorted(r[0] for r in results.values())
    assert outcomes == ["error", "ok"], results
    winner = next(n for n, r in results.items() if r[0] == "ok")
    item = stack.item(rid)
    assert item["ig_reviewer_1_email"] == reviewers.emails[winner]
    expected = "IGAPPROVED" if winner == "ig" else "REJECTED"
    assert item["egress_status"] == expected
    if winner == "ig":
        stack.wait_for_stage(rid, 2)
        stack.decide(reviewers.rit, rid, 2, "REJECTED")
    stack.wait_for_execution_end(rid)


def test_requester_cannot_review_own_request(stack, reviewers, submit):
    rid = submit().request_id
    stack.wait_for_stage(rid, 1)
    refused(lambda: stack.decide(reviewers.requester, rid, 1, "APPROVED"), "cannot review it")
    stack.decide(reviewers.ig, rid, 1, "REJECTED")


def test_one_person_cannot_decide_both_stages(stack, reviewers, submit):
    rid = submit().request_id
    stack.wait_for_stage(rid, 1)
    stack.decide(reviewers.both, rid, 1, "APPROVED")
    stack.wait_for_stage(rid, 2)
    refused(lambda: stack.decide(reviewers.both, rid, 2, "APPROVED"), "another reviewer")
    stack.decide(reviewers.rit, rid, 2, "REJECTED")
    stack.wait_for_execution_end(rid)


def test_recorded_identity_and_time_are_the_servers(stack, reviewers, submit):
    rid = submit().request_id
    stack.wait_for_stage(rid, 1)
    before = time.strftime("%Y-%m-%dT%H:%M", time.gmtime())
    stack.decide(reviewers.ig, rid, 1, "REJECTED", "spoof attempt",
                 ig_reviewer_1_name="Mallory", ig_reviewer_1_email="mallory@evil.example",
                 ig_reviewer_1_dt="1999-01-01T00:00:00Z")
    item = stack.wait_for("the decision", lambda: (i := stack.item(rid)) and i.get("ig_reviewer_1_dt") and i)
    assert item["ig_reviewer_1_email"] == reviewers.emails["ig"]
    assert item["ig_reviewer_1_name"] != "Mallory"
    assert item["ig_reviewer_1_dt"] >= before
    assert item["ig_reviewer_1_reason"] == "spoof attempt"
    stack.wait_for_execution_end(rid)


def test_download_only_for_the_first_group_and_only_when_approved(stack, reviewers, approved, submit):
    rid, store = approved.request_id, approved.message["workspace_id"]
    refused(lambda: stack.download(reviewers.rit, rid, store), "only members of group")
    refused(lambda: stack.download(reviewers.ig, rid, "ws-other"), "does not belong")
    pending = submit().request_id
    stack.wait_for_stage(pending, 1)
    pending_store = stack.item(pending)["workspace_id"]
    refused(lambda: stack.download(reviewers.ig, pending, pending_store), "no approved data")
    stack.decide(reviewers.ig, pending, 1, "REJECTED")


def test_downloads_are_counted_on_the_server_whatever_the_client_sends(stack, reviewers, approved):
    rid, store = approved.request_id, approved.message["workspace_id"]
    results = []
    barrier = threading.Barrier(4)

    def download():
        barrier.wait()
        try:
            results.append(("ok", stack.download(reviewers.ig, rid, store, count="0")))
        except GraphQLError as err:
            results.append(("error", str(err)))

    threads = [threading.Thread(target=download) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    oks = [r for r in results if r[0] == "ok"]
    assert len(oks) == stack["max_downloads"] == 1, results
    assert all("maximum" in r[1] for r in results if r[0] == "error")
    assert stack.item(rid)["download_count"] == "1"
    url = oks[0][1]
    query = parse_qs(urlparse(url).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert requests.get(url, timeout=60).status_code == 200
    refused(lambda: stack.download(reviewers.ig, rid, store, count="-5"), "maximum")


def test_pre_token_trigger_maps_federated_groups(stack):
    first, second = stack["reviewer_groups"]
    event = {
        "version": "1", "triggerSource": "TokenGeneration_HostedAuth", "region": stack["region"],
        "userPoolId": stack["user_pool_id"], "userName": "saml_jdoe",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": stack["user_pool_client_id"]},
        "request": {
            "userAttributes": {"sub": "1f2e", "email": "jdoe@example.org",
                               "cognito:user_status": "EXTERNAL_PROVIDER",
                               "identities": json.dumps([{"userId": "jdoe", "providerName": "Corporate",
                                                          "providerType": "SAML", "primary": "true"}]),
                               "custom:groups": f"[{second}, payroll]"},
            "groupConfiguration": {"groupsToOverride": [], "iamRolesToOverride": [], "preferredRole": None},
        },
        "response": {"claimsOverrideDetails": None},
    }
    out = stack.client("lambda").invoke(FunctionName=f"{stack['function_prefix']}pre-token",
                                        Payload=json.dumps(event))
    assert "FunctionError" not in out
    result = json.loads(out["Payload"].read())
    groups = result["response"]["claimsOverrideDetails"]["groupOverrideDetails"]["groupsToOverride"]
    assert groups == [second]


def test_unknown_or_malformed_request_ids_get_clear_errors(stack, reviewers):
    refused(lambda: stack.decide(reviewers.ig, "does-not-exist", 1, "APPROVED", handle="h"), "does not exist")
    text = refused(lambda: stack.download(reviewers.ig, "x" * 5000, "ws"), "is not a request id")
    assert "x" * 100 not in text
