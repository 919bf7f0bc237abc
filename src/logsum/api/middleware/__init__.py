"""The service's ASGI middlewares, one concern each. The app factory
(:func:`logsum.api.app.create_app`) stacks them in this order, outermost first, all inside
Starlette's own error middleware and outside FastAPI's exception handlers and routing:

============================  =================================================================
:class:`RateLimitHeaders`     adds the ``X-RateLimit-*`` headers the rate-limit dependency left
                              in the request state
:class:`RequestId`            keeps a sane incoming ``X-Request-ID`` or makes one, and sends it
                              back on every response
:class:`Observe`              Prometheus metrics and one JSON access log line per request
:class:`InFlightCap`          503 once ``LOGSUM_MAX_IN_FLIGHT`` requests are in progress
:class:`UnexpectedErrors`     an unexpected exception becomes 500 ``internal_error`` (logged)
:class:`BodyLimits`           per-client uploads (429), body size (413), deadline (408),
                              ``Content-Length`` (400); ``gzip``/``deflate`` bodies inflated
:class:`HeadAsGet`            answers ``HEAD`` as ``GET`` without the body
============================  =================================================================

Why this order: every response, errors included, passes back out through the header layers and
:class:`Observe`, so each carries its request id and is counted with its real status; the 503 of
:class:`InFlightCap` costs nothing below it; :class:`UnexpectedErrors` also covers reading the
body; and ``HEAD`` is rewritten last so the access log and metrics still say ``HEAD``.
The middlewares share nothing but the request's ``scope["state"]`` and :class:`ClientGone`.
"""

from logsum.api.middleware.body import BodyLimits, ClientGone
from logsum.api.middleware.capacity import InFlightCap
from logsum.api.middleware.failures import UnexpectedErrors
from logsum.api.middleware.headers import HeadAsGet, RateLimitHeaders, RequestId
from logsum.api.middleware.observe import Observe, log_request

__all__ = [
    "BodyLimits",
    "ClientGone",
    "HeadAsGet",
    "InFlightCap",
    "Observe",
    "RateLimitHeaders",
    "RequestId",
    "UnexpectedErrors",
    "log_request",
]
