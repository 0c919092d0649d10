"""Azure as a source: resources read live from Azure Resource Manager or declared in the repo's IaC."""
