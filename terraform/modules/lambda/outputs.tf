output "function_arns" {
  description = "ARNs of the functions, by role."
  value       = { for role, function in aws_lambda_function.this : role => function.arn }
}

output "function_names" {
  description = "Names of the functions, by role."
  value       = { for role, function in aws_lambda_function.this : role => function.function_name }
}

output "role_arns" {
  description = "ARNs of the functions' execution roles, by role."
  value       = { for role, iam_role in aws_iam_role.this : role => iam_role.arn }
}

output "log_group_names" {
  description = "Names of the functions' log groups, by role."
  value       = { for role, group in aws_cloudwatch_log_group.this : role => group.name }
}

output "environment_by_role" {
  description = "Environment of each role's function besides EGRESS_ROLE, by role."
  value       = local.environment_by_role
}
