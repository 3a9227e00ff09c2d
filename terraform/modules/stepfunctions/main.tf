data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region

  state_machine_arn = "arn:${data.aws_partition.current.partition}:states:${local.region}:${local.account_id}:stateMachine:${var.name}"

  table_key_arns = distinct(compact([for table in var.dynamodb_tables : table.kms_key_arn]))
}

resource "aws_cloudwatch_log_group" "this" {
  # The /aws/vendedlogs/ prefix keeps Step Functions from growing the account's log resource policy.
  name              = "/aws/vendedlogs/states/${var.name}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "StepFunctionsService"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.state_machine_arn]
    }
  }
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "InvokeWorkflowFunctions"
    actions   = ["lambda:InvokeFunction"]
    resources = flatten([for arn in var.lambda_function_arns : [arn, "${arn}:*"]])
  }

  dynamic "statement" {
    for_each = var.dynamodb_tables

    content {
      sid       = "WriteTable${statement.key}"
      actions   = statement.value.actions
      resources = [statement.value.arn]
    }
  }

  dynamic "statement" {
    for_each = length(local.table_key_arns) > 0 ? [1] : []

    content {
      sid       = "UseTableKeys"
      actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
      resources = local.table_key_arns

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["dynamodb.${local.region}.amazonaws.com"]
      }
    }
  }

  statement {
    sid       = "PublishNotifications"
    actions   = ["sns:Publish"]
    resources = var.sns_topic_arns
  }

  statement {
    sid       = "EncryptNotifications"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.sns_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sns.${local.region}.amazonaws.com"]
    }
  }

  statement {
    # Log delivery for Step Functions is set up through the CloudWatch Logs vended-log APIs,
    # which have no resource-level permissions.
    sid = "DeliverExecutionLogs"
    actions = [
      "logs:CreateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:DescribeLogGroups",
      "logs:DescribeResourcePolicies",
      "logs:GetLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:UpdateLogDelivery",
    ]
    resources = ["*"]
  }

  statement {
    # X-Ray's trace and sampling actions have no resource-level permissions.
    sid       = "SendTraces"
    actions   = ["xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "this" {
  name               = var.name
  description        = "Execution role of the ${var.name} state machine"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "workflow"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_sfn_state_machine" "this" {
  #checkov:skip=CKV_AWS_285:Execution history is logged (level ALL by default); states' input and output carry the requester's identity, so they stay out of the logs unless include_execution_data is set, and Step Functions keeps the full history for 90 days.
  name       = var.name
  type       = "STANDARD"
  role_arn   = aws_iam_role.this.arn
  definition = var.definition

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.this.arn}:*"
    include_execution_data = var.include_execution_data
    level                  = var.log_level
  }

  tracing_configuration {
    enabled = true
  }

  tags = var.tags

  lifecycle {
    postcondition {
      condition     = self.arn == local.state_machine_arn
      error_message = "The state machine ARN differs from the one its role trusts and the functions were given."
    }
  }

  depends_on = [aws_iam_role_policy.this]
}
