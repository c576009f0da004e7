variable "name" {
  type = string
}

variable "cidr" {
  type    = string
  default = "10.0.0.0/16"
}

variable "flow_logs" {
  type    = bool
  default = true
}

variable "admin_cidrs" {
  type    = list(string)
  default = ["10.0.0.0/8"]
}

variable "services" {
  type = map(object({ port = number, public = bool }))
  default = {
    web = { port = 443, public = true }
    api = { port = 8443, public = false }
  }
}

locals {
  tags = {
    Name      = var.name
    ManagedBy = "terraform"
  }
  public_cidr = "0.0.0.0/0"
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr
  enable_dns_hostnames = true
  tags                 = local.tags
}

resource "aws_flow_log" "this" {
  count           = var.flow_logs ? 1 : 0
  vpc_id          = aws_vpc.this.id
  traffic_type    = "ALL"
  log_destination = aws_cloudwatch_log_group.flow.arn
}

resource "aws_cloudwatch_log_group" "flow" {
  name              = "/vpc/${var.name}/flow"
  retention_in_days = 365
}

resource "aws_default_security_group" "default" {
  vpc_id = aws_vpc.this.id
}

resource "aws_subnet" "private" {
  count      = 2
  vpc_id     = aws_vpc.this.id
  cidr_block = cidrsubnet(var.cidr, 8, count.index)
}

resource "aws_security_group" "svc" {
  for_each    = var.services
  name        = "${var.name}-${each.key}"
  description = "Service ${each.key}"
  vpc_id      = aws_vpc.this.id

  ingress {
    description = "service port"
    from_port   = each.value.port
    to_port     = each.value.port
    protocol    = "tcp"
    cidr_blocks = each.value.public ? [local.public_cidr] : var.admin_cidrs
  }

  egress {
    description = "https out"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
}

resource "aws_security_group" "bastion" {
  name        = "${var.name}-bastion"
  description = "SSH bastion"
  vpc_id      = aws_vpc.this.id

  dynamic "ingress" {
    for_each = var.admin_cidrs
    content {
      description = "ssh from ${ingress.value}"
      from_port   = 22
      to_port     = 22
      protocol    = "tcp"
      cidr_blocks = [ingress.value]
    }
  }
}

output "vpc_id" {
  value = aws_vpc.this.id
}

output "subnet_ids" {
  value = aws_subnet.private[*].id
}

output "bastion_sg_id" {
  value = aws_security_group.bastion.id
}
