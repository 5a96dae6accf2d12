"""The console channel: a resident session in the terminal, through the same core.

Buttons print as `  [n] label`; typing n or the label chooses. Works with piped stdin and stops
at end of input, so a script can file a complaint. Two console-only conventions stand in for
what a phone would send: `@photo NAME` (a photo) and `@location LAT LON` (a shared location).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TextIO

from handlers.conversation.messages import Button, Inbound, Location, Outbound

Handler = Callable[[Inbound], Awaitable[list[Outbound]]]


class ConsoleSession:
    """Turns typed lines into `Inbound`s and prints the core's replies."""

    def __init__(self, handle: Handler, *, user_id: str, out: TextIO) -> None:
        self._handle = handle
        self._user_id = user_id
        self._out = out
        self._buttons: list[Button] = []

    def parse(self, line: str) -> Inbound:
        text = line.rstrip("\r\n")
        stripped = text.strip()
        base = partial(Inbound, channel="console", user_id=self._user_id, chat_id=self._user_id)
        if stripped.isdigit() and 1 <= int(stripped) <= len(self._buttons):
            return base(choice=self._buttons[int(stripped) - 1].payload)
        for button in self._buttons:
            if stripped == button.label:
                return base(choice=button.payload)
        if stripped.startswith("@photo "):
            return base(photo=stripped.removeprefix("@photo ").strip())
        if stripped.startswith("@location "):
            parts = stripped.removeprefix("@location ").replace(",", " ").split()
            try:
                lat, lon = float(parts[0]), float(parts[1])
            except (IndexError, ValueError):
                return base(text=text)
            return base(location=Location(lat, lon))
        return base(text=text)

    def show(self, replies: list[Outbound]) -> None:
        buttons: list[Button] = []
        for reply in replies:
            print(reply.text, file=self._out)
            for photo in reply.photos:
                print(f"  (photo {photo})", file=self._out)
            for button in reply.all_buttons():
                buttons.append(button)
                print(f"  [{len(buttons)}] {button.label}", file=self._out)
        if buttons or replies:
            # The newest buttons are the ones a number refers to.
            self._buttons = buttons
        self._out.flush()

    async def send_line(self, line: str) -> None:
        self.show(await self._handle(self.parse(line)))


async def run_console(
    handle: Handler, *, user_id: str, stdin: TextIO | None = None, out: TextIO | None = None
) -> None:
    """Read lines until end of input; each is one message to the core."""
    source = stdin or sys.stdin
    session = ConsoleSession(handle, user_id=user_id, out=out or sys.stdout)
    interactive = source.isatty()
    await session.send_line("/start")  # the console's first line, as a person would type it
    loop = asyncio.get_running_loop()
    while True:
        if interactive:
            print("> ", end="", file=session._out, flush=True)
        # Read off the event loop: other channels and jobs keep running while we wait.
        line = await loop.run_in_executor(None, source.readline)
        if not line:
            break
        if not interactive:
            if not line.strip():
                continue
            # Echo piped input so a scripted transcript reads like the conversation it was.
            print(f"> {line.rstrip()}", file=session._out)
        await session.send_line(line)
