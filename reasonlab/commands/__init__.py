"""Command-group modules for the CLI; each exposes ``add_parser(subparsers)``."""
