"""Read-only fact sources: one package per source (repo, kube, service, manual, azure, image).

`registry` lists them; each package owns its reader, its options, its fixtures and the reason given
when its input is absent.
"""
