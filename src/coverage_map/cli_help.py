"""The command line's help in one language: Spanish by default, English with --lang en or an
English locale (LANG, LC_ALL starting with "en").

Every command's and option's help is a catalogue key (texts.py: help_*), worded when the help
is shown; click's own words (Usage, Options, Commands, default, the --help and --version
lines) come from the same catalogue. --help is read before --lang takes effect, so the
language of the help is read from the command line itself (help_language).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import click

from .texts import texts

#: The help's language for this invocation: set by WordedGroup.make_context from its arguments.
_shown = {"lang": "es"}


def help_language(args: Sequence[str], environ: dict[str, str] | None = None) -> str:
    """--lang's value when the command line gives one, else "en" for an English locale, else "es"."""
    args = list(args)
    for index, arg in enumerate(args):
        value = arg.split("=", 1)[1] if arg.startswith("--lang=") else args[index + 1] if arg == "--lang" and index + 1 < len(args) else None
        if value in ("es", "en"):
            return value
    environ = os.environ if environ is None else environ
    locale = next((environ[name] for name in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(name)), "")
    return "en" if locale.startswith("en") else "es"


def word(key: str | None) -> str | None:
    """A help key in the help's language (None stays None; a text that is no key stays as it is)."""
    return None if key is None else texts(_shown["lang"]).get(key, key)


class WordedHelp:
    """help given as a catalogue key (kept as _help_key), worded each time it is read."""

    @property
    def help(self) -> str | None:
        return word(self.__dict__.get("_help_key"))

    @help.setter
    def help(self, value: str | None) -> None:
        self.__dict__["_help_key"] = value


class WordedOption(WordedHelp, click.Option):
    """An option whose help is a catalogue key, worded with click's '[default: ...]' when shown."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        record = super().get_help_record(ctx)
        if record is None:
            return None
        return record[0], record[1].replace("[default: ", f"[{word('help_default')}: ")


class WordedArgument(click.Argument):
    """An argument named in the help's language (SERVICIO, SERVICE): its metavar is a catalogue key."""

    def make_metavar(self, *args, **kwargs) -> str:
        return word(self.metavar) if self.metavar else super().make_metavar(*args, **kwargs)


class WordedCommand(WordedHelp, click.Command):
    """A command whose help is a catalogue key and whose usage and sections are worded."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = word("help_help")
        return option

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        pieces = super().collect_usage_pieces(ctx)
        words = {"[OPTIONS]": word("help_options_metavar"), "COMMAND [ARGS]...": word("help_command_metavar")}
        return [words.get(piece, piece) for piece in pieces]

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=f"{word('help_usage')} ")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        records = [record for param in self.get_params(ctx)
                   if isinstance(param, click.Option) and (record := param.get_help_record(ctx)) is not None]
        if records:
            with formatter.section(word("help_options")):
                formatter.write_dl(records)


class WordedGroup(WordedCommand, click.Group):
    """A group of worded commands; its make_context reads the help's language from the arguments."""

    command_class = WordedCommand
    group_class = type  # subgroups are WordedGroups too

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        if parent is None:
            _shown["lang"] = help_language(args)
        return super().make_context(info_name, args, parent=parent, **extra)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        WordedCommand.format_options(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        commands = [(name, self.get_command(ctx, name)) for name in self.list_commands(ctx)]
        commands = [(name, command) for name, command in commands if command is not None and not command.hidden]
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _ in commands)
            with formatter.section(word("help_commands")):
                formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in commands])
