"""``reasonlab serve --model DIR [--port P] [--host 127.0.0.1]``: a local checkpoint as an
OpenAI-compatible endpoint (``transformers serve``, or ``vllm serve`` with vllm and a GPU)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve a local model as an OpenAI-compatible endpoint")
    p.add_argument("--model", required=True, help="local model folder (HF format)")
    p.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--backend", choices=["auto", "transformers", "vllm"], default="auto",
                   help="auto: vllm when installed with a GPU, else transformers")
    p.add_argument("--ready-timeout", type=float, default=120.0,
                   help="seconds to wait for the server to answer /v1/models")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from reasonlab.models.serve import plan_server, serve_forever

    plan = plan_server(args.model, host=args.host, port=args.port, backend=args.backend)
    return serve_forever(plan, ready_timeout=args.ready_timeout)
