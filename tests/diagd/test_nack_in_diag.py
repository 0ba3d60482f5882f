"""ambex's report of an Envoy NACK reaches diagd's state and its diag JSON."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from diagd.compile.model.settings import CompileSettings
from diagd.diag_model import diag_document, envoy_block, system_block
from diagd.reconfig import ReconfigWorker
from diagd.state import CompiledState, StateHolder
from watt.formats.layout import BaseLayout


def test_a_nack_reported_by_ambex_shows_in_diag_json(tmp_path: Path) -> None:
    layout = BaseLayout(str(tmp_path))
    layout.ensure()
    holder = StateHolder(CompiledState(started=time.time()))
    worker = ReconfigWorker(layout, CompileSettings(), holder, notify=lambda _: True)
    nack = {"type": "RDS", "version": "abc", "message": "missing ): (unclosed", "at": time.time(), "snapshot_seq": 4}
    Path(layout.ambex_status_file).write_text(json.dumps({"last_nack": nack, "acked": None, "streams": 1}))
    worker.refresh_status()
    doc = diag_document(holder.current, None, system=system_block(holder.current, ambassador_id="default",
                                                                  namespace="default", log_level=logging.INFO),
                        envoy=envoy_block(holder.current, ready=True, server_info=None), health=None)
    assert doc["envoy_status"]["last_nack"]["message"] == "missing ): (unclosed"
    assert doc["envoy_status"]["last_nack"]["snapshot_seq"] == 4
    assert doc["envoy_status"]["streams"] == 1
