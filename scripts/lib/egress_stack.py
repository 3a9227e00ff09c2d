"""The local AWS stack: moto server plus the egress gateway, provisioned like the Terraform does.

`up` starts moto, provisions every resource, starts the gateway (our binary, which answers
Lambda Invoke, SNS deliveries and GraphQL) and writes `.local/stack.json`. `down` stops both.
The demo and the end-to-end tests read `stack.json` through `Stack`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import requests
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / ".local"
STACK_FILE = LOCAL / "stack.json"
PIDS_FILE = LOCAL / "stack.pids"
ASL_TEMPLATE = ROOT / "statemachine" / "egress_workflow.asl.json"

REGION = "us-east-1"
ACCOUNT = "123456789012"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

# The gateway is the local stack's "AWS endpoint"; moto listens on the next port.
GATEWAY_PORT = int(os.environ.get("EGRESS_LOCAL_PORT", "4566"))
MOTO_PORT = GATEWAY_PORT + 1

FUNCTION_PREFIX = "egress-"
ROLES = [
    "start-workflow",
    "stage-objects",
    "await-review",
    "discard-staged",
    "publish-approved",
    "notify-requester",
    "api",
    "pre-token",
]
REVIEWER_GROUPS = ["information-governance", "research-it"]
REVIEW_TIMEOUT_SECONDS = 21 * 24 * 3600
NAMES = {
    "swb_egress_store_bucket": "swb-egress-store-local",
    "swb_notification_bucket": "swb-egress-notifications-local",
    "swb_egress_store_table": "swb-egress-store",
    "swb_topic": "swb-egress-requests",
    "staging_bucket": "egress-staging-local",
    "datalake_bucket": "egress-datalake-local",
    "requests_table": "egress-requests",
    "first_reviewer_topic": "egress-first-reviewers",
    "second_reviewer_topic": "egress-second-reviewers",
    "admin_topic": "egress-administrators",
    "notifications_queue": "egress-local-notifications",
    "state_machine": "egress-workflow",
    "user_pool": "egress-reviewers",
    "sender_email": "egress-admin@example.org",
    "egress_app_url": "http://localhost:3000",
    "ses_configuration_set": "egress-local",
}
# Small parts locally, so the demo's larger file goes through multipart copy and upload.
MULTIPART_COPY_THRESHOLD_BYTES = 8 * 1024 * 1024
MULTIPART_PART_SIZE_BYTES = 5 * 1024 * 1024


def function_arn(role: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION_PREFIX}{role}"


def topic_arn(name: str) -> str:
    return f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"


def state_machine_arn(name: str = NAMES["state_machine"]) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"


def asl_values(review_timeout_seconds: int = REVIEW_TIMEOUT_SECONDS) -> dict[str, object]:
    """Every placeholder of the ASL template, as the Terraform supplies them."""
    return {
        "admin_topic_arn": topic_arn(NAMES["admin_topic"]),
        "await_review_function_arn": function_arn("await-review"),
        "discard_staged_function_arn": function_arn("discard-staged"),
        "egress_app_url": NAMES["egress_app_url"],
        "execution_timeout_seconds": 2 * review_timeout_seconds + 24 * 3600,
        "first_reviewer_group": REVIEWER_GROUPS[0],
        "first_reviewer_topic_arn": topic_arn(NAMES["first_reviewer_topic"]),
        "notify_requester_function_arn": function_arn("notify-requester"),
        "publish_approved_function_arn": function_arn("publish-approved"),
        "requests_table": NAMES["requests_table"],
        "review_timeout_seconds": review_timeout_seconds,
        "second_reviewer_group": REVIEWER_GROUPS[1],
        "second_reviewer_topic_arn": topic_arn(NAMES["second_reviewer_topic"]),
        "stage_objects_function_arn": function_arn("stage-objects"),
        "swb_egress_store_table": NAMES["swb_egress_store_table"],
    }


def render_asl(values: dict[str, object]) -> str:
    """Renders the template the way Terraform's templatefile() does for `${name}`."""
    text = ASL_TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace("${" + name + "}", str(value))
    leftover = [part.split("}")[0] for part in text.split("${")[1:]]
    if leftover:
        raise SystemExit(f"local stack: the ASL template has unsupplied placeholders: {leftover}")
    json.loads(text)
    return text


