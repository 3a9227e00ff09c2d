output "bucket_name" {
  description = "Name of the staging bucket."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the staging bucket."
  value       = aws_s3_bucket.this.arn
}

output "log_bucket_name" {
  description = "Name of the bucket that holds the staging bucket's server access logs."
  value       = aws_s3_bucket.logs.id
}

output "log_bucket_arn" {
  description = "ARN of the server access log bucket."
  value       = aws_s3_bucket.logs.arn
}
