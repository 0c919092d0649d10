variable "aks_subnet_id" {
  type = string
}