def client(service: str, endpoint: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
    )


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(check, what: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"local stack: {what} did not come up within {seconds:.0f}s (see .local/*.log)")


def start_process(args: list[str], env: dict[str, str], log: Path) -> int:
    handle = open(log, "ab")
    process = subprocess.Popen(
        args, env=env, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    return process.pid


def provision(endpoint: str, gateway_url: str) -> dict[str, object]:
    """Creates every resource; safe to run against a stack that already has them."""
    kms = client("kms", endpoint)
    keys = {}
    for purpose in ("swb", "staging", "datalake", "requests"):
        alias = f"alias/egress-local-{purpose}"
        existing = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == alias]
        if existing:
            key_id = existing[0]["TargetKeyId"]
        else:
            key_id = kms.create_key(Description=f"egress local {purpose}")["KeyMetadata"]["KeyId"]
            kms.create_alias(AliasName=alias, TargetKeyId=key_id)
        keys[purpose] = kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]

    s3 = client("s3", endpoint)
    buckets = {
        NAMES["swb_egress_store_bucket"]: ("swb", True),
        NAMES["swb_notification_bucket"]: ("swb", False),
        NAMES["staging_bucket"]: ("staging", False),
        NAMES["datalake_bucket"]: ("datalake", False),
    }
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket, (key, versioned) in buckets.items():
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket)
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": keys[key]}, "BucketKeyEnabled": True}]},
        )
        if versioned:
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})

    dynamodb = client("dynamodb", endpoint)
    tables = set(dynamodb.list_tables()["TableNames"])
    for table, key in ((NAMES["requests_table"], "egress_request_id"), (NAMES["swb_egress_store_table"], "id")):
        if table not in tables:
            dynamodb.create_table(
                TableName=table, BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            )

    sns = client("sns", endpoint)
    sqs = client("sqs", endpoint)
    queue_url = sqs.create_queue(QueueName=NAMES["notifications_queue"])["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topics = {}
    for name in ("swb_topic", "first_reviewer_topic", "second_reviewer_topic", "admin_topic"):
        topics[name] = sns.create_topic(Name=NAMES[name])["TopicArn"]
    wanted = [
        (topics["swb_topic"], "http", f"{gateway_url}/sns/{FUNCTION_PREFIX}start-workflow"),
        (topics["first_reviewer_topic"], "sqs", queue_arn),
        (topics["second_reviewer_topic"], "sqs", queue_arn),
        (topics["admin_topic"], "sqs", queue_arn),
    ]
    for topic, protocol, target in wanted:
        subscribed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        if not any(s["Endpoint"] == target for s in subscribed):
            sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=target)

    sesv2 = client("sesv2", endpoint)
    identities = {i["IdentityName"] for i in sesv2.list_email_identities().get("EmailIdentities", [])}
    if NAMES["sender_email"] not in identities:
        sesv2.create_email_identity(EmailIdentity=NAMES["sender_email"])
    configuration_sets = set(sesv2.list_configuration_sets().get("ConfigurationSets", []))
    if NAMES["ses_configuration_set"] not in configuration_sets:
        sesv2.create_configuration_set(ConfigurationSetName=NAMES["ses_configuration_set"])

    cognito = client("cognito-idp", endpoint)
    pools = [p for p in cognito.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == NAMES["user_pool"]]
    if pools:
        pool_id = pools[0]["Id"]
    else:
        pool_id = cognito.create_user_pool(
            PoolName=NAMES["user_pool"],
            UsernameAttributes=["email"],
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
            Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireUppercase": True,
                                         "RequireLowercase": True, "RequireNumbers": True,
                                         "RequireSymbols": True}},
        )["UserPool"]["Id"]
    existing_groups = {g["GroupName"] for g in cognito.list_groups(UserPoolId=pool_id)["Groups"]}
    for group in REVIEWER_GROUPS:
        if group not in existing_groups:
            cognito.create_group(UserPoolId=pool_id, GroupName=group)
    clients_ = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    web = [c for c in clients_ if c["ClientName"] == "egress-webapp"]
    if web:
        client_id = web[0]["ClientId"]
    else:
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id, ClientName="egress-webapp", GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]

    sfn = client("stepfunctions", endpoint)
    definition = render_asl(asl_values())
    arn = state_machine_arn()
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/egress-workflow"
    if any(m["stateMachineArn"] == arn for m in sfn.list_state_machines()["stateMachines"]):
        sfn.update_state_machine(stateMachineArn=arn, definition=definition, roleArn=role_arn)
    else:
        sfn.create_state_machine(name=NAMES["state_machine"], definition=definition, roleArn=role_arn)

    return {
        "region": REGION,
        "account_id": ACCOUNT,
        "aws_endpoint_url": gateway_url,
        "moto_url": endpoint,
        "graphql_url": f"{gateway_url}/graphql",
        "swb_topic_arn": topics["swb_topic"],
        "swb_egress_store_bucket": NAMES["swb_egress_store_bucket"],
        "swb_notification_bucket": NAMES["swb_notification_bucket"],
        "swb_egress_store_table": NAMES["swb_egress_store_table"],
        "staging_bucket": NAMES["staging_bucket"],
        "datalake_bucket": NAMES["datalake_bucket"],
        "requests_table": NAMES["requests_table"],
        "state_machine_arn": arn,
        "first_reviewer_topic_arn": topics["first_reviewer_topic"],
        "second_reviewer_topic_arn": topics["second_reviewer_topic"],
        "admin_topic_arn": topics["admin_topic"],
        "notifications_queue_url": queue_url,
        "user_pool_id": pool_id,
        "user_pool_client_id": client_id,
        "reviewer_groups": REVIEWER_GROUPS,
        "sender_email": NAMES["sender_email"],
        "kms_key_arns": keys,
        "function_prefix": FUNCTION_PREFIX,
        "max_downloads": 1,
        "scratch_dir": str(LOCAL / "scratch"),
    }


