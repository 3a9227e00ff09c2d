output "graphql_api_id" {
  description = "ID of the GraphQL API."
  value       = aws_appsync_graphql_api.this.id
}

output "graphql_api_arn" {
  description = "ARN of the GraphQL API."
  value       = aws_appsync_graphql_api.this.arn
}

output "graphql_endpoint" {
  description = "URL of the GraphQL endpoint."
  value       = aws_appsync_graphql_api.this.uris["GRAPHQL"]
}

output "log_group_name" {
  description = "Name of the API's log group."
  value       = aws_cloudwatch_log_group.this.name
}
