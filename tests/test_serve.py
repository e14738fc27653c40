"""``arbitre serve``: where it listens, what it refuses to start with, and that it really serves."""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import arbitre_in_process

ARBITRE = Path(sys.executable).parent / "arbitre"
TOKEN = "workshop-token-0123456789"


def arbitre(*args: str | Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The installed command, run as a user runs it."""
    return subprocess.run([str(ARBITRE), *map(str, args)], capture_output=True, text=True, timeout=timeout)


def started(*args: str | Path) -> tuple[subprocess.Popen[str], str]:
    """``arbitre serve ARGS`` started in the background, and the address it prints."""
    server = subprocess.Popen([str(ARBITRE), "serve", *map(str, args)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    assert server.stdout is not None
    ready, _, _ = select.select([server.stdout], [], [], 60)
    if not ready:
        server.kill()
        pytest.fail("arbitre serve printed no address within a minute")
    line = server.stdout.readline()
    found = re.match(r"Arbitre workspace: (http://\S+)", line)
    if not found:
        server.kill()
        pytest.fail(f"unexpected first line: {line!r}; stderr: {server.stderr.read() if server.stderr else ''}")
    return server, found.group(1)


def stopped(server: subprocess.Popen[str]) -> str:
    """Stop the server as Ctrl-C does; what it wrote on standard error."""
    server.send_signal(signal.SIGINT)
    try:
        _, err = server.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        _, err = server.communicate()
        pytest.fail("arbitre serve did not stop on Ctrl-C")
    assert server.returncode == 0, err
    return err


class TestRefused:
    def test_other_host_without_token(self, tmp_path: Path) -> None:
        """Listening beyond this machine without a token is refused, exit 2, with what to do."""
        run = arbitre("serve", "--host", "0.0.0.0", "--db", tmp_path / "w.db")
        assert run.returncode == 2
        assert run.stderr == ("error: --host 0.0.0.0 lets other machines reach the workspace: set $ARBITRE_TOKEN "
                              "(or give --token T, which others can see in the process list) to a secret of 16 or "
                              "more characters, or leave out --host to serve on 127.0.0.1 only\n")
        assert not (tmp_path / "w.db").exists()

    @pytest.mark.parametrize("token", ["short", "has space in it 0123", "semi;colon0123456789", "é" * 20])
    def test_weak_token(self, tmp_path: Path, token: str) -> None:
        """A token too short to resist guessing, or one that cannot go in an address, is refused."""
        run = arbitre_in_process("serve", "--token", token, "--db", tmp_path / "w.db")
        assert run.returncode == 2
        assert "--token must be 16 or more letters, digits" in run.stderr

    def test_port_in_use(self, tmp_path: Path) -> None:
        """A port another program listens on is a clear message, exit 2."""
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            run = arbitre_in_process("serve", "--port", str(port), "--db", tmp_path / "w.db")
        assert run.returncode == 2
        assert run.stderr == (f"error: cannot serve on 127.0.0.1:{port}: the port {port} is in use "
                              "(another arbitre serve?); choose another with --port\n")

    def test_unknown_host(self, tmp_path: Path) -> None:
        """An address that is not this machine's is a clear message, exit 2."""
        run = arbitre_in_process("serve", "--host", "192.0.2.1", "--token", TOKEN, "--port", "0",
                                 "--db", tmp_path / "w.db")
        assert run.returncode == 2
        assert "cannot serve on 192.0.2.1:0: not an address of this machine" in run.stderr

    def test_bad_database(self, tmp_path: Path) -> None:
        """A workspace file that is not one is a clear message, exit 2."""
        (tmp_path / "w.db").write_text("not a database, just text " * 100)
        run = arbitre_in_process("serve", "--port", "0", "--db", tmp_path / "w.db")
        assert run.returncode == 2
        assert str(tmp_path / "w.db") in run.stderr

    def test_bad_policy(self, tmp_path: Path) -> None:
        """A policy directory that cannot be read is reported at start, not on the first page."""
        run = arbitre_in_process("serve", "--port", "0", "--db", tmp_path / "w.db", "--policy", tmp_path / "none")
        assert run.returncode == 2


class TestServing:
    def test_serves_and_stops(self, tmp_path: Path) -> None:
        """It prints its loopback address, serves the assessments page there and stops on Ctrl-C."""
        server, address = started("--port", "0", "--db", tmp_path / "w.db")
        try:
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", address)
            with urllib.request.urlopen(address, timeout=30) as answer:
                assert answer.status == 200
                page = answer.read().decode()
            assert "<h1>Assessments</h1>" in page
            assert (tmp_path / "w.db").exists()
        finally:
            err = stopped(server)
        assert "Traceback" not in err

    def test_token(self, tmp_path: Path) -> None:
        """With a token, the printed address carries it, and a request without it is refused."""
        env_db = tmp_path / "w.db"
        server, address = started("--port", "0", "--db", env_db, "--token", TOKEN)
        try:
            assert address.endswith(f"/?token={TOKEN}")
            bare = address.split("?")[0]
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(bare, timeout=30)
            assert refused.value.code == 403
            refused.value.close()
            request = urllib.request.Request(bare, headers={"Authorization": f"Bearer {TOKEN}"})
            with urllib.request.urlopen(request, timeout=30) as answer:
                assert answer.status == 200
        finally:
            stopped(server)

    def test_database_from_environment(self, tmp_path: Path) -> None:
        """Without --db, $ARBITRE_DB names the workspace file."""
        os.environ["ARBITRE_DB"] = str(tmp_path / "env.db")
        try:
            server, _ = started("--port", "0")
        finally:
            del os.environ["ARBITRE_DB"]
        stopped(server)
        assert (tmp_path / "env.db").exists()


class TestLimits:
    def test_server_limits_connections_and_idle_time(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """The server caps connections and requests at once, and drops idle kept-alive connections."""
        import uvicorn

        from cli import SERVE_CONCURRENCY, SERVE_KEEP_ALIVE

        seen: list[uvicorn.Config] = []
        monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: seen.append(self.config))
        run = arbitre_in_process("serve", "--port", "0", "--db", tmp_path / "w.db")
        assert run.returncode == 0, run.stderr
        [config] = seen
        assert config.limit_concurrency == SERVE_CONCURRENCY and config.timeout_keep_alive == SERVE_KEEP_ALIVE
        assert 0 < SERVE_CONCURRENCY <= 256 and 0 < SERVE_KEEP_ALIVE <= 30


class TestTokenFromEnvironment:
    def test_token_from_environment_and_usable_addresses(self, tmp_path: Path) -> None:
        """$ARBITRE_TOKEN gives the token without putting it on the command line (where ps shows it);
        served on every address, the printed addresses are ones a browser can open, never 0.0.0.0."""
        os.environ["ARBITRE_TOKEN"] = TOKEN
        try:
            server, address = started("--port", "0", "--host", "0.0.0.0", "--db", tmp_path / "w.db")
        finally:
            del os.environ["ARBITRE_TOKEN"]
        try:
            assert TOKEN not in Path(f"/proc/{server.pid}/cmdline").read_text(errors="replace")
            assert re.fullmatch(rf"http://127\.0\.0\.1:\d+/\?token={TOKEN}", address)
            assert "0.0.0.0" not in address
            browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())  # keeps the token's cookie
            with browser.open(address, timeout=30) as answer:
                assert answer.status == 200 and "<h1>Assessments</h1>" in answer.read().decode()
            bare = address.split("?")[0]
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(bare, timeout=30)
            assert refused.value.code == 403
            refused.value.close()
        finally:
            stopped(server)


