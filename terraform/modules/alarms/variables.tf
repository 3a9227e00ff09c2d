variable "name_prefix" {
  description = "Prefix of the alarm names."
  type        = string
}

variable "alarm_topic_arn" {
  description = "ARN of the topic that receives alarm and recovery notifications."
  type        = string
}

variable "state_machine_arn" {
  description = "ARN of the state machine whose failed, timed-out and aborted executions raise alarms."
  type        = string
}

variable "function_names" {
  description = "Functions whose errors raise alarms, by role."
  type        = map(string)
}

variable "period_in_seconds" {
  description = "Length of the period over which each metric is summed."
  type        = number
  default     = 300

  validation {
    condition     = contains([60, 300, 900, 3600], var.period_in_seconds)
    error_message = "period_in_seconds must be 60, 300, 900 or 3600."
  }
}

variable "function_error_threshold" {
  description = "Number of function errors in one period that raises the alarm."
  type        = number
  default     = 1

  validation {
    condition     = var.function_error_threshold >= 1
    error_message = "function_error_threshold must be at least 1."
  }
}

variable "tags" {
  description = "Tags applied to the alarms."
  type        = map(string)
  default     = {}
}
