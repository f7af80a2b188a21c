"""The command-line reference as markdown, generated from the ``marginsim`` parser (the docs site).

:func:`cli_reference` walks :func:`~sim.apps.cli.program.build_parser`: for every subcommand its
one-line summary, description, usage line, a table of its arguments (help, default, choices) and
its examples. Nothing is written by hand, so the reference says what ``--help`` says.
"""

from __future__ import annotations

import argparse
import re

from sim.apps.cli.program import build_parser

USAGE_WIDTH = 88
"""Columns of the usage lines (argparse wraps them; fixed so the page does not depend on the terminal)."""


def subcommands(parser: argparse.ArgumentParser | None = None) -> dict[str, tuple[str, argparse.ArgumentParser]]:
    """Each subcommand's name -> (one-line summary, parser), in ``marginsim --help`` order."""
    parser = build_parser() if parser is None else parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            summaries = {a.dest: a.help or "" for a in action._choices_actions}
            return {name: (summaries.get(name, ""), sub) for name, sub in action.choices.items()}
    return {}


def _text(text: str) -> str:
    """Help text as markdown in a table cell: ``code`` kept, ``* | < >`` escaped elsewhere."""
    parts = re.split(r"(`[^`]*`)", " ".join(text.split()))
    for i in range(0, len(parts), 2):
        parts[i] = (parts[i].replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
                    .replace("*", "\\*"))
    return "".join(parts)


def usage(parser: argparse.ArgumentParser) -> str:
    """The parser's usage line(s), wrapped at :data:`USAGE_WIDTH` columns."""
    formatter = argparse.HelpFormatter(parser.prog, width=USAGE_WIDTH)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups)
    return formatter.format_help().strip()


def _spelling(action: argparse.Action) -> str:
    """How the argument is written: ``scenario``, ``--seed SEED``, ``--mode {kernel,agents}``."""
    return argparse.HelpFormatter("marginsim")._format_action_invocation(action)


def _default(action: argparse.Action) -> str:
    """The default, unless there is none to show or the help already states it (``default: up to 4``)."""
    if action.required or action.nargs == 0 or action.default in (None, [], argparse.SUPPRESS):
        return ""
    return "" if "default" in (action.help or "").lower() else f"`{action.default}`"


def _help(action: argparse.Action, prog: str) -> str:
    text = action.help or ""
    if "%(" in text:
        text = text % {**vars(action), "prog": prog}
    if action.required and action.option_strings:
        text += " (required)"
    return _text(text.strip())


def arguments_table(parser: argparse.ArgumentParser) -> str:
    """A markdown table of the parser's arguments (``-h`` left out): spelling, meaning, and the
    default where the help text does not already give it."""
    rows = [(f"`{_spelling(a)}`", _help(a, parser.prog), _default(a)) for a in parser._actions
            if not isinstance(a, argparse._HelpAction | argparse._SubParsersAction)]
    if not rows:
        return ""
    header = ("argument", "meaning", "default")
    width = 3 if any(row[2] for row in rows) else 2
    lines = ["| " + " | ".join(header[:width]) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(row[:width]) + " |" for row in rows]
    return "\n".join(lines)


def _examples(epilog: str | None) -> str:
    """The epilog's ``examples:`` block as a bash code block; any other epilog as a paragraph."""
    if not epilog:
        return ""
    head, _, rest = epilog.partition("\n")
    if head.strip().lower().rstrip(":") != "examples" or not rest.strip():
        return _text(epilog)
    lines = [line.strip() for line in rest.splitlines() if line.strip()]
    return "Examples:\n\n```bash\n" + "\n".join(lines) + "\n```"


def command_markdown(name: str, summary: str, parser: argparse.ArgumentParser, level: int = 2) -> str:
    """One subcommand's section: heading, summary, description, usage, arguments, examples."""
    parts = [f"{'#' * level} `marginsim {name}` {{#{name}}}"]
    if summary:
        parts.append(f"*{_text(summary)}*")
    if parser.description:
        parts += [_text(p) for p in parser.description.split("\n\n")]
    parts.append(f"```text\n{usage(parser)}\n```")
    for block in (arguments_table(parser), _examples(parser.epilog)):
        if block:
            parts.append(block)
    return "\n\n".join(parts)


def cli_reference(parser: argparse.ArgumentParser | None = None, level: int = 2) -> str:
    """The whole ``marginsim`` reference: the program's options, then every subcommand."""
    parser = build_parser() if parser is None else parser
    commands = subcommands(parser)
    index = "\n".join(f"| [`{name}`](#{name}) | {_text(summary)} |" for name, (summary, _) in commands.items())
    parts = [_text(parser.description or ""), f"```text\n{usage(parser)}\n```", arguments_table(parser),
             "| command | what it does |\n|---|---|\n" + index, _text(parser.epilog or "")]
    parts += [command_markdown(name, summary, sub, level) for name, (summary, sub) in commands.items()]
    return "\n\n".join(p for p in parts if p) + "\n"
