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
    AnalysisError,
    AuthenticationError,
    DeepFixClientError,
    DeepFixConnectionError,
    DeepFixError,
    DeepFixTimeoutError,
    NotFoundError,
    RateLimitError,
    ServerUnavailableError,
    ValidationError,
)
from deepfix_notebook.client._offline import ServerUnreachableWarning
from deepfix_notebook.client._policy import (
    RETRY_STATUSES,
    PollingConfig,
    PollPolicy,
    RetryConfig,
    RetryPolicy,
)
from deepfix_notebook.client._sync import DeepFixClient
from deepfix_notebook.client._wire import correlation_id

__all__ = [
    "RETRY_STATUSES",
    "AnalysisError",
    "AsyncDeepFixClient",
    "AuthenticationError",
    "DeepFixClient",
    "DeepFixClientError",
    "DeepFixConnectionError",
    "DeepFixError",
    "DeepFixTimeoutError",
    "NotFoundError",
    "PollPolicy",
    "PollingConfig",
    "RateLimitError",
    "RetryConfig",
    "RetryPolicy",
    "ServerUnavailableError",
    "ServerUnreachableWarning",
    "ValidationError",
    "correlation_id",
]
