"""Run-time validation: event arguments against payload and ack schemas, connections against
``bindings.ws``.

Schemas are compiled once by jsonschema_rs (draft 2020-12, formats checked), lazily on first use;
the valid path is one call into it, and errors are worked out only once a value has failed.
"""

from asynction.validation.arguments import ArgumentShape, ArgumentsValidator, argument_shape
from asynction.validation.bindings import (
    ENGINEIO_QUERY_PARAMETERS,
    BindingsReader,
    BindingsValidator,
)
from asynction.validation.depth import MAX_DEPTH
from asynction.validation.schema import CompiledSchema, SchemaFailure, json_path

__all__ = [
    "ENGINEIO_QUERY_PARAMETERS",
    "MAX_DEPTH",
    "ArgumentShape",
    "ArgumentsValidator",
    "BindingsReader",
    "BindingsValidator",
    "CompiledSchema",
    "SchemaFailure",
    "argument_shape",
    "json_path",
]
