data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  account    = "arn:${local.partition}:iam::${local.account_id}:root"

  administrator_arns = length(var.administrator_arns) > 0 ? var.administrator_arns : [local.account]

  # Key management only (no kms:CreateGrant, no data use); data use is granted per service below.
  administration_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:Revoke*",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
  ]

  keys = {
    s3       = "Encrypts the objects staged for egress review"
    dynamodb = "Encrypts the egress requests table"
    sns      = "Encrypts the reviewer and administrator notification topics"
    logs     = "Encrypts the CloudWatch log groups of the egress review"
    efs      = "Encrypts the scratch file system of the publish function"
  }

  policies = {
    s3       = data.aws_iam_policy_document.s3.json
    dynamodb = data.aws_iam_policy_document.dynamodb.json
    sns      = data.aws_iam_policy_document.sns.json
    logs     = data.aws_iam_policy_document.logs.json
    efs      = data.aws_iam_policy_document.efs.json
  }
}

# In a key policy the resource "*" means the key the policy is attached to.
data "aws_iam_policy_document" "administration" {
  #checkov:skip=CKV_AWS_111:This is a key policy: its resource "*" is the key itself, and granting key management to the administrators is its purpose.
  #checkov:skip=CKV_AWS_356:This is a key policy: its resource "*" is the key itself, not every resource in the account.
  statement {
    sid       = "KeyAdministration"
    actions   = local.administration_actions
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = local.administrator_arns
    }
  }
}

data "aws_iam_policy_document" "s3" {
  source_policy_documents = [data.aws_iam_policy_document.administration.json]

  dynamic "statement" {
    for_each = length(var.s3_key_user_arns) > 0 ? [1] : []

    content {
      sid       = "StagedObjectsThroughS3"
      actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = [local.account]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values   = var.s3_key_user_arns
      }

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }
}

data "aws_iam_policy_document" "dynamodb" {
  source_policy_documents = [data.aws_iam_policy_document.administration.json]

  statement {
    sid       = "TableCreationThroughDynamoDB"
    actions   = ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = local.administrator_arns
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${local.region}.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = length(var.dynamodb_key_user_arns) > 0 ? [1] : []

    content {
      sid       = "RequestsTableThroughDynamoDB"
      actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = [local.account]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values   = var.dynamodb_key_user_arns
      }

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["dynamodb.${local.region}.amazonaws.com"]
      }
    }
  }
}

data "aws_iam_policy_document" "sns" {
  source_policy_documents = [data.aws_iam_policy_document.administration.json]

  dynamic "statement" {
    for_each = length(var.sns_key_user_arns) > 0 ? [1] : []

    content {
      sid       = "PublishThroughSns"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = [local.account]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values   = var.sns_key_user_arns
      }

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sns.${local.region}.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.sns_key_service_principals) > 0 ? [1] : []

    content {
      sid       = "PublishFromAwsServices"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = var.sns_key_service_principals
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }
}

data "aws_iam_policy_document" "logs" {
  source_policy_documents = [data.aws_iam_policy_document.administration.json]

  statement {
    sid       = "LogGroupsOfThisAccount"
    actions   = ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
    }
  }
}

data "aws_iam_policy_document" "efs" {
  source_policy_documents = [data.aws_iam_policy_document.administration.json]

  statement {
    sid       = "FileSystemThroughEfs"
    actions   = ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = local.administrator_arns
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["elasticfilesystem.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "this" {
  for_each = local.keys

  description             = each.value
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = local.policies[each.key]
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  for_each = local.keys

  name          = "alias/${var.name_prefix}-${each.key}"
  target_key_id = aws_kms_key.this[each.key].key_id
}
