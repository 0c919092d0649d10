resource dash 'Microsoft.Portal/dashboards@2020-09-01-preview' = {
  name: 'agent'
  location: 'westeurope'
}
