# flask-smorest ships no type information. This stub tells mypy the one thing it must
# know, that abort() never returns (so `if row is None: abort(404)` narrows row);
# everything else the package exports is Any, as if it were not stubbed at all.
from typing import Any, NoReturn

def abort(http_status_code: int, exc: Exception | None = None, **kwargs: Any) -> NoReturn: ...
def __getattr__(name: str) -> Any: ...
