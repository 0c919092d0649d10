"""`python -m agent_service --config agent.toml [--host H] [--port P] [--certfile C --keyfile K]`."""

from __future__ import annotations

import argparse
import logging
import ssl
import sys
import warnings
from collections.abc import Callable, Sequence

import prometheus_client
import uvicorn

from .app import create_app
from .settings import load_settings

TLS_MIN_VERSIONS = {
    "1.0": ssl.TLSVersion.TLSv1,
    "1.1": ssl.TLSVersion.TLSv1_1,
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}
LEGACY_TLS = ("1.0", "1.1")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="agent_service", description=__doc__)
    parser.add_argument("--config", help="path to agent.toml (defaults apply without it)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--certfile", help="PEM certificate chain; enables HTTPS")
    parser.add_argument("--keyfile", help="PEM private key for --certfile")
    parser.add_argument(
        "--tls-min-version",
        choices=sorted(TLS_MIN_VERSIONS),
        default="1.2",
        help="lowest TLS version accepted; 1.0/1.1 also lower OpenSSL's security level to 0",
    )
    args = parser.parse_args(argv)
    if args.keyfile and not args.certfile:
        parser.error("--keyfile needs --certfile")
    return args


def tls_context_factory(
    min_version: str,
) -> Callable[[uvicorn.Config, Callable[[], ssl.SSLContext]], ssl.SSLContext]:
    def factory(config: uvicorn.Config, default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
        context = default()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = TLS_MIN_VERSIONS[min_version]
        if min_version in LEGACY_TLS:
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
        return context

    return factory


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load_settings(args.config)
    except (OSError, ValueError) as error:
        print(f"agent_service: cannot start: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]
    config = uvicorn.Config(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        server_header=False,
        ssl_certfile=args.certfile,
        ssl_keyfile=args.keyfile,
        ssl_context_factory=tls_context_factory(args.tls_min_version) if args.certfile else None,
    )
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