def role_environment(stack: dict[str, object]) -> dict[str, str]:
    """The environment every role reads (Terraform sets the same names per function)."""
    keys = stack["kms_key_arns"]
    return {
        "STATE_MACHINE_ARN": stack["state_machine_arn"],
        "SWB_EGRESS_STORE_BUCKET": stack["swb_egress_store_bucket"],
        "SWB_NOTIFICATION_BUCKET": stack["swb_notification_bucket"],
        "REQUESTS_TABLE": stack["requests_table"],
        "STAGING_BUCKET": stack["staging_bucket"],
        "STAGING_KMS_KEY_ARN": keys["staging"],
        "DATALAKE_BUCKET": stack["datalake_bucket"],
        "DATALAKE_KMS_KEY_ARN": keys["datalake"],
        "SCRATCH_DIR": stack["scratch_dir"],
        "REVIEWER_GROUPS": ",".join(stack["reviewer_groups"]),
        "MAX_DOWNLOADS": str(stack["max_downloads"]),
        "PRESIGNED_URL_TTL_SECONDS": "300",
        "MULTIPART_COPY_THRESHOLD_BYTES": str(MULTIPART_COPY_THRESHOLD_BYTES),
        "MULTIPART_PART_SIZE_BYTES": str(MULTIPART_PART_SIZE_BYTES),
        "SENDER_EMAIL": stack["sender_email"],
        "EGRESS_APP_URL": NAMES["egress_app_url"],
        "SES_CONFIGURATION_SET": NAMES["ses_configuration_set"],
    }


def is_up() -> bool:
    """Whether this checkout's moto and gateway run and answer (the ports alone could be
    another checkout's stack)."""
    if not (STACK_FILE.exists() and PIDS_FILE.exists()):
        return False
    pids = json.loads(PIDS_FILE.read_text())
    if not (moto_running(pids) and "gateway" in pids and alive(pids["gateway"])):
        return False
    try:
        return requests.get(f"http://127.0.0.1:{GATEWAY_PORT}/moto-api/", timeout=2).ok
    except requests.RequestException:
        return False


def moto_running(pids: dict) -> bool:
    if "moto" not in pids or not alive(pids["moto"]) or not port_open(MOTO_PORT):
        return False
    try:
        return requests.get(f"http://127.0.0.1:{MOTO_PORT}/moto-api/", timeout=2).ok
    except requests.RequestException:
        return False


