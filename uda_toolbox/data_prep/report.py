"""The preparation tools' problem report and command line."""
import argparse
from typing import Dict, List, Tuple


class Report:
    """Problems found by a verify or convert run: one line each, naming the file and the fix."""

    def __init__(self) -> None:
        self.lines: List[Tuple[str, str]] = []

    def add(self, level: str, message: str) -> None:
        """Record ``message`` at ``level`` ('ERROR', 'WARN' or 'INFO')."""
        self.lines.append((level, message))

    def error(self, message: str) -> None:
        self.add('ERROR', message)

    def warn(self, message: str) -> None:
        self.add('WARN', message)

    def info(self, message: str) -> None:
        self.add('INFO', message)

    def count(self, level: str) -> int:
        return sum(1 for lvl, _ in self.lines if lvl == level)

    @property
    def ok(self) -> bool:
        return self.count('ERROR') == 0

    def format(self, max_per_level: int = 200) -> str:
        """Report lines, at most ``max_per_level`` of each level, then a summary line."""
        out, shown = [], {}
        for level, message in self.lines:
            shown[level] = shown.get(level, 0) + 1
            if shown[level] <= max_per_level:
                out.append(f'{level}: {message}')
        for level, n in shown.items():
            if n > max_per_level:
                out.append(f'... {n - max_per_level} more {level} lines')
        out.append(f'{self.count("ERROR")} error(s), {self.count("WARN")} warning(s).')
        return '\n'.join(out)


def tool_parser(description: str, commands: Dict[str, str],
                root_help: str) -> Tuple[argparse.ArgumentParser, Dict[str, argparse.ArgumentParser]]:
    """The preparation tools' command line: one sub-command per entry of ``commands`` (name ->
    help), each with ``root`` and ``--splits``; ``verify`` and ``convert`` also get
    ``--workers``, ``convert`` ``--overwrite``. Returns the parser and the sub-parsers by name."""
    parser = argparse.ArgumentParser(description=description)
    sub = parser.add_subparsers(dest='command', required=True)
    subs = {}
    for name, text in commands.items():
        p = sub.add_parser(name, help=text)
        p.add_argument('root', help=root_help)
        p.add_argument('--splits', nargs='+', help='default: every split present')
        if name in ('verify', 'convert'):
            p.add_argument('--workers', type=int, default=1, help='processes (default: 1)')
        if name == 'convert':
            p.add_argument('--overwrite', action='store_true',
                           help='convert every label again (also with changed settings)')
        subs[name] = p
    return parser, subs


def print_report(report: Report) -> int:
    """Print a report; the exit status: 1 if it has an error, else 0."""
    print(report.format())
    return 0 if report.ok else 1
