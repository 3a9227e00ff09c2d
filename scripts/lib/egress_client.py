"""What SWB, reviewers and operators do against the local stack: used by the demo and the tests."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import requests
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
STACK_FILE = ROOT / ".local" / "stack.json"
PASSWORD = "Rev1ewer-Passw0rd!"

REQUEST_FIELDS = """
  egress_request_id egress_store_name swb_egress_store_id project_id workspace_id
  requested_by requested_dt updated_by updated_dt egress_status s3_egress_store_bucket
  s3_egress_store_bucket_path s3_egress_store_object_list_location s3_swb_object_metadata_version
  task_token ig_reviewer_1_name ig_reviewer_1_email ig_reviewer_1_dt ig_reviewer_1_reason
  ig_reviewer_1_decision rit_reviewer_2_name rit_reviewer_2_email rit_reviewer_2_dt
  rit_reviewer_2_reason rit_reviewer_2_decision current_reviewer_group
  s3_staging_object_metadata_version download_count failure_reason object_count total_bytes
  file_types
"""
LIST_QUERY = "query ListRequests { listRequests {" + REQUEST_FIELDS + "} }"
UPDATE_MUTATION = """mutation UpdateRequest($request: UpdateRequestInput!) {
  updateRequest(request: $request)
}"""
DOWNLOAD_MUTATION = """mutation DownloadData($request: DownloadDataInput!) {
  downloadData(request: $request) { presign_url }
}"""


class GraphQLError(Exception):
    """The API answered with errors."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("; ".join(e.get("message", str(e)) for e in errors))


@dataclass
class SubmittedFile:
    path: str  # inside the store
    key: str  # in the egress store bucket
    version_id: str
    sha256: str
    size: int


@dataclass
class Submission:
    message: dict
    files: list[SubmittedFile] = field(default_factory=list)

    @property
    def request_id(self) -> str:
        return self.message["id"]


