"""jit keeps freed memory in the process (functrans.lowering.freed_memory).

Observed as page faults: a step that frees several blocks of megabytes at once and then
allocates them again faults every page back in when malloc returned them to the system,
and none when it kept them. Each case runs in a fresh process, since malloc's settings are
the process's.
"""
import os
import platform
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="the thresholds are glibc's malloc settings")

_STEPS = textwrap.dedent("""
    import resource
    import numpy as np
    import functrans

    functrans.jit(lambda x: x + 1)(np.ones(3))  # the first jit call of the process

    def step():
        blocks = [np.empty(1 << 18) for _ in range(6)]  # six 2 MiB blocks, touched
        for block in blocks:
            block.fill(1.0)

    step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(10):
        step()
    print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 10)
""")


def _faults_per_step(retain):
    environment = dict(os.environ, FUNCTRANS_RETAIN_FREED_MEMORY="1" if retain else "0")
    result = subprocess.run([sys.executable, "-c", _STEPS], env=environment,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.split()[-1])


def test_a_jitting_process_keeps_freed_blocks_for_the_next_step():
    pages_per_step = 6 * (2 << 20) // 4096
    kept, returned = _faults_per_step(True), _faults_per_step(False)
    assert returned > pages_per_step // 2  # without: the blocks come back as new pages
    assert kept < pages_per_step // 20    # with: the step reuses the process's memory
