"""Azure as a source: resources read live from Azure Resource Manager or declared in the repo's IaC."""

# settings.Settings inherits options.AzureOptions, whose fields use settings._opt: importing settings first
# lets `import pytest_readiness.sources.azure.options` work on its own, whichever module comes first.
import pytest_readiness.settings  # noqa: F401
