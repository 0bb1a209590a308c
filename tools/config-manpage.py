#!/usr/bin/env python3
"""Writes moted.toml(5), the config file's manual page, from the commented etc/mote/moted.toml.

usage: config-manpage.py CONFIG VERSION > moted.toml.5

The shipped file is the one description of every key (its comments, its defaults, [live]);
this turns it into man(7) markup so that `man moted.toml` says the same thing:
- the comment block before the first section is for readers of the file (the DESCRIPTION says it);
- each `[section]` is a subsection; each comment block with the keys after it is one entry
  (keys written as `# key = value` are optional keys with no default, shown as examples);
- comment lines indented beyond "# " (lists, tables) are kept as they are.
"""
import re
import sys

KEY = re.compile(r'^([a-z_][a-z0-9_]*)\s*=\s*(.*)$')
SECTION = re.compile(r'^\[([a-z_.]+)\]\s*$')


def roff(text):
    """Escapes text for a roff line: backslashes, and a leading dot or quote."""
    text = text.replace('\\', '\\e').replace('-', '\\-')
    if text.startswith(('.', "'")):
        text = '\\&' + text
    return text


def comment_lines(block):
    """Renders comment lines: prose joined, indented lines kept as they are."""
    out = []
    verbatim = False
    for line in block:
        indented = line.startswith('  ')
        if indented and not verbatim:
            out.append('.nf')
            verbatim = True
        elif not indented and verbatim:
            out.append('.fi')
            verbatim = False
        out.append(roff(line.strip() if not indented else line.rstrip()))
    if verbatim:
        out.append('.fi')
    return out


def parse(lines):
    """Splits the file into (section, [(keys, comment)]) in file order; the comment before the
    first section (for readers of the file) is dropped."""
    sections = []
    comment, keys = [], []
    current = None

    def flush():
        nonlocal comment, keys
        if keys:
            current[1].append((keys, comment))
        elif comment and current is not None:
            current[1].append(([], comment))
        comment, keys = [], []

    for raw in lines:
        line = raw.rstrip('\n')
        section = SECTION.match(line)
        if section:
            if current is None:
                comment = []
            flush()
            current = (section.group(1), [])
            sections.append(current)
            continue
        if line.startswith('#'):
            text = line[2:] if line.startswith('# ') else line[1:]
            example = KEY.match(text)
            if example and current is not None:
                keys.append((example.group(1), example.group(2), True))
            else:
                if keys:
                    flush()
                comment.append(text)
            continue
        key = KEY.match(line)
        if key:
            keys.append((key.group(1), key.group(2), False))
        elif not line.strip():
            continue
        else:
            sys.exit(f'config-manpage: cannot read line: {line}')
    flush()
    return sections


def page(path, version):
    with open(path) as f:
        sections = parse(f)
    out = [
        f'.TH MOTED.TOML 5 "" "mote {version}" "File Formats Manual"',
        '.SH NAME',
        'moted.toml \\- configuration of the mote daemon',
        '.SH SYNOPSIS',
        '.B /etc/mote/moted.toml',
        '.SH DESCRIPTION',
        'The configuration of',
        '.BR moted (8),',
        'in TOML. Every key is optional; the value shown after a key is its default.',
        'A key shown as an example has no default: it is off until set.',
        'Keys marked [live] take effect on',
        '.B systemctl reload moted',
        '(SIGHUP); the others need a restart.',
        'An unknown key or a bad value is an error naming the key and line',
        '(exit status 78, also from',
        '.BR "moted \\-\\-check\\-config" ).',
    ]
    # The file's own opening comment says the same as the paragraph above, for a reader of the file.
    out.append('.SH KEYS')
    for name, entries in sections:
        out += ['.SS', f'.SS [{roff(name)}]']
        for keys, comment in entries:
            if not keys:
                out += ['.PP'] + comment_lines(comment)
                continue
            first = True
            for key, value, example in keys:
                out.append('.TP' if first else '.TQ')
                shown = f'\\fB{roff(key)}\\fR = {roff(value)}'
                out.append(shown + (' (example)' if example else ''))
                first = False
            out += comment_lines(comment) if comment else ['(as above)']
    out += [
        '.SH FILES',
        '.TP',
        '.I /etc/mote/moted.toml',
        'this file (a conffile of the Debian package: local changes are kept on upgrade)',
        '.SH SEE ALSO',
        '.BR moted (8),',
        '.BR motectl (1),',
        '.I /usr/share/doc/mote/operations.md',
    ]
    # An empty .SS would be a stray line; drop the placeholders used for spacing.
    return '\n'.join(line for line in out if line != '.SS') + '\n'


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2])
    sys.stdout.write(page(sys.argv[1], sys.argv[2]))
