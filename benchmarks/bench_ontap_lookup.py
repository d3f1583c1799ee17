#!/usr/bin/env python3
"""Benchmark: how many ONTAP REST requests, and how long, an audit of a 10,000-LUN cluster costs for 100 hosts.

    source <(scripts/setup.sh 2>/dev/null); python benchmarks/bench_ontap_lookup.py [--luns 10000 --hosts 100]

Scenarios (all against the ONTAP simulator over HTTPS with CA verification):
  lookup, no cache        ontap_luns per host in one process with cache_ttl=0 (run for --nocache-hosts hosts;
                          the per-host cost is constant, so the line also shows it scaled to --hosts)
  lookup, cached          ontap_luns per host in one process, default cache
  play, default cache     ansible-playbook, one lookup per host in forked workers (--forks), run-scoped file cache
  play, memory cache only the same with SANFLEET_TRUTH_NO_DISK_CACHE=1 (--nocache-hosts hosts): what a
                          per-process cache alone would give
  play, run_once          one run_once lookup without initiators (every mapping), per-host selection in Jinja
Not a test: prints a table.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

TREE = os.environ.get("SANFLEET_COLLECTIONS")
if not TREE:
    sys.exit("run `source <(scripts/setup.sh)` first (SANFLEET_COLLECTIONS is not set)")
sys.path.insert(0, TREE)

from ansible_collections.sanfleet.remediation.plugins.plugin_utils import ontap  # noqa: E402
from ansible_collections.sanfleet.remediation.tests.ontap_sim import (  # noqa: E402
    OntapSimulator, generated, lookup_plugin)

PER_HOST = textwrap.dedent("""\
    - hosts: fleet
      gather_facts: false
      tasks:
        - ansible.builtin.set_fact:
            array_luns: "{{ query('sanfleet.remediation.ontap_luns', initiators=san_initiators) }}"
        - ansible.builtin.debug:
            msg: "{{ ansible_play_hosts | map('extract', hostvars, 'array_luns') | map('length') | sum }}"
          run_once: true
    """)
RUN_ONCE = textwrap.dedent("""\
    - hosts: fleet
      gather_facts: false
      tasks:
        - ansible.builtin.set_fact:
            fleet_luns: "{{ query('sanfleet.remediation.ontap_luns') }}"
          run_once: true
          delegate_to: localhost
          delegate_facts: false
        # iSCSI hosts have one IQN; for several initiators (FC) loop over them or use the lookup per host
        - ansible.builtin.set_fact:
            array_luns: "{{ fleet_luns | selectattr('igroup_initiators', 'contains', san_initiators[0]) | list }}"
        - ansible.builtin.debug:
            msg: "{{ ansible_play_hosts | map('extract', hostvars, 'array_luns') | map('length') | sum }}"
          run_once: true
    """)


def play(sim, workdir, hosts, playbook, forks, env_extra=None):
    inv = {"all": {"children": {"fleet": {"hosts": {
        h: {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "san_initiators": i}
        for h, i in hosts.items()}}}}}
    with open(os.path.join(workdir, "inv.json"), "w") as handle:
        json.dump(inv, handle)
    with open(os.path.join(workdir, "play.yml"), "w") as handle:
        handle.write(playbook)
    env = dict(os.environ, ONTAP_HOSTNAME="127.0.0.1", ONTAP_USERNAME="admin", ONTAP_PASSWORD="netapp1!",
               ONTAP_CA_PATH=sim.ca_path, ANSIBLE_DEPRECATION_WARNINGS="0", ANSIBLE_NOCOLOR="1")
    env.update(env_extra or {})
    sim.reset_log()
    started = time.monotonic()
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
                           "-i", os.path.join(workdir, "inv.json"), os.path.join(workdir, "play.yml"),
                           "-f", str(forks), "-e", json.dumps({"ontap_http_port": sim.port})],
                          env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if proc.returncode:
        sys.exit(proc.stdout[-4000:] + proc.stderr[-4000:])
    total = [line for line in proc.stdout.splitlines() if '"msg":' in line]
    return sim.request_count, elapsed, total[-1].split(":", 1)[1].strip().strip('"') if total else "?"


AUDIT_ROW = "play, default cache"


def measure(luns=10000, n_hosts=100, nocache_hosts=10, forks=10):
    """Run every scenario; returns (cluster summary, [(scenario, requests, seconds, records or None)])."""
    ds, hosts = generated(n_luns=luns, n_hosts=n_hosts)
    few = dict(sorted(hosts.items())[:nocache_hosts])
    iscsi_hosts = {h: i for h, i in hosts.items() if i[0].startswith("iqn.")}
    rows = []
    with tempfile.TemporaryDirectory() as workdir, OntapSimulator(ds, workdir) as sim:
        plugin = lookup_plugin("sanfleet.remediation.ontap_luns")

        def in_process(which, ttl):
            ontap.clear_memory_cache()
            sim.reset_log()
            started = time.monotonic()
            n = sum(len(plugin.run(list(i), variables={}, **sim.options(cache_ttl=ttl))) for i in which.values())
            return sim.request_count, time.monotonic() - started, n

        req, sec, n = in_process(few, 0)
        rows.append(("lookup, no cache (%d hosts)" % len(few), req, sec, n))
        rows.append(("  scaled to %d hosts" % len(hosts), req * len(hosts) // len(few), sec * len(hosts) / len(few),
                     None))
        rows.append(("lookup, cached (%d hosts)" % len(hosts),) + in_process(hosts, 300))
        rows.append(("%s (%d hosts, forks %d)" % (AUDIT_ROW, len(hosts), forks),)
                    + play(sim, workdir, hosts, PER_HOST, forks))
        rows.append(("play, memory cache only (%d hosts)" % len(few),)
                    + play(sim, workdir, few, PER_HOST, forks, {"SANFLEET_TRUTH_NO_DISK_CACHE": "1"}))
        rows.append(("play, run_once + selectattr (%d iSCSI hosts)" % len(iscsi_hosts),)
                    + play(sim, workdir, iscsi_hosts, RUN_ONCE, forks, {"SANFLEET_ONTAP_CACHE_TTL": "0"}))
    summary = {"luns": len(ds.luns), "mappings": len(ds.maps), "igroups": len(ds.igroups), "hosts": len(hosts)}
    return summary, rows


def targets(summary, rows):
    """Issue 10's array target: <= 12 REST requests per cluster for the audit's shape (a lookup per host, default
    cache, one ansible-playbook run) -- the simulator is one cluster."""
    req = next(r[1] for r in rows if r[0].startswith(AUDIT_ROW))
    return [("array: requests per cluster, %d-host audit of a %d-LUN array" % (summary["hosts"], summary["luns"]),
             "%d" % req, "<= 12", req <= 12)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--luns", type=int, default=10000)
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--nocache-hosts", type=int, default=10)
    ap.add_argument("--forks", type=int, default=10)
    args = ap.parse_args()
    summary, rows = measure(args.luns, args.hosts, args.nocache_hosts, args.forks)
    print("cluster: %(luns)d LUNs, %(mappings)d mappings, %(igroups)d igroups; hosts: %(hosts)d" % summary)
    print("%-48s %9s %9s %9s" % ("scenario", "requests", "seconds", "records"))
    for name, req, sec, n in rows:
        print("%-48s %9d %9.1f %9s" % (name, req, sec, "" if n is None else n))


if __name__ == "__main__":
    main()
