# Least-privilege permissions of each role. Every statement names the resources it needs;
# the few "*" resources are actions that IAM cannot scope, and each says so.

locals {
  swb_egress_store_bucket_arn = "arn:${local.partition}:s3:::${var.swb_egress_store_bucket.name}"
  swb_notification_bucket_arn = "arn:${local.partition}:s3:::${var.swb_notification_bucket.name}"
  datalake_bucket_arn         = "arn:${local.partition}:s3:::${var.datalake_bucket.name}"
  datalake_archives_arn       = "${local.datalake_bucket_arn}/approved_egress/*"

  s3_service       = "s3.${local.region}.amazonaws.com"
  dynamodb_service = "dynamodb.${local.region}.amazonaws.com"
  sns_service      = "sns.${local.region}.amazonaws.com"

  role_policies = {
    "start-workflow"   = data.aws_iam_policy_document.start_workflow.json
    "stage-objects"    = data.aws_iam_policy_document.stage_objects.json
    "await-review"     = data.aws_iam_policy_document.await_review.json
    "discard-staged"   = data.aws_iam_policy_document.discard_staged.json
    "publish-approved" = data.aws_iam_policy_document.publish_approved.json
    "notify-requester" = data.aws_iam_policy_document.notify_requester.json
    "api"              = data.aws_iam_policy_document.api.json
    "pre-token"        = data.aws_iam_policy_document.pre_token.json
  }

  # Roles that read or write the requests table also need its KMS key.
  requests_table_roles = ["stage-objects", "await-review", "publish-approved", "notify-requester", "api"]
}

data "aws_iam_policy_document" "requests_table_key" {
  statement {
    sid       = "UseRequestsTableKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.requests_table.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.dynamodb_service]
    }
  }
}

# What every function does: write its own log group, send traces.
data "aws_iam_policy_document" "this" {
  for_each = local.functions

  source_policy_documents = concat(
    [local.role_policies[each.key]],
    contains(local.requests_table_roles, each.key) ? [data.aws_iam_policy_document.requests_table_key.json] : [],
  )

  statement {
    sid       = "WriteOwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this[each.key].arn}:*"]
  }

  statement {
    # X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions.
    sid       = "SendTraces"
    actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    resources = ["*"]
  }
}

################################################################################
# Per role
################################################################################

data "aws_iam_policy_document" "start_workflow" {
  statement {
    sid       = "StartEgressWorkflow"
    actions   = ["states:StartExecution"]
    resources = [var.state_machine_arn]
  }

  statement {
    sid       = "PublishUndeliveredNotifications"
    actions   = ["sns:Publish"]
    resources = [var.failure_destination.topic_arn]
  }

  statement {
    sid       = "EncryptUndeliveredNotifications"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.failure_destination.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.sns_service]
    }
  }
}

