terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.10"
    }
  }
}

provider "azurerm" {
  features {}
}

resource "azurerm_resource_group" "agent" {
  name     = "rg-agent-prod"
  location = "swedencentral"
}

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
  issuer              = "https://swedencentral.oic.prod-aks.azure.com/72f988bf-86f1-41af-91ab-2d7cd011db47/0c1f6d0e-2d1a-4c55/"
  subject             = "system:serviceaccount:msft-agent:msft-agent"
}

data "azurerm_subscription" "current" {}

resource "azurerm_role_assignment" "agent" {
  scope                = azurerm_cognitive_account.openai.id
  role_definition_name = "Cognitive Services OpenAI User"
  principal_id         = azurerm_user_assigned_identity.agent.principal_id
}

resource "azurerm_cognitive_account" "openai" {
  name                  = "oai-agent-prod"
  location              = azurerm_resource_group.agent.location
  resource_group_name   = azurerm_resource_group.agent.name
  kind                  = "OpenAI"
  sku_name              = "S0"
  custom_subdomain_name = "oai-agent-prod"
  local_auth_enabled    = false

  network_acls {
    default_action = "Deny"
  }
}
