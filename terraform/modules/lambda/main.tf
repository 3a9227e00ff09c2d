data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  # Where the publish-approved function sees the EFS access point.
  scratch_mount_path = "/mnt/scratch"

  # The environment of every role, besides EGRESS_ROLE: this is the one list of names shared
  # with the Rust code (lambdas/egress/src/config.rs) and the local stack.
  environment_by_role = {
    "start-workflow" = {
      "STATE_MACHINE_ARN" = var.state_machine_arn
    }
    "stage-objects" = {
      "SWB_EGRESS_STORE_BUCKET"        = var.swb_egress_store_bucket.name
      "SWB_NOTIFICATION_BUCKET"        = var.swb_notification_bucket.name
      "REQUESTS_TABLE"                 = var.requests_table.name
      "STAGING_BUCKET"                 = var.staging.bucket_name
      "STAGING_KMS_KEY_ARN"            = var.staging.kms_key_arn
      "MULTIPART_COPY_THRESHOLD_BYTES" = tostring(var.multipart_copy_threshold_bytes)
      "MULTIPART_PART_SIZE_BYTES"      = tostring(var.multipart_part_size_bytes)
    }
    "await-review" = {
      "REQUESTS_TABLE" = var.requests_table.name
    }
    "discard-staged" = {
      "STAGING_BUCKET" = var.staging.bucket_name
    }
    "publish-approved" = {
      "STAGING_BUCKET"            = var.staging.bucket_name
      "DATALAKE_BUCKET"           = var.datalake_bucket.name
      "DATALAKE_KMS_KEY_ARN"      = var.datalake_bucket.kms_key_arn
      "REQUESTS_TABLE"            = var.requests_table.name
      "SCRATCH_DIR"               = local.scratch_mount_path
      "MULTIPART_PART_SIZE_BYTES" = tostring(var.multipart_part_size_bytes)
    }
    "notify-requester" = {
      "REQUESTS_TABLE"        = var.requests_table.name
      "SENDER_EMAIL"          = var.mail.sender_email
      "EGRESS_APP_URL"        = var.mail.egress_app_url
      "SES_CONFIGURATION_SET" = var.mail.configuration_set_name
    }
    "api" = {
      "REQUESTS_TABLE"            = var.requests_table.name
      "DATALAKE_BUCKET"           = var.datalake_bucket.name
      "REVIEWER_GROUPS"           = join(",", var.reviewer_groups)
      "MAX_DOWNLOADS"             = tostring(var.max_downloads)
      "PRESIGNED_URL_TTL_SECONDS" = tostring(var.presigned_url_ttl_seconds)
    }
    "pre-token" = {
      "REVIEWER_GROUPS" = join(",", var.reviewer_groups)
    }
  }

  default_settings = {
    "start-workflow"   = { memory_size_in_mb = 256, timeout_in_seconds = 30, description = "Starts the egress workflow for a Service Workbench egress request" }
    "stage-objects"    = { memory_size_in_mb = 1024, timeout_in_seconds = 900, description = "Copies the submitted object versions into the staging bucket" }
    "await-review"     = { memory_size_in_mb = 256, timeout_in_seconds = 30, description = "Records the task token of a review stage on the request" }
    "discard-staged"   = { memory_size_in_mb = 512, timeout_in_seconds = 300, description = "Deletes the staged objects of a rejected or failed request" }
    "publish-approved" = { memory_size_in_mb = 2048, timeout_in_seconds = 900, description = "Zips the staged objects of an approved request into the datalake" }
    "notify-requester" = { memory_size_in_mb = 256, timeout_in_seconds = 30, description = "E-mails the requester the decision" }
    "api"              = { memory_size_in_mb = 512, timeout_in_seconds = 30, description = "Resolves the reviewer GraphQL API" }
    "pre-token"        = { memory_size_in_mb = 256, timeout_in_seconds = 5, description = "Maps a federated user's groups to reviewer groups in the tokens" }
  }

  functions = {
    for role, defaults in local.default_settings : role => {
      description                    = defaults.description
      memory_size_in_mb              = coalesce(try(var.function_settings[role].memory_size_in_mb, null), defaults.memory_size_in_mb)
      timeout_in_seconds             = coalesce(try(var.function_settings[role].timeout_in_seconds, null), defaults.timeout_in_seconds)
      reserved_concurrent_executions = coalesce(try(var.function_settings[role].reserved_concurrent_executions, null), -1)
    }
  }

  # The one role that needs a VPC: it mounts the scratch file system.
  vpc_roles = toset(["publish-approved"])
}

################################################################################
# Roles
################################################################################

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "LambdaService"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = local.functions

  name               = "${var.name_prefix}-${each.key}"
  description        = "Execution role of the ${each.key} function"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "this" {
  for_each = local.functions

  name   = each.key
  role   = aws_iam_role.this[each.key].id
  policy = data.aws_iam_policy_document.this[each.key].json
}

################################################################################
# Functions
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  for_each = local.functions

  name              = "/aws/lambda/${var.name_prefix}-${each.key}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_115:Reserved concurrency takes capacity from the account pool and fails on accounts with the default quota; it is opt-in per role through function_settings.
  #checkov:skip=CKV_AWS_116:Step Functions, AppSync and Cognito invoke synchronously and handle errors themselves; the one asynchronous invoker (SNS -> start-workflow) has an on-failure destination (aws_lambda_function_event_invoke_config.start_workflow).
  #checkov:skip=CKV_AWS_117:Only publish-approved needs the VPC (EFS); the others call regional AWS APIs only, and a VPC would add endpoints or a NAT without isolating anything.
  #checkov:skip=CKV_AWS_173:The environment holds resource names and settings, no secrets; Lambda encrypts it at rest with its service key.
  #checkov:skip=CKV_AWS_272:The artifact is built and deployed by this repository's own pipeline (scripts/build-lambda); there is no AWS Signer profile to sign it with.
  for_each = local.functions

  function_name    = "${var.name_prefix}-${each.key}"
  description      = each.value.description
  role             = aws_iam_role.this[each.key].arn
  filename         = var.artifact_path
  source_code_hash = filebase64sha256(var.artifact_path)
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = ["arm64"]

  memory_size                    = each.value.memory_size_in_mb
  timeout                        = each.value.timeout_in_seconds
  reserved_concurrent_executions = each.value.reserved_concurrent_executions

  environment {
    variables = merge({ "EGRESS_ROLE" = each.key }, local.environment_by_role[each.key])
  }

  logging_config {
    log_format = "JSON"

    log_group             = aws_cloudwatch_log_group.this[each.key].name
    application_log_level = var.application_log_level
    system_log_level      = "WARN"
  }

  tracing_config {
    mode = "Active"
  }

  dynamic "vpc_config" {
    for_each = contains(local.vpc_roles, each.key) ? [var.scratch] : []

    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  dynamic "file_system_config" {
    for_each = contains(local.vpc_roles, each.key) ? [var.scratch] : []

    content {
      arn              = file_system_config.value.access_point_arn
      local_mount_path = local.scratch_mount_path
    }
  }

  tags = var.tags

  # Lambda checks the role's network and file system permissions when it creates the function.
  depends_on = [aws_iam_role_policy.this]
}

# SNS invokes start-workflow asynchronously: a notification that still fails after the retries
# goes to the administrator topic instead of being lost.
resource "aws_lambda_function_event_invoke_config" "start_workflow" {
  function_name                = aws_lambda_function.this["start-workflow"].function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600

  destination_config {
    on_failure {
      destination = var.failure_destination.topic_arn
    }
  }
}
