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

data "azurerm_client_config" "current" {}

resource "azurerm_key_vault" "agent" {
  name                          = "kv-agent-prod"
  location                      = azurerm_resource_group.agent.location
  resource_group_name           = azurerm_resource_group.agent.name
  tenant_id                     = data.azurerm_client_config.current.tenant_id
  sku_name                      = "standard"
  soft_delete_retention_days    = 90
  purge_protection_enabled      = false
  rbac_authorization_enabled    = true
  public_network_access_enabled = false

  network_acls {
    bypass         = "AzureServices"
    default_action = "Deny"
  }
}
