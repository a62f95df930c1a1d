"""The fast path: every trick that leans on a library's internals, fenced in one package.

(index to be written: what each trick replaces, where it is measured in docs/benchmarks.md, how to
switch it off)
"""
