variable "office_cidr" {
  type = string
}
