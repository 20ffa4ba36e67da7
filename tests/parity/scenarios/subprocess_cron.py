"""The tutorial's subprocess example: a child runs while a "cron" greenlet keeps ticking.

Then the rest of the API: a killed child, TimeoutExpired, CalledProcessError, run().
"""

import gevent
from gevent.subprocess import (
    PIPE,
    CalledProcessError,
    Popen,
    TimeoutExpired,
    check_output,
    run,
)

ticks = []


def cron():
    while True:
        ticks.append("cron")
        gevent.sleep(0.05)


g = gevent.spawn(cron)
sub = Popen(["sleep 0.5; echo hello from the child"], stdout=PIPE, shell=True)
out, err = sub.communicate()
g.kill()
print(out.rstrip().decode(), err, sub.returncode)
print("cron kept ticking while we waited:", len(ticks) >= 3)

p = Popen(["sleep", "10"])
p.kill()
print("killed child's returncode:", p.wait())

p = Popen(["sleep", "10"])
try:
    p.wait(timeout=0.1)
except TimeoutExpired as exc:
    print("TimeoutExpired after", exc.timeout, "s; still running:", p.poll() is None)
p.kill()
p.wait()

try:
    check_output(["sh", "-c", "echo oops; exit 3"])
except CalledProcessError as exc:
    print("CalledProcessError", exc.returncode, exc.output)

done = run(["cat"], input=b"through the pipe", capture_output=True)
print(done.args, done.returncode, done.stdout, done.stderr)
print(run(["sh", "-c", "echo text"], stdout=PIPE, text=True).stdout.strip())