data "aws_iam_policy_document" "stage_objects" {
  statement {
    sid       = "ReadObjectList"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${local.swb_notification_bucket_arn}/*"]
  }

  statement {
    sid       = "ReadSubmittedObjectVersions"
    actions   = ["s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectVersion", "s3:GetObjectVersionTagging"]
    resources = ["${local.swb_egress_store_bucket_arn}/*"]
  }

  statement {
    sid       = "DecryptSwbObjects"
    actions   = ["kms:Decrypt"]
    resources = distinct([var.swb_notification_bucket.kms_key_arn, var.swb_egress_store_bucket.kms_key_arn])

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.s3_service]
    }
  }

  statement {
    sid       = "WriteStagedObjects"
    actions   = ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:PutObject", "s3:PutObjectTagging"]
    resources = ["${var.staging.bucket_arn}/*"]
  }

  statement {
    # A failed staging run removes what it had already copied for the request.
    sid       = "ListStagedObjects"
    actions   = ["s3:ListBucket"]
    resources = [var.staging.bucket_arn]
  }

  statement {
    sid       = "RemovePartialStaging"
    actions   = ["s3:DeleteObject"]
    resources = ["${var.staging.bucket_arn}/*"]
  }

  statement {
    sid       = "EncryptStagedObjects"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.staging.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.s3_service]
    }
  }

  statement {
    sid       = "RecordStagedSummary"
    actions   = ["dynamodb:UpdateItem"]
    resources = [var.requests_table.arn]
  }
}

data "aws_iam_policy_document" "await_review" {
  statement {
    sid       = "RecordTaskToken"
    actions   = ["dynamodb:UpdateItem"]
    resources = [var.requests_table.arn]
  }
}

data "aws_iam_policy_document" "discard_staged" {
  statement {
    sid       = "ListStagedObjects"
    actions   = ["s3:ListBucket"]
    resources = [var.staging.bucket_arn]
  }

  statement {
    sid       = "DeleteStagedObjects"
    actions   = ["s3:DeleteObject"]
    resources = ["${var.staging.bucket_arn}/*"]
  }
}

data "aws_iam_policy_document" "publish_approved" {
  statement {
    sid       = "ListStagedObjects"
    actions   = ["s3:ListBucket"]
    resources = [var.staging.bucket_arn]
  }

  statement {
    sid       = "ReadAndRemoveStagedObjects"
    actions   = ["s3:DeleteObject", "s3:GetObject"]
    resources = ["${var.staging.bucket_arn}/*"]
  }

  statement {
    sid       = "DecryptStagedObjects"
    actions   = ["kms:Decrypt"]
    resources = [var.staging.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.s3_service]
    }
  }

  statement {
    # GetObject covers the HeadObject that checks whether the archive is already there.
    sid       = "WriteApprovedArchive"
    actions   = ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"]
    resources = [local.datalake_archives_arn]
  }

  statement {
    # S3 answers a HeadObject of a missing archive with 404 (rather than 403) only to callers
    # allowed to list the bucket; HeadObject carries no s3:prefix, so a prefix condition would
    # never match. Listing shows key names only: reading stays limited to approved_egress/.
    sid       = "FindApprovedArchive"
    actions   = ["s3:ListBucket"]
    resources = [local.datalake_bucket_arn]
  }

  statement {
    sid       = "EncryptApprovedArchive"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.datalake_bucket.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.s3_service]
    }
  }

  statement {
    sid       = "ReadDecisionsRecordArchive"
    actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
    resources = [var.requests_table.arn]
  }

  statement {
    sid       = "MountScratchFileSystem"
    actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    resources = [var.scratch.file_system_arn]

    condition {
      test     = "StringEquals"
      variable = "elasticfilesystem:AccessPointArn"
      values   = [var.scratch.access_point_arn]
    }
  }

  statement {
    # The EC2 Describe* actions have no resource-level permissions.
    sid       = "DescribeVpcNetworkInterfaces"
    actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
    resources = ["*"]
  }

  statement {
    # Lambda creates the interfaces of the function with this role; their IDs are not known beforehand.
    sid = "ManageVpcNetworkInterfaces"
    actions = [
      "ec2:AssignPrivateIpAddresses",
      "ec2:CreateNetworkInterface",
      "ec2:DeleteNetworkInterface",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:*/*"]
  }
}

data "aws_iam_policy_document" "notify_requester" {
  statement {
    sid       = "ReadRequestRecordNotification"
    actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
    resources = [var.requests_table.arn]
  }

  statement {
    # SendEmail is authorized on both the sending identity and the configuration set it names.
    sid       = "SendFromSenderIdentity"
    actions   = ["ses:SendEmail"]
    resources = [var.mail.identity_arn, var.mail.configuration_set_arn]
  }
}

data "aws_iam_policy_document" "api" {
  statement {
    sid       = "ReadAndDecideRequests"
    actions   = ["dynamodb:GetItem", "dynamodb:Scan", "dynamodb:UpdateItem"]
    resources = [var.requests_table.arn]
  }

  statement {
    # The presigned download URLs are signed with this role, so it must be able to read the archives.
    sid       = "PresignArchiveDownloads"
    actions   = ["s3:GetObject"]
    resources = [local.datalake_archives_arn]
  }

  statement {
    sid       = "DecryptArchiveDownloads"
    actions   = ["kms:Decrypt"]
    resources = [var.datalake_bucket.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.s3_service]
    }
  }

  statement {
    # The Service Authorization Reference lists the stateMachine resource type for
    # SendTaskSuccess, so the callback is limited to the egress workflow.
    sid       = "ReportReviewDecision"
    actions   = ["states:SendTaskSuccess"]
    resources = [var.state_machine_arn]
  }
}

# pre-token only transforms the event Cognito passes it: no AWS calls besides logs and traces.
data "aws_iam_policy_document" "pre_token" {}