class Stack:
    """The running local stack, from `.local/stack.json`."""

    def __init__(self, path: Path = STACK_FILE):
        if not path.exists():
            raise SystemExit("the local stack is not up: run scripts/local-stack up")
        self.info = json.loads(path.read_text())
        self.endpoint = self.info["aws_endpoint_url"]
        self._clients = {}

    def __getitem__(self, name):
        return self.info[name]

    def client(self, service: str):
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service, endpoint_url=self.endpoint, region_name=self.info["region"],
                aws_access_key_id="testing", aws_secret_access_key="testing",
                config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
            )
        return self._clients[service]

    # --- SWB's side -------------------------------------------------------------------------

    def seed_store(self, store_id: str, files: dict[str, bytes], folders: tuple[str, ...] = ()) -> None:
        """Puts files (and zero-byte folder markers) into the egress store and registers the store."""
        s3 = self.client("s3")
        bucket = self["swb_egress_store_bucket"]
        for folder in folders:
            s3.put_object(Bucket=bucket, Key=f"{store_id}/{folder.rstrip('/')}/", Body=b"")
        for path, body in files.items():
            s3.put_object(Bucket=bucket, Key=f"{store_id}/{path}", Body=body)
        self.client("dynamodb").put_item(
            TableName=self["swb_egress_store_table"],
            Item={"id": {"S": store_id}, "status": {"S": "PENDING"}},
        )

    def submit(self, store_id: str, requester: str, ver: int = 1, project: str = "proj-genomics-1",
               store_name: str | None = None) -> Submission:
        """Does what SWB does on submission: writes the object list with the current versions
        and returns the SNS message (not yet published)."""
        s3 = self.client("s3")
        bucket = self["swb_egress_store_bucket"]
        store_name = store_name or f"{store_id}-egress-store"
        objects, files = [], []
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=f"{store_id}/"):
            for entry in page.get("Contents", []):
                head = s3.head_object(Bucket=bucket, Key=entry["Key"])
                version = head["VersionId"]
                objects.append({
                    "Key": entry["Key"], "LastModified": entry["LastModified"].isoformat(),
                    "ETag": entry["ETag"], "Size": entry["Size"], "StorageClass": "STANDARD",
                    "VersionId": version, "Owner": {"ID": "swb"},
                })
                if not entry["Key"].endswith("/"):
                    body = s3.get_object(Bucket=bucket, Key=entry["Key"], VersionId=version)["Body"].read()
                    files.append(SubmittedFile(
                        path=entry["Key"][len(store_id) + 1:], key=entry["Key"], version_id=version,
                        sha256=hashlib.sha256(body).hexdigest(), size=len(body)))
        list_key = f"{store_id}/{store_name}-ver{ver}.json"
        s3.put_object(Bucket=self["swb_notification_bucket"], Key=list_key,
                      Body=json.dumps({"objects": objects}).encode())
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        message = {
            "id": str(uuid.uuid4()),
            "egress_store_id": store_id,
            "egress_store_name": store_name,
            "workspace_id": store_id,
            "project_id": project,
            "s3_bucketname": bucket,
            "s3_bucketpath": f"{store_id}/",
            "egress_store_object_list_location": f"arn:aws:s3:::{self['swb_notification_bucket']}/{list_key}",
            "status": "PENDING",
            "created_at": now,
            "updated_at": now,
            "created_by": "u-" + uuid.uuid4().hex[:8],
            "updated_by": "u-" + uuid.uuid4().hex[:8],
            "created_by_email": requester,
            "updated_by_email": requester,
            "ver": ver,
        }
        return Submission(message=message, files=files)

    def publish(self, message: dict) -> str:
        return self.client("sns").publish(TopicArn=self["swb_topic_arn"], Message=json.dumps(message))["MessageId"]

    def store_status(self, store_id: str) -> str | None:
        item = self.client("dynamodb").get_item(
            TableName=self["swb_egress_store_table"], Key={"id": {"S": store_id}}, ConsistentRead=True
        ).get("Item")
        return item["status"]["S"] if item else None

    # --- the back-end's state -----------------------------------------------------------------

    def item(self, request_id: str) -> dict | None:
        item = self.client("dynamodb").get_item(
            TableName=self["requests_table"], Key={"egress_request_id": {"S": request_id}},
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            return None
        return {k: next(iter(v.values())) for k, v in item.items()}

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        s3 = self.client("s3")
        out = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            out.extend(o["Key"] for o in page.get("Contents", []))
        return out

    def execution(self, request_id: str) -> dict | None:
        arn = self["state_machine_arn"].replace(":stateMachine:", ":execution:") + f":{request_id}"
        try:
            return self.client("stepfunctions").describe_execution(executionArn=arn)
        except self.client("stepfunctions").exceptions.ExecutionDoesNotExist:
            return None

    def wait_for(self, what: str, check, seconds: float = 60.0, interval: float = 0.25):
        deadline = time.monotonic() + seconds
        last = None
        while time.monotonic() < deadline:
            last = check()
            if last:
                return last
            time.sleep(interval)
        raise AssertionError(f"timed out after {seconds:.0f}s waiting for {what} (last: {last!r})")

    def wait_for_execution_end(self, request_id: str, seconds: float = 90.0) -> dict:
        def ended():
            execution = self.execution(request_id)
            return execution if execution and execution["status"] != "RUNNING" else None
        return self.wait_for(f"the execution of {request_id} to end", ended, seconds)

    def wait_for_stage(self, request_id: str, stage: int, seconds: float = 60.0) -> dict:
        def waiting():
            item = self.item(request_id)
            return item if item and item.get("current_stage") == str(stage) and item.get("review_handle") else None
        return self.wait_for(f"{request_id} to wait at stage {stage}", waiting, seconds)

    def notifications(self) -> list[dict]:
        """Drains the local queue subscribed to the reviewer and administrator topics."""
        sqs = self.client("sqs")
        out = []
        while True:
            got = sqs.receive_message(QueueUrl=self["notifications_queue_url"], MaxNumberOfMessages=10,
                                      WaitTimeSeconds=0).get("Messages", [])
            if not got:
                return out
            for message in got:
                envelope = json.loads(message["Body"])
                out.append({"topic": envelope.get("TopicArn"), "subject": envelope.get("Subject"),
                            "message": json.loads(envelope["Message"])})
                sqs.delete_message(QueueUrl=self["notifications_queue_url"],
                                   ReceiptHandle=message["ReceiptHandle"])

    # --- reviewers ------------------------------------------------------------------------------

    def create_user(self, email: str, groups: list[str], custom_groups: str | None = None) -> str:
        cognito = self.client("cognito-idp")
        pool = self["user_pool_id"]
        attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
        if custom_groups is not None:
            attributes.append({"Name": "custom:groups", "Value": custom_groups})
        try:
            cognito.admin_create_user(UserPoolId=pool, Username=email, UserAttributes=attributes,
                                      MessageAction="SUPPRESS")
        except cognito.exceptions.UsernameExistsException:
            pass
        cognito.admin_set_user_password(UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True)
        for group in groups:
            cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=group)
        return self.sign_in(email)

    def sign_in(self, email: str) -> str:
        out = self.client("cognito-idp").initiate_auth(
            ClientId=self["user_pool_client_id"], AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
        )
        return out["AuthenticationResult"]["IdToken"]

    def graphql(self, token: str | None, query: str, variables: dict | None = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = token
        response = requests.post(self["graphql_url"], json={"query": query, "variables": variables or {}},
                                 headers=headers, timeout=60)
        body = response.json()
        if body.get("errors"):
            raise GraphQLError(body["errors"])
        response.raise_for_status()
        return body["data"]

    def list_requests(self, token: str) -> list[dict]:
        return self.graphql(token, LIST_QUERY)["listRequests"]

    def find(self, token: str, request_id: str) -> dict | None:
        return next((r for r in self.list_requests(token) if r["egress_request_id"] == request_id), None)

    def decide(self, token: str, request_id: str, stage: int, decision: str, reason: str = "",
               handle: str | None = None, **extra) -> str:
        if handle is None:
            handle = self.find(token, request_id)["task_token"]
        prefix = "ig_reviewer_1" if stage == 1 else "rit_reviewer_2"
        request = {"egress_request_id": request_id, "task_token": handle,
                   f"{prefix}_decision": decision, f"{prefix}_reason": reason, **extra}
        return self.graphql(token, UPDATE_MUTATION, {"request": request})["updateRequest"]

    def download(self, token: str, request_id: str, workspace_id: str, count: str = "0") -> str:
        data = self.graphql(token, DOWNLOAD_MUTATION, {"request": {
            "egress_request_id": request_id, "workspace_id": workspace_id, "download_count": count}})
        return data["downloadData"]["presign_url"]
