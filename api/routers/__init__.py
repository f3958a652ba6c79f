"""One small router per area of ``/v1``; ``api.app`` includes them all."""
