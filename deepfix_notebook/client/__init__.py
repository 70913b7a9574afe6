"""Client of the DeepFix REST API (CONTRACT.md §2, §5): sync and async, with retries and polling.

```python
from deepfix_notebook.client import DeepFixClient

with DeepFixClient("http://localhost:8000") as client:
    result = client.analyze("abc123", "http://localhost:5000")
    print(result.summary)
```
"""

from deepfix_notebook.client._async import AsyncDeepFixClient
from deepfix_notebook.client._errors import (
    DeepFixClientError,
    DeepFixConnectionError,
    DeepFixError,
    DeepFixTimeoutError,
)
from deepfix_notebook.client._policy import RETRY_STATUSES, PollPolicy, RetryPolicy
from deepfix_notebook.client._sync import DeepFixClient
from deepfix_notebook.client._wire import correlation_id

__all__ = [
    "RETRY_STATUSES",
    "AsyncDeepFixClient",
    "DeepFixClient",
    "DeepFixClientError",
    "DeepFixConnectionError",
    "DeepFixError",
    "DeepFixTimeoutError",
    "PollPolicy",
    "RetryPolicy",
    "correlation_id",
]
