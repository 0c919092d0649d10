resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'contoso-agent-kv'
  location: 'westeurope'
}
