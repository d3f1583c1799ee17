# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's own templates rendered on the controller with plain Jinja2 over plain data (issue 41): the
fleet pages through ansible's template lookup cost seconds of controller CPU (its templar walks every value of the
report through lazy containers, and each templated argument builds the report again); plain Jinja2 renders them in
a fraction of that.

The values are data, never templates: a host report holding `{{ lookup('pipe', 'id') }}` or an unclosed
`{% raw %}` is printed as that text. The template source is the collection's own file. The environment is set as
ansible-core's template lookup sets its own (2.16 to 2.21), so the pages are byte for byte what the lookup gave:
- trim_blocks on, lstrip_blocks off, '\\n' newlines, no autoescape (the templates escape with `| e` themselves);
- the source's last newline dropped (keep_trailing_newline off), then as many newlines put back at the end as the
  source ends with and the output lacks (the lookup's preserve_trailing_newlines);
- None printed as nothing (ansible's finalize);
- an undefined variable or attribute printed, tested for truth or iterated is an error, as in ansible's templar;
  `default(...)` and `is defined` work.
Only Jinja2's own filters and tests: a template that used one of ansible's (flatten, to_json, regex_*, bool...)
fails to compile, naming it."""

from __future__ import annotations

import os
import traceback

import jinja2


class PageTemplateError(Exception):
    """A template that could not be read, compiled or rendered; the message names the template (and the line)."""


def _none_as_nothing(value):
    return "" if value is None else value


def environment(directory):
    """The Jinja2 environment of the templates in `directory` (their includes and imports are looked up there)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(directory), trim_blocks=True, lstrip_blocks=False,
                              keep_trailing_newline=False, newline_sequence="\n", autoescape=False,
                              undefined=jinja2.StrictUndefined, finalize=_none_as_nothing)


def _trailing_newlines(text):
    return len(text) - len(text.rstrip("\n"))


class PageTemplate(object):
    """One template file, compiled: render(variables) gives its text."""

    def __init__(self, path, env=None):
        self.path = path
        self.name = os.path.basename(path)
        env = env or environment(os.path.dirname(path))
        try:
            source, _filename, _uptodate = env.loader.get_source(env, self.name)
            self._template = env.get_template(self.name)
        except jinja2.TemplateSyntaxError as exc:
            raise PageTemplateError("template %s does not compile: line %s: %s" % (self.name, exc.lineno, exc.message))
        except (jinja2.TemplateError, OSError, UnicodeError) as exc:
            raise PageTemplateError("template %s cannot be read: %s" % (self.name, _text(exc)))
        self._newlines = _trailing_newlines(source)

    def render(self, variables):
        """The text of the template over `variables` (a dict of plain data, never templated itself)."""
        try:
            text = self._template.render(variables)
        except Exception as exc:  # anything the data makes a filter or test raise: the template is named with it
            raise PageTemplateError("template %s did not render%s: %s" % (self.name, self._line(exc), _text(exc)))
        missing = self._newlines - _trailing_newlines(text)
        return text + "\n" * missing if missing > 0 else text

    def _line(self, exc):
        """', line N' of the template where `exc` was raised, '' when no frame of it is known."""
        lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == self._template.filename]
        return ", line %d" % lines[-1] if lines else ""


def _text(exc):
    return "%s: %s" % (type(exc).__name__, exc) if str(exc) else type(exc).__name__
