# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: play_batch
short_description: Which batch of a serial play this is ("batch 2 of 5"), from the play's hosts and its serial
version_added: 0.2.0
author: sanfleet.remediation contributors
description:
  - >-
    Ansible runs a play with C(serial) in batches and tells a task the hosts of the current batch
    (C(ansible_play_batch)) and of the whole play (C(ansible_play_hosts_all), after C(--limit)), not the batch's
    number. This filter cuts C(ansible_play_hosts_all) into batches the way Ansible does
    (C(PlaybookExecutor._get_serialized_batches) - a number, a percentage of the play's hosts, or a list of them
    whose last entry repeats) and finds the batch whose first host is the first of C(ansible_play_batch).
  - >-
    A batch whose size is not the one O(serial) cuts at that place is not named (an error, or O(default)): the play
    keyword C(serial) is templated before any host's variables are known, so a value set in the inventory reaches
    the tasks but not the play.
  - >-
    C(--limit) narrows both lists alike, so the count is of the limited hosts. The play must keep the inventory's
    order (no C(order) keyword, as in remediate.yml) - C(ansible_play_hosts_all) is in that order.
options:
  _input:
    description: C(ansible_play_batch), the hosts of the current batch.
    type: list
    elements: str
    required: true
  hosts:
    description: C(ansible_play_hosts_all), every host of the play in the play's order.
    type: list
    elements: str
    required: true
  serial:
    description: The play's C(serial) as the play has it (a number, a percentage such as C(25%), or a list of them).
    type: raw
    required: true
  active:
    description:
      - >-
        C(ansible_play_hosts), the play's hosts not failed or unreachable. A host an earlier play of the same run
        failed stays in C(ansible_play_hosts_all) but is in no batch: with this list such a host is known as lost,
        and the batch it left is still named. Without it, a batch that lost a host is not the serial's.
    type: list
    elements: str
  default:
    description:
      - >-
        The text to return, followed by the reason in parentheses, when the batch cannot be named (a serial
        Ansible would not cut, hosts that are not the play's, a batch of another size) instead of failing the
        task. remediate.yml's batch line is said by the batch's first host: its failure would fail that host
        before any report is written.
      - Without it such a batch is an error.
    type: str
"""

EXAMPLES = r"""
- name: Say which batch runs now
  ansible.builtin.debug:
    msg: "{{ ansible_play_batch | sanfleet.remediation.play_batch(ansible_play_hosts_all, 2) }}"
  when: inventory_hostname == ansible_play_batch[0]
"""

RETURN = r"""
_value:
  description: C(batch N of M), the batch's host count and its first and last host, and the hosts done before it.
  type: str
  sample: "batch 2 of 5: 2 hosts (db03 .. db04), 2 of 10 hosts done before it"
"""

from ansible.errors import AnsibleFilterError
from ansible.utils.helpers import pct_to_int


def _size(value, total):
    """One entry of serial as a host count: ansible-core's own pct_to_int (int(value) of a number, so 2.0 is 2)."""
    try:
        return pct_to_int(value, total)
    except (TypeError, ValueError):
        raise AnsibleFilterError("play_batch: serial must be a number or a percentage, got %r" % (value,)) from None


def batch_sizes(serial, total):
    """The sizes of the batches Ansible cuts `total` hosts into for `serial`."""
    entries = list(serial) if isinstance(serial, (list, tuple)) else [serial]
    entries = entries or [0]
    sizes, left, index = [], total, 0
    while left > 0:
        size = _size(entries[index], total)
        if size <= 0:
            sizes.append(left)
            break
        sizes.append(min(size, left))
        left -= sizes[-1]
        index = min(index + 1, len(entries) - 1)
    return sizes


def play_batch(batch, hosts, serial, default=None, active=None):
    """The batch line; with `default`, a batch that cannot be named is that text and the reason, not an error."""
    try:
        return _batch_line(batch, hosts, serial, active)
    except AnsibleFilterError as error:
        if default is None:
            raise
        return "%s (%s)" % (default, error)


def _batch_line(batch, hosts, serial, active):
    if not isinstance(batch, (list, tuple)) or not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("play_batch: expected ansible_play_batch and ansible_play_hosts_all (lists)")
    if not batch or batch[0] not in hosts:
        raise AnsibleFilterError("play_batch: the batch's first host is not among the play's hosts")
    hosts = list(hosts)
    sizes = batch_sizes(serial, len(hosts))
    starts = [sum(sizes[:n]) for n in range(len(sizes))]
    at = hosts.index(batch[0])
    number = max(n for n, start in enumerate(starts, 1) if start <= at)
    cut = hosts[starts[number - 1]:starts[number - 1] + sizes[number - 1]]
    # hosts an earlier play of the run failed or found unreachable are in ansible_play_hosts_all but in no batch
    # (nor in ansible_play_hosts, `active`): the batch Ansible cut lost them, it is still the serial's batch
    lost = [h for h in cut if h not in batch and active is not None and h not in active]
    if list(batch) != [h for h in cut if h not in lost]:
        # the play keyword serial is templated before any host's variables are known: a value set in the inventory
        # or group_vars reaches the tasks (and this filter) but not the play, which cuts batches of its default
        raise AnsibleFilterError("play_batch: the play cut a batch of %d host(s) from %s where serial %r cuts %d from "
                                 "%s: the play's serial is not that value (one set in the inventory or group_vars is "
                                 "not seen by the play: pass it as an extra var, -e)"
                                 % (len(batch), batch[0], serial, sizes[number - 1], cut[0]))
    span = batch[0] if len(batch) == 1 else "%s .. %s" % (batch[0], batch[-1])
    return "batch %d of %d: %d host%s (%s), %d of %d hosts done before it" % (
        number, len(sizes), len(batch), "" if len(batch) == 1 else "s", span, starts[number - 1], len(hosts))


class FilterModule(object):
    def filters(self):
        return {"play_batch": play_batch}
