"""台账: the export form and the download (Excel or CSV), for supervisors.

The file is written to a temporary file (openpyxl's write-only mode needs a file to zip; CSV
goes the same way so a large range never sits in memory) and streamed back; the temporary file
is removed when the response is done.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from bot.web.access import viewer_of
from bot.web.pages.period import supervisors_range
from bot.web.render import render

log = logging.getLogger(__name__)

_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


async def ledger_form(request: web.Request) -> web.Response:
    deps, period, _ = supervisors_range(request, "the ledger is for supervisors")
    return render(
        request,
        "ledger.html",
        {
            "period": period,
            "units": [u.name for u in deps.app.router.directory.units],
        },
    )


async def ledger_download(request: web.Request) -> web.StreamResponse:
    deps, period, unit = supervisors_range(request, "the ledger is for supervisors")
    viewer = viewer_of(request)
    kind = "csv" if request.query.get("format") == "csv" else "xlsx"
    # openpyxl is imported on the first download, not when `hotline run` starts the workbench.
    from bot.web.ledgerfile import LedgerRange, write_csv, write_xlsx

    wanted = LedgerRange(start=period.start, end=period.end, unit=unit, now=deps.core.clock.now())
    name = f"台账_{period.first:%Y%m%d}-{period.last:%Y%m%d}{'_' + unit if unit else ''}.{kind}"
    disposition = f"attachment; filename=\"ledger.{kind}\"; filename*=UTF-8''{quote(name)}"
    with tempfile.TemporaryDirectory(prefix="hotline-ledger-") as folder:
        path = Path(folder) / f"ledger.{kind}"
        if kind == "csv":
            # Excel reads UTF-8 CSV only with a BOM.
            with path.open("w", encoding="utf-8-sig", newline="") as out:
                rows = await write_csv(deps.app, wanted, out)
        else:
            rows = await write_xlsx(deps.app, wanted, path)
        log.info("web: staff %s exported %d ledger rows (%s)", viewer.member.id, rows, kind)
        response = web.StreamResponse(
            headers={
                "Content-Type": _TYPES[kind],
                "Content-Disposition": disposition,
                "Content-Length": str(path.stat().st_size),
            }
        )
        await response.prepare(request)
        with path.open("rb") as file:
            while chunk := file.read(256 * 1024):
                await response.write(chunk)
        await response.write_eof()
        return response
