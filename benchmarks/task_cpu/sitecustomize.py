"""Per-task controller CPU for benchmarks/bench_controller.py --per-task (not part of the collection).

Loaded by every Python process whose PYTHONPATH holds this directory; it does something only in ansible-playbook
(the main process and the workers it forks) and only when SANFLEET_TASK_CPU_LOG names a file. Ansible forks one
worker per task and host; when a worker ends it appends one JSON line: the task's name, its action, the host and
the worker's own CPU seconds (RUSAGE_SELF: counted from the fork; the module's processes, which stand for the
managed host, are its children and not counted). The main process appends its own at exit. No profiler runs: the
numbers are the processes' own CPU time."""

import json
import os
import sys

LOG = os.environ.get("SANFLEET_TASK_CPU_LOG")


def _append(record):
    fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(record) + "\n").encode())
    finally:
        os.close(fd)


def _cpu():
    import resource
    own = resource.getrusage(resource.RUSAGE_SELF)
    return round(own.ru_utime + own.ru_stime, 4)


def _worker_record():
    import multiprocessing
    worker = multiprocessing.current_process()
    task, host = getattr(worker, "_task", None), getattr(worker, "_host", None)
    if task is None:
        return None
    return {"process": "worker", "task": task.get_name(), "action": task.action,
            "host": getattr(host, "name", None), "cpu_s": _cpu()}


def _install():
    main_pid = os.getpid()
    real_exit = os._exit

    def exit_logging(code):
        try:
            if os.getpid() != main_pid:
                record = _worker_record()
                if record:
                    _append(record)
        finally:
            real_exit(code)

    def main_at_exit():
        if os.getpid() == main_pid:
            _append({"process": "main", "cpu_s": _cpu()})

    import atexit
    os._exit = exit_logging
    atexit.register(main_at_exit)


if LOG and sys.argv and os.path.basename(sys.argv[0]) == "ansible-playbook":
    _install()
