"""Code generation: typed pydantic models and a typed server class from an AsyncAPI document.

``asynction codegen spec.yaml -o app/events.py`` (see :mod:`asynction.codegen.command`) writes a
module holding a pydantic model for every payload, tuple position, ack and connect binding, the
normalised spec, and a subclass of :class:`~asynction.AsynctionSocketIO` with one typed method per
event. :func:`asynction.codegen.generator.generate` does the same from Python.

What generated modules import at run time is :mod:`asynction.codegen.runtime`; the generator itself
(datamodel-code-generator, jinja2) is only imported to generate. This package's ``__init__``
imports nothing, so that the CLI stays quick to start.
"""
