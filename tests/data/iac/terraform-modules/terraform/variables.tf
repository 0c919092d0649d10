variable "prefix" {
  type    = string
  default = "agent"
}

variable "location" {
  type = string
}

variable "namespace" {
  type    = string
  default = "msft-agent"
}

variable "purge_protection" {
  type    = bool
  default = false
}

variable "redis_tls" {
  type    = string
  default = "1.0"
}