class TestCutOffOverTheNetwork:
    def test_a_form_cut_off_in_transit_is_not_carried_out(self, tmp_path: Path) -> None:
        """Headers announcing 5000 bytes, part of the form, then the connection closed: nothing is created,
        and the server goes on serving."""
        server, address = started("--port", "0", "--db", tmp_path / "w.db")
        try:
            with urllib.request.urlopen(address, timeout=30) as answer:
                cookie = answer.headers["set-cookie"].split(";")[0]
                csrf = re.search(r'name="csrf" value="([^"]+)"', answer.read().decode()).group(1)  # type: ignore[union-attr]
            port = int(address.rsplit(":", 1)[1].strip("/"))
            body = f"csrf={csrf}&lang=en&name=Truncated-by-network-".encode()
            with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
                raw.sendall(b"POST /assessments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n"
                            + f"Cookie: {cookie}\r\n\r\n".encode() + body)
                raw.shutdown(socket.SHUT_WR)
                while raw.recv(4096):  # until the server has dealt with it and closed
                    pass
            # A whole form sent after it: once it is carried out, the cut one would have been too.
            marker = urllib.request.Request(address + "assessments", data=f"csrf={csrf}&lang=en&name=Whole".encode(),
                                            headers={"Cookie": cookie})
            with urllib.request.urlopen(marker, timeout=30) as answer:
                assert answer.status == 200  # the 303 followed to the questionnaire
            with urllib.request.urlopen(address, timeout=30) as answer:
                page = answer.read().decode()
            assert "Whole" in page
            assert "Truncated-by-network-" not in page
        finally:
            stopped(server)
