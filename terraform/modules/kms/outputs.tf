output "s3_key_arn" {
  description = "ARN of the key that encrypts the staging bucket."
  value       = aws_kms_key.this["s3"].arn
}

output "dynamodb_key_arn" {
  description = "ARN of the key that encrypts the requests table."
  value       = aws_kms_key.this["dynamodb"].arn
}

output "sns_key_arn" {
  description = "ARN of the key that encrypts the notification topics."
  value       = aws_kms_key.this["sns"].arn
}

output "logs_key_arn" {
  description = "ARN of the key that encrypts the CloudWatch log groups."
  value       = aws_kms_key.this["logs"].arn
}

output "efs_key_arn" {
  description = "ARN of the key that encrypts the scratch file system."
  value       = aws_kms_key.this["efs"].arn
}

output "key_aliases" {
  description = "Alias names of the keys, by purpose (s3, dynamodb, sns, logs, efs)."
  value       = { for purpose, alias in aws_kms_alias.this : purpose => alias.name }
}
