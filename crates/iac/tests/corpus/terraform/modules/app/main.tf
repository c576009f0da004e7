variable "name" {
  type = string
}

variable "instance_count" {
  type    = number
  default = 2
}

variable "subnet_ids" {
  type    = list(string)
  default = []
}

variable "imdsv2" {
  type    = bool
  default = true
}

variable "runtime" {
  type    = string
  default = "python3.12"
}

resource "aws_instance" "app" {
  count                       = var.instance_count
  ami                         = "ami-0c55b159cbfafe1f0"
  instance_type               = "t3.micro"
  subnet_id                   = element(var.subnet_ids, count.index)
  associate_public_ip_address = false
  ebs_optimized               = true
  monitoring                  = true

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = var.imdsv2 ? "required" : "optional"
  }

  root_block_device {
    encrypted = true
  }

  tags = {
    Name = format("%s-%02d", var.name, count.index)
  }
}

resource "aws_iam_role" "lambda" {
  name = "${var.name}-lambda"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_lambda_function" "handler" {
  function_name = "${var.name}-handler"
  role          = aws_iam_role.lambda.arn
  runtime       = var.runtime
  handler       = "app.handler"
  filename      = "build/handler.zip"

  environment {
    variables = {
      LOG_LEVEL = "info"
    }
  }
}

output "instance_ids" {
  value = aws_instance.app[*].id
}
