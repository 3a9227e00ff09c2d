output "reviewer_topic_arns" {
  description = "ARNs of the reviewer notification topics, in stage order."
  value       = [for group in var.reviewer_groups : aws_sns_topic.reviewer[group.name].arn]
}

output "reviewer_topic_arns_by_group" {
  description = "ARNs of the reviewer notification topics, by reviewer group."
  value       = { for name, topic in aws_sns_topic.reviewer : name => topic.arn }
}

output "admin_topic_arn" {
  description = "ARN of the administrator topic (failed requests and alarms)."
  value       = aws_sns_topic.admin.arn
}

output "swb_subscription_arn" {
  description = "ARN of the subscription of the start-workflow function to Service Workbench's topic."
  value       = aws_sns_topic_subscription.swb_topic.arn
}
