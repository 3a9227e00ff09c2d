data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  # The state machine's ARN is derived from its name so that the functions and roles that refer
  # to it do not depend on the state machine, which itself depends on the functions.
  state_machine_name = "${var.name_prefix}-workflow"
  state_machine_arn  = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.state_machine_name}"

  swb_egress_store_table_arn = "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${var.swb_egress_store_table_name}"

  reviewer_group_names = [for group in var.reviewer_groups : group.name]

  # The execution may outlast both review timeouts by a day, so a stage that expires still runs
  # its cleanup path (discard, reset SWB's store, notify) before the execution itself times out.
  execution_timeout_seconds = 2 * var.review_timeout_seconds + 86400

  # Staged leftovers of an interrupted request expire a week after the longest execution ends.
  staging_expiry_in_days = ceil(local.execution_timeout_seconds / 86400) + 7

  # Roles by what they do with the module's keys.
  s3_key_roles       = ["stage-objects", "publish-approved"]
  dynamodb_key_roles = ["stage-objects", "await-review", "publish-approved", "notify-requester", "api"]
}

module "kms" {
  source = "./modules/kms"

  name_prefix             = var.name_prefix
  deletion_window_in_days = var.kms_deletion_window_in_days
  s3_key_user_arns        = [for role in local.s3_key_roles : module.lambda.role_arns[role]]
  dynamodb_key_user_arns  = concat([for role in local.dynamodb_key_roles : module.lambda.role_arns[role]], [module.stepfunctions.role_arn])
  sns_key_user_arns       = [module.stepfunctions.role_arn, module.lambda.role_arns["start-workflow"]]
  tags                    = var.tags
}

module "dynamodb" {
  source = "./modules/dynamodb"

  table_name                  = "${var.name_prefix}-requests"
  kms_key_arn                 = module.kms.dynamodb_key_arn
  deletion_protection_enabled = var.deletion_protection_enabled
  tags                        = var.tags
}

module "s3" {
  source = "./modules/s3"

  bucket_name               = "${var.name_prefix}-staging-${local.account_id}-${local.region}"
  log_bucket_name           = "${var.name_prefix}-access-logs-${local.account_id}-${local.region}"
  kms_key_arn               = module.kms.s3_key_arn
  expire_objects_after_days = local.staging_expiry_in_days
  log_retention_in_days     = var.log_retention_in_days
  tags                      = var.tags
}

module "efs" {
  source = "./modules/efs"

  name_prefix                = var.name_prefix
  vpc_cidr_block             = var.vpc_cidr_block
  availability_zones         = var.availability_zones
  kms_key_arn                = module.kms.efs_key_arn
  logs_kms_key_arn           = module.kms.logs_key_arn
  flow_log_retention_in_days = var.log_retention_in_days
  tags                       = var.tags
}

module "sns" {
  source = "./modules/sns"

  name_prefix                 = var.name_prefix
  kms_key_arn                 = module.kms.sns_key_arn
  reviewer_groups             = [for group in var.reviewer_groups : { name = group.name, notification_emails = group.notification_emails }]
  administrator_emails        = [var.administrator_email]
  swb_topic_arn               = var.swb_topic_arn
  start_workflow_function_arn = module.lambda.function_arns["start-workflow"]
  tags                        = var.tags
}

module "ses" {
  source = "./modules/ses"

  configuration_set_name = "${var.name_prefix}-mail"
  sender_email           = var.sender_email
  sender_domain          = var.sender_domain
  tags                   = var.tags
}

module "lambda" {
  source = "./modules/lambda"

  name_prefix           = var.name_prefix
  artifact_path         = var.lambda_artifact_path
  function_settings     = var.lambda_function_settings
  log_retention_in_days = var.log_retention_in_days
  logs_kms_key_arn      = module.kms.logs_key_arn
  state_machine_arn     = local.state_machine_arn

  requests_table = {
    name        = module.dynamodb.table_name
    arn         = module.dynamodb.table_arn
    kms_key_arn = module.kms.dynamodb_key_arn
  }

  staging = {
    bucket_name = module.s3.bucket_name
    bucket_arn  = module.s3.bucket_arn
    kms_key_arn = module.kms.s3_key_arn
  }

  swb_egress_store_bucket = var.swb_egress_store_bucket
  swb_notification_bucket = var.swb_notification_bucket
  datalake_bucket         = var.datalake_bucket

  reviewer_groups                = local.reviewer_group_names
  max_downloads                  = var.max_downloads
  presigned_url_ttl_seconds      = var.presigned_url_ttl_seconds
  multipart_copy_threshold_bytes = var.multipart_copy_threshold_bytes
  multipart_part_size_bytes      = var.multipart_part_size_bytes

