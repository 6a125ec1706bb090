"""An independent oracle for archdsl: a reference interpreter of the checked IR
(`interpreter.py`) and a generator of valid, well-typed programs (`programs.py`).

The interpreter reads `archdsl.pipeline.compile_spec(...).program` and evaluates it
with torch directly. It never imports `archdsl.codegen` nor runs generated code, so
where the generated module and the interpreter disagree, one of them is wrong about
what the spec says.
"""
