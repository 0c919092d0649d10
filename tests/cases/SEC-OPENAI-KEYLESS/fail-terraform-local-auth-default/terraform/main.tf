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

resource "azurerm_cognitive_account" "openai" {
  name                  = "oai-agent-prod"
  location              = azurerm_resource_group.agent.location
  resource_group_name   = azurerm_resource_group.agent.name
  kind                  = "OpenAI"
  sku_name              = "S0"
  custom_subdomain_name = "oai-agent-prod"

  network_acls {
    default_action = "Deny"
  }
}
