variable "env" {
  type    = string
  default = "dev"
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "db_password" {
  type      = string
  sensitive = true
}

variable "buckets" {
  type    = list(string)
  default = ["raw", "staging"]
}

variable "enable_trail_encryption" {
  type    = bool
  default = false
}

variable "app_instances" {
  type    = number
  default = 1
}
