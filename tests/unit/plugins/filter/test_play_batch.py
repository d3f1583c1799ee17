"""play_batch: the "batch N of M" line of remediate.yml's rolling run, cut the way ansible-core cuts a serial play."""
from types import SimpleNamespace

import pytest

from ansible.errors import AnsibleFilterError
from ansible.executor.playbook_executor import PlaybookExecutor
from ansible_collections.sanfleet.remediation.plugins.filter.play_batch import batch_sizes, play_batch

HOSTS = ["db%02d" % n for n in range(1, 11)]


def ansible_batches(serial, hosts):
    """ansible-core's own batches: PlaybookExecutor._get_serialized_batches over an inventory of `hosts`."""
    executor = PlaybookExecutor.__new__(PlaybookExecutor)
    executor._inventory = SimpleNamespace(get_hosts=lambda pattern, order=None: list(hosts))
    play = SimpleNamespace(hosts="all", order=None, serial=serial if isinstance(serial, list) else [serial])
    return executor._get_serialized_batches(play)


@pytest.mark.parametrize("serial", [1, 2, 3, 10, 20, "1", "30%", "100%", "5%", [1, 2], [1, "50%"], [1, 3, 10],
                                    ["10%", "30%"], [], 0, -1])
def test_every_batch_is_named_as_ansible_cut_it(serial):
    """A counter that divides the hosts by the first batch's size misnumbers serial lists ([1, 5, '50%']) and a
    short last batch: each batch Ansible cut names its own number and the count of batches Ansible made."""
    batches = ansible_batches(serial, HOSTS)
    assert batch_sizes(serial, len(HOSTS)) == [len(b) for b in batches]
    for n, batch in enumerate(batches, 1):
        names = [h if isinstance(h, str) else h.name for h in batch]
        line = play_batch(names, HOSTS, serial)
        assert line.startswith("batch %d of %d: %d host" % (n, len(batches), len(names))), line
        assert line.endswith("%d of %d hosts done before it" % (HOSTS.index(names[0]), len(HOSTS)))


def test_a_limited_run_counts_the_limited_hosts():
    """--limit narrows ansible_play_hosts_all and the batches alike: 3 hosts at 2 a batch are 2 batches."""
    limited = ["db02", "db05", "db09"]
    assert play_batch(["db09"], limited, 2) == "batch 2 of 2: 1 host (db09), 2 of 3 hosts done before it"
    assert play_batch(["db02", "db05"], limited, 2) == "batch 1 of 2: 2 hosts (db02 .. db05), 0 of 3 hosts done before it"


@pytest.mark.parametrize("batch, hosts, serial", [
    ([], HOSTS, 1), (["other"], HOSTS, 1), (["db02"], HOSTS, 3), (["db01"], HOSTS, "many"), ("db01", HOSTS, 1),
    (["db01"], "db01", 1)])
def test_what_no_batch_of_the_play_is_an_error(batch, hosts, serial):
    """A batch that is not one the serial cuts (or a wrong input) is an error, never a made-up number."""
    with pytest.raises(AnsibleFilterError):
        play_batch(batch, hosts, serial)


@pytest.mark.parametrize("serial", [2.0, [1, 2.0]])
def test_a_serial_ansible_accepts_is_named_not_an_error(serial):
    """A float serial (sanfleet_serial: 2.0 in group_vars, a float AWX survey field): ansible-core cuts the batches
    (pct_to_int: int(2.0)) but the filter raised, and remediate.yml's batch line is run_once, so its failure failed
    every host of the batch before the reports were written. Every serial Ansible cuts must be named."""
    batches = ansible_batches(serial, HOSTS)
    for n, batch in enumerate(batches, 1):
        names = [h if isinstance(h, str) else h.name for h in batch]
        assert play_batch(names, HOSTS, serial).startswith("batch %d of %d:" % (n, len(batches)))


@pytest.mark.parametrize("batch, hosts, serial", [(["db01"], HOSTS, "many"), (["db01"], HOSTS, {"a": 1}), (["other"], HOSTS, 1)])
def test_a_batch_line_with_a_default_never_fails_the_task(batch, hosts, serial):
    """remediate.yml's batch line is run once: the filter's error failed every host of the batch before any report
    was written. With a default, a batch it cannot name is that text and the reason, never an error."""
    line = play_batch(batch, hosts, serial, default="batch not named")
    assert line.startswith("batch not named (play_batch: "), line


@pytest.mark.parametrize("batch, serial", [(["db01"], 2), (["db01", "db02"], 1), (["db01", "db02", "db03"], [1, 5])])
def test_a_batch_the_serial_does_not_cut_is_not_named(batch, serial):
    """sanfleet_serial: 2 in the inventory: the play keyword serial never sees it (templated before any host's
    variables) and cuts batches of 1, while the batch line did see it and said 'batch 1 of 5: 1 host'. A batch whose
    size is not the one the serial cuts at its place is not named, and the reason says to pass serial with -e."""
    with pytest.raises(AnsibleFilterError, match="pass it as an extra var"):
        play_batch(batch, HOSTS, serial)
    assert play_batch(batch, HOSTS, serial, default="batch not named").startswith("batch not named (")


def test_a_batch_that_lost_a_host_to_an_earlier_play_is_still_named():
    """A wrapper playbook failed db01 in an earlier play: it stays in ansible_play_hosts_all but is in no batch. With
    ansible_play_hosts (active) the batch that lost it is still the serial's; without, it is not named."""
    active = [h for h in HOSTS if h != "db01"]
    assert play_batch(["db02"], HOSTS, 2, active=active) == "batch 1 of 5: 1 host (db02), 0 of 10 hosts done before it"
    assert play_batch(["db03", "db04"], HOSTS, 2, active=active).startswith("batch 2 of 5: 2 hosts")
    with pytest.raises(AnsibleFilterError):
        play_batch(["db02"], HOSTS, 2)
    with pytest.raises(AnsibleFilterError, match="extra var"):    # db02 is active: the batch is not the serial's
        play_batch(["db01"], HOSTS, 2, active=HOSTS)