  mail = {
    sender_email           = var.sender_email
    identity_arn           = module.ses.identity_arn
    configuration_set_name = module.ses.configuration_set_name
    configuration_set_arn  = module.ses.configuration_set_arn
    egress_app_url         = var.egress_app_url
  }

  failure_destination = {
    topic_arn   = module.sns.admin_topic_arn
    kms_key_arn = module.kms.sns_key_arn
  }

  scratch = {
    subnet_ids         = module.efs.private_subnet_ids
    security_group_ids = [module.efs.lambda_security_group_id]
    file_system_arn    = module.efs.file_system_arn
    access_point_arn   = module.efs.access_point_arn
  }

  tags = var.tags
}

module "stepfunctions" {
  source = "./modules/stepfunctions"

  name = local.state_machine_name
  definition = templatefile("${path.module}/../statemachine/egress_workflow.asl.json", {
    admin_topic_arn               = module.sns.admin_topic_arn
    await_review_function_arn     = module.lambda.function_arns["await-review"]
    discard_staged_function_arn   = module.lambda.function_arns["discard-staged"]
    egress_app_url                = var.egress_app_url
    execution_timeout_seconds     = local.execution_timeout_seconds
    first_reviewer_group          = local.reviewer_group_names[0]
    first_reviewer_topic_arn      = module.sns.reviewer_topic_arns[0]
    notify_requester_function_arn = module.lambda.function_arns["notify-requester"]
    publish_approved_function_arn = module.lambda.function_arns["publish-approved"]
    requests_table                = module.dynamodb.table_name
    review_timeout_seconds        = var.review_timeout_seconds
    second_reviewer_group         = local.reviewer_group_names[1]
    second_reviewer_topic_arn     = module.sns.reviewer_topic_arns[1]
    stage_objects_function_arn    = module.lambda.function_arns["stage-objects"]
    swb_egress_store_table        = var.swb_egress_store_table_name
  })

  lambda_function_arns = [
    for role in ["stage-objects", "await-review", "discard-staged", "publish-approved", "notify-requester"] :
    module.lambda.function_arns[role]
  ]

  dynamodb_tables = [
    {
      arn         = module.dynamodb.table_arn
      actions     = ["dynamodb:PutItem", "dynamodb:UpdateItem"]
      kms_key_arn = module.kms.dynamodb_key_arn
    },
    {
      arn         = local.swb_egress_store_table_arn
      actions     = ["dynamodb:UpdateItem"]
      kms_key_arn = var.swb_egress_store_table_kms_key_arn
    },
  ]

  sns_topic_arns        = concat(module.sns.reviewer_topic_arns, [module.sns.admin_topic_arn])
  sns_kms_key_arn       = module.kms.sns_key_arn
  log_retention_in_days = var.log_retention_in_days
  logs_kms_key_arn      = module.kms.logs_key_arn
  tags                  = var.tags
}

module "cognito" {
  source = "./modules/cognito"

  name                                = var.name_prefix
  domain_prefix                       = var.cognito.domain_prefix
  reviewer_groups                     = [for group in var.reviewer_groups : { name = group.name, description = group.description }]
  mfa_configuration                   = var.cognito.mfa_configuration
  password_minimum_length             = var.cognito.password_minimum_length
  callback_urls                       = distinct(concat([var.egress_app_url], var.cognito.additional_callback_urls))
  logout_urls                         = distinct(concat([var.egress_app_url], var.cognito.additional_logout_urls))
  pre_token_generation_function_arn   = module.lambda.function_arns["pre-token"]
  pre_token_generation_lambda_version = var.cognito.pre_token_generation_lambda_version
  saml_identity_provider              = var.cognito.saml_identity_provider
  deletion_protection_enabled         = var.deletion_protection_enabled
  tags                                = var.tags
}

module "appsync" {
  source = "./modules/appsync"

  name                  = var.name_prefix
  schema                = file("${path.module}/../schema/schema.graphql")
  user_pool_id          = module.cognito.user_pool_id
  lambda_function_arn   = module.lambda.function_arns["api"]
  web_acl_arn           = var.appsync_web_acl_arn
  log_retention_in_days = var.log_retention_in_days
  logs_kms_key_arn      = module.kms.logs_key_arn
  tags                  = var.tags
}

module "alarms" {
  source = "./modules/alarms"

  name_prefix       = var.name_prefix
  alarm_topic_arn   = module.sns.admin_topic_arn
  state_machine_arn = module.stepfunctions.state_machine_arn
  function_names    = module.lambda.function_names
  tags              = var.tags
}
