output "user_pool_id" {
  description = "ID of the user pool."
  value       = aws_cognito_user_pool.this.id
}

output "user_pool_arn" {
  description = "ARN of the user pool."
  value       = aws_cognito_user_pool.this.arn
}

output "user_pool_client_id" {
  description = "ID of the web app client."
  value       = aws_cognito_user_pool_client.this.id
}

output "hosted_ui_domain" {
  description = "Domain of the hosted UI (<prefix>.auth.<region>.amazoncognito.com)."
  value       = "${aws_cognito_user_pool_domain.this.domain}.auth.${aws_cognito_user_pool.this.region}.amazoncognito.com"
}

output "reviewer_group_names" {
  description = "Names of the user pool groups, in stage order."
  value       = [for group in var.reviewer_groups : aws_cognito_user_group.this[group.name].name]
}

output "saml_identity_provider_name" {
  description = "Name of the SAML identity provider, or null when none is configured."
  value       = local.saml_enabled ? aws_cognito_identity_provider.saml[0].provider_name : null
}
