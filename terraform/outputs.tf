output "graphql_endpoint" {
  description = "URL of the reviewer GraphQL API."
  value       = module.appsync.graphql_endpoint
}

output "graphql_api_id" {
  description = "ID of the reviewer GraphQL API."
  value       = module.appsync.graphql_api_id
}

output "user_pool_id" {
  description = "ID of the Cognito user pool the web app signs reviewers in with."
  value       = module.cognito.user_pool_id
}

output "user_pool_client_id" {
  description = "ID of the web app's user pool client."
  value       = module.cognito.user_pool_client_id
}

output "hosted_ui_domain" {
  description = "Domain of the Cognito hosted UI."
  value       = module.cognito.hosted_ui_domain
}

output "region" {
  description = "Region everything was created in (the web app's Cognito and AppSync region)."
  value       = local.region
}

output "state_machine_arn" {
  description = "ARN of the egress workflow state machine."
  value       = module.stepfunctions.state_machine_arn
}

output "requests_table_name" {
  description = "Name of the egress requests table."
  value       = module.dynamodb.table_name
}

output "staging_bucket_name" {
  description = "Name of the staging bucket."
  value       = module.s3.bucket_name
}

output "access_log_bucket_name" {
  description = "Name of the bucket holding the staging bucket's server access logs."
  value       = module.s3.log_bucket_name
}

output "reviewer_topic_arns" {
  description = "ARNs of the reviewer notification topics, in stage order."
  value       = module.sns.reviewer_topic_arns
}

output "administrator_topic_arn" {
  description = "ARN of the administrator topic (failed requests and alarms)."
  value       = module.sns.admin_topic_arn
}

output "function_names" {
  description = "Names of the Lambda functions, by role."
  value       = module.lambda.function_names
}

output "ses_dkim_tokens" {
  description = "Easy DKIM tokens to publish as CNAME records when sender_domain is set."
  value       = module.ses.dkim_tokens
}
