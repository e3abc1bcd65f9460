"""What the ledger tells the apps above it, which it cannot import (accountability sits above tasks).

Each hook is a Django signal sent with ``send`` (not ``send_robust``) inside the transaction that
made the change: a receiver's writes are part of it, and a receiver's error rolls the whole change
back. Receivers connect in their app's ``AppConfig.ready``.

- ``signed_off``: the office's approval has signed an assignment off. Arguments: ``assignment``
  (locked, updated), ``actor``, ``request`` (the approved ``SignOffRequest``). accountability lifts
  the row's listed supervision (``accountability.services.lift_on_signoff``).
"""

from django.dispatch import Signal

signed_off = Signal()
