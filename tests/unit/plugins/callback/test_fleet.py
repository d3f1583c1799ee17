"""The stdout callback sanfleet.remediation.fleet, as ansible-core's own callback tests check theirs
(test/integration/targets/callback_default): a small playbook run by ansible-playbook with the callback, its output
read line by line. Two local hosts and one unreachable one; every kind of result a fleet run produces."""
import os
import signal
import subprocess
import sys

import pytest

PLAYBOOK = """
- name: Fleet
  hosts: fleet
  gather_facts: false
  tasks:
    - name: An ok task
      ansible.builtin.set_fact:
        plain: 1
    - name: A skipped task
      ansible.builtin.set_fact:
        never: 1
      when: false
    - name: A changed task
      ansible.builtin.command: "true"
    - name: A debug at the default verbosity
      ansible.builtin.debug:
        msg: "{{ inventory_hostname }} says hi"
    - name: A debug of a mapping
      ansible.builtin.debug:
        msg: {host: "{{ inventory_hostname }}", steps: ["flush_map m1", "delete_disk sdb"]}
    - name: A debug shown with -v only
      ansible.builtin.debug:
        msg: "detail of {{ inventory_hostname }}"
        verbosity: 1
    - name: A secret
      ansible.builtin.debug:
        msg: "s3cret-{{ inventory_hostname }}"
      no_log: true
    - name: A warning
      warn_me:
        who: "{{ inventory_hostname }}"
    - name: The result of this host
      vars:
        fleet_report_console: host
      ansible.builtin.set_fact:
        line: "{{ item }}"
      loop: ["result of {{ inventory_hostname }}"]
      loop_control:
        label: "{{ item }}"
    - name: No file of an earlier run (each run's diff is then a new file, whichever test ran first)
      ansible.builtin.file:
        path: "{{ playbook_dir }}/changed-{{ inventory_hostname }}.txt"
        state: absent
    - name: A file changed with its diff
      ansible.builtin.copy:
        content: "content of {{ inventory_hostname }} at {{ now() }}\n"
        dest: "{{ playbook_dir }}/changed-{{ inventory_hostname }}.txt"
        mode: "0644"
      diff: true
    - name: A loop of many items
      ansible.builtin.set_fact:
        many: "{{ item }}"
      loop: [1, 2, 3, 4, 5, 6]
    - name: A failure that is rescued
      block:
        - name: Fail h2
          ansible.builtin.fail:
            msg: "boom on {{ inventory_hostname }}"
          when: inventory_hostname == 'h2'
      rescue:
        - name: Rescue it
          ansible.builtin.set_fact:
            rescued: true
    - name: An ignored failure
      ansible.builtin.fail:
        msg: "ignored failure of {{ inventory_hostname }}"
      ignore_errors: true
      when: inventory_hostname == 'h1'
    - name: The fleet summary
      vars:
        fleet_report_console: summary
      ansible.builtin.debug:
        msg: "3 hosts (1 failed, 2 ok). Reports: here"
      run_once: true
    - name: A failure after the summary
      ansible.builtin.fail:
        msg: "late failure of {{ inventory_hostname }}"
      when: inventory_hostname == 'h2'
"""

INVENTORY = """
[fleet]
h1 ansible_connection=local
h2 ansible_connection=local
down ansible_host=127.0.0.1 ansible_port=1 ansible_connection=ssh ansible_ssh_common_args='-o ConnectTimeout=3 -o StrictHostKeyChecking=no'
[fleet:vars]
ansible_python_interpreter={python}
"""

# a module whose result carries a warning (the line of its ok result is not printed; its warning must be)
WARN_MODULE = """#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule
module = AnsibleModule(argument_spec={"who": {"type": "str"}})
module.warn("careful on " + module.params["who"])
module.exit_json(changed=False)
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = tmp_path_factory.mktemp("fleet-callback")
    (site / "play.yml").write_text(PLAYBOOK)
    (site / "library").mkdir()
    (site / "library" / "warn_me.py").write_text(WARN_MODULE)
    (site / "hosts.ini").write_text(INVENTORY.format(python=sys.executable))
    return site


def run(site, *args, callback="sanfleet.remediation.fleet"):
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK=callback, ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="False",
               ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_DEPRECATION_WARNINGS="0",
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run(["ansible-playbook", "-i", "hosts.ini", "play.yml"] + list(args), cwd=str(site), env=env,
                          capture_output=True, text=True, timeout=240, check=False)
    proc.out = proc.stdout + proc.stderr
    assert proc.returncode == 4, proc.out[-3000:]  # unreachable wins over failed
    return proc


@pytest.fixture(scope="module")
def quiet(site):
    return run(site)


def test_only_what_the_play_shows_on_purpose_at_the_default_verbosity(quiet):
    """The default callback printed a banner per task and a line per host and task (31 lines per host for the
    audit): ok, skipped, changed, included and loop item lines must not be printed, the debug messages and the
    host's result line are one line each."""
    lines = quiet.stdout.splitlines()
    assert not [ln for ln in lines if ln.startswith(("ok: [", "skipping: [", "changed: [", "included: "))], quiet.stdout
    assert "h1: h1 says hi" in lines and "h2: h2 says hi" in lines
    assert 'h1: {"host": "h1", "steps": ["flush_map m1", "delete_disk sdb"]}' in lines
    assert "h1: result of h1" in lines and "h2: result of h2" in lines
    assert "detail of" not in quiet.out
    assert not [ln for ln in lines if "TASK [An ok task]" in ln or "TASK [A loop of many items]" in ln]
    assert lines[0] == "PLAY [Fleet]"
    # two hosts, a dozen tasks: the lines of the failures, the host lines and two diffs, not a line per task and host
    assert len(lines) <= 80, quiet.stdout


