"""Calibrate a personal model: a protocol, induced blocks, self-reports, an honest verdict.

- :mod:`.protocol` the versioned JSON protocol (states, blocks, timing, order, induction);
  :mod:`.instructions` the built-in recall instructions; :mod:`.order` the block order;
  :mod:`.stimuli` the stimulus files, checked before Start.
- :mod:`.run` the steps on the stream's clock, as cues for the session;
  :mod:`.record` the calibration as recorded, read back into blocks and ratings;
  :mod:`.ratings` what a self-report says.
- :mod:`.train` the personal model: :mod:`.windows` (the live pipeline's features),
  :mod:`.verdict` (block-wise cross-validation, permutation test), :mod:`.recipe`.
- :mod:`.preflight` everything that could make a calibration fail, checked before Start.

See docs/calibration.md.
"""

from bci_desktop.core.calibration.protocol import (
    CalibrationProtocol,
    ProtocolError,
    StateInduction,
    default_protocol,
)
from bci_desktop.core.calibration.record import (
    CANCELLED,
    DONE,
    END,
    REPORT,
    START,
    STIMULUS,
    CalibrationRecord,
    RecordedBlock,
    read_calibration,
)
from bci_desktop.core.calibration.run import END_MARKER, START_MARKER, CalibrationRun, Step
from bci_desktop.core.calibration.train import (
    BlockReview,
    LabelSource,
    TrainReport,
    review_blocks,
    train_personal_model,
)
from bci_desktop.core.calibration.verdict import Verdict

__all__ = [
    "CANCELLED",
    "DONE",
    "END",
    "END_MARKER",
    "REPORT",
    "START",
    "START_MARKER",
    "STIMULUS",
    "BlockReview",
    "CalibrationProtocol",
    "CalibrationRecord",
    "CalibrationRun",
    "LabelSource",
    "ProtocolError",
    "RecordedBlock",
    "StateInduction",
    "Step",
    "TrainReport",
    "Verdict",
    "default_protocol",
    "read_calibration",
    "review_blocks",
    "train_personal_model",
]
