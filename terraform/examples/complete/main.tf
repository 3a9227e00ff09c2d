provider "aws" {
  region = var.region
}

module "egress_review" {
  source = "../.."

  name_prefix          = var.name_prefix
  tags                 = var.tags
  lambda_artifact_path = var.lambda_artifact_path

  swb_egress_store_bucket     = var.swb_egress_store_bucket
  swb_notification_bucket     = var.swb_notification_bucket
  swb_egress_store_table_name = var.swb_egress_store_table_name
  swb_topic_arn               = var.swb_topic_arn
  datalake_bucket             = var.datalake_bucket

  reviewer_groups           = var.reviewer_groups
  review_timeout_seconds    = var.review_timeout_seconds
  max_downloads             = var.max_downloads
  presigned_url_ttl_seconds = var.presigned_url_ttl_seconds

  egress_app_url      = var.egress_app_url
  administrator_email = var.administrator_email
  sender_email        = var.sender_email
  cognito             = var.cognito

  deletion_protection_enabled = var.deletion_protection_enabled
  log_retention_in_days       = var.log_retention_in_days
}
