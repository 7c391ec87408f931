"""A long command's progress bar: on a terminal only (to stderr, so that what the command prints stays
apart), and nothing at all in a log or CI."""

from __future__ import annotations

import sys

import click


def progress_bar(label: str, iterable=None, length: int | None = None):
    return click.progressbar(iterable, length=length, label=label, file=sys.stderr,
                             hidden=not sys.stderr.isatty())
