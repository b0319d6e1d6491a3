"""A small generic binding of OpenAPI 3.1 operations to Starlette handlers.

It knows OpenAPI, never the application: it loads a spec shipped in a package, compiles every
parameter and body schema once (Draft 2020-12, jsonschema-rs), runs apiKey security through a hook
the application provides, validates, and renders every refusal as JSON `{"error": "..."}`.
"""

from bassa_server._openapi._binding import (
    After,
    Authenticate,
    Credential,
    Handler,
    HandlerSet,
    OperationCall,
    build_routes,
)
from bassa_server._openapi._errors import ApiError, FastJSONResponse, error_response
from bassa_server._openapi._spec import (
    Operation,
    SecurityScheme,
    SpecError,
    inline_refs,
    load_document,
    read_operations,
)

__all__ = [
    "After",
    "ApiError",
    "Authenticate",
    "Credential",
    "FastJSONResponse",
    "Handler",
    "HandlerSet",
    "Operation",
    "OperationCall",
    "SecurityScheme",
    "SpecError",
    "build_routes",
    "error_response",
    "inline_refs",
    "load_document",
    "read_operations",
]
