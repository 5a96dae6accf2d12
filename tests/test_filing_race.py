"""Two real processes race on the same residents' 提交 (PostgreSQL): one case per resident."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from bot.app import build_app, sync_directory
from bot.config import Settings
from handlers.resident.draft import DraftState, Step
from nlp.router import Router
from storage.drafts import save_draft
from storage.models import Case, Draft
from tests.conftest import T0, _truncate

ROOT = Path(__file__).resolve().parent.parent
RESIDENTS = 30


async def _prepare(url: str, router: Router) -> list[str]:
    """Residents with a draft at the summary step, as intake leaves it before 提交."""
    await _truncate(url)
    app = await build_app(
        Settings.model_validate({"database": {"url": url}}), router=router, prepare=False
    )
    users = [str(5000 + n) for n in range(RESIDENTS)]
    try:
        await sync_directory(app.sessionmaker, router)
        async with app.sessionmaker() as session, session.begin():
            for user in users:
                state = DraftState(
                    step=Step.CONFIRM,
                    request_type="complaint",
                    description=f"建宁路路灯坏了很久了，住户{user}反映",
                    decision={"unit": "区城市管理局", "category": "城乡建设"},
                    anonymous=True,
                )
                await save_draft(
                    session=session,
                    channel="telegram",
                    user_id=user,
                    step=str(state.step),
                    data=state.to_json(),
                    now=T0,
                )
    finally:
        await app.close()
    return users


async def _counts(url: str, router: Router) -> tuple[dict[str, int], int]:
    app = await build_app(
        Settings.model_validate({"database": {"url": url}}), router=router, prepare=False
    )
    try:
        async with app.sessionmaker() as session:
            from storage.models import Resident

            rows = await session.execute(
                select(Resident.external_id, func.count(Case.id))
                .join(Case, Case.resident_id == Resident.id)
                .group_by(Resident.external_id)
            )
            per_user = {user: int(n) for user, n in rows.all()}
            # Only finished dialogs stay: each keeps its number to answer a repeated 提交.
            drafts = (
                await session.execute(
                    select(func.count()).select_from(Draft).where(Draft.step != "intake:filed")
                )
            ).scalar_one()
        return per_user, int(drafts)
    finally:
        await app.close()


def test_two_processes_pressing_submit_file_one_case_each(
    postgres_url: str, router: Router
) -> None:
    """Both instances get a 提交 for every resident at the same instant; each files once."""
    users = asyncio.run(_prepare(postgres_url, router))
    start_at = time.time() + 4.0  # both have loaded jieba and opened connections by then
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.race_worker", postgres_url, str(start_at), tag, *users],
            cwd=ROOT,
            stdout=subprocess.PIPE,
        )
        for tag in ("a", "b")
    ]
    outputs = []
    for worker in workers:
        out, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0
        outputs.append(json.loads(out.decode().strip().splitlines()[-1]))
    per_user, drafts = asyncio.run(_counts(postgres_url, router))
    assert per_user == dict.fromkeys(users, 1), "exactly one case per resident"
    assert drafts == 0
    for user in users:
        told = [t for out in outputs for t in out[user] if "已受理，工单号" in t]
        apologies = [t for out in outputs for t in out[user] if "出了点问题" in t]
        assert len(told) == 1, (user, outputs[0][user], outputs[1][user])
        assert apologies == [], "the second press waited for the first instead of failing"
