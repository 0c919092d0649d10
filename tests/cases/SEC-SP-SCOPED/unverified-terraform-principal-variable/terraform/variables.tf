variable "deployer_principal_id" {
  type = string
}
