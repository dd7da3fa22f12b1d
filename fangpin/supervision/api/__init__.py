"""The supervision API: problem clues (every lifecycle step a POST action), clue batches, the clue ledger.

- `serializers` — reading serializers: a clue as listed and in detail, evidence files, history, batches
- `inputs`      — one input serializer per lifecycle step and `STEPS` (API step -> service, input)
- `viewsets`    — `ClueViewSet` (scoped through clues_visible_to) and `ClueBatchViewSet`
- `ledger`      — `ClueLedgerViewSet`, the rectification ledger and rates as JSON or Excel
"""

from fangpin.supervision.api.inputs import STEPS
from fangpin.supervision.api.ledger import ClueLedgerViewSet
from fangpin.supervision.api.viewsets import ClueBatchViewSet, ClueViewSet

__all__ = ["STEPS", "ClueBatchViewSet", "ClueLedgerViewSet", "ClueViewSet"]
