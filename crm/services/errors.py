"""The error services raise for bad input: the message goes next to `field` (or in a flash when
there is no field) and the caller rolls back, so nothing is changed."""


class FieldError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field
