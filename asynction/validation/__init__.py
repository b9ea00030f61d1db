"""Run-time validation: event arguments against payload and ack schemas, connections against
``bindings.ws``.

Schemas are compiled once by jsonschema_rs (draft 2020-12, formats checked): all of a document's
at once by :func:`compile_validators` (which the server calls when it starts, so that a schema
jsonschema_rs refuses fails loading), else lazily on first use. The valid path is one call into
jsonschema_rs, and errors are worked out only once a value has failed.
"""

from asynction.validation.arguments import ArgumentShape, ArgumentsValidator, argument_shape
from asynction.validation.bindings import (
    ENGINEIO_QUERY_PARAMETERS,
    BindingsReader,
    BindingsValidator,
)
from asynction.validation.compiled import ApiValidators, check_schemas, compile_validators
from asynction.validation.depth import MAX_DEPTH
from asynction.validation.schema import CompiledSchema, SchemaFailure, json_path

__all__ = [
    "ENGINEIO_QUERY_PARAMETERS",
    "MAX_DEPTH",
    "ApiValidators",
    "ArgumentShape",
    "ArgumentsValidator",
    "BindingsReader",
    "BindingsValidator",
    "CompiledSchema",
    "SchemaFailure",
    "argument_shape",
    "check_schemas",
    "compile_validators",
    "json_path",
]
