"""The agent under valgrind's callgrind, for bench/order.py and bench/cycle.py: started on a copy of BINARY without
its debug info (valgrind 3.19 cannot read Swift's DWARF 5; the symbol table is all it needs), listening on
compare.AGENT_ADDR, and waited for until it answers."""
import os, subprocess, sys
from compare import AGENT_ADDR, answers, wait_for


def start(binary, work, interval):
    """(the valgrind process, the path of its callgrind output, the copy it runs, which callgrind names its
    functions after) once the agent answers; exits if it never does."""
    plain = os.path.join(work, "kvm-agent")
    subprocess.run(["objcopy", "--strip-debug", binary, plain], check=True)
    out = os.path.join(work, "callgrind.out")
    agent = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--demangle=no", "--dump-instr=no", f"--callgrind-out-file={out}",
         plain, f"--web.listen-address={AGENT_ADDR}", f"--collector.interval={interval}", "--collector.timeout=60s"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_for(lambda: answers(AGENT_ADDR), 180):
        agent.kill()
        sys.exit("the agent under callgrind did not answer")
    return agent, out, plain
