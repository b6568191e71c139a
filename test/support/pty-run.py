"""Runs a command in a pseudo-terminal, typing each answer after the previous prompt settles.

Usage: pty-run.py <answers as JSON list> <command> [args...]
Prints the terminal output, then a last line "EXIT <code>". Used by end-to-end tests of interactive prompts.
"""
import fcntl, json, os, pty, select, struct, sys, termios, time

answers = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])

# A real terminal size: with none, prompt libraries wrap every character onto its own line.
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
output = b""
def drain(seconds):
    global output
    end = time.time() + seconds
    while time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return False
            if not chunk:
                return False
            output += chunk
    return True

drain(1.5)
for answer in answers:
    os.write(fd, answer.encode())
    if not drain(0.6):
        break
deadline = time.time() + 20
while time.time() < deadline and drain(0.2):
    finished, status = os.waitpid(pid, os.WNOHANG)
    if finished:
        break
else:
    finished, status = os.waitpid(pid, 0)
_, status = (finished, status) if finished else os.waitpid(pid, 0)
sys.stdout.write(output.decode("utf-8", "replace"))
sys.stdout.write("\nEXIT %d\n" % (os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1))
