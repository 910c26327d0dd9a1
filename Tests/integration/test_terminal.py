"""process.terminal with --console-socket: the runtime sends the pty master
over the unix socket (SCM_RIGHTS) and the container's stdio is the slave."""
import os
import re
import select
import socket
import threading
import time


class ConsoleSocket:
    """A unix socket server that accepts one connection and receives the
    pty master fd the runtime sends."""

    def __init__(self, path):
        self.path = str(path)
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(self.path)
        self.srv.listen(1)
        self.fd = None
        self.error = None
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        try:
            self.srv.settimeout(20)
            conn, _ = self.srv.accept()
            with conn:
                msg, fds, flags, addr = socket.recv_fds(conn, 4096, 4)
                self.fd = fds[0] if fds else None
                for extra in fds[1:]:
                    os.close(extra)
        except Exception as e:        # reported by master()
            self.error = e

    def master(self, timeout=20):
        self.thread.join(timeout)
        assert self.fd is not None, f"no pty master received ({self.error!r})"
        return self.fd

    def close(self):
        self.srv.close()
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = None


def read_until(fd, want: bytes, timeout=10.0) -> bytes:
    buf = b""
    end = time.monotonic() + timeout
    while want not in buf and time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:           # EIO: slave closed
                break
            if not chunk:
                break
            buf += chunk
    return buf


def test_console_socket(runtime, bundle, cid, workdir):
    b = bundle(["sh"], terminal=True)
    cs = ConsoleSocket(workdir / "console.sock")
    try:
        r = runtime.create(b, cid, console_socket=cs.path)
        assert r.rc == 0, r
        master = cs.master()
        assert os.isatty(master)
        assert runtime.start(cid).rc == 0
        # `h""i` so that the terminal's echo of the input does not contain "hi"
        os.write(master, b'tty; echo h""i; exit\n')
        out = read_until(master, b"\nhi\r\n")
        assert b"\nhi\r\n" in out, out
        assert b"/dev/pts/0" in out or b"/dev/console" in out, out
        assert runtime.wait_status(cid, "stopped") == "stopped"
    finally:
        cs.close()


def test_console_is_controlling_tty(runtime, bundle, cid, workdir):
    # stdin/stdout/stderr are the tty; the process is a session leader with
    # it as controlling terminal (so ^C reaches it), and the window size the
    # caller sets on the master is seen inside.
    b = bundle(["sh", "-c", "read x; test -t 0 && test -t 1 && test -t 2 && echo all-t''ty; "
                            "stty size; ps -o pid,tty | tail -n +2"],
               terminal=True)
    cs = ConsoleSocket(workdir / "console.sock")
    try:
        assert runtime.create(b, cid, console_socket=cs.path).rc == 0
        master = cs.master()
        import fcntl, struct, termios
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
        assert runtime.start(cid).rc == 0
        os.write(master, b"go\n")
        out = read_until(master, b"__never__", timeout=5)
        text = out.decode(errors="replace")
        assert "all-tty" in text, text
        assert "33 101" in text, text
        # pid 1 has the pty as controlling terminal (busybox ps prints
        # major,minor: 136,N is /dev/pts/N)
        assert re.search(r"^\s*1\s+(136,\d+|pts/\d+)\s*$", text, re.M), text
    finally:
        cs.close()


def test_console_ctrl_c_reaches_process(runtime, bundle, cid, workdir):
    b = bundle(["sh", "-c", "trap 'echo GOT''INT; exit 5' INT; echo rea''dy; while :; do sleep 0.05; done"], terminal=True)
    cs = ConsoleSocket(workdir / "console.sock")
    try:
        assert runtime.create(b, cid, console_socket=cs.path).rc == 0
        master = cs.master()
        assert runtime.start(cid).rc == 0
        assert b"ready" in read_until(master, b"ready")
        os.write(master, b"\x03")
        out = read_until(master, b"GOTINT")
        assert b"GOTINT" in out, out
        assert runtime.wait_status(cid, "stopped") == "stopped"
    finally:
        cs.close()


def test_terminal_without_console_socket_fails_detached(runtime, bundle, cid):
    # create with terminal true needs --console-socket (nobody could hold
    # the master otherwise): both runtimes refuse.
    r = runtime.create(bundle(["sh"], terminal=True), cid)
    assert r.rc != 0, r
    assert not (runtime.root / cid).exists()


def test_exec_tty(runtime, bundle, cid, workdir):
    assert runtime.run(bundle(["sleep", "100"]), cid, detach=True).rc == 0
    cs = ConsoleSocket(workdir / "exec.sock")
    try:
        r = runtime.exec(cid, "sh", "-c", "tty; echo ex''ec-tty",
                         opts=["--tty", "--detach", "--console-socket", cs.path])
        assert r.rc == 0, r
        master = cs.master()
        out = read_until(master, b"exec-tty")
        assert b"exec-tty" in out and b"/dev/pts/" in out, out
    finally:
        cs.close()
