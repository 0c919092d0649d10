variable "aks_subnet_id" {
  type        = string
  description = "Subnet of the node pool, from the platform team"
}
