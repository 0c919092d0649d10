from __future__ import annotations

from typing import Any

import pytest

from pytest_readiness.sources.azure.iac.arm_expressions import Context, evaluate_string
from pytest_readiness.sources.azure.iac.hcl_expressions import evaluate_raw
from pytest_readiness.sources.azure.model import UNKNOWN

ARM = Context(
    {"prefix": "agent", "public": False, "tls": "1.2", "env": UNKNOWN},
    {"abbrs": {"cacheRedis": "redis-"},
     "name": "[format('{0}{1}', variables('abbrs').cacheRedis, parameters('prefix'))]",
     "loop": "[variables('loop')]"},
)


@pytest.mark.parametrize(("expression", "expected"), [
    ("[parameters('tls')]", "1.2"),
    ("[variables('name')]", "redis-agent"),
    ("[concat(parameters('prefix'), '-cache')]", "agent-cache"),
    ("[format('{0}-{1}', parameters('prefix'), 'kv')]", "agent-kv"),
    ("[if(parameters('public'), 'Enabled', 'Disabled')]", "Disabled"),
    ("[toLower('TLS1_2')]", "tls1_2"),
    ("[[not an expression]", "[not an expression]"),
    ("plain text", "plain text"),
    ("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'aks')]",
     "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/"
     "virtualNetworks/vnet/subnets/aks"),
    ("[subscription().id]", "/subscriptions/{subscriptionId}"),
    ("[format('{0}', 'it''s')]", "it's"),
    ("[coalesce(null(), 'fallback')]", "fallback"),
    # a user-assigned identity's principal: the same placeholder the identity itself carries
    ("[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'agent-id'), '2023-01-31')"
     ".principalId]", "{principalId of agent-id}"),
])
def test_arm_expressions_resolved(expression: str, expected: Any) -> None:
    assert evaluate_string(expression, ARM) == expected


@pytest.mark.parametrize("expression", [
    "[uniqueString(resourceGroup().id)]",            # depends on the deployment
    "[resourceGroup().location]",
    "[parameters('env')]",                            # a parameter without a value
    "[if(equals(parameters('env'), 'prod'), 'Disabled', 'Enabled')]",
    "[variables('loop')]",                            # a cycle
    "[reference(resourceId('Microsoft.Storage/storageAccounts', 'st'), '2023-01-01').primaryEndpoints.blob]",
    "[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'id'), '2023-01-31').tenantId]",
    "[myNamespace.myFunction('x')]",                  # a user-defined function
    "[concat('a', ]",                                 # broken
])
def test_arm_expressions_unresolved_are_unknown(expression: str) -> None:
    assert evaluate_string(expression, ARM) is UNKNOWN


def _resolve(traversal: list[Any]) -> Any:
    variables = {"prefix": "agent", "tls": "1.2", "public": False, "tags": {"env": "prod"}}
    if traversal[0] == "var" and traversal[1] in variables:
        value = variables[traversal[1]]
        for step in traversal[2:]:
            value = value[step]
        return value
    return UNKNOWN


@pytest.mark.parametrize(("raw", "expected"), [
    ('"${var.prefix}-cache"', "agent-cache"),
    ("${var.tls}", "1.2"),
    ('${var.public ? "Enabled" : "Disabled"}', "Disabled"),
    ("${!var.public}", True),
    ('${lower("TLS1_2")}', "tls1_2"),
    ('${format("%s-%s", var.prefix, "kv")}', "agent-kv"),
    ("${var.tags.env}", "prod"),
    ('"$${not.interpolated}"', "${not.interpolated}"),
    ({'"azd-env-name"': '"x"', "b": "${var.tls}"}, {"azd-env-name": "x", "b": "1.2"}),
    (['"a"', 2, True], ["a", 2, True]),
])
def test_hcl_expressions_resolved(raw: Any, expected: Any) -> None:
    assert evaluate_raw(raw, _resolve) == expected


@pytest.mark.parametrize("raw", [
    "${azurerm_kubernetes_cluster.aks.oidc_issuer_url}",
    "${[for s in var.subnets : s.id]}",
    "${{for k, v in var.tags : k => v}}",
    '"%{ if var.public }Enabled%{ endif }"',
    "${data.azurerm_client_config.current.tenant_id}",
    '"${var.missing}-x"',
    "${each.value.name}",
])
def test_hcl_expressions_unresolved_are_unknown(raw: Any) -> None:
    assert evaluate_raw(raw, _resolve) is UNKNOWN
