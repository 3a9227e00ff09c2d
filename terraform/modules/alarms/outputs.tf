output "execution_alarm_arns" {
  description = "ARNs of the state machine alarms, by outcome (failed, timed-out, aborted)."
  value       = { for outcome, alarm in aws_cloudwatch_metric_alarm.executions : outcome => alarm.arn }
}

output "function_error_alarm_arns" {
  description = "ARNs of the function error alarms, by role."
  value       = { for role, alarm in aws_cloudwatch_metric_alarm.function_errors : role => alarm.arn }
}
