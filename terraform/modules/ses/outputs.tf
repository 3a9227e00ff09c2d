output "identity_arn" {
  description = "ARN of the sending identity (the address, or its domain)."
  value       = aws_sesv2_email_identity.this.arn
}

output "configuration_set_name" {
  description = "Name of the configuration set."
  value       = aws_sesv2_configuration_set.this.configuration_set_name
}

output "configuration_set_arn" {
  description = "ARN of the configuration set."
  value       = aws_sesv2_configuration_set.this.arn
}

output "dkim_tokens" {
  description = "Easy DKIM tokens to publish as CNAME records when the identity is a domain; empty for an address."
  value       = var.sender_domain == null ? [] : aws_sesv2_email_identity.this.dkim_signing_attributes[0].tokens
}
