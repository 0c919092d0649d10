resource "azurerm_user_assigned_identity" "agent" {
  name                = "id-msft-agent"
  location            = azurerm_resource_group.agent.location
  resource_group_name = azurerm_resource_group.agent.name
}

resource "azurerm_federated_identity_credential" "agent" {
  name                = "aks-msft-agent"
  resource_group_name = azurerm_resource_group.agent.name
  parent_id           = azurerm_user_assigned_identity.agent.id
  audience            = ["api://AzureADTokenExchange"]
  issuer              = azurerm_kubernetes_cluster.agent.oidc_issuer_url
  subject             = "system:serviceaccount:${var.namespace}:msft-agent"
}
