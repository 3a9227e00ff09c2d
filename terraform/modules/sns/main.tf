data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"

  reviewer_groups = { for index, group in var.reviewer_groups : group.name => merge(group, { stage = index + 1 }) }

  reviewer_subscriptions = merge([
    for group in var.reviewer_groups : {
      for email in group.notification_emails : "${group.name}/${email}" => { group = group.name, email = email }
    }
  ]...)

  topic_arns = merge(
    { for name, topic in aws_sns_topic.reviewer : "reviewer-${name}" => topic.arn },
    { administrator = aws_sns_topic.admin.arn },
  )
}

resource "aws_sns_topic" "reviewer" {
  for_each = local.reviewer_groups

  name              = "${var.name_prefix}-review-stage-${each.value.stage}"
  display_name      = "Egress review (${each.key})"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic" "admin" {
  name              = "${var.name_prefix}-administrator"
  display_name      = "Egress review administrator"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "reviewer" {
  for_each = local.reviewer_subscriptions

  topic_arn = aws_sns_topic.reviewer[each.value.group].arn
  protocol  = "email"
  endpoint  = each.value.email
}

resource "aws_sns_topic_subscription" "admin" {
  for_each = toset(var.administrator_emails)

  topic_arn = aws_sns_topic.admin.arn
  protocol  = "email"
  endpoint  = each.value
}

data "aws_iam_policy_document" "topic" {
  for_each = local.topic_arns

  statement {
    sid = "AccountManagesAndPublishes"
    actions = [
      "sns:GetTopicAttributes",
      "sns:ListSubscriptionsByTopic",
      "sns:Publish",
      "sns:SetTopicAttributes",
      "sns:Subscribe",
    ]
    resources = [each.value]

    principals {
      type        = "AWS"
      identifiers = [local.account]
    }
  }

  dynamic "statement" {
    for_each = each.key == "administrator" ? [1] : []

    content {
      sid       = "CloudWatchAlarmsPublish"
      actions   = ["sns:Publish"]
      resources = [each.value]

      principals {
        type        = "Service"
        identifiers = ["cloudwatch.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [data.aws_caller_identity.current.account_id]
      }
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [each.value]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "this" {
  for_each = local.topic_arns

  arn    = each.value
  policy = data.aws_iam_policy_document.topic[each.key].json
}

################################################################################
# Service Workbench's egress topic -> start-workflow function
################################################################################

resource "aws_lambda_permission" "swb_topic" {
  statement_id  = "AllowServiceWorkbenchTopic"
  action        = "lambda:InvokeFunction"
  function_name = var.start_workflow_function_arn
  principal     = "sns.amazonaws.com"
  source_arn    = var.swb_topic_arn
}

resource "aws_sns_topic_subscription" "swb_topic" {
  topic_arn = var.swb_topic_arn
  protocol  = "lambda"
  endpoint  = var.start_workflow_function_arn

  depends_on = [aws_lambda_permission.swb_topic]
}