def test_failures_unreachable_hosts_and_warnings_in_full(quiet):
    """An error must never be hidden at the default verbosity: every failure (rescued, ignored or not) and every
    unreachable host is printed as the default callback prints it, under its task's banner, and so is a warning of a
    result whose line is not shown."""
    out = quiet.stdout
    assert "TASK [Fail h2]" in out and 'fatal: [h2]: FAILED! => {"changed": false, "msg": "boom on h2"}' in out
    assert "late failure of h2" in out and "TASK [A failure after the summary]" in out
    assert "ignored failure of h1" in out and "...ignoring" in out
    assert "fatal: [down]: UNREACHABLE!" in out and "Connection refused" in out
    assert "careful on h1" in quiet.out and "careful on h2" in quiet.out  # (warnings go to stderr)
    recap = out[out.index("RECAP: "):].splitlines()
    assert recap[0] == "RECAP: 3 hosts, 2 failed or unreachable:"
    assert recap[1].startswith("down : ") and "unreachable=1" in recap[1]
    assert recap[2].startswith("h2 : ") and "failed=1" in recap[2] and "rescued=1" in recap[2]


def test_each_diff_follows_a_line_naming_its_host(quiet):
    """The default callback names a diff's host only in the result line after it, which this callback does not
    print: the --diff blocks of two hosts could not be told apart. Each comes after `<host>: --diff`."""
    lines = quiet.stdout.splitlines()
    for host in ("h1", "h2"):
        at = lines.index("%s: --diff" % host)
        block = lines[at + 1:at + 8]
        assert any(ln.startswith("+content of %s at " % host) for ln in block), (host, block)
    assert len([ln for ln in lines if ln.endswith(": --diff")]) == 2


def test_the_fleet_summary_is_the_last_line(quiet):
    """The fleet summary was printed in the middle (before the failed hosts fail, which they do after the reports):
    it is the run's last line, once, after the recap."""
    lines = quiet.stdout.rstrip("\n").splitlines()
    assert lines[-1] == "SUMMARY: 3 hosts (1 failed, 2 ok). Reports: here"
    assert [ln for ln in lines if ln.endswith("3 hosts (1 failed, 2 ok). Reports: here")] == [lines[-1]]


def test_nothing_secret_at_any_verbosity(site, quiet):
    """A no_log result stays censored: the callback prints a debug's message, never a censored one's."""
    assert "s3cret" not in quiet.out
    assert "s3cret" not in run(site, "-vvv").out


def test_verbose_is_the_default_callbacks_output_and_the_summary_last(site):
    """-v shows the details (every task's banner, every host's line, the debug at verbosity 1) as the default
    callback does, and the fleet summary once more at the end."""
    proc = run(site, "-v")
    default = run(site, "-v", callback="default")
    assert "TASK [An ok task]" in proc.stdout and "ok: [h1]" in proc.stdout and "detail of h1" in proc.stdout
    assert "PLAY RECAP" in proc.stdout
    assert proc.stdout.rstrip("\n").splitlines()[-1] == "SUMMARY: 3 hosts (1 failed, 2 ok). Reports: here"
    ours = [ln for ln in proc.stdout.splitlines() if not ln.startswith("SUMMARY: ")]
    theirs = default.stdout.splitlines()
    # the same lines but for timings and the config line (-v prints which ansible.cfg was used)
    assert len(ours) == len(theirs), (proc.stdout, default.stdout)


# a rolling run (serial 1) whose fleet summary was written after the first batch, interrupted in the second (Ctrl-C:
# ansible-playbook then ends without v2_playbook_on_stats)
INTERRUPTED_PLAYBOOK = """
- name: Rolling
  hosts: h1:h2
  gather_facts: false
  serial: 1
  tasks:
    - name: The fleet summary
      vars:
        fleet_report_console: summary
      ansible.builtin.debug:
        msg: "{{ ansible_play_hosts_all.index(inventory_hostname) + 1 }} hosts done. Reports: here"
      run_once: true
    - name: Ctrl-C in the second batch
      ansible.builtin.command: kill -INT {{ lookup('ansible.builtin.env', 'FLEET_MAIN_PID') }}
      when: inventory_hostname == 'h2'
    - name: Still running when it comes
      ansible.builtin.command: sleep 20
      when: inventory_hostname == 'h2'
"""


def test_the_fleet_summary_of_the_batches_done_is_printed_when_the_run_is_interrupted(site):
    """The callback held the fleet summary back for the end of the run: a run interrupted in its second batch (Ctrl-C,
    exit 99, no recap) printed no summary at all, where the default callback had printed the one written after the
    first batch (where the reports are, how many hosts were done)."""
    (site / "interrupted.yml").write_text(INTERRUPTED_PLAYBOOK)
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="sanfleet.remediation.fleet", ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="False", PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    # exec: the shell's pid ($$) is ansible-playbook's, which the playbook interrupts
    # Ctrl-C as a terminal sends it: the run gets SIGINT's default disposition, whatever this test process has (an
    # ignored SIGINT is inherited across exec, and Python then installs no KeyboardInterrupt handler)
    proc = subprocess.run(["sh", "-c", 'FLEET_MAIN_PID=$$ exec ansible-playbook -i hosts.ini interrupted.yml'],
                          cwd=str(site), env=env, capture_output=True, text=True, timeout=120, check=False,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.returncode == 99, proc.stdout + proc.stderr  # ansible-playbook's "User interrupted execution"
    assert "1 hosts done. Reports: here" in proc.stdout, proc.stdout