def alive(pid: int) -> bool:
    """Whether the process runs; a zombie left for an init that does not reap counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def stop(pid: int) -> None:
    """Interrupts a process group (moto and the gateway both exit promptly on SIGINT), then
    kills it if it lingers."""
    for sig, wait_seconds in ((signal.SIGINT, 3.0), (signal.SIGTERM, 2.0), (signal.SIGKILL, 1.0)):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            if not alive(pid):
                return
            time.sleep(0.05)


def up(binary: str) -> None:
    """Starts what is not running, provisions (again), and (re)starts the gateway so a rebuilt
    binary and an edited ASL template take effect. Running it twice is safe."""
    LOCAL.mkdir(parents=True, exist_ok=True)
    (LOCAL / "scratch").mkdir(exist_ok=True)
    pids = json.loads(PIDS_FILE.read_text()) if PIDS_FILE.exists() else {}
    reuse = moto_running(pids)
    if not reuse:
        down(quiet=True)
        pids = {}
        for port in (GATEWAY_PORT, MOTO_PORT):
            if port_open(port):
                raise SystemExit(f"local stack: port {port} is taken by another program; "
                                 "set EGRESS_LOCAL_PORT to use other ports")
    elif "gateway" in pids:
        stop(pids.pop("gateway"))
        PIDS_FILE.write_text(json.dumps(pids))
    base_env = {**os.environ, **CREDENTIALS, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}
    base_env.pop("AWS_PROFILE", None)
    moto_url = f"http://127.0.0.1:{MOTO_PORT}"
    gateway_url = f"http://127.0.0.1:{GATEWAY_PORT}"
    if not reuse:
        moto_bin = str(Path(sys.executable).parent / "moto_server")
        pids["moto"] = start_process(
            [moto_bin, "-H", "127.0.0.1", "-p", str(MOTO_PORT)],
            {**base_env, "MOTO_PORT": str(GATEWAY_PORT)}, LOCAL / "moto.log")
        PIDS_FILE.write_text(json.dumps(pids))
        wait_until(lambda: requests.get(f"{moto_url}/moto-api/", timeout=2).ok, "moto")
        requests.post(f"{moto_url}/moto-api/config",
                      json={"stepfunctions": {"execute_state_machine": True}}, timeout=10).raise_for_status()
    stack = provision(moto_url, gateway_url)
    if port_open(GATEWAY_PORT):
        raise SystemExit(f"local stack: port {GATEWAY_PORT} is taken by another program; "
                         "set EGRESS_LOCAL_PORT to use other ports")
    gateway_env = {
        **base_env,
        **role_environment(stack),
        "AWS_ENDPOINT_URL": moto_url,
        # DynamoDB goes through the gateway, which makes moto's conditional writes atomic.
        "AWS_ENDPOINT_URL_DYNAMODB": gateway_url,
        "LOCAL_GATEWAY_LISTEN": f"127.0.0.1:{GATEWAY_PORT}",
        "LOCAL_MOTO_URL": moto_url,
        "LOCAL_USER_POOL_ID": stack["user_pool_id"],
        "LOCAL_USER_POOL_CLIENT_ID": stack["user_pool_client_id"],
        "LOCAL_FUNCTION_PREFIX": FUNCTION_PREFIX,
        "RUST_LOG": os.environ.get("RUST_LOG", "info"),
    }
    pids["gateway"] = start_process([binary, "local-gateway"], gateway_env, LOCAL / "gateway.log")
    PIDS_FILE.write_text(json.dumps(pids))
    wait_until(lambda: requests.get(f"{gateway_url}/moto-api/", timeout=2).ok, "the gateway")
    STACK_FILE.write_text(json.dumps(stack, indent=2) + "\n")
    state = "already up; re-provisioned, gateway restarted" if reuse else "up"
    print(f"local stack: {state} (gateway {gateway_url}, moto {moto_url}); endpoints in "
          f"{STACK_FILE.relative_to(ROOT)}")


def down(quiet: bool = False) -> None:
    pids = json.loads(PIDS_FILE.read_text()) if PIDS_FILE.exists() else {}
    for pid in pids.values():
        stop(pid)
    PIDS_FILE.unlink(missing_ok=True)
    STACK_FILE.unlink(missing_ok=True)
    if not quiet:
        print("local stack: down" if pids else "local stack: was not running")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up_parser = sub.add_parser("up")
    up_parser.add_argument("--binary", required=True)
    sub.add_parser("down")
    sub.add_parser("status")
    args = parser.parse_args()
    if args.command == "up":
        up(args.binary)
    elif args.command == "down":
        down()
    else:
        print("local stack: up" if is_up() else "local stack: down")
        sys.exit(0 if is_up() else 1)


if __name__ == "__main__":
    main()
