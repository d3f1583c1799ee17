"""An array truth read earlier in a play is never judged by a later run of the truth role or of stale_cleanup.

A fact lives for the rest of the play. The role ontap_truth used to skip its one task when no cluster was given,
leaving `ontap_truth_result` as an earlier import had set it (other clusters, minutes older), and stale_cleanup
took that for its own truth (`stale_cleanup_truth_known`). A real ansible-playbook on localhost runs the
stale_cleanup role's read step (tasks/facts.yml: the facts module, read only, then the truth role) after a truth was
set, once with no cluster and once with a truth the caller gives."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PLAY = """
- name: A truth read earlier in the play, then the stale_cleanup role's read step
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: The truth an earlier ask left (the audit's, say)
      ansible.builtin.set_fact:
        ontap_truth_result: {luns: [], targets: [], problems: [], initiators: [], clusters: [earlier], collected_at: 0}
    - name: No cluster asked
      ansible.builtin.import_role:
        name: sanfleet.remediation.stale_cleanup
        tasks_from: facts
      vars:
        stale_cleanup_ontap: []
    - name: Say what the role will judge by
      ansible.builtin.debug:
        msg: "RESULT {{ {'truth': ontap_truth_result, 'known': stale_cleanup_truth_known} | to_json }}"
    - name: The caller's own truth
      ansible.builtin.import_role:
        name: sanfleet.remediation.stale_cleanup
        tasks_from: facts
      vars:
        stale_cleanup_ontap: []
        stale_cleanup_array_truth: {luns: [], targets: [], problems: [], initiators: [], clusters: [given]}
    - name: Say what the role will judge by, again
      ansible.builtin.debug:
        msg: "RESULT {{ {'truth': stale_cleanup_truth, 'known': stale_cleanup_truth_known} | to_json }}"
"""


def test_a_later_run_without_a_cluster_judges_by_no_truth(tmp_path):
    (tmp_path / "play.yml").write_text(PLAY)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONTAP_")}
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    run = subprocess.run(["ansible-playbook", "-i", "localhost,", "-e", "ansible_python_interpreter=" + sys.executable,
                          str(tmp_path / "play.yml")], cwd=str(tmp_path), env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    results = [json.loads(line.split("RESULT ", 1)[1].rstrip('"').replace('\\"', '"'))
               for line in run.stdout.splitlines() if '"msg": "RESULT ' in line]
    assert results == [{"truth": None, "known": False},
                       {"truth": {"luns": [], "targets": [], "problems": [], "initiators": [], "clusters": ["given"]},
                        "known": True}]
