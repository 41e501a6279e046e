"""The maintenance agent example as a separate process, as a user runs it: its output read
line by line as it comes, so a test can act when the agent says it is waiting."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Generous bounds against a hung test, not claims about speed.
LINE_TIMEOUT_S = 60
WAITING = re.compile(r"^step (\d+) (\w+) \[(\w+)\] waiting for approval (\S+):")


class AgentProcess:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    @classmethod
    async def start(cls, url: str, token: str, *args: str) -> AgentProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "examples.maintenance_agent",
            "--url",
            url,
            "--token",
            token,
            "--heartbeat",
            "0.5",
            *args,
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        return cls(process)

    async def line(self, pattern: str | re.Pattern[str]) -> re.Match[str]:
        """Read output up to the next line matching ``pattern``."""
        assert self.process.stdout is not None
        while True:
            async with asyncio.timeout(LINE_TIMEOUT_S):
                raw = await self.process.stdout.readline()
            if not raw:
                raise AssertionError(f"the agent exited before {pattern!r}:\n{self.output}")
            text = raw.decode().rstrip("\n")
            self.lines.append(text)
            match = re.search(pattern, text)
            if match:
                return match

    async def waiting_for_approval(self) -> tuple[int, str]:
        """The next approval the agent waits for: (step index, approval id)."""
        match = await self.line(WAITING)
        return int(match.group(1)), match.group(4)

    async def exit_code(self) -> int:
        """Read the rest of the output and wait for the exit."""
        assert self.process.stdout is not None
        async with asyncio.timeout(LINE_TIMEOUT_S):
            rest = await self.process.stdout.read()
            code = await self.process.wait()
        self.lines.extend(rest.decode().splitlines())
        return code

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as a crash or an OOM kill would leave it."""
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)
