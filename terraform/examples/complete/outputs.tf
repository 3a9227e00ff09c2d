output "graphql_endpoint" {
  description = "URL of the reviewer GraphQL API."
  value       = module.egress_review.graphql_endpoint
}

output "user_pool_id" {
  description = "ID of the Cognito user pool."
  value       = module.egress_review.user_pool_id
}

output "user_pool_client_id" {
  description = "ID of the web app's user pool client."
  value       = module.egress_review.user_pool_client_id
}

output "hosted_ui_domain" {
  description = "Domain of the Cognito hosted UI."
  value       = module.egress_review.hosted_ui_domain
}

output "state_machine_arn" {
  description = "ARN of the egress workflow state machine."
  value       = module.egress_review.state_machine_arn
}

output "requests_table_name" {
  description = "Name of the egress requests table."
  value       = module.egress_review.requests_table_name
}

output "staging_bucket_name" {
  description = "Name of the staging bucket."
  value       = module.egress_review.staging_bucket_name
}

output "reviewer_topic_arns" {
  description = "ARNs of the reviewer notification topics, in stage order."
  value       = module.egress_review.reviewer_topic_arns
}

output "administrator_topic_arn" {
  description = "ARN of the administrator topic."
  value       = module.egress_review.administrator_topic_arn
}
