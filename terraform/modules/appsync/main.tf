data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  resolvers = { for resolver in var.resolvers : "${resolver.type}.${resolver.field}" => resolver }
}

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "AppSyncService"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["appsync.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

################################################################################
# API and logging
################################################################################

resource "aws_iam_role" "logging" {
  name               = "${var.name}-appsync-logs"
  description        = "Lets AppSync write the logs of the ${var.name} API"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_appsync_graphql_api" "this" {
  #checkov:skip=CKV2_AWS_78:This module creates no web ACL; web_acl_arn associates the organisation's own regional ACL, whose managed rule groups are maintained with it. Every field already requires a Cognito user pool token.
  name                 = var.name
  authentication_type  = "AMAZON_COGNITO_USER_POOLS"
  schema               = var.schema
  xray_enabled         = true
  introspection_config = var.introspection_enabled ? "ENABLED" : "DISABLED"

  user_pool_config {
    user_pool_id   = var.user_pool_id
    aws_region     = data.aws_region.current.region
    default_action = "ALLOW"
  }

  log_config {
    cloudwatch_logs_role_arn = aws_iam_role.logging.arn
    field_log_level          = var.field_log_level
    exclude_verbose_content  = true
  }

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/appsync/apis/${aws_appsync_graphql_api.this.id}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "logging" {
  statement {
    sid       = "WriteApiLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
}

resource "aws_iam_role_policy" "logging" {
  name   = "write-api-logs"
  role   = aws_iam_role.logging.id
  policy = data.aws_iam_policy_document.logging.json
}

resource "aws_wafv2_web_acl_association" "this" {
  count = var.web_acl_arn == null ? 0 : 1

  resource_arn = aws_appsync_graphql_api.this.arn
  web_acl_arn  = var.web_acl_arn
}

################################################################################
# Lambda data source and resolvers
################################################################################

resource "aws_iam_role" "data_source" {
  name               = "${var.name}-appsync-lambda"
  description        = "Lets AppSync invoke the resolver function of the ${var.name} API"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "data_source" {
  statement {
    sid       = "InvokeResolverFunction"
    actions   = ["lambda:InvokeFunction"]
    resources = [var.lambda_function_arn, "${var.lambda_function_arn}:*"]
  }
}

resource "aws_iam_role_policy" "data_source" {
  name   = "invoke-resolver-function"
  role   = aws_iam_role.data_source.id
  policy = data.aws_iam_policy_document.data_source.json
}

resource "aws_appsync_datasource" "this" {
  api_id           = aws_appsync_graphql_api.this.id
  name             = "api_function"
  description      = "The api function, which resolves every field"
  type             = "AWS_LAMBDA"
  service_role_arn = aws_iam_role.data_source.arn

  lambda_config {
    function_arn = var.lambda_function_arn
  }

  depends_on = [aws_iam_role_policy.data_source]
}

# Direct Lambda resolvers: without mapping templates AppSync passes the whole context to the function.
resource "aws_appsync_resolver" "this" {
  for_each = local.resolvers

  api_id      = aws_appsync_graphql_api.this.id
  type        = each.value.type
  field       = each.value.field
  kind        = "UNIT"
  data_source = aws_appsync_datasource.this.name
}
