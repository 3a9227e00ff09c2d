output "vpc_id" {
  description = "ID of the VPC of the functions that mount the scratch file system."
  value       = aws_vpc.this.id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, one per availability zone."
  value       = [for subnet in aws_subnet.private : subnet.id]
}

output "lambda_security_group_id" {
  description = "ID of the security group to give the functions that mount the file system."
  value       = aws_security_group.lambda.id
}

output "file_system_id" {
  description = "ID of the scratch file system."
  value       = aws_efs_file_system.this.id
}

output "file_system_arn" {
  description = "ARN of the scratch file system."
  value       = aws_efs_file_system.this.arn
}

output "access_point_arn" {
  description = "ARN of the access point the functions mount; it is returned once the mount targets exist, as Lambda requires."
  value       = aws_efs_access_point.this.arn

  depends_on = [aws_efs_mount_target.this, aws_efs_file_system_policy.this]
}

output "flow_log_group_name" {
  description = "Name of the log group that receives the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}
